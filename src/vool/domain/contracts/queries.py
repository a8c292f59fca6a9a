"""Reads for supply contracts.

The one rule of which contracts are *live in a period* lives here (:func:`live_in`): not
cancelled, starting before the period ends and ending (if at all) after it starts. The bill
run, the rebill, the true-ups, the calculator and the overlap guard all read through it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final

from django.db import connection
from django.db.models import Q, QuerySet

from vool.common.ranges import DateRange
from vool.domain.contracts.models import SupplyContract
from vool.domain.supply.models import MeteringPoint

PORTAL_CHANNEL: Final = SupplyContract.Channel.PORTAL  # signed by the customer in the portal
BACKOFFICE_CHANNEL: Final = SupplyContract.Channel.BACKOFFICE  # concluded by customer service

__all__ = [
    "LiveContract",
    "accounts_with_live_contract",
    "live_contract_on",
    "live_contracts",
    "live_in",
    "overlapping_contract",
]


def live_in(*, start: Any, end: Any | None) -> Q:
    """Contracts in force on some day of ``[start, end)`` (``end`` None: open): not cancelled,
    ``valid_from < end`` and ``valid_to`` open or ``> start``. ``start`` and ``end`` may be
    dates or query expressions (``OuterRef``)."""
    live = ~Q(status=SupplyContract.Status.CANCELLED) & (
        Q(valid_to__isnull=True) | Q(valid_to__gt=start)
    )
    if end is not None:
        live &= Q(valid_from__lt=end)
    return live


@dataclass(frozen=True)
class LiveContract:
    """A live contract as the bill needs it: who, which point, which product, which days."""

    billing_account_id: int
    metering_point_id: int
    product_id: int
    green_energy: bool
    valid_from: dt.date
    valid_to: dt.date | None  # exclusive; None = open
    production_product_id: int | None = None  # the terms a prosumer's surplus is credited at


def live_contracts(
    *,
    start: dt.date,
    end: dt.date,
    billing_account_ids: Collection[int] | None = None,
    metering_point_ids: Collection[int] | None = None,
) -> list[LiveContract]:
    """The live contracts of ``[start, end)`` (of the given accounts and points), by point and
    start."""
    contracts: QuerySet[SupplyContract] = SupplyContract.objects.filter(
        live_in(start=start, end=end)
    )
    if billing_account_ids is not None:
        contracts = contracts.filter(billing_account_id__in=list(billing_account_ids))
    if metering_point_ids is not None:
        contracts = contracts.filter(metering_point_id__in=list(metering_point_ids))
    return [
        LiveContract(*row)
        for row in contracts.order_by("metering_point_id", "valid_from").values_list(
            "billing_account_id",
            "metering_point_id",
            "product_id",
            "green_energy",
            "valid_from",
            "valid_to",
            "production_product_id",
        )
    ]


def accounts_with_live_contract(*, start: dt.date, end: dt.date) -> list[int]:
    """Ids of the billing accounts with a live contract in ``[start, end)``, ascending."""
    return sorted(
        SupplyContract.objects.filter(live_in(start=start, end=end))
        .values_list("billing_account_id", flat=True)
        .distinct()
    )


def live_contract_on(*, metering_point_id: int, day: dt.date) -> SupplyContract | None:
    """The point's live contract on ``day`` (with its product), if any."""
    return (
        SupplyContract.objects.filter(
            live_in(start=day, end=day + dt.timedelta(days=1)),
            metering_point_id=metering_point_id,
        )
        .select_related("product")
        .first()
    )


def overlapping_contract(
    *, metering_point_id: int, period: DateRange, exclude_id: int | None = None
) -> SupplyContract | None:
    """A live contract on the point whose ``[from, to)`` overlaps ``period``, if any."""
    live = SupplyContract.objects.filter(
        live_in(start=period.start, end=period.end), metering_point_id=metering_point_id
    )
    if exclude_id is not None:
        live = live.exclude(pk=exclude_id)
    return live.order_by("valid_from").first()

    overlap = Q(valid_to__isnull=True) | Q(valid_to__gt=period.start)
    if period.end is not None:
        overlap &= Q(valid_from__lt=period.end)
    return live.filter(overlap).order_by("valid_from").first()


def active_contracts_of_point_on(*, eic: str, day: dt.date) -> list[SupplyContract]:
    """The active contracts of metering point ``eic`` begun before ``day`` and not ended by it
    (those a switch away from ``day`` cuts short)."""
    return list(
        SupplyContract.objects.filter(
            metering_point__eic=eic,
            status=SupplyContract.Status.ACTIVE,
            valid_from__lt=day,
        ).exclude(valid_to__lte=day)
    )


def _customers_contracts(*, customer_id: int) -> QuerySet[SupplyContract]:
    return (
        SupplyContract.objects.filter(customer_id=customer_id)
        .exclude(status=SupplyContract.Status.CANCELLED)
        .select_related("product", "metering_point", "billing_account")
    )


def contracts_of_customer_from(*, customer_id: int, today: dt.date) -> list[SupplyContract]:
    """The customer's contracts (not cancelled) that run ``today`` or later, by point and
    start, with their product, point and billing account."""
    return list(
        _customers_contracts(customer_id=customer_id)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=today))
        .order_by("metering_point__eic", "valid_from")
    )


def contract_of_customer(*, customer_id: int, contract_id: int) -> SupplyContract | None:
    """Contract ``contract_id`` if it is the customer's and not cancelled."""
    return _customers_contracts(customer_id=customer_id).filter(pk=contract_id).first()


def contracts_of_customer(*, customer_id: int) -> list[SupplyContract]:
    """All the customer's contracts, newest start first, with product, point and account."""
    return list(
        SupplyContract.objects.filter(customer_id=customer_id)
        .select_related("product", "metering_point", "billing_account")
        .order_by("-valid_from", "pk")
    )


def metering_points_of_customer(*, customer_id: int) -> list[MeteringPoint]:
    """The metering points the customer has (or had) a contract at, by EIC."""
    return list(
        MeteringPoint.objects.filter(contracts__customer_id=customer_id).distinct().order_by("eic")
    )


def customers_at_point(*, eic: str) -> list[tuple[int, str]]:
    """(customer id, EIC) of every contract at metering point ``eic``, latest start first."""
    return list(
        SupplyContract.objects.filter(metering_point__eic=eic)
        .order_by("-valid_from")
        .values_list("customer_id", "metering_point__eic")
    )


_POINTS_SUPPLIED_TO: Final = (
    "SELECT p.* FROM supply_meteringpoint p WHERE p.id IN ("
    "SELECT c.metering_point_id FROM contracts_supplycontract c "
    "WHERE c.customer_id = %s AND (c.valid_to IS NULL OR c.valid_to > %s)"
    ") ORDER BY p.eic"
)


def points_supplied_to(*, customer_id: int, today: dt.date) -> list[MeteringPoint]:
    """The metering points the customer has a contract at on ``today`` (or later), by EIC."""
    # The customer's own contracts that have not ended: an exclude() across the relation would
    # drop a point with *any* ended contract (the tenant before, or this customer's own contract
    # before a product change), and the DISTINCT join cost a sort on every portal page.
    # Written out (every portal page reads it): the ORM's building of the same query and its
    # subquery took ~1.5 ms of CPU a request, three times the read itself (RESULTS.md, h43).
    today_value = connection.ops.adapt_datefield_value(today)
    return list(MeteringPoint.objects.raw(_POINTS_SUPPLIED_TO, [customer_id, today_value]))
