"""The rules of a contract change, shared by the self-service portal
(``usecases.portal_contracts``) and the back office (``usecases.customer_actions``): changing
the package from tomorrow, moving out (the contract ends with the final reading; the final bill
comes with the next bill run) and moving in (a contract for a metering point with the move-in
reading). Each is one transaction with its audit row; a refusal of the contracts or metering
rules is :class:`UnableToChangeContract` naming the form field, and nothing is written.

Who may do it (the customer for their own contracts, a clerk with the permission) and what is
said to the customer afterwards is the caller's part; :class:`Via` says where the change was
made: the contract's signing channel, the reading's source and how late a move may be
reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vool.common.localtime import TALLINN, local_date
from vool.domain.audit import operations as audit
from vool.domain.contracts import operations as contract_operations
from vool.domain.contracts import queries as contract_queries
from vool.domain.customers import queries as customer_queries
from vool.domain.metering import operations as metering_operations
from vool.domain.supply import queries as supply_queries
from vool.domain.tariffs import queries as tariff_queries
from vool.usecases import hub_agreements
from vool.usecases.submit_reading import UnableToSubmitReading, submit_meter_readings

if TYPE_CHECKING:
    from vool.domain.contracts.models import SupplyContract
    from vool.domain.customers.models import BillingAccount, Customer
    from vool.domain.supply.models import MeteringPoint
    from vool.domain.tariffs.models import Product

MOVE_OUT_DAYS_BACK = 14  # the portal: a move may be reported this many days late
BACKOFFICE_DAYS_BACK = 92  # the back office: later moves, up to a quarter, are entered there


class UnableToChangeContract(Exception):
    """The change breaks a rule; ``field`` names the form field, the message says why."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Actor:
    """Who acts, when (the real time), from where and in which request, for the audit log."""

    user: Any
    now: dt.datetime
    address: str | None
    language: str
    request_id: str = ""


@dataclass(frozen=True)
class Via:
    """Where a change is made: the contract's signing channel, the source of the move's
    reading, how many days late a move may be reported and what is said when it is later."""

    channel: str
    reading_source: str
    days_back: int
    too_late: Promise


PORTAL = Via(
    channel=contract_queries.PORTAL_CHANNEL,
    reading_source=metering_operations.Source.PORTAL,
    days_back=MOVE_OUT_DAYS_BACK,
    too_late=gettext_lazy("A move more than %(days)s days ago is handled by customer service."),
)
BACKOFFICE = Via(
    channel=contract_queries.BACKOFFICE_CHANNEL,
    reading_source=metering_operations.Source.BACKOFFICE,
    days_back=BACKOFFICE_DAYS_BACK,
    too_late=gettext_lazy(
        "A move more than %(days)s days ago is not entered as a move: the months billed since "
        "need a rebill."
    ),
)


def products_open_to(customer: Customer, *, on: dt.date) -> list[Product]:
    """The packages on sale on ``on`` in the customer's segment (the calculator's rule)."""
    return tariff_queries.products_on_sale(
        on=on, business=customer.kind == customer_queries.BUSINESS
    )


def open_product(customer: Customer, code: str, *, on: dt.date, refusal: str) -> Product:
    """The package ``code`` if it is open to the customer on ``on``; else ``refusal``."""
    product = next((p for p in products_open_to(customer, on=on) if p.code == code), None)
    if product is None:
        raise UnableToChangeContract(refusal % {"code": code}, field="product")
    return product


def takes_effect_on(contract: SupplyContract, *, today: dt.date) -> dt.date:
    """A change made today takes effect tomorrow (or the day after the contract starts)."""
    return max(today, contract.valid_from) + dt.timedelta(days=1)


def contract_state(contract: SupplyContract) -> dict[str, Any]:
    """The contract as the audit log records it before and after a change."""
    return {
        "id": contract.pk,
        "product": contract.product.code,
        "metering_point": contract.metering_point.eic,
        "valid_from": contract.valid_from,
        "valid_to": contract.valid_to,
        "status": contract.status,
    }


def _audit(actor: Actor, *, action: str, contract: SupplyContract, reason: str, **kw: Any) -> None:
    audit.record(
        user=actor.user,
        happened_at=actor.now,
        action=action,
        object_type="contracts.SupplyContract",
        object_id=contract.pk,
        customer_id=contract.customer_id,
        reason=reason,
        source_address=actor.address,
        request_id=actor.request_id,
        **kw,
    )


def _refused(exc: ValidationError) -> UnableToChangeContract:
    field, messages = next(iter(exc.message_dict.items()))
    return UnableToChangeContract(" ".join(messages), field=field)


@contextmanager
def _one_change() -> Iterator[None]:
    """One transaction; a refusal of the contracts or metering rules becomes
    :class:`UnableToChangeContract` naming the field, and nothing is written."""
    try:
        with transaction.atomic():
            yield
    except ValidationError as exc:
        raise _refused(exc) from exc
    except UnableToSubmitReading as exc:
        raise UnableToChangeContract(str(exc), field="reading") from exc


def switch_package(
    *, contract: SupplyContract, product: Product, actor: Actor, via: Via, reason: str
) -> SupplyContract:
    """Change the contract's package from tomorrow: the old contract ends today, the new one
    (same point, account, end) starts tomorrow; audited."""
    if product.pk == contract.product_id:
        raise UnableToChangeContract(
            _("The contract is on %(code)s already.") % {"code": product.code}, field="product"
        )
    effective = takes_effect_on(contract, today=local_date(actor.now))
    before = contract_state(contract)
    with _one_change():
        new = contract_operations.replace_contract(
            contract_id=contract.pk,
            product=product,
            valid_from=effective,
            signed_channel=via.channel,
        )
        _audit(
            actor,
            action="contracts.switch_package",
            contract=new,
            reason=reason,
            before=before,
            after=contract_state(new),
        )
    return new


