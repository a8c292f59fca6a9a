"""Reads for customers and billing accounts."""

from __future__ import annotations

from django.db.models import QuerySet

from vool.domain.customers.models import BillingAccount, Customer


def find_billing_account(*, reference_number: str) -> BillingAccount | None:
    return (
        BillingAccount.objects.select_related("customer")
        .filter(reference_number=reference_number.replace(" ", ""))
        .first()
    )


def customers_of_user(*, user_id: int) -> QuerySet[Customer]:
    return Customer.objects.filter(user_id=user_id)
