"""The customer's profile in the self-service portal: contact details and language, the invoice
channel of each billing account (confirmed and audited: who, when, from where) and consents
with the dates they were given or withdrawn."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from vool.domain.audit import operations as audit
from vool.domain.customers import operations as customer_operations
from vool.domain.customers import queries as customer_queries
from vool.domain.customers.models import BillingAccount, Consent, Customer
from vool.usecases.portal import NotTheirs
from vool.usecases.portal_contracts import Actor

__all__ = [
    "ConsentState",
    "Profile",
    "account_of",
    "change_invoice_channel",
    "profile",
    "save_consents",
    "update_contact_details",
]


@dataclass(frozen=True)
class ConsentState:
    kind: str
    label: str
    granted: bool
    recorded_at: dt.datetime | None


@dataclass(frozen=True)
class Profile:
    customer: Customer
    accounts: tuple[BillingAccount, ...]
    consents: tuple[ConsentState, ...]


def profile(customer: Customer) -> Profile:
    latest = customer_queries.current_consents(customer_id=customer.pk)
    consents = tuple(
        ConsentState(
            kind=kind,
            label=str(label),
            granted=latest[kind].granted if kind in latest else False,
            recorded_at=latest[kind].recorded_at if kind in latest else None,
        )
        for kind, label in Consent.Kind.choices
    )
    accounts = tuple(customer.billing_accounts.order_by("reference_number"))
    return Profile(customer=customer, accounts=accounts, consents=consents)


def account_of(customer: Customer, *, account_id: int) -> BillingAccount:
    account = BillingAccount.objects.filter(customer=customer, pk=account_id).first()
    if account is None:
        raise NotTheirs(f"Billing account {account_id} is not one of this customer's.")
    return account


def update_contact_details(customer: Customer, *, values: dict[str, str], actor: Actor) -> int:
    """Change the contact details and language; audited with before and after. Returns how
    many fields changed."""
    with transaction.atomic():
        changed = customer_operations.update_contact_details(customer_id=customer.pk, **values)
        if changed:
            audit.record(
                user=actor.user,
                happened_at=actor.now,
                action="customers.update_contact_details",
                object_type="customers.Customer",
                object_id=customer.pk,
                customer_id=customer.pk,
                reason="Customer changed their contact details in the portal",
                before={name: old for name, (old, _new) in changed.items()},
                after={name: new for name, (_old, new) in changed.items()},
                source_address=actor.address,
            )
    return len(changed)


def change_invoice_channel(
    customer: Customer, *, account_id: int, channel: str, actor: Actor
) -> BillingAccount:
    """Send the account's invoices by ``channel`` from the next bill (confirmed by the customer
    before this is called); audited with who, when and from where."""
    account = account_of(customer, account_id=account_id)
    with transaction.atomic():
        before, after = customer_operations.change_invoice_channel(
            account_id=account.pk, channel=channel
        )
        if before != after:
            audit.record(
                user=actor.user,
                happened_at=actor.now,
                action="customers.change_invoice_channel",
                object_type="customers.BillingAccount",
                object_id=account.pk,
                customer_id=customer.pk,
                reason=f"Customer changed the invoice channel {before} -> {after} in the portal",
                before={"invoice_channel": before},
                after={"invoice_channel": after},
                source_address=actor.address,
            )
    account.refresh_from_db()
    return account


def save_consents(customer: Customer, *, granted: dict[str, bool], actor: Actor) -> int:
    """Record the consents whose answer changed (dated with the real time); returns how many."""
    rows = customer_operations.record_consents(
        customer_id=customer.pk,
        granted=granted,
        at=actor.now,
        channel="PORTAL",
        user=actor.user,
    )
    return len(rows)
