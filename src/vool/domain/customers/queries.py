"""Reads for customers and billing accounts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from vool.domain.customers.models import BillingAccount, Consent, Customer, SecondFactor


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
