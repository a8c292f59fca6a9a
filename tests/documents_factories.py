"""The supplier a bill names (``documents.Supplier``), for tests that render, deliver or show
bills; an account with a former reference number, for the letters' tests."""

from __future__ import annotations

import datetime as dt

from factories import BillingAccountFactory, PersonFactory
from vool.common import identifiers
from vool.domain.customers.models import BillingAccount, FormerReferenceNumber
from vool.domain.documents.models import Supplier

SUPPLIER_IBAN = "EE382200221020145685"


def make_supplier() -> Supplier:
    return Supplier.objects.create(
        name="Vool Energia AS",
        street_address="Narva mnt 5",
        city="Tallinn",
        postal_code="10117",
        registry_code="10000356",
        vat_number="EE100000356",
        iban=SUPPLIER_IBAN,
        bic="HABAEE2X",
        bank_name="Swedbank",
        email="arved@vool.example",
        phone="+372 600 0000",
        website="vool.example",
    )


def account_with_former(
    i: int, *, language: str, channel: str, email: str = "", street: str = "Lai 1"
) -> BillingAccount:
    customer = PersonFactory(
        preferred_language=language,
        email=email,
        street_address=street,
        postal_code=f"1010{i}",
        city="Tallinn",
    )
    account = BillingAccountFactory(
        customer=customer,
        reference_number=identifiers.make_reference_number(7700 + i),
        invoice_channel=channel,
    )
    FormerReferenceNumber.objects.create(
        account=account,
        reference_number=identifiers.make_reference_number(5500 + i),
        replaced_on=dt.date(2026, 11, 1),
        source="legacy extract",
    )
    return account
