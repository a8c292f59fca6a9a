"""What the start page shows staff: the size of the customer base, in a few counts.

Counting every table is not free on a large database, so the counts are cached for
:data:`CACHE_SECONDS` (:func:`cached_system_overview`); the anonymous see none of them."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache

from vool.domain.contracts import lookups as contract_lookups
from vool.domain.customers import queries as customer_queries
from vool.domain.metering import queries as metering_queries
from vool.domain.supply import queries as supply_queries
from vool.domain.tariffs import queries as tariff_queries

CACHE_KEY = "vool:system-overview"
CACHE_SECONDS = 300


@dataclass(frozen=True)
class SystemOverview:
    customers: int
    billing_accounts: int
    metering_points: int
    remote_points: int
    active_contracts: int
    products: int
    readings: int
    interval_days: int


def system_overview() -> SystemOverview:
    return SystemOverview(
        customers=customer_queries.count_customers(),
        billing_accounts=customer_queries.count_billing_accounts(),
        metering_points=supply_queries.count_metering_points(),
        remote_points=supply_queries.count_metering_points(remote_only=True),
        active_contracts=contract_lookups.count_active_contracts(),
        products=tariff_queries.count_products(),
        readings=metering_queries.count_readings(),
        interval_days=metering_queries.count_interval_days(),
    )


def cached_system_overview() -> SystemOverview:
    """:func:`system_overview`, counted at most once every :data:`CACHE_SECONDS`."""
    overview = cache.get(CACHE_KEY)
    if not isinstance(overview, SystemOverview):
        overview = system_overview()
        cache.set(CACHE_KEY, overview, CACHE_SECONDS)
    return overview
