"""Contracts in the self-service portal: the customer's contracts and their terms, changing the
package in real time (ranked by the package calculator on the customer's own consumption),
moving out (the contract ends with the final reading; the final bill comes with the next bill
run) and moving in (a contract for a new metering point with the move-in reading).

Every change goes through the contracts and metering operations, is recorded in the audit log
with who, when and from where, and is confirmed to the customer by e-mail. As everywhere in the
portal, an object id of another customer is :class:`~vool.usecases.portal.NotTheirs`.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from vool.common.localtime import TALLINN, local_date
from vool.domain.audit import operations as audit
from vool.domain.contracts import operations as contract_operations
from vool.domain.contracts import queries as contract_queries
from vool.domain.customers import queries as customer_queries
from vool.domain.documents import formatting
from vool.domain.metering import queries as metering_queries
from vool.domain.supply import queries as supply_queries
from vool.domain.tariffs import queries as tariff_queries
from vool.usecases import calculator, datahub, hub_agreements
from vool.usecases.portal import NotTheirs
from vool.usecases.submit_reading import UnableToSubmitReading, submit_meter_readings

if TYPE_CHECKING:
    from vool.domain.contracts.models import SupplyContract
    from vool.domain.customers.models import Customer
    from vool.domain.supply.models import MeteringPoint
    from vool.domain.tariffs.models import Product

__all__ = [
    "MOVE_OUT_DAYS_BACK",
    "Actor",
    "ContractTerms",
    "Offer",
    "Offers",
    "UnableToChangeContract",
    "contract_of",
    "contracts_of",
    "move_in",
    "move_out",
    "package_offers",
    "products_open_to",
    "switch_package",
    "withdraw",
]

log = logging.getLogger(__name__)

MOVE_OUT_DAYS_BACK = 14  # a move-out (or move-in) may be reported this many days late


class UnableToChangeContract(Exception):
    """The change breaks a rule; ``field`` names the form field, the message says why."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Actor:
    """Who acts, when (the real time) and from where, for the audit log."""

    user: Any
    now: dt.datetime
    address: str | None
    language: str


@dataclass(frozen=True)
class ContractTerms:
    """A product's terms as the portal shows them (prices excl. VAT, in force on a day)."""

    monthly_fee_amount: Decimal | None
    energy_price: Decimal | None
    day_price: Decimal | None
    night_price: Decimal | None
    margin: Decimal | None
    fixed_term_months: int | None
    early_termination_fee_amount: Decimal | None


@dataclass(frozen=True)
class Offer:
    code: str
    name: str
    kind: str
    is_current: bool
    yearly_with_vat: Decimal | None
    monthly_average_with_vat: Decimal | None
    difference_to_current: Decimal | None
    unavailable_reason: str | None
    terms: ContractTerms


@dataclass(frozen=True)
class Offers:
    contract: SupplyContract
    takes_effect_on: dt.date
    offers: tuple[Offer, ...]
    consumption_kwh: Decimal | None
    months: int
    early_termination_fee_amount: Decimal | None  # due if the current package is left now
    compared: bool  # False: no consumption history, the packages are listed unpriced


# -- reads ---------------------------------------------------------------------------------


def contracts_of(customer: Customer, *, today: dt.date) -> list[SupplyContract]:
    """The customer's contracts that run today or later, by point and start."""
    return contract_queries.contracts_of_customer_from(customer_id=customer.pk, today=today)


def contract_of(customer: Customer, *, contract_id: int) -> SupplyContract:
    contract = contract_queries.contract_of_customer(
        customer_id=customer.pk, contract_id=contract_id
    )
    if contract is None:
        raise NotTheirs(f"Contract {contract_id} is not one of this customer's.")
    return contract


def terms_of(product: Product, *, on: dt.date) -> ContractTerms:
    price = tariff_queries.price_on(product_id=product.pk, on=on)
    return ContractTerms(
        monthly_fee_amount=price.monthly_fee_amount if price else None,
        energy_price=price.energy_price if price else None,
        day_price=price.day_price if price else None,
        night_price=price.night_price if price else None,
        margin=price.margin if price else None,
        fixed_term_months=product.fixed_term_months,
        early_termination_fee_amount=product.early_termination_fee_amount,
    )


