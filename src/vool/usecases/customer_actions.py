"""Back-office actions on one customer's contracts and letters: move out, move in, change the
package (with the calculator's ranking) and send a letter. Each checks the permission here (not
only on the page), refuses while the service freeze is on, and records who, when and why in the
audit log in the same transaction as the change.

The contract rules are the portal's (``usecases.contract_changes``): only the channel
(``BACKOFFICE``), the reading's source and how late a move may be entered differ. The customer
gets the portal's confirmation e-mail of a move or a package change, in their language, once
the change is committed (``usecases.contract_confirmations``).

- Move out and change the package: ``contracts.change_supplycontract``.
- Move in: ``contracts.add_supplycontract``.
- Send a letter: ``documents.add_letter``; the kinds are ``usecases.letters.KINDS``, each sent
  once per campaign to the account, by the account's channel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vool.common.localtime import local_date
from vool.domain.audit import operations as audit
from vool.domain.customers import queries as customer_queries
from vool.domain.documents import queries as document_queries
from vool.domain.supply import queries as supply_queries
from vool.usecases import contract_changes, contract_confirmations, letters, portal_contracts
from vool.usecases.backoffice_actions import NotAllowed, user_name
from vool.usecases.contract_changes import Actor, UnableToChangeContract
from vool.usecases.freeze import check_not_frozen
from vool.usecases.portal import NotTheirs

if TYPE_CHECKING:
    from vool.domain.contracts.models import SupplyContract
    from vool.domain.customers.models import BillingAccount, Customer
    from vool.domain.documents.models import Delivery, Letter, SentEmail
    from vool.domain.supply.models import MeteringPoint

CHANGE_CONTRACT_PERMISSION = "contracts.change_supplycontract"
ADD_CONTRACT_PERMISSION = "contracts.add_supplycontract"
SEND_LETTER_PERMISSION = "documents.add_letter"

__all__ = [
    "Actor",
    "NoSuchThing",
    "UnableToChangeContract",
    "UnableToSendLetter",
    "change_package",
    "find_points",
    "move_in",
    "move_out",
    "package_offers",
    "send_letter",
]


class NoSuchThing(Exception):
    """The customer, contract, account or point asked for is not there (or not theirs)."""


class UnableToSendLetter(Exception):
    """The letter cannot go to the account; the message says why."""


def _check(user: Any, permission: str, refusal: str) -> None:
    """Raise :class:`NotAllowed` with ``refusal`` (which names ``%(user)s``) unless ``user``
    has ``permission``."""
    if user is None or not user.has_perm(permission):
        raise NotAllowed(refusal % {"user": user_name(user)})


def _customer(customer_id: int) -> Customer:
    customer = customer_queries.get_customer(customer_id=customer_id)
    if customer is None:
        raise NoSuchThing(_("There is no customer %(id)s.") % {"id": customer_id})
    return customer


def _contract(customer: Customer, contract_id: int) -> SupplyContract:
    try:
        return portal_contracts.contract_of(customer, contract_id=contract_id)
    except NotTheirs as exc:
        raise NoSuchThing(
            _("Contract %(id)s is not one of this customer's.") % {"id": contract_id}
        ) from exc


def _account(customer: Customer, account_id: int) -> BillingAccount:
    account = customer_queries.billing_account_of(
        customer_id=customer.pk, billing_account_id=account_id
    )
    if account is None:
        raise NoSuchThing(
            _("Billing account %(id)s is not one of this customer's.") % {"id": account_id}
        )
    return account


def _confirm_after_commit(
    customer: Customer, kind: str, context: dict[str, Any], *, now: dt.datetime
) -> None:
    """The portal's confirmation e-mail of the change (``usecases.contract_confirmations``), in
    the customer's language, sent (and recorded as sent ``now``) once the change is committed
    (never for a rolled-back one)."""
    transaction.on_commit(
        lambda: contract_confirmations.send(
            to=customer.email,
            language=customer.preferred_language or settings.LANGUAGE_CODE,
            kind=kind,
            context=context,
            customer_id=customer.pk,
            signature=contract_confirmations.BACKOFFICE_SIGNATURE,
            now=now,
        ),
        robust=True,
    )


def _why(reason: str) -> str:
    if not reason.strip():
        raise UnableToChangeContract(_("Say why."), field="reason")
    return reason.strip()


# -- reads ---------------------------------------------------------------------------------


def package_offers(
    *, customer_id: int, contract_id: int, today: dt.date
) -> portal_contracts.Offers:
    """The packages open to the customer, ranked by the calculator on the contract's point's
    own last 12 months (as the portal shows them)."""
    customer = _customer(customer_id)
    _contract(customer, contract_id)
    return portal_contracts.package_offers(customer, contract_id=contract_id, today=today)


@dataclass(frozen=True)
class PointFound:
    """A metering point found by search, with the register kinds a move-in reading needs."""

    point: MeteringPoint
    registers: list[str]


def find_points(*, text: str, today: dt.date) -> list[PointFound]:
    """Metering points by EIC prefix or a part of the street address (at most ten)."""
    return [
        PointFound(point, portal_contracts.registers_of(point, on=today))
        for point in supply_queries.find_metering_points(text=text)
    ]


def point_for_move_in(*, eic: str, today: dt.date) -> PointFound:
    """The point ``eic`` with its register kinds, else :class:`UnableToChangeContract`."""
    point = contract_changes.find_point(eic)
    return PointFound(point, portal_contracts.registers_of(point, on=today))


def registers_of_contract(*, customer_id: int, contract_id: int, today: dt.date) -> list[str]:
    """The register kinds whose final reading a move out needs (none: read remotely)."""
    contract = _contract(_customer(customer_id), contract_id)
    return portal_contracts.registers_of(contract.metering_point, on=today)


def letters_of_customer(*, customer_id: int) -> QuerySet[Letter]:
    """The letters made for the customer's accounts, newest first."""
    ids = [a.pk for a in customer_queries.billing_accounts_of(customer_id=customer_id)]
    return document_queries.letters_of_accounts(billing_account_ids=ids)


