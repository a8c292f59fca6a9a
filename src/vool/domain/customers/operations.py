"""Writes for customers and billing accounts. Each operation is one transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyotp
from django.core.exceptions import ValidationError
from django.db import transaction
from pyotp.utils import strings_equal

from vool.common import identifiers
from vool.domain import validators
from vool.domain.customers import queries
from vool.domain.customers.models import (
    BillingAccount,
    Consent,
    Customer,
    NumberCounter,
    SecondFactor,
)

REFERENCE_COUNTER = "billing_account_reference"
# Reference bases start here, so every generated reference number has at least 7 digits.
FIRST_REFERENCE_BASE = 100_000


class InvalidCustomer(ValidationError):
    """The customer data break a rule; the message names the field."""


def allocate_numbers(*, name: str, count: int, start: int) -> range:
    """Reserve ``count`` consecutive numbers of the counter ``name`` (created at ``start``)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    with transaction.atomic():
        counter, _ = NumberCounter.objects.select_for_update().get_or_create(
            name=name, defaults={"next_value": start}
        )
        first = counter.next_value
        counter.next_value = first + count
        counter.save(update_fields=["next_value"])
    return range(first, first + count)


def allocate_reference_numbers(*, count: int) -> list[str]:
    """New unique billing-account reference numbers (7-3-1 check digit), in order."""
    bases = allocate_numbers(name=REFERENCE_COUNTER, count=count, start=FIRST_REFERENCE_BASE)
    return [identifiers.make_reference_number(base) for base in bases]


def _clean_codes(
    *, kind: str, personal_code: str | None, registry_code: str | None, vat_number: str
) -> tuple[str | None, str | None, str]:
    errors: dict[str, str] = {}
    if kind == Customer.Kind.PERSON:
        if not personal_code:
            errors["personal_code"] = "A person needs a personal code (isikukood)."
        if registry_code:
            errors["registry_code"] = "A person has no registry code."
        if vat_number:
            errors["vat_number"] = "Only a business customer has a VAT number."
    elif kind == Customer.Kind.BUSINESS:
        if not registry_code:
            errors["registry_code"] = "A business needs a registry code (registrikood)."
        if personal_code:
            errors["personal_code"] = "A business has no personal code."
    else:
        errors["kind"] = f"Unknown customer kind {kind!r}; use PERSON or BUSINESS."
    checks = (
        ("personal_code", personal_code, identifiers.validate_isikukood, "isikukood"),
        ("registry_code", registry_code, identifiers.validate_registrikood, "registrikood"),
        ("vat_number", vat_number, identifiers.validate_kmkr, "kmkr"),
    )
    cleaned: dict[str, str | None] = {}
    for field, value, check, code in checks:
        cleaned[field] = value or None
        if value and field not in errors:
            try:
                cleaned[field] = check(value)
            except identifiers.InvalidIdentifier as exc:
                errors[field] = validators.explain(exc, code=code, value=value)
    if errors:
        raise InvalidCustomer(errors)
    return cleaned["personal_code"], cleaned["registry_code"], cleaned["vat_number"] or ""


def create_customer(
    *,
    kind: str,
    name: str,
    personal_code: str | None = None,
    registry_code: str | None = None,
    vat_number: str = "",
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    preferred_language: str = "et",
    street_address: str = "",
    city: str = "",
    postal_code: str = "",
    is_vulnerable: bool = False,
    invoice_channel: str = BillingAccount.InvoiceChannel.EMAIL,
    payment_method: str = BillingAccount.PaymentMethod.BANK_TRANSFER,
) -> Customer:
    """Create a customer with its first billing account (and reference number)."""
    personal_code, registry_code, vat_number = _clean_codes(
        kind=kind, personal_code=personal_code, registry_code=registry_code, vat_number=vat_number
    )
    customer = Customer(
        kind=kind,
        name=name,
        personal_code=personal_code,
        registry_code=registry_code,
        vat_number=vat_number,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        preferred_language=preferred_language,
        street_address=street_address,
        city=city,
        postal_code=postal_code,
        is_vulnerable=is_vulnerable,
    )
    with transaction.atomic():
        customer.full_clean()
        customer.save()
        create_billing_account(
            customer=customer, invoice_channel=invoice_channel, payment_method=payment_method
        )
    return customer


def create_billing_account(
    *,
    customer: Customer,
    invoice_channel: str = BillingAccount.InvoiceChannel.EMAIL,
    payment_method: str = BillingAccount.PaymentMethod.BANK_TRANSFER,
    reference_number: str | None = None,
) -> BillingAccount:
    """A billing account with a new reference number, or a given one (migration) if valid."""
    with transaction.atomic():
        if reference_number is None:
            (reference_number,) = allocate_reference_numbers(count=1)
        account = BillingAccount(
            customer=customer,
            reference_number=reference_number,
            invoice_channel=invoice_channel,
            payment_method=payment_method,
        )
        account.full_clean()
        account.save()
    return account


CONTACT_FIELDS = ("email", "phone", "street_address", "city", "postal_code", "preferred_language")


