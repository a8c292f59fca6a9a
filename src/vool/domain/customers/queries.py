"""Reads for customers and billing accounts."""

from __future__ import annotations

from typing import Any, Final

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from vool.domain.customers.models import BillingAccount, Consent, Customer, SecondFactor

BUSINESS: Final = Customer.Kind.BUSINESS  # a company (the business segment's packages)
InvoiceChannel = BillingAccount.InvoiceChannel  # how invoices (and letters) reach the customer


def invoice_channel_label(channel: str) -> str:
    """How an invoice channel (``EMAIL``, ``E_INVOICE``, ...) is named to a person."""
    return str(BillingAccount.InvoiceChannel(channel).label)


def find_billing_account(*, reference_number: str) -> BillingAccount | None:
    return (
        BillingAccount.objects.select_related("customer")
        .filter(reference_number=reference_number.replace(" ", ""))
        .first()
    )


def get_billing_account(*, billing_account_id: int) -> BillingAccount | None:
    return BillingAccount.objects.select_related("customer").filter(pk=billing_account_id).first()


def customers_of_user(*, user_id: int) -> QuerySet[Customer]:
    """The customers a portal user may act for: the one they hold (``Customer.user``) and those
    a :class:`PortalAccess` grants them (household member, representative)."""
    return (
        Customer.objects.filter(Q(user_id=user_id) | Q(portal_accesses__user_id=user_id))
        .distinct()
        .order_by("name", "pk")
    )


def count_customers() -> int:
    return Customer.objects.count()


def count_billing_accounts() -> int:
    return BillingAccount.objects.count()


def current_consents(*, customer_id: int) -> dict[str, Consent]:
    """The latest answer per consent kind."""
    latest: dict[str, Consent] = {}
    for consent in Consent.objects.filter(customer_id=customer_id).order_by("recorded_at", "pk"):
        latest[consent.kind] = consent
    return latest


def second_factor_of(*, user_id: int) -> SecondFactor | None:
    """The user's second factor, confirmed or not (``None``: two-step sign-in never set up)."""
    return SecondFactor.objects.filter(user_id=user_id).first()


def has_second_factor(*, user_id: int) -> bool:
    """Whether the user signs in with a code as well as the password."""
    return SecondFactor.objects.filter(user_id=user_id, confirmed_at__isnull=False).exists()


def portal_users_with_personal_code(*, personal_code: str) -> QuerySet[Any]:
    """The portal user holding the customer with this personal code (none, or one)."""
    return get_user_model().objects.filter(customer__personal_code=personal_code, is_active=True)


def consent_kinds() -> list[tuple[str, str]]:
    """The kinds of consent a customer gives or withdraws, each with its label."""
    return [(kind, str(label)) for kind, label in Consent.Kind.choices]


def billing_accounts_of(*, customer_id: int) -> list[BillingAccount]:
    """The customer's billing accounts by reference number."""
    return list(BillingAccount.objects.filter(customer_id=customer_id).order_by("reference_number"))


def billing_account_of(*, customer_id: int, billing_account_id: int) -> BillingAccount | None:
    """Billing account ``billing_account_id`` if it is the customer's."""
    return BillingAccount.objects.filter(customer_id=customer_id, pk=billing_account_id).first()


def billing_accounts_where(*, condition: Q) -> QuerySet[BillingAccount]:
    """The billing accounts that meet ``condition`` (a filter over the account's fields and
    its customer's), for a batch to narrow further."""
    return BillingAccount.objects.filter(condition)


def get_customer(*, customer_id: int) -> Customer | None:
    return Customer.objects.filter(pk=customer_id).first()
