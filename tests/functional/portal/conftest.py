"""Fixtures of the portal tests: a supplier on the bills, a household (a portal user acting
for a customer with a billing account, a manual metering point and an issued invoice) and a
stranger (another customer with the same) whose objects the household must never reach."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from billing_factories import add_reading, fixed_product, manual_account
from documents_factories import make_supplier
from factories import BillingAccountFactory, PersonFactory
from mail_server import mailbox  # noqa: F401 (a fixture: a local SMTP server)
from oidc_provider import oidc_provider  # noqa: F401 (a fixture: a local OIDC provider)
from receivables_factories import issued_invoice
from vool.common.localtime import Month
from vool.domain.billing.models import Invoice
from vool.domain.contracts.models import SupplyContract
from vool.domain.customers.models import BillingAccount, Customer
from vool.domain.documents.models import Supplier
from vool.domain.metering.models import Register
from vool.domain.tariffs import operations as tariff_operations

PASSWORD = "kask-ja-mand-7"


@dataclass
class Household:
    user: object
    customer: Customer
    account: BillingAccount
    contract: SupplyContract
    register: Register
    invoice: Invoice


@pytest.fixture(autouse=True)
def portal_setup(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.VOOL_DOCUMENTS_DIR = tmp_path / "documents"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed


@pytest.fixture
def supplier(db) -> Supplier:  # type: ignore[no-untyped-def]
    return make_supplier()


def make_household(username: str, number: int, gross: str) -> Household:
    user = get_user_model().objects.create_user(
        username, email=f"{username}@example.ee", password=PASSWORD
    )
    customer = PersonFactory(
        first_name=username.title(),
        user=user,
        street_address="Pikk 1",
        city="Tartu",
        postal_code="51000",
    )
    account = BillingAccountFactory(customer=customer)
    contract, register = manual_account(product=fixed_product(code=f"FIX{number}"))
    SupplyContract.objects.filter(pk=contract.pk).update(customer=customer, billing_account=account)
    contract.refresh_from_db()
    today = timezone.localdate()
    invoice = issued_invoice(account, number=number, gross=gross, due=today + dt.timedelta(days=10))
    return Household(user, customer, account, contract, register, invoice)


@pytest.fixture
def household(db, supplier) -> Household:  # type: ignore[no-untyped-def]
    return make_household("mari", 26000001, "42.50")


@pytest.fixture
def stranger(db, household) -> Household:  # type: ignore[no-untyped-def]
    return make_household("jaan", 26000002, "99.00")


@pytest.fixture
def priced(household):  # type: ignore[no-untyped-def]
    """The household used 250 kWh in each of its last 13 months (month-end readings), the
    default taxes are loaded and a cheaper fixed package CHEAP (0.10 €/kWh) is on sale."""
    tariff_operations.load_default_tariffs()
    month = Month.of(timezone.localdate())
    for back in range(13, 0, -1):
        m = month
        for _ in range(back):
            m = m.previous()
        add_reading(household.register, m, str(10000 + 250 * (13 - back)))
    cheap = fixed_product(code="CHEAP", price="0.100000")
    cheap.name_et, cheap.name_ru, cheap.name_en = "Soodne", "Выгодный", "Saver"
    cheap.save(update_fields=["name_et", "name_ru", "name_en"])
    return household
