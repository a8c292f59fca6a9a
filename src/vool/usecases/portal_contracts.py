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
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from vool.common.localtime import local_date
from vool.domain.contracts import queries as contract_queries
from vool.domain.customers import queries as customer_queries
from vool.domain.metering import queries as metering_queries
from vool.domain.supply import queries as supply_queries
from vool.domain.tariffs import queries as tariff_queries
from vool.usecases import (
    calculator,
    contract_changes,
    contract_confirmations,
    datahub,
    hub_agreements,
)
from vool.usecases.contract_changes import (
    MOVE_OUT_DAYS_BACK,
    Actor,
    UnableToChangeContract,
    products_open_to,
    takes_effect_on,
)
from vool.usecases.portal import NotTheirs

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


# -- writes: the rules are usecases.contract_changes' ------------------------------------------


def _open_product(customer: Customer, code: str, on: dt.date) -> Product:
    return contract_changes.open_product(
        customer, code, on=on, refusal=_("Package %(code)s is not open to you.")
    )


def switch_package(
    customer: Customer, *, contract_id: int, product_code: str, actor: Actor
) -> SupplyContract:
    """Change the contract's package from tomorrow: the old contract ends today, the new one
    (same point, account, end) starts tomorrow; audited and confirmed by e-mail."""
    contract = contract_of(customer, contract_id=contract_id)
    effective = takes_effect_on(contract, today=local_date(actor.now))
    product = _open_product(customer, product_code, effective)
    new = contract_changes.switch_package(
        contract=contract,
        product=product,
        actor=actor,
        via=contract_changes.PORTAL,
        reason=f"Customer changed package {contract.product.code} -> {product.code} in the portal",
    )
    _confirm_by_email(
        customer, actor, contract_confirmations.PACKAGE_CHANGED, {"old": contract, "new": new}
    )
    return new


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
    contract = contract_of(customer, contract_id=contract_id)
    ended = contract_changes.move_out(
        contract=contract,
        move_out_on=move_out_on,
        values_kwh=values_kwh,
        actor=actor,
        via=contract_changes.PORTAL,
        reason=f"Customer moved out of {contract.metering_point.eic} on {move_out_on}",
    )
    _confirm_by_email(customer, actor, contract_confirmations.MOVED_OUT, {"contract": ended})
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
    via = contract_changes.PORTAL
    contract_changes.check_move_day(move_in_on, actor=actor, via=via, field="move_in_on")
    account = customer_queries.billing_account_of(
        customer_id=customer.pk, billing_account_id=account_id
    )
    if account is None:
        raise NotTheirs(f"Billing account {account_id} is not one of this customer's.")
    point = contract_changes.find_point(eic)
    product = _open_product(customer, product_code, move_in_on)
    contract = contract_changes.move_in(
        new=contract_changes.MoveIn(customer, account, point, product, move_in_on),
        values_kwh=values_kwh,
        actor=actor,
        via=via,
        reason=f"Customer moved in to {point.eic} on {move_in_on}",
    )
    _confirm_by_email(customer, actor, contract_confirmations.MOVED_IN, {"contract": contract})
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


def _confirm_by_email(customer: Customer, actor: Actor, kind: str, context: dict[str, Any]) -> bool:
    """The confirmation e-mail in the reader's language (``usecases.contract_confirmations``);
    recorded; a failure to send is recorded, not raised: the change is made and shown in the
    portal."""
    return contract_confirmations.send(
        to=customer.email or getattr(actor.user, "email", ""),
        language=actor.language,
        kind=kind,
        context=context,
        customer_id=customer.pk,
        signature=contract_confirmations.PORTAL_SIGNATURE,
        now=actor.now,
    )
