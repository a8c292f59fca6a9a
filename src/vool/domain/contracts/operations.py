"""Writes for supply contracts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from vool.common.ranges import DateRange
from vool.domain.audit import operations as audit_operations
from vool.domain.contracts import queries
from vool.domain.contracts.models import SupplyContract
from vool.domain.customers.models import BillingAccount, Customer
from vool.domain.shown import shown_day
from vool.domain.supply.models import MeteringPoint
from vool.domain.tariffs.models import Product


class UnableToCreateContract(ValidationError):
    """The contract breaks a rule; the message names the field. The messages are in the active
    language (the portal and the back office show them as they are)."""


def _overlap_message(eic: str, clash: SupplyContract) -> str:
    if clash.valid_to is None:
        return _(
            "Metering point %(eic)s already has a contract from %(start)s without an end "
            "that overlaps."
        ) % {"eic": eic, "start": shown_day(clash.valid_from)}
    return _(
        "Metering point %(eic)s already has a contract from %(start)s to %(end)s that overlaps."
    ) % {"eic": eic, "start": shown_day(clash.valid_from), "end": shown_day(clash.valid_to)}


def check_contract(
    *,
    customer: Customer,
    billing_account: BillingAccount,
    metering_point: MeteringPoint,
    valid_from: dt.date,
    valid_to: dt.date | None,
    exclude_id: int | None = None,
) -> None:
    """Raise ``UnableToCreateContract`` naming the field if the contract may not exist."""
    if valid_to is not None and valid_to <= valid_from:
        raise UnableToCreateContract({"valid_to": _("A contract ends after it starts.")})
    if billing_account.customer_id != customer.pk:
        raise UnableToCreateContract(
            {"billing_account": _("The billing account belongs to another customer.")}
        )
    clash = queries.overlapping_contract(
        metering_point_id=metering_point.pk,
        period=DateRange(valid_from, valid_to),
        exclude_id=exclude_id,
    )
    if clash is not None:
        raise UnableToCreateContract({"valid_from": _overlap_message(metering_point.eic, clash)})


def create_contract(
    *,
    customer: Customer,
    billing_account: BillingAccount,
    metering_point: MeteringPoint,
    product: Product,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    signed_channel: str = SupplyContract.Channel.BACKOFFICE,
) -> SupplyContract:
    contract = SupplyContract(
        customer=customer,
        billing_account=billing_account,
        metering_point=metering_point,
        product=product,
        valid_from=valid_from,
        valid_to=valid_to,
        signed_channel=signed_channel,
    )
    return save_contract(contract=contract)


def save_contract(*, contract: SupplyContract) -> SupplyContract:
    """Create or change ``contract``: the one way contracts are written (sign-ups, the admin).

    The metering point is locked while the contract is checked and saved, so two concurrent
    writes cannot both pass the overlap check (on SQLite the only guard; PostgreSQL also has
    its exclusion constraint). A cancelled contract overlaps nothing."""
    with transaction.atomic():
        MeteringPoint.objects.select_for_update().filter(pk=contract.metering_point_id).first()
        if contract.status != SupplyContract.Status.CANCELLED:
            check_contract(
                customer=contract.customer,
                billing_account=contract.billing_account,
                metering_point=contract.metering_point,
                valid_from=contract.valid_from,
                valid_to=contract.valid_to,
                exclude_id=contract.pk,
            )
        try:
            contract.save()
        except IntegrityError as exc:  # the PostgreSQL exclusion constraint
            raise UnableToCreateContract(
                {
                    "valid_from": _("Metering point %(eic)s has an overlapping contract.")
                    % {"eic": contract.metering_point.eic}
                }
            ) from exc
    return contract


class UnableToEndContract(ValidationError):
    """The contract cannot end as asked; the message names the field and says why."""


def end_contract(*, contract_id: int, valid_to: dt.date, terminate: bool = False) -> SupplyContract:
    """End the contract at the start of ``valid_to`` (its last day is the day before), under a
    row lock. ``terminate`` marks it TERMINATED (moving out) rather than replaced by another."""
    with transaction.atomic():
        contract = SupplyContract.objects.select_for_update().get(pk=contract_id)
        if contract.status == SupplyContract.Status.CANCELLED:
            raise UnableToEndContract({"valid_to": _("A cancelled contract cannot end.")})
        if valid_to <= contract.valid_from:
            raise UnableToEndContract(
                {
                    "valid_to": _("The contract starts on %(date)s; it can end only after that.")
                    % {"date": shown_day(contract.valid_from)}
                }
            )
        if contract.valid_to is not None and contract.valid_to <= valid_to:
            raise UnableToEndContract(
                {
                    "valid_to": _("The contract ends already on %(date)s.")
                    % {"date": shown_day(contract.valid_to)}
                }
            )
        contract.valid_to = valid_to
        fields = ["valid_to"]
        if terminate:
            contract.status = SupplyContract.Status.TERMINATED
            fields.append("status")
        contract.save(update_fields=fields)
    return contract


@dataclass(frozen=True)
class MovedOut:
    """A move out: the contract that ended (TERMINATED) and those cancelled with it (package
    changes that would have taken effect on or after the move out)."""

    ended: SupplyContract
    cancelled: tuple[SupplyContract, ...]


def _package_chain(contract: SupplyContract) -> list[SupplyContract]:
    """The contract with the customer's contracts at its point that follow each other without a
    gap (a package change: the old one ends the day the new one starts), by start."""
    rows = list(
        SupplyContract.objects.filter(
            customer_id=contract.customer_id, metering_point_id=contract.metering_point_id
        )
        .exclude(status=SupplyContract.Status.CANCELLED)
        .order_by("valid_from")
    )
    at = next(i for i, row in enumerate(rows) if row.pk == contract.pk)
    first = at
    while first > 0 and rows[first - 1].valid_to == rows[first].valid_from:
        first -= 1
    last = at
    while last + 1 < len(rows) and rows[last].valid_to == rows[last + 1].valid_from:
        last += 1
    return rows[first : last + 1]


def end_for_move_out(*, contract_id: int, valid_to: dt.date, today: dt.date) -> MovedOut:
    """End the supply of the contract's point at the start of ``valid_to`` (a move out): of its
    package chain (:func:`_package_chain`), the contract in force the day before ends there
    (TERMINATED) and those starting on or after it, not yet started on ``today`` (a package
    change taking effect tomorrow), are cancelled: a move out the day the package was changed
    ends the old package and the new one never supplies. No contract is left overlapping or
    ending on or before its start."""
    with transaction.atomic():
        MeteringPoint.objects.select_for_update().filter(contracts__pk=contract_id).first()
        contract = SupplyContract.objects.get(pk=contract_id)
        if contract.status == SupplyContract.Status.CANCELLED:  # end_contract says why not
            return MovedOut(end_contract(contract_id=contract_id, valid_to=valid_to), ())
        chain = _package_chain(contract)
        earlier = [row for row in chain if row.valid_from < valid_to]
        later = [row for row in chain if row.valid_from >= valid_to]
        if not earlier:  # the move out is before the contract starts: end_contract says so
            return MovedOut(end_contract(contract_id=contract_id, valid_to=valid_to), ())
        started = next((row for row in later if row.valid_from <= today), None)
        if started is not None:
            raise UnableToEndContract(
                {
                    "valid_to": _(
                        "The contract from %(date)s has started already: a move out can be "
                        "from %(date)s on."
                    )
                    % {"date": shown_day(started.valid_from)}
                }
            )
        for row in later:
            row.status = SupplyContract.Status.CANCELLED
            row.save(update_fields=["status"])
        ended = end_contract(contract_id=earlier[-1].pk, valid_to=valid_to, terminate=True)
    return MovedOut(ended, tuple(later))


def replace_contract(
    *, contract_id: int, product: Product, valid_from: dt.date, signed_channel: str
) -> SupplyContract:
    """A new contract for ``product`` on the same point, account and customer from
    ``valid_from``; the old one ends the day before (no gap, no overlap). The new contract
    ends when the old one was to end, and keeps its green-energy choice."""
    with transaction.atomic():
        MeteringPoint.objects.select_for_update().filter(
            contracts__pk=contract_id
        ).first()  # one switch of a point at a time
        old_end = SupplyContract.objects.get(pk=contract_id).valid_to
        old = end_contract(contract_id=contract_id, valid_to=valid_from)
        new = create_contract(
            customer=old.customer,
            billing_account=old.billing_account,
            metering_point=old.metering_point,
            product=product,
            valid_from=valid_from,
            valid_to=old_end,
            signed_channel=signed_channel,
        )
        if old.green_energy:
            new.green_energy = True
            new.save(update_fields=["green_energy"])
    return new


def _contract_state(contract: SupplyContract) -> dict[str, str | None]:
    return {
        "status": contract.status,
        "valid_from": contract.valid_from.isoformat(),
        "valid_to": contract.valid_to.isoformat() if contract.valid_to else None,
    }


def end_supply(
    *, contract: SupplyContract, end_date: dt.date, reason: str, user: Any, now: dt.datetime
) -> SupplyContract:
    """End ``contract`` on ``end_date`` (exclusive: the last supplied day is the day before),
    e.g. because the data hub says another supplier takes the point then: the contract is
    TERMINATED through :func:`end_contract`, so the month's run makes its final bill. A
    contract that already ends on or before ``end_date`` is left as it is. Audited with
    ``user`` (``None`` for the data hub) and ``reason``."""
    with transaction.atomic():
        locked = SupplyContract.objects.select_for_update().get(pk=contract.pk)
        if locked.valid_to is not None and locked.valid_to <= end_date:
            return locked
        before = _contract_state(locked)
        ended = end_contract(contract_id=locked.pk, valid_to=end_date, terminate=True)
        audit_operations.record(
            user=user,
            happened_at=now,
            action="contract.end",
            object_type="contracts.SupplyContract",
            object_id=ended.pk,
            reason=reason,
            customer_id=ended.customer_id,
            before=before,
            after=_contract_state(ended),
        )
    return ended


def cancel_contract(
    *,
    contract: SupplyContract,
    reason: str,
    user: Any,
    now: dt.datetime,
    source_address: str | None = None,
    request_id: str = "",
) -> SupplyContract:
    """Cancel a contract that has not started to supply (the customer withdrew within the
    14 days the law gives); it is never billed. Audited (with where the request came from)."""
    with transaction.atomic():
        locked = SupplyContract.objects.select_for_update().get(pk=contract.pk)
        before = _contract_state(locked)
        locked.status = SupplyContract.Status.CANCELLED
        locked.save(update_fields=["status"])
        audit_operations.record(
            user=user,
            happened_at=now,
            action="contract.cancel",
            object_type="contracts.SupplyContract",
            object_id=locked.pk,
            reason=reason,
            customer_id=locked.customer_id,
            before=before,
            after=_contract_state(locked),
            source_address=source_address,
            request_id=request_id,
        )
    return locked