def products_open_to(customer: Customer, *, on: dt.date) -> list[Product]:
    """The packages on sale on ``on`` in the customer's segment (the calculator's rule)."""
    return tariff_queries.products_on_sale(
        on=on, business=customer.kind == customer_queries.BUSINESS
    )


def takes_effect_on(contract: SupplyContract, *, today: dt.date) -> dt.date:
    """A change made today takes effect tomorrow (or the day after the contract starts)."""
    return max(today, contract.valid_from) + dt.timedelta(days=1)


def early_termination_fee(contract: SupplyContract, *, on: dt.date) -> Decimal | None:
    """The fee for leaving a fixed-term package before its term ends, if it applies on ``on``."""
    product = contract.product
    if not product.fixed_term_months or not product.early_termination_fee_amount:
        return None
    months = contract.valid_from.month - 1 + product.fixed_term_months
    year = contract.valid_from.year + months // 12
    term_end = contract.valid_from.replace(year=year, month=months % 12 + 1, day=1)
    term_end += dt.timedelta(days=contract.valid_from.day - 1)
    return product.early_termination_fee_amount if on < term_end else None


def package_offers(customer: Customer, *, contract_id: int, today: dt.date) -> Offers:
    """Every package open to the customer, ranked by the calculator on the contract's point's
    own last 12 months, with the difference to the current package and the terms."""
    contract = contract_of(customer, contract_id=contract_id)
    effective = takes_effect_on(contract, today=today)
    products = {p.code: p for p in products_open_to(customer, on=effective)}
    products.setdefault(contract.product.code, contract.product)
    try:
        comparison = calculator.compare_packages(
            metering_point=contract.metering_point, as_of=today
        )
    except calculator.UnableToCompare:
        comparison = None
    offers: list[Offer] = []
    if comparison is not None:
        for cost in comparison.packages:
            product = products.pop(cost.code, None)
            if product is None:
                continue
            offers.append(_offer(product, cost, contract, effective))
    for product in products.values():  # not priced: no history, or no tariff data
        offers.append(_offer(product, None, contract, effective))
    return Offers(
        contract=contract,
        takes_effect_on=effective,
        offers=tuple(offers),
        consumption_kwh=comparison.consumption_kwh if comparison else None,
        months=len(comparison.months) if comparison else 0,
        early_termination_fee_amount=early_termination_fee(contract, on=effective),
        compared=comparison is not None,
    )


def _offer(
    product: Product,
    cost: calculator.PackageCost | None,
    contract: SupplyContract,
    effective: dt.date,
) -> Offer:
    return Offer(
        code=product.code,
        name=product.name,
        kind=product.kind,
        is_current=product.pk == contract.product_id,
        yearly_with_vat=cost.yearly_with_vat if cost else None,
        monthly_average_with_vat=cost.monthly_average_with_vat if cost else None,
        difference_to_current=cost.difference_to_current if cost else None,
        unavailable_reason=cost.unavailable_reason if cost else None,
        terms=terms_of(product, on=effective),
    )


# -- writes --------------------------------------------------------------------------------


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
        **kw,
    )


def _contract_state(contract: SupplyContract) -> dict[str, Any]:
    return {
        "id": contract.pk,
        "product": contract.product.code,
        "metering_point": contract.metering_point.eic,
        "valid_from": contract.valid_from,
        "valid_to": contract.valid_to,
        "status": contract.status,
    }


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


def _open_product(customer: Customer, code: str, on: dt.date) -> Product:
    product = next((p for p in products_open_to(customer, on=on) if p.code == code), None)
    if product is None:
        raise UnableToChangeContract(
            _("Package %(code)s is not open to you.") % {"code": code}, field="product"
        )
    return product