def update_contact_details(*, customer_id: int, **values: str) -> dict[str, tuple[str, str]]:
    """Change the customer's contact details and language (only ``CONTACT_FIELDS``), checked
    as the model checks them; returns what changed as ``{field: (before, after)}``."""
    unknown = set(values) - set(CONTACT_FIELDS)
    if unknown:
        raise InvalidCustomer({name: "This field cannot be changed here." for name in unknown})
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        changed = {
            name: (getattr(customer, name), value)
            for name, value in values.items()
            if getattr(customer, name) != value
        }
        for name, (_before, after) in changed.items():
            setattr(customer, name, after)
        try:
            customer.full_clean(
                exclude=[f.name for f in Customer._meta.fields if f.name not in changed]
            )
        except ValidationError as exc:
            raise InvalidCustomer(exc.message_dict) from exc
        if changed:
            customer.save(update_fields=list(changed))
    return changed


def change_invoice_channel(*, account_id: int, channel: str) -> tuple[str, str]:
    """Send the account's invoices by ``channel`` from now on; returns (before, after)."""
    if channel not in BillingAccount.InvoiceChannel.values:
        raise InvalidCustomer({"invoice_channel": f"Unknown invoice channel {channel!r}."})
    with transaction.atomic():
        account = BillingAccount.objects.select_for_update().get(pk=account_id)
        before = account.invoice_channel
        if before != channel:
            account.invoice_channel = channel
            account.save(update_fields=["invoice_channel"])
    return before, channel


def record_consents(
    *, customer_id: int, granted: dict[str, bool], at: dt.datetime, channel: str, user: Any = None
) -> list[Consent]:
    """A row per consent whose answer changed (or was never given); the others stay as they
    were. ``at`` is the real time the customer answered."""
    unknown = set(granted) - set(Consent.Kind.values)
    if unknown:
        raise InvalidCustomer({"consents": f"Unknown consents: {', '.join(sorted(unknown))}."})
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer_id).first()
        latest = queries.current_consents(customer_id=customer_id)
        rows = [
            Consent(
                customer_id=customer_id,
                kind=kind,
                granted=answer,
                recorded_at=at,
                channel=channel,
                user=user,
            )
            for kind, answer in sorted(granted.items())
            if kind not in latest or latest[kind].granted != answer
        ]
        Consent.objects.bulk_create(rows)
    return rows


TOTP_STEP_SECONDS = 30


class UnableToUseSecondFactor(Exception):
    """The second factor cannot be set up or removed in this state; the message says why."""


def begin_second_factor(*, user_id: int) -> SecondFactor:
    """A new TOTP key for the user, not yet in use (replacing an unconfirmed one); refused
    while a confirmed one is in use."""
    with transaction.atomic():
        factor = SecondFactor.objects.select_for_update().filter(user_id=user_id).first()
        if factor is not None and factor.confirmed_at is not None:
            raise UnableToUseSecondFactor("Two-step sign-in is on already; turn it off first.")
        if factor is None:
            factor = SecondFactor(user_id=user_id)
        factor.secret = pyotp.random_base32()
        factor.last_used_step = None
        factor.save()
    return factor


def _matching_step(factor: SecondFactor, code: str, at: dt.datetime) -> int | None:
    """The time step (now, or one either side for clock drift) whose code is ``code`` and
    that was not used before."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(factor.secret, interval=TOTP_STEP_SECONDS)
    now_step = int(at.timestamp()) // TOTP_STEP_SECONDS
    for step in (now_step - 1, now_step, now_step + 1):
        if factor.last_used_step is not None and step <= factor.last_used_step:
            continue
        if strings_equal(totp.at(step * TOTP_STEP_SECONDS), code):
            return step
    return None


def use_second_factor(*, user_id: int, code: str, at: dt.datetime, confirm: bool = False) -> bool:
    """Whether ``code`` is the user's current TOTP code at ``at`` (each code once). With
    ``confirm``, an unconfirmed key becomes the one in use (dated ``at``)."""
    with transaction.atomic():
        factor = SecondFactor.objects.select_for_update().filter(user_id=user_id).first()
        if factor is None or (factor.confirmed_at is None and not confirm):
            return False
        step = _matching_step(factor, code, at)
        if step is None:
            return False
        factor.last_used_step = step
        if factor.confirmed_at is None:
            factor.confirmed_at = at
        factor.save(update_fields=["last_used_step", "confirmed_at"])
    return True


def remove_second_factor(*, user_id: int) -> bool:
    """Turn two-step sign-in off; whether there was a key."""
    deleted, _ = SecondFactor.objects.filter(user_id=user_id).delete()
    return bool(deleted)


def link_portal_user(*, customer_id: int, user_id: int) -> None:
    """The portal user ``user_id`` acts for customer ``customer_id`` (and for no other
    customer it acted for before)."""
    with transaction.atomic():
        Customer.objects.filter(user_id=user_id).exclude(pk=customer_id).update(user=None)
        Customer.objects.filter(pk=customer_id).update(user_id=user_id)
