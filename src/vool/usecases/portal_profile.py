"""The customer's profile in the self-service portal: contact details and language, the invoice
channel of each billing account (confirmed and audited: who, when, from where) and consents
with the dates they were given or withdrawn."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyotp
from django.db import transaction

from vool.domain.audit import operations as audit
from vool.domain.customers import operations as customer_operations
from vool.domain.customers import queries as customer_queries
from vool.integrations.pdf.qr import qr_svg
from vool.usecases.portal import NotTheirs
from vool.usecases.portal_contracts import Actor

if TYPE_CHECKING:
    from vool.domain.customers.models import BillingAccount, Customer

__all__ = [
    "ConsentState",
    "Profile",
    "SecondFactorSetup",
    "account_of",
    "begin_second_factor",
    "change_invoice_channel",
    "check_sign_in_code",
    "confirm_second_factor",
    "pending_second_factor",
    "profile",
    "save_consents",
    "second_factor_on",
    "turn_off_second_factor",
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


def _record(
    customer: Customer,
    actor: Actor,
    *,
    action: str,
    object_type: str,
    object_id: object,
    reason: str,
    before: Any = None,
    after: Any = None,
) -> None:
    """The audit entry of a change the customer made: who, when and from where."""
    audit.record(
        user=actor.user,
        happened_at=actor.now,
        action=action,
        object_type=object_type,
        object_id=object_id,
        customer_id=customer.pk,
        reason=reason,
        before=before,
        after=after,
        source_address=actor.address,
    )


def profile(customer: Customer) -> Profile:
    latest = customer_queries.current_consents(customer_id=customer.pk)
    consents = tuple(
        ConsentState(
            kind=kind,
            label=str(label),
            granted=latest[kind].granted if kind in latest else False,
            recorded_at=latest[kind].recorded_at if kind in latest else None,
        )
        for kind, label in customer_queries.consent_kinds()
    )
    accounts = tuple(customer_queries.billing_accounts_of(customer_id=customer.pk))
    return Profile(customer=customer, accounts=accounts, consents=consents)


def account_of(customer: Customer, *, account_id: int) -> BillingAccount:
    account = customer_queries.billing_account_of(
        customer_id=customer.pk, billing_account_id=account_id
    )
    if account is None:
        raise NotTheirs(f"Billing account {account_id} is not one of this customer's.")
    return account


def update_contact_details(customer: Customer, *, values: dict[str, str], actor: Actor) -> int:
    """Change the contact details and language; audited with before and after. Returns how
    many fields changed."""
    with transaction.atomic():
        changed = customer_operations.update_contact_details(customer_id=customer.pk, **values)
        if changed:
            _record(
                customer,
                actor,
                action="customers.update_contact_details",
                object_type="customers.Customer",
                object_id=customer.pk,
                reason="Customer changed their contact details in the portal",
                before={name: old for name, (old, _new) in changed.items()},
                after={name: new for name, (_old, new) in changed.items()},
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
            _record(
                customer,
                actor,
                action="customers.change_invoice_channel",
                object_type="customers.BillingAccount",
                object_id=account.pk,
                reason=f"Customer changed the invoice channel {before} -> {after} in the portal",
                before={"invoice_channel": before},
                after={"invoice_channel": after},
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


# -- two-step sign-in (TOTP) ---------------------------------------------------------------


@dataclass(frozen=True)
class SecondFactorSetup:
    secret: str  # base32, for typing into an app by hand
    uri: str  # otpauth://, what the QR code holds
    qr_svg: str


ISSUER = "Vool"


def second_factor_on(*, user_id: int) -> bool:
    return customer_queries.has_second_factor(user_id=user_id)


def begin_second_factor(*, user: Any) -> SecondFactorSetup:
    """A new key to add to an authenticator app (scan the QR code or type the key)."""
    factor = customer_operations.begin_second_factor(user_id=user.pk)
    uri = pyotp.TOTP(factor.secret).provisioning_uri(
        name=user.email or user.get_username(), issuer_name=ISSUER
    )
    return SecondFactorSetup(secret=factor.secret, uri=uri, qr_svg=qr_svg(uri, scalable=True))


def pending_second_factor(*, user: Any) -> SecondFactorSetup | None:
    """The key being set up (not confirmed yet), to show again after a wrong code."""
    factor = customer_queries.second_factor_of(user_id=user.pk)
    if factor is None or factor.confirmed_at is not None:
        return None
    uri = pyotp.TOTP(factor.secret).provisioning_uri(
        name=user.email or user.get_username(), issuer_name=ISSUER
    )
    return SecondFactorSetup(secret=factor.secret, uri=uri, qr_svg=qr_svg(uri, scalable=True))


def _audit_second_factor(customer: Customer, actor: Actor, action: str, reason: str) -> None:
    _record(
        customer,
        actor,
        action=action,
        object_type="auth.User",
        object_id=actor.user.pk,
        reason=reason,
    )


def confirm_second_factor(customer: Customer, *, code: str, actor: Actor) -> bool:
    """Turn two-step sign-in on with the first code from the app; audited."""
    with transaction.atomic():
        ok = customer_operations.use_second_factor(
            user_id=actor.user.pk, code=code, at=actor.now, confirm=True
        )
        if ok:
            _audit_second_factor(
                customer, actor, "auth.second_factor_on", "User turned on two-step sign-in"
            )
    return ok


def turn_off_second_factor(customer: Customer, *, code: str, actor: Actor) -> bool:
    """Turn two-step sign-in off, proven with a current code; audited."""
    with transaction.atomic():
        if not customer_operations.use_second_factor(
            user_id=actor.user.pk, code=code, at=actor.now
        ):
            return False
        customer_operations.remove_second_factor(user_id=actor.user.pk)
        _audit_second_factor(
            customer, actor, "auth.second_factor_off", "User turned off two-step sign-in"
        )
    return True


def check_sign_in_code(*, user_id: int, code: str, at: dt.datetime) -> bool:
    """The second step of signing in: the code from the user's app (each code once)."""
    return customer_operations.use_second_factor(user_id=user_id, code=code, at=at)