def emails_of_customer(*, customer_id: int) -> QuerySet[SentEmail]:
    """The e-mails sent to the customer (confirmations of moves and package changes), newest
    first."""
    return document_queries.emails_of_customer(customer_id=customer_id)


def invoice_deliveries_of_customer(*, customer_id: int) -> QuerySet[Delivery]:
    """How the invoices of the customer's accounts were sent, newest first."""
    ids = [a.pk for a in customer_queries.billing_accounts_of(customer_id=customer_id)]
    return document_queries.deliveries_of_accounts(billing_account_ids=ids)


# -- writes --------------------------------------------------------------------------------


def move_out(
    *,
    actor: Actor,
    customer_id: int,
    contract_id: int,
    move_out_on: dt.date,
    values_kwh: dict[str, Decimal],
    reason: str,
) -> SupplyContract:
    """End the customer's contract at the start of ``move_out_on`` with the final reading of
    that day; the next bill run makes the final bill."""
    _check(actor.user, CHANGE_CONTRACT_PERMISSION, _("%(user)s may not end contracts."))
    check_not_frozen()
    customer = _customer(customer_id)
    contract = _contract(customer, contract_id)
    ended = contract_changes.move_out(
        contract=contract,
        move_out_on=move_out_on,
        values_kwh=values_kwh,
        actor=actor,
        via=contract_changes.BACKOFFICE,
        reason=_why(reason),
    )
    _confirm_after_commit(
        customer, contract_confirmations.MOVED_OUT, {"contract": ended}, now=actor.now
    )
    return ended


@dataclass(frozen=True)
class NewContract:
    """What a clerk enters for a move in."""

    customer_id: int
    account_id: int
    eic: str
    product_code: str
    move_in_on: dt.date


def move_in(
    *, actor: Actor, new: NewContract, values_kwh: dict[str, Decimal], reason: str
) -> SupplyContract:
    """A contract for the point ``new.eic`` from ``new.move_in_on`` on the customer's account,
    with the move-in reading."""
    _check(actor.user, ADD_CONTRACT_PERMISSION, _("%(user)s may not make contracts."))
    check_not_frozen()
    customer = _customer(new.customer_id)
    account = _account(customer, new.account_id)
    point = contract_changes.find_point(new.eic)
    product = contract_changes.open_product(
        customer,
        new.product_code,
        on=new.move_in_on,
        refusal=_("Package %(code)s is not open to this customer."),
    )
    contract = contract_changes.move_in(
        new=contract_changes.MoveIn(customer, account, point, product, new.move_in_on),
        values_kwh=values_kwh,
        actor=actor,
        via=contract_changes.BACKOFFICE,
        reason=_why(reason),
    )
    _confirm_after_commit(
        customer, contract_confirmations.MOVED_IN, {"contract": contract}, now=actor.now
    )
    return contract


