"""Writes for the data-hub conversation (see :mod:`vool.domain.hub.models`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Protocol

from django.core.exceptions import ValidationError
from django.db import transaction

from vool.domain.contracts.models import SupplyContract
from vool.domain.hub.models import (
    AgreementSubmission,
    ConnectionAnswer,
    ConnectionRequest,
    HubCursor,
    HubEntry,
    JointInvoice,
    NetworkBill,
    NetworkBillDifference,
    PointHubState,
)
from vool.domain.supply.models import MeteringPoint

__all__ = [
    "InvalidJointInvoice",
    "InvalidNetworkBill",
    "add_joint_invoice",
    "advance_cursor",
    "cursor_for",
    "explain_differences",
    "finish_entry",
    "mark_agreement_refused",
    "mark_agreement_submitted",
    "queue_agreement",
    "record_agreement",
    "record_bill_differences",
    "record_connection_answer",
    "record_connection_request",
    "set_agreement_status",
    "set_point_state",
    "store_entries",
    "store_network_bill",
]


class EntryData(Protocol):
    """A distributed entry as the integration reads it (``resources.Entry``)."""

    @property
    def id(self) -> str: ...
    @property
    def resource_type(self) -> str: ...
    @property
    def created_at(self) -> dt.datetime: ...
    @property
    def reason(self) -> str: ...
    @property
    def content_text(self) -> str: ...


def store_entries(
    *, entries: Sequence[EntryData], received_at: dt.datetime, kept_types: set[str]
) -> list[HubEntry]:
    """Store the entries not stored before (by the hub's id) and return them, in page order;
    an entry seen again is not returned, so it is never handled twice."""
    ids = [e.id for e in entries]
    known = set(HubEntry.objects.filter(entry_id__in=ids).values_list("entry_id", flat=True))
    fresh = [
        HubEntry(
            entry_id=e.id,
            resource_type=e.resource_type,
            hub_created_at=e.created_at,
            reason=e.reason[:64],
            raw=e.content_text,
            status=HubEntry.Status.KEPT
            if e.resource_type in kept_types
            else HubEntry.Status.RECEIVED,
            received_at=received_at,
        )
        for e in entries
        if e.id not in known
    ]
    unique: list[HubEntry] = []
    seen: set[str] = set()
    for hub_entry in fresh:  # a page may list an entry twice: once is enough
        if hub_entry.entry_id not in seen:
            seen.add(hub_entry.entry_id)
            unique.append(hub_entry)
    HubEntry.objects.bulk_create(unique)
    return unique


def keep_entry(*, entry: HubEntry) -> None:
    """Keep the entry for later: no handler reads its resource type yet."""
    entry.status = HubEntry.Status.KEPT
    entry.save(update_fields=["status"])


def finish_entry(*, entry: HubEntry, problem: str, processed_at: dt.datetime) -> None:
    """Done, or (with a ``problem``) refused and queued for an operator."""
    entry.status = HubEntry.Status.QUEUED if problem else HubEntry.Status.DONE
    entry.problem = problem
    entry.processed_at = processed_at
    entry.save(update_fields=["status", "problem", "processed_at"])


def cursor_for(*, resource_type: str, start: dt.datetime, now: dt.datetime) -> HubCursor:
    cursor, _ = HubCursor.objects.get_or_create(
        resource_type=resource_type, defaults={"window_start": start, "updated_at": now}
    )
    return cursor


def advance_cursor(
    *, cursor: HubCursor, window_end: dt.datetime, last_page: bool, now: dt.datetime
) -> None:
    """After a page: the next page of the window, or the first page of the next window."""
    if last_page:
        cursor.window_start = window_end
        cursor.page = 0
    else:
        cursor.page += 1
    cursor.pages_read += 1
    cursor.updated_at = now
    cursor.save(update_fields=["window_start", "page", "pages_read", "updated_at"])


def set_point_state(
    *,
    point: MeteringPoint,
    connection_state: str,
    address_id: int | None,
    production: bool,
    now: dt.datetime,
) -> None:
    PointHubState.objects.update_or_create(
        metering_point=point,
        defaults={
            "connection_state": connection_state[:20],
            "address_id": address_id,
            "production": production,
            "updated_at": now,
        },
    )


def record_agreement(
    *,
    contract: SupplyContract,
    agreement_id: str,
    open_supply_elsewhere: bool,
    now: dt.datetime,
) -> AgreementSubmission:
    return AgreementSubmission.objects.create(
        contract=contract,
        agreement_id=agreement_id,
        valid_from=contract.valid_from,
        open_supply_elsewhere=open_supply_elsewhere,
        status=AgreementSubmission.Status.SUBMITTED,
        submitted_at=now,
    )


def queue_agreement(
    *, contract: SupplyContract, open_supply_elsewhere: bool, now: dt.datetime
) -> AgreementSubmission:
    """The agreement of a newly concluded contract, to be sent to the hub (once: a contract
    queued again keeps its first submission)."""
    submission, _ = AgreementSubmission.objects.get_or_create(
        contract=contract,
        defaults={
            "valid_from": contract.valid_from,
            "open_supply_elsewhere": open_supply_elsewhere,
            "status": AgreementSubmission.Status.PENDING,
            "submitted_at": now,
        },
    )
    return submission


def mark_agreement_submitted(
    *, submission: AgreementSubmission, agreement_id: str, now: dt.datetime
) -> None:
    submission.agreement_id = agreement_id
    submission.status = AgreementSubmission.Status.SUBMITTED
    submission.problem = ""
    submission.submitted_at = now
    submission.changed_at = now
    submission.save(
        update_fields=["agreement_id", "status", "problem", "submitted_at", "changed_at"]
    )


def mark_agreement_refused(
    *, submission: AgreementSubmission, problem: str, now: dt.datetime
) -> None:
    submission.status = AgreementSubmission.Status.REFUSED
    submission.problem = problem
    submission.changed_at = now
    submission.save(update_fields=["status", "problem", "changed_at"])


def set_agreement_status(*, submission: AgreementSubmission, status: str, now: dt.datetime) -> None:
    submission.status = status
    submission.changed_at = now
    submission.save(update_fields=["status", "changed_at"])


def record_connection_request(
    *,
    point: MeteringPoint,
    action: str,
    request_id: str,
    reason: str,
    user: Any,
    now: dt.datetime,
    billing_account_id: int | None = None,
) -> ConnectionRequest:
    """``billing_account_id``: the account whose unpaid invoices the request is for (dunning)."""
    return ConnectionRequest.objects.create(
        metering_point=point,
        billing_account_id=billing_account_id,
        action=action,
        request_id=request_id,
        state=ConnectionRequest.State.REQUESTED,
        reason=reason,
        requested_by=user if user is not None and user.pk is not None else None,
        requested_at=now,
    )


_FINAL_STATES = {"REFUSED", "CONNECTED", "DISCONNECTED", "CANCELLED"}


class UnknownConnectionRequest(Exception):
    """The hub answered a request Vool did not make."""


def record_connection_answer(
    *,
    request_id: str,
    state: str,
    answered_at: dt.datetime | None,
    comment: str,
    entry: HubEntry | None,
    now: dt.datetime,
) -> ConnectionRequest:
    """Record the grid operator's answer; the request's state follows the latest answer
    (a request in a final state keeps it: the hub accepts no message after one)."""
    with transaction.atomic():
        request = (
            ConnectionRequest.objects.select_for_update().filter(request_id=request_id).first()
        )
        if request is None:
            raise UnknownConnectionRequest(
                f"requestId {request_id[:60]}: no connection-state request of ours"
            )
        at = answered_at or now
        ConnectionAnswer.objects.create(
            request=request, state=state, answered_at=at, comment=comment, entry=entry
        )
        if request.state not in _FINAL_STATES:
            request.state = state
            request.answered_at = at
            request.save(update_fields=["state", "answered_at"])
    return request


# --- joint invoices and network bills -------------------------------------------------------


class InvalidJointInvoice(ValueError):
    """The joint-invoice period cannot be recorded; the message says why."""


def add_joint_invoice(
    *,
    point: MeteringPoint,
    valid_from: dt.date,
    valid_to: dt.date | None,
    reference: str,
    now: dt.datetime,
) -> JointInvoice:
    """Record that the supplier bills the point's network fee from ``valid_from`` (until
    ``valid_to``, exclusive, or open); periods of one point never overlap."""
    joint = JointInvoice(
        metering_point=point,
        valid_from=valid_from,
        valid_to=valid_to,
        reference=reference[:100],
        created_at=now,
    )
    with transaction.atomic():
        MeteringPoint.objects.select_for_update().filter(pk=point.pk).first()
        try:
            joint.full_clean()
        except ValidationError as exc:
            raise InvalidJointInvoice(f"{point.eic}: {' '.join(exc.messages)}") from exc
        joint.save()
    return joint


class NetworkBillData(Protocol):
    """A network bill as the integration reads it (``resources.NetworkBill``)."""

    @property
    def bill_id(self) -> str: ...
    @property
    def grid_operator_eic(self) -> str: ...
    @property
    def period_start(self) -> dt.date: ...
    @property
    def period_end(self) -> dt.date: ...
    @property
    def kwh(self) -> Mapping[tuple[str, str], Decimal]: ...
    @property
    def net_amount(self) -> Decimal | None: ...
    @property
    def lines(self) -> Sequence[Any]: ...


def _bill_fields(bill: NetworkBillData) -> dict[str, Any]:
    return {
        "grid_operator_eic": bill.grid_operator_eic,
        "period_start": bill.period_start,
        "period_end": bill.period_end,
        "day_in_kwh": bill.kwh[("DAY", "IN")],
        "day_out_kwh": bill.kwh[("DAY", "OUT")],
        "night_in_kwh": bill.kwh[("NIGHT", "IN")],
        "night_out_kwh": bill.kwh[("NIGHT", "OUT")],
        "net_amount": bill.net_amount,
        "lines": [
            {
                "description": line.description,
                "quantity": None if line.quantity is None else str(line.quantity),
                "unit": line.unit,
                "unit_price": None if line.unit_price is None else str(line.unit_price),
                "amount": str(line.amount),
            }
            for line in bill.lines
        ],
    }


def store_network_bill(
    *, bill: NetworkBillData, point: MeteringPoint, entry: HubEntry, now: dt.datetime
) -> Literal["NEW", "CHANGED", "SAME"]:
    """Store the hub's network bill once by its id: the same bill again changes nothing; a
    corrected one (same id, other figures) replaces the figures. Another point under the same
    id is refused (:class:`InvalidNetworkBill`)."""
    fields = _bill_fields(bill)
    existing = NetworkBill.objects.select_for_update().filter(bill_id=bill.bill_id).first()
    if existing is None:
        NetworkBill.objects.create(
            bill_id=bill.bill_id,
            metering_point=point,
            entry=entry,
            first_received_at=now,
            updated_at=now,
            **fields,
        )
        return "NEW"
    if existing.metering_point_id != point.pk:
        raise InvalidNetworkBill(
            f"network bill {bill.bill_id}: stored for another metering point than {point.eic}"
        )
    stored = {name: getattr(existing, name) for name in fields}
    if stored == fields:
        return "SAME"
    for name, value in fields.items():
        setattr(existing, name, value)
    existing.entry = entry
    existing.updated_at = now
    existing.save()
    return "CHANGED"


class InvalidNetworkBill(ValueError):
    """The network bill contradicts one stored before; the message says why."""


# --- network bill differences: the back-office queue ---------------------------------------


class BillDifferenceData(Protocol):
    """A difference the month's check found (``usecases.network_bills.BillDifference``)."""

    @property
    def metering_point_id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def band(self) -> str: ...
    @property
    def hub_kwh(self) -> Decimal | None: ...
    @property
    def billed_kwh(self) -> Decimal | None: ...
    @property
    def bill_id(self) -> str: ...