def switch_package(
    customer: Customer, *, contract_id: int, product_code: str, actor: Actor
) -> SupplyContract:
    """Change the contract's package from tomorrow: the old contract ends today, the new one
    (same point, account, end) starts tomorrow; audited and confirmed by e-mail."""
    today = local_date(actor.now)
    contract = contract_of(customer, contract_id=contract_id)
    effective = takes_effect_on(contract, today=today)
    product = _open_product(customer, product_code, effective)
    if product.pk == contract.product_id:
        raise UnableToChangeContract(
            _("The contract is on %(code)s already.") % {"code": product_code}, field="product"
        )
    before = _contract_state(contract)
    with _one_change():
        new = contract_operations.replace_contract(
            contract_id=contract.pk,
            product=product,
            valid_from=effective,
            signed_channel=contract_queries.PORTAL_CHANNEL,
        )
        _audit(
            actor,
            action="contracts.switch_package",
            contract=new,
            reason=(
                f"Customer changed package {contract.product.code} -> {product.code} in the portal"
            ),
            before=before,
            after=_contract_state(new),
        )
    _confirm_by_email(customer, actor, "package_changed", {"old": contract, "new": new})
    return new


def _read_at(day: dt.date, actor: Actor) -> dt.datetime:
    """A reading taken on ``day``: now if today, else noon of that day in Tallinn."""
    if day == local_date(actor.now):
        return actor.now
    return dt.datetime.combine(day, dt.time(12), tzinfo=TALLINN)


def _check_move_day(day: dt.date, today: dt.date, field: str) -> None:
    if day > today:
        raise UnableToChangeContract(
            _("Report the move on the day or after it, with the meter reading of that day."),
            field=field,
        )
    if day < today - dt.timedelta(days=MOVE_OUT_DAYS_BACK):
        raise UnableToChangeContract(
            _("A move more than %(days)s days ago is handled by customer service.")
            % {"days": MOVE_OUT_DAYS_BACK},
            field=field,
        )


def _submit_move_reading(
    point: MeteringPoint, values_kwh: dict[str, Decimal], day: dt.date, actor: Actor
) -> None:
    if point.metering_method != supply_queries.MANUAL_REGISTER:
        return  # read remotely: the interval data give the consumption up to the day
    submit_meter_readings(
        metering_point=point,
        values_kwh=values_kwh,
        read_at=_read_at(day, actor),
        source="PORTAL",
        as_of=actor.now,
        created_by=actor.user,
    )


def move_out(
    customer: Customer,
    *,
    contract_id: int,
    move_out_on: dt.date,
    values_kwh: dict[str, Decimal],
    actor: Actor,
) -> SupplyContract:
    """End the contract at the start of ``move_out_on`` with the final reading of that day
    (manual points); the next bill run makes the final bill up to that day."""
    today = local_date(actor.now)
    contract = contract_of(customer, contract_id=contract_id)
    _check_move_day(move_out_on, today, "move_out_on")
    before = _contract_state(contract)
    with _one_change():
        _submit_move_reading(contract.metering_point, values_kwh, move_out_on, actor)
        ended = contract_operations.end_contract(
            contract_id=contract.pk, valid_to=move_out_on, terminate=True
        )
        _audit(
            actor,
            action="contracts.move_out",
            contract=ended,
            reason=f"Customer moved out of {contract.metering_point.eic} on {move_out_on}",
            before=before,
            after={**_contract_state(ended), "final_reading_kwh": values_kwh},
        )
    _confirm_by_email(customer, actor, "moved_out", {"contract": ended})
    return ended


def move_in(
    customer: Customer,
    *,
    eic: str,
    account_id: int,
    product_code: str,
    move_in_on: dt.date,
    values_kwh: dict[str, Decimal],
    actor: Actor,
) -> SupplyContract:
    """A contract from ``move_in_on`` for the metering point ``eic`` (known from the data hub)
    on one of the customer's billing accounts, with the move-in reading (manual points)."""
    today = local_date(actor.now)
    _check_move_day(move_in_on, today, "move_in_on")
    account = customer_queries.billing_account_of(
        customer_id=customer.pk, billing_account_id=account_id
    )
    if account is None:
        raise NotTheirs(f"Billing account {account_id} is not one of this customer's.")
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
    product = _open_product(customer, product_code, move_in_on)
    with _one_change():
        contract = contract_operations.create_contract(
            customer=customer,
            billing_account=account,
            metering_point=point,
            product=product,
            valid_from=move_in_on,
            signed_channel=contract_queries.PORTAL_CHANNEL,
        )
        _submit_move_reading(point, values_kwh, move_in_on, actor)
        _audit(
            actor,
            action="contracts.move_in",
            contract=contract,
            reason=f"Customer moved in to {point.eic} on {move_in_on}",
            after={**_contract_state(contract), "move_in_reading_kwh": values_kwh},
        )
        # a move-in follows the previous occupant, not another supplier of this customer:
        # the lead time from general service applies
        hub_agreements.queue_for_new_contract(
            contract=contract, open_supply_elsewhere=False, now=actor.now
        )
    hub_agreements.send_queued(contract=contract, now=actor.now)
    _confirm_by_email(customer, actor, "moved_in", {"contract": contract})
    return contract