def change_package(
    *, actor: Actor, customer_id: int, contract_id: int, product_code: str, reason: str
) -> SupplyContract:
    """The contract's package changes from tomorrow (``replace_contract``)."""
    _check(actor.user, CHANGE_CONTRACT_PERMISSION, _("%(user)s may not change packages."))
    check_not_frozen()
    customer = _customer(customer_id)
    contract = _contract(customer, contract_id)
    effective = contract_changes.takes_effect_on(contract, today=local_date(actor.now))
    product = contract_changes.open_product(
        customer,
        product_code,
        on=effective,
        refusal=_("Package %(code)s is not open to this customer."),
    )
    new = contract_changes.switch_package(
        contract=contract,
        product=product,
        actor=actor,
        via=contract_changes.BACKOFFICE,
        reason=_why(reason),
    )
    _confirm_after_commit(
        customer,
        contract_confirmations.PACKAGE_CHANGED,
        {"old": contract, "new": new},
        now=actor.now,
    )
    return new


LETTER_KIND_LABELS = {
    "new-reference-number": gettext_lazy("The account's new reference number"),
    "dunning": gettext_lazy("Reminder or warning of the latest dunning run"),
}


def letter_kinds() -> list[tuple[str, str]]:
    """The kinds of letter that exist (``usecases.letters.KINDS``), in words."""
    return [(key, str(LETTER_KIND_LABELS.get(key, key))) for key in letters.KINDS]


def letter_kind_label(kind: str) -> str:
    return str(LETTER_KIND_LABELS.get(kind, kind))


def _letter_refusal(report: letters.LetterReport, account: BillingAccount) -> str | None:
    """Why nothing was made, if nothing was (a letter made whose e-mail failed is sent again
    later by the letters' retry, as in a campaign)."""
    values = {"kind": report.kind, "campaign": report.campaign, "ref": account.reference_number}
    if report.rendered:
        return None
    if report.failures:
        return "; ".join(why for _ref, why in report.failures)
    if report.concerned == 0:
        return _("A letter %(kind)s does not concern account %(ref)s.") % values
    return _("Account %(ref)s has the letter %(kind)s of campaign %(campaign)s already.") % values


def send_letter(
    *, actor: Actor, customer_id: int, account_id: int, kind: str, reason: str
) -> letters.LetterReport:
    """Make the letter ``kind`` (its current campaign) for the customer's account, once per
    campaign, audited; it is sent by the account's channel once that is committed (a rollback
    sends nothing; a failed e-mail leaves the letter recorded as FAILED, retried like the
    others). The report counts what was sent when the caller's transaction has committed."""
    _check(actor.user, SEND_LETTER_PERMISSION, _("%(user)s may not send letters."))
    check_not_frozen()
    if kind not in letters.KINDS:
        raise UnableToSendLetter(_("There is no letter kind %(kind)s.") % {"kind": kind})
    account = _account(_customer(customer_id), account_id)
    why = reason.strip()
    if not why:
        raise UnableToSendLetter(_("Say why."))
    with transaction.atomic():
        report = letters.make_letters(
            kind=kind,
            accounts=f"ref={account.reference_number}",
            today=local_date(actor.now),
            as_of=actor.now,
        )
        refusal = _letter_refusal(report, account)
        if refusal is not None:
            raise UnableToSendLetter(refusal)
        audit.record(
            user=actor.user,
            happened_at=actor.now,
            action="documents.send_letter",
            object_type="customers.BillingAccount",
            object_id=account.pk,
            customer_id=customer_id,
            reason=why,
            after={"kind": report.kind, "campaign": report.campaign, "letters": report.made},
            request_id=actor.request_id,
        )
        transaction.on_commit(lambda: letters.send_made(report, as_of=actor.now), robust=True)
    return report