def _read_at(day: dt.date, actor: Actor) -> dt.datetime:
    """A reading taken on ``day``: now if today, else noon of that day in Tallinn."""
    if day == local_date(actor.now):
        return actor.now
    return dt.datetime.combine(day, dt.time(12), tzinfo=TALLINN)


def check_move_day(day: dt.date, *, actor: Actor, via: Via, field: str) -> None:
    """A move is reported on the day or after it (with that day's reading), and not later
    than ``via.days_back`` days."""
    today = local_date(actor.now)
    if day > today:
        raise UnableToChangeContract(
            _("Report the move on the day or after it, with the meter reading of that day."),
            field=field,
        )
    if day < today - dt.timedelta(days=via.days_back):
        raise UnableToChangeContract(str(via.too_late) % {"days": via.days_back}, field=field)


def _submit_move_reading(
    point: MeteringPoint, values_kwh: dict[str, Decimal], day: dt.date, actor: Actor, via: Via
) -> None:
    if point.metering_method != supply_queries.MANUAL_REGISTER:
        return  # read remotely: the interval data give the consumption up to the day
    submit_meter_readings(
        metering_point=point,
        values_kwh=values_kwh,
        read_at=_read_at(day, actor),
        source=via.reading_source,
        as_of=actor.now,
        created_by=actor.user,
    )


def move_out(
    *,
    contract: SupplyContract,
    move_out_on: dt.date,
    values_kwh: dict[str, Decimal],
    actor: Actor,
    via: Via,
    reason: str,
) -> SupplyContract:
    """End the contract at the start of ``move_out_on`` with the final reading of that day
    (manual points); the next bill run makes the final bill up to that day. A package change
    not yet in effect is cancelled with it (``contract_operations.end_for_move_out``): moving
    out the day the package was changed ends the old package that day, and the audit row
    names the cancelled contract."""
    check_move_day(move_out_on, actor=actor, via=via, field="move_out_on")
    before = contract_state(contract)
    with _one_change():
        _submit_move_reading(contract.metering_point, values_kwh, move_out_on, actor, via)
        moved = contract_operations.end_for_move_out(
            contract_id=contract.pk, valid_to=move_out_on, today=local_date(actor.now)
        )
        ended = moved.ended
        after = {**contract_state(ended), "final_reading_kwh": values_kwh}
        if moved.cancelled:
            after["cancelled"] = [contract_state(row) for row in moved.cancelled]
        _audit(
            actor,
            action="contracts.move_out",
            contract=ended,
            reason=reason,
            before=before,
            after=after,
        )
    return ended


def find_point(eic: str) -> MeteringPoint:
    """The metering point ``eic`` (known from the data hub), else a refusal naming the field."""
    point = supply_queries.get_metering_point(eic=eic.strip().upper())
    if point is None:
        raise UnableToChangeContract(
            _(
                "No metering point %(eic)s is known. Check the EIC code on the meter or on the "
                "previous occupant's bill."
            )
            % {"eic": eic.strip()},
            field="eic",
        )
    return point


@dataclass(frozen=True)
class MoveIn:
    """A new contract: the customer, their account, the point, the package and the day it
    starts (a move-in's day, or the day a concluded contract starts)."""

    customer: Customer
    account: BillingAccount
    point: MeteringPoint
    product: Product
    move_in_on: dt.date


def start_contract(
    *,
    new: MoveIn,
    actor: Actor,
    via: Via,
    action: str,
    reason: str,
    values_kwh: dict[str, Decimal] | None = None,
    open_supply_elsewhere: bool = False,
    after: dict[str, Any] | None = None,
) -> SupplyContract:
    """A contract from ``new.move_in_on`` for the point on the customer's account, with the
    reading of that day (``values_kwh``, manual points) when there is one; audited as
    ``action`` (the contract and ``after``), its supply agreement queued for the data hub
    (``open_supply_elsewhere``: the customer is supplied elsewhere and the supplier-switch lead
    time applies) in the same transaction, and sent to the hub after it. A move in and a
    contract concluded by customer service are both this."""
    with _one_change():
        contract = contract_operations.create_contract(
            customer=new.customer,
            billing_account=new.account,
            metering_point=new.point,
            product=new.product,
            valid_from=new.move_in_on,
            signed_channel=via.channel,
        )
        if values_kwh is not None:
            _submit_move_reading(new.point, values_kwh, new.move_in_on, actor, via)
        _audit(
            actor,
            action=action,
            contract=contract,
            reason=reason,
            after={**contract_state(contract), **(after or {})},
        )
        hub_agreements.queue_for_new_contract(
            contract=contract, open_supply_elsewhere=open_supply_elsewhere, now=actor.now
        )
    hub_agreements.send_queued(contract=contract, now=actor.now)
    return contract


def move_in(
    *, new: MoveIn, values_kwh: dict[str, Decimal], actor: Actor, via: Via, reason: str
) -> SupplyContract:
    """A contract from ``new.move_in_on`` for the point on the customer's account, with the
    move-in reading (manual points). A move-in follows the previous occupant, not another
    supplier of this customer: the lead time from general service applies."""
    check_move_day(new.move_in_on, actor=actor, via=via, field="move_in_on")
    return start_contract(
        new=new,
        actor=actor,
        via=via,
        action="contracts.move_in",
        reason=reason,
        values_kwh=values_kwh,
        open_supply_elsewhere=False,
        after={"move_in_reading_kwh": values_kwh},
    )
