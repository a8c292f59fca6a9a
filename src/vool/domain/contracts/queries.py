"""Reads for supply contracts."""

from __future__ import annotations

import datetime as dt
from typing import Final

from django.db.models import Q, QuerySet

from vool.common.ranges import DateRange
from vool.domain.contracts.models import SupplyContract
from vool.domain.supply.models import MeteringPoint

PORTAL_CHANNEL: Final = SupplyContract.Channel.PORTAL  # signed by the customer in the portal


def overlapping_contract(
    *, metering_point_id: int, period: DateRange, exclude_id: int | None = None
) -> SupplyContract | None:
    """A live contract on the point whose ``[from, to)`` overlaps ``period``, if any."""
    live = SupplyContract.objects.filter(metering_point_id=metering_point_id).exclude(
        status=SupplyContract.Status.CANCELLED
    )
    if exclude_id is not None:
        live = live.exclude(pk=exclude_id)
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
