"""Contracts concluded and withdrawn by customer service in the back office (issue 15,
section 2): a new contract is submitted to the data hub like one concluded in the portal
(:mod:`vool.usecases.hub_agreements`); a withdrawal within 14 days cancels its agreement in
the hub and the contract. Each needs its permission (checked here, not only on the page) and
writes its audit row with who, when and why.

- Concluding: ``contracts.add_supplycontract``.
- Withdrawing: ``contracts.change_supplycontract``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from vool.domain.contracts import queries as contract_queries
from vool.domain.customers import queries as customer_queries
from vool.domain.supply import queries as supply_queries
from vool.usecases import contract_changes, datahub, hub_agreements
from vool.usecases.backoffice_actions import NotAllowed, user_name
from vool.usecases.freeze import check_not_frozen

if TYPE_CHECKING:
    from vool.domain.contracts.models import SupplyContract
    from vool.domain.customers.models import BillingAccount, Customer
    from vool.domain.supply.models import MeteringPoint
    from vool.domain.tariffs.models import Product

__all__ = [
    "CONCLUDE_PERMISSION",
    "WITHDRAW_PERMISSION",
    "UnableToConclude",
    "conclude_contract",
    "products_for",
    "withdraw",
]

CONCLUDE_PERMISSION = "contracts.add_supplycontract"
WITHDRAW_PERMISSION = "contracts.change_supplycontract"


class UnableToConclude(Exception):
    """The contract cannot be concluded; ``field`` names the form field, the message why."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _check(user: Any, permission: str, what: str) -> None:
    if user is None or not user.has_perm(permission):
        raise NotAllowed(
            _("%(user)s may not %(what)s: that needs the permission %(permission)s.")
            % {"user": user_name(user), "what": what, "permission": permission}
        )


def products_for(*, customer_id: int, on: dt.date) -> list[Product]:
    """The packages on sale on ``on`` in the customer's segment (``products_open_to``)."""
    customer = customer_queries.get_customer(customer_id=customer_id)
    if customer is None:
        return []
    return contract_changes.products_open_to(customer, on=on)


@dataclass(frozen=True)
class _Parts:
    customer: Customer
    account: BillingAccount
    point: MeteringPoint
    product: Product


def _parts(
    *, customer_id: int, account_id: int, eic: str, product_code: str, valid_from: dt.date
) -> _Parts:
    """What the new contract is made of, each checked (the form field named when wrong)."""
    customer = customer_queries.get_customer(customer_id=customer_id)
    account = customer_queries.billing_account_of(
        customer_id=customer_id, billing_account_id=account_id
    )
    if customer is None or account is None:
        raise UnableToConclude(_("Choose one of the customer's billing accounts."), field="account")
    point = supply_queries.get_metering_point(eic=eic.strip().upper())
    if point is None:
        raise UnableToConclude(_("No metering point %(eic)s is known.") % {"eic": eic}, field="eic")
    product = next(
        (p for p in products_for(customer_id=customer_id, on=valid_from) if p.code == product_code),
        None,
    )
    if product is None:
        raise UnableToConclude(_("The package is not on sale then."), field="product")
    return _Parts(customer, account, point, product)


def conclude_contract(
    *,
    user: Any,
    customer_id: int,
    account_id: int,
    eic: str,
    product_code: str,
    valid_from: dt.date,
    open_supply_elsewhere: bool,
    now: dt.datetime,
    request_id: str = "",
) -> SupplyContract:
    """A new contract for the customer, audited, and its agreement queued for the data hub and
    sent at once (see :mod:`vool.usecases.hub_agreements`): a move in's sequence
    (``contract_changes.start_contract``) without the reading, from any day, with the lead
    time the clerk chose."""
    _check(user, CONCLUDE_PERMISSION, _("conclude contracts"))
    check_not_frozen()
    parts = _parts(
        customer_id=customer_id,
        account_id=account_id,
        eic=eic,
        product_code=product_code,
        valid_from=valid_from,
    )
    try:
        return contract_changes.start_contract(
            new=contract_changes.MoveIn(
                parts.customer, parts.account, parts.point, parts.product, valid_from
            ),
            actor=contract_changes.Actor(
                user=user, now=now, address=None, language="", request_id=request_id
            ),
            via=contract_changes.BACKOFFICE,
            action="contracts.conclude",
            reason=f"concluded in the back office by {user_name(user)}",
            open_supply_elsewhere=open_supply_elsewhere,
            after={"open_supply_elsewhere": open_supply_elsewhere},
        )
    except contract_changes.UnableToChangeContract as exc:
        raise UnableToConclude(str(exc), field=exc.field) from exc


def withdraw(
    *,
    user: Any,
    customer_id: int,
    contract_id: int,
    reason: str,
    now: dt.datetime,
    request_id: str = "",
) -> SupplyContract:
    """Customer service withdraws for the customer (within the 14 days): the agreement is
    cancelled in the hub and the contract cancelled, audited with who and why."""
    _check(user, WITHDRAW_PERMISSION, _("withdraw contracts"))
    check_not_frozen()
    if not reason.strip():
        raise datahub.UnableToWithdraw(_("Say why the contract is withdrawn."))
    contract = contract_queries.contract_of_customer(
        customer_id=customer_id, contract_id=contract_id
    )
    if contract is None:
        raise LookupError(f"Customer {customer_id} has no contract {contract_id}.")
    return hub_agreements.withdraw(
        contract=contract, user=user, reason=reason.strip(), now=now, request_id=request_id
    )