def withdraw(customer: Customer, *, contract_id: int, actor: Actor) -> SupplyContract:
    """The customer withdraws from a contract concluded in the last 14 days (before its supply
    starts): the agreement is cancelled in the data hub and the contract cancelled, audited
    with the address the request came from. Another customer's contract: ``NotTheirs``."""
    contract = contract_of(customer, contract_id=contract_id)
    try:
        return hub_agreements.withdraw(
            contract=contract,
            user=actor.user,
            reason="the customer withdrew in the portal",
            now=actor.now,
            source_address=actor.address,
        )
    except datahub.UnableToWithdraw as exc:
        raise UnableToChangeContract(
            _(
                "The contract cannot be withdrawn in the portal: the 14 days have passed, the "
                "supply has started, or its agreement is not in the data hub. Please contact "
                "customer service."
            )
        ) from exc


def hub_states(
    contracts: list[SupplyContract], *, today: dt.date
) -> dict[int, hub_agreements.AgreementState]:
    """The data-hub state of the contracts' agreements, by contract id."""
    return hub_agreements.states_of(contracts, today=today)


def registers_of(point: MeteringPoint, *, on: dt.date) -> list[str]:
    """The register kinds of the meter installed at the point on ``on`` (none: read remotely)."""
    if point.metering_method != supply_queries.MANUAL_REGISTER:
        return []
    return metering_queries.register_kinds_on(metering_point_id=point.pk, day=on)


def _email_lines(kind: str, context: dict[str, Any], language: str) -> tuple[str, list[str]]:
    """Subject and body lines of a confirmation, in the active language."""
    day = partial(formatting.date, language=language)
    if kind == "package_changed":
        old, new = context["old"], context["new"]
        values = {
            "old": old.product.name,
            "new": new.product.name,
            "eic": new.metering_point.eic,
            "day": day(new.valid_from),
        }
        return _("Your package is changed"), [
            _("Your package at metering point %(eic)s changes from %(old)s to %(new)s.") % values,
            _("The new package applies from %(day)s.") % values,
        ]
    contract = context["contract"]
    values = {
        "eic": contract.metering_point.eic,
        "address": contract.metering_point.street_address,
        "day": day(contract.valid_to if kind == "moved_out" else contract.valid_from),
        "package": contract.product.name,
    }
    if kind == "moved_out":
        return _("Your contract ends"), [
            _("Your contract for %(address)s (metering point %(eic)s) ends on %(day)s.") % values,
            _("The final bill comes with the next monthly bills."),
        ]
    return _("Your new contract"), [
        _(
            "Your contract for %(address)s (metering point %(eic)s) starts on %(day)s with the "
            "package %(package)s."
        )
        % values,
    ]


def _confirm_by_email(customer: Customer, actor: Actor, kind: str, context: dict[str, Any]) -> bool:
    """The confirmation e-mail in the reader's language; a failure to send is logged, not
    raised: the change is made and shown in the portal either way."""
    to = customer.email or getattr(actor.user, "email", "")
    if not to:
        return False
    with translation.override(actor.language):
        subject, lines = _email_lines(kind, context, actor.language)
        body = "\n".join([_("Hello,"), "", *lines, "", _("Vool self-service")])
        subject = f"Vool: {subject}"
    try:
        send_mail(subject, body + "\n", settings.DEFAULT_FROM_EMAIL, [to])
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("confirmation e-mail %s to customer %s not sent: %s", kind, customer.pk, exc)
        return False
    return True
