"""The supplier a bill names (``documents.Supplier``), for tests that render, deliver or show
bills."""

from __future__ import annotations

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