@dataclass(frozen=True)
class RecordedDifferences:
    new: int  # found for the first time, or open again with other figures
    still_open: int
    gone: int  # open before, not found any more: closed as no longer differing


def record_bill_differences(
    *, period: dt.date, found: Sequence[BillDifferenceData], now: dt.datetime
) -> RecordedDifferences:
    """Store what the check of the month starting ``period`` found: a new difference opens, one
    found again keeps its state (an explained one stays explained unless its figures changed,
    then it opens again), an open one not found any more is closed as ``GONE``."""
    with transaction.atomic():
        known = {
            (d.metering_point_id, d.kind, d.band, d.bill_id): d
            for d in NetworkBillDifference.objects.select_for_update().filter(period=period)
        }
        new = still_open = 0
        seen = set()
        for item in found:
            key = (item.metering_point_id, item.kind, item.band, item.bill_id)
            if key in seen:  # once is enough
                continue
            seen.add(key)
            figures = {"hub_kwh": item.hub_kwh, "billed_kwh": item.billed_kwh}
            row = known.get(key)
            if row is None:
                NetworkBillDifference.objects.create(
                    period=period,
                    metering_point_id=item.metering_point_id,
                    kind=item.kind,
                    band=item.band,
                    bill_id=item.bill_id,
                    status=NetworkBillDifference.Status.OPEN,
                    found_at=now,
                    checked_at=now,
                    **figures,
                )
                new += 1
                continue
            changed = (row.hub_kwh, row.billed_kwh) != (item.hub_kwh, item.billed_kwh)
            if row.status != NetworkBillDifference.Status.OPEN and (
                changed or row.status == NetworkBillDifference.Status.GONE
            ):
                row.status, row.closed_at, row.found_at = (
                    NetworkBillDifference.Status.OPEN,
                    None,
                    now,
                )
                new += 1
            elif row.status == NetworkBillDifference.Status.OPEN:
                still_open += 1
            row.hub_kwh, row.billed_kwh = item.hub_kwh, item.billed_kwh
            row.checked_at = now
            row.save()
        gone = [
            row.pk
            for key, row in known.items()
            if key not in seen and row.status == NetworkBillDifference.Status.OPEN
        ]
        NetworkBillDifference.objects.filter(pk__in=gone).update(
            status=NetworkBillDifference.Status.GONE, closed_at=now, checked_at=now
        )
    return RecordedDifferences(new=new, still_open=still_open, gone=len(gone))


class UnableToExplain(ValueError):
    """The differences cannot be explained; the message says why."""


def explain_differences(*, ids: Collection[int], now: dt.datetime) -> list[NetworkBillDifference]:
    """Close the open differences ``ids`` as explained; all or none (an id that is not open
    refuses them all, named)."""
    rows = {
        d.pk: d
        for d in NetworkBillDifference.objects.select_for_update()
        .select_related("metering_point")
        .filter(pk__in=list(ids))
    }
    not_open = sorted(
        i for i in set(ids) if i not in rows or rows[i].status != NetworkBillDifference.Status.OPEN
    )
    if not_open:
        raise UnableToExplain(not_open)
    for row in rows.values():
        row.status, row.closed_at = NetworkBillDifference.Status.EXPLAINED, now
        row.save(update_fields=["status", "closed_at"])
    return [rows[i] for i in sorted(rows)]
