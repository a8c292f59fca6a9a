"""Reads of the data hub's records: the agreements submitted for our contracts, and the
choices the sync needs by name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Final

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from vool.domain.hub.models import (
    AgreementSubmission,
    ConnectionRequest,
    HubEntry,
    JointInvoice,
    NetworkBill,
    NetworkBillDifference,
)

ENTRY_KEPT: Final = HubEntry.Status.KEPT  # an entry kept for later, not handled
PENDING: Final = AgreementSubmission.Status.PENDING  # concluded, to be sent
SUBMITTED: Final = AgreementSubmission.Status.SUBMITTED  # the agreement is in the hub
CONFIRMED: Final = AgreementSubmission.Status.CONFIRMED  # the hub distributed it back
REFUSED: Final = AgreementSubmission.Status.REFUSED  # lead time not met or the hub said no
AGREEMENT_LABELS: Final = dict(AgreementSubmission.Status.choices)  # status -> shown name
WITHDRAWABLE: Final = (PENDING, SUBMITTED, CONFIRMED)  # a withdrawal can still cancel these
CANCELLED: Final = AgreementSubmission.Status.CANCELLED  # withdrawn by the customer
ENDED: Final = AgreementSubmission.Status.ENDED  # ended by the hub (another supplier)
CONNECTION_ACTIONS: Final = tuple(ConnectionRequest.Action.values)  # CONNECT, DISCONNECT
CONNECT: Final = ConnectionRequest.Action.CONNECT
DISCONNECT: Final = ConnectionRequest.Action.DISCONNECT
DISCONNECTED: Final = ConnectionRequest.State.DISCONNECTED
CANCELLED_REQUEST: Final = ConnectionRequest.State.CANCELLED
# a DISCONNECT request in one of these states still stands (not refused, not cancelled)
_STANDING: Final = (
    ConnectionRequest.State.REQUESTED,
    ConnectionRequest.State.PLANNED,
    ConnectionRequest.State.DISCONNECTED,
)


def submission_of_contract(*, contract_id: int) -> AgreementSubmission | None:
    """The supply agreement submitted for contract ``contract_id``, if any."""
    return AgreementSubmission.objects.filter(contract_id=contract_id).first()


def submission_by_agreement(*, agreement_id: str) -> AgreementSubmission | None:
    """Our submission that the hub knows as ``agreement_id``, if it is ours."""
    return AgreementSubmission.objects.filter(agreement_id=agreement_id).first()


def submissions_of_contracts(*, contract_ids: Collection[int]) -> dict[int, AgreementSubmission]:
    """The submissions of the given contracts, by contract id (contracts without one left out)."""
    return {
        s.contract_id: s
        for s in AgreementSubmission.objects.filter(contract_id__in=list(contract_ids))
    }


def pending_submissions() -> list[AgreementSubmission]:
    """The agreements concluded but not sent yet, oldest first, with contract and point."""
    return list(
        AgreementSubmission.objects.filter(status=PENDING)
        .select_related("contract__metering_point")
        .order_by("submitted_at", "pk")
    )


def _standing_disconnections() -> QuerySet[ConnectionRequest]:
    later_connect = ConnectionRequest.objects.filter(
        metering_point=OuterRef("metering_point"),
        action=CONNECT,
        requested_at__gte=OuterRef("requested_at"),
    ).exclude(pk=OuterRef("pk"))
    return (
        ConnectionRequest.objects.filter(action=DISCONNECT, state__in=_STANDING)
        .exclude(Exists(later_connect))
        .select_related("metering_point")
    )


def standing_disconnections_of_points(*, metering_point_ids: Collection[int]) -> set[int]:
    """The points (of those given) with a DISCONNECT request that still stands: not refused
    or cancelled and no CONNECT asked for after it."""
    found = _standing_disconnections().filter(metering_point_id__in=list(metering_point_ids))
    return set(found.values_list("metering_point_id", flat=True))


def standing_debt_disconnections() -> list[ConnectionRequest]:
    """The DISCONNECT requests dunning asked for (``billing_account`` set) that still stand."""
    found = _standing_disconnections().filter(billing_account__isnull=False)
    return list(found.order_by("billing_account_id", "metering_point_id", "pk"))


def _joint_invoices_overlapping(start: dt.date, end: dt.date) -> QuerySet[JointInvoice]:
    return JointInvoice.objects.filter(valid_from__lt=end).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=start)
    )


def points_with_joint_invoice(*, metering_point_ids: Collection[int], on: dt.date) -> set[int]:
    """The points (of those given) whose network fee the supplier bills on ``on``: a
    joint-invoice agreement covers the day."""
    found = _joint_invoices_overlapping(on, on + dt.timedelta(days=1)).filter(
        metering_point_id__in=list(metering_point_ids)
    )
    return set(found.values_list("metering_point_id", flat=True))


def points_with_joint_invoice_between(*, start: dt.date, end: dt.date) -> set[int]:
    """The points with a joint-invoice agreement on some day of ``[start, end)``."""
    found = _joint_invoices_overlapping(start, end)
    return set(found.values_list("metering_point_id", flat=True))


def joint_invoices_of_point(*, metering_point_id: int) -> list[JointInvoice]:
    return list(JointInvoice.objects.filter(metering_point_id=metering_point_id))


def network_bills_starting(*, start: dt.date, end: dt.date) -> list[NetworkBill]:
    """The network bills whose period starts in ``[start, end)``, with their points."""
    return list(
        NetworkBill.objects.filter(period_start__gte=start, period_start__lt=end)
        .select_related("metering_point")
        .order_by("metering_point__eic", "period_start", "bill_id")
    )


# --- network bill differences: the back-office queue ---------------------------------------

DIFFERENCE_OPEN: Final = NetworkBillDifference.Status.OPEN
DIFFERENCE_KINDS: Final = tuple(NetworkBillDifference.Kind.choices)  # (value, label)


def open_bill_differences(
    *, kind: str = "", period: dt.date | None = None
) -> QuerySet[NetworkBillDifference]:
    """The differences still open, by month and point; ``kind`` and ``period`` filter."""
    rows = NetworkBillDifference.objects.filter(status=DIFFERENCE_OPEN)
    if kind:
        rows = rows.filter(kind=kind)
    if period is not None:
        rows = rows.filter(period=period)
    return rows.select_related("metering_point").order_by(
        "period", "metering_point__eic", "kind", "band", "pk"
    )


def open_bill_difference_counts() -> dict[str, int]:
    """How many differences are open, per kind (every kind, 0 when none)."""
    counted = dict(
        NetworkBillDifference.objects.filter(status=DIFFERENCE_OPEN)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    return {kind: counted.get(kind, 0) for kind, _label in DIFFERENCE_KINDS}


def open_bill_difference_months() -> list[dt.date]:
    """The months (first days) with an open difference, latest first."""
    rows = NetworkBillDifference.objects.filter(status=DIFFERENCE_OPEN)
    return list(rows.order_by("-period").values_list("period", flat=True).distinct())
