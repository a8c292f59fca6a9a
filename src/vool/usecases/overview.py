"""What the start page shows staff: the size of the customer base, in a few counts.

Counting every table is not free on a large database, so the counts are cached for
:data:`CACHE_SECONDS` (:func:`cached_system_overview`); the anonymous see none of them."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache

from vool.domain.contracts.models import SupplyContract
from vool.domain.customers.models import BillingAccount, Customer
from vool.domain.metering.models import IntervalDay, Reading
from vool.domain.supply.models import MeteringPoint
from vool.domain.tariffs.models import Product

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
        customers=Customer.objects.count(),
        billing_accounts=BillingAccount.objects.count(),
        metering_points=MeteringPoint.objects.count(),
        remote_points=MeteringPoint.objects.filter(
            metering_method=MeteringPoint.MeteringMethod.REMOTE_INTERVAL
        ).count(),
        active_contracts=SupplyContract.objects.filter(status=SupplyContract.Status.ACTIVE).count(),
        products=Product.objects.count(),
        readings=Reading.objects.count(),
        interval_days=IntervalDay.objects.count(),
    )


def cached_system_overview() -> SystemOverview:
    """:func:`system_overview`, counted at most once every :data:`CACHE_SECONDS`."""
    overview = cache.get(CACHE_KEY)
    if not isinstance(overview, SystemOverview):
        overview = system_overview()
        cache.set(CACHE_KEY, overview, CACHE_SECONDS)
    return overview
