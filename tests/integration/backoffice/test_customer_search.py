"""The back office's one search box: every kind of identifier finds its customer exactly (a
jump), names match as a substring whatever the case and the Estonian letters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import translation

from factories import BusinessFactory, PersonFactory, SupplyContractFactory
from receivables_factories import (
    AS_OF,
    MARI_IBAN,
    credit,
    issued_invoice,
    our_bank_account,
    statement_file,
)
from vool.domain.customers.models import Customer
from vool.usecases import customer_search, import_bank_statement

pytestmark = pytest.mark.django_db


@pytest.fixture
def juri() -> Any:
    """Jüri Õunapuu with an account, a metering point, an invoice and a payment."""
    customer = PersonFactory(
        first_name="Jüri",
        last_name="Õunapuu",
        name="Jüri Õunapuu",
        email="Juri.Ounapuu@Example.ee",
        phone="+372 5123 4567",
    )
    contract = SupplyContractFactory(billing_account__customer=customer)
    PersonFactory(first_name="Mari", last_name="Juurikas", name="Mari Juurikas")
    return customer, contract


def hit_ids(query: str) -> list[int]:
    return [hit.customer_id for hit in customer_search.search(query=query).hits]


def jumps_to(query: str) -> int | None:
    return customer_search.search(query=query).jump_to


class TestIdentifiers:
    def test_personal_code(self, juri: Any) -> None:
        customer, _ = juri
        assert jumps_to(f" {customer.personal_code} ") == customer.pk

    def test_registry_code(self) -> None:
        firm = BusinessFactory(name="Päikese Energia OÜ")
        assert jumps_to(firm.registry_code) == firm.pk

    def test_reference_number(self, juri: Any) -> None:
        customer, contract = juri
        assert jumps_to(contract.billing_account.reference_number) == customer.pk

    def test_eic_in_any_case(self, juri: Any) -> None:
        customer, contract = juri
        assert jumps_to(contract.metering_point.eic.lower()) == customer.pk

    def test_invoice_number(self, juri: Any) -> None:
        customer, contract = juri
        issued_invoice(
            contract.billing_account, number=2026000123, gross="12.40", due=dt.date(2026, 11, 19)
        )
        assert jumps_to("2026000123") == customer.pk
        with translation.override("en"):
            hit = customer_search.search(query="2026000123").hits[0]
            assert (hit.matched_on, hit.matched_value) == ("invoice number", "2026000123")

    def test_payer_iban(self, juri: Any, tmp_path: Path) -> None:
        customer, contract = juri
        our_bank_account()
        reference = contract.billing_account.reference_number
        path = statement_file(
            tmp_path / "s.xml",
            credit("P1", "10.00", reference=reference, name="Jüri Õunapuu", iban=MARI_IBAN),
        )
        import_bank_statement.import_bank_file(path=path, as_of=AS_OF, imported_by="tester")
        spaced = " ".join(MARI_IBAN[i : i + 4] for i in range(0, len(MARI_IBAN), 4))
        assert jumps_to(spaced.lower()) == customer.pk

    def test_phone_with_or_without_country_code_and_spaces(self, juri: Any) -> None:
        customer, _ = juri
        assert jumps_to("+372 51234567") == customer.pk
        assert jumps_to("5123 4567") == customer.pk

    def test_email_in_any_case(self, juri: Any) -> None:
        customer, _ = juri
        assert jumps_to("juri.ounapuu@example.EE") == customer.pk

    def test_an_unknown_identifier_finds_nobody(self, juri: Any) -> None:
        assert customer_search.search(query="38ZEE-0000000X-0").hits == []
        assert jumps_to("99999999999") is None


class TestNames:
    @pytest.mark.parametrize("query", ["õunapuu", "OUNAPUU", "Jüri õ", "juri ounapuu", "JÜRI"])
    def test_case_and_estonian_letters_do_not_matter(self, juri: Any, query: str) -> None:
        customer, _ = juri
        assert hit_ids(query) == [customer.pk]
        assert jumps_to(query) is None  # a name lists, it never jumps

    def test_a_part_of_a_name_lists_everyone_who_has_it(self, juri: Any) -> None:
        names = [hit.name for hit in customer_search.search(query="ju").hits]
        assert names == ["Jüri Õunapuu", "Mari Juurikas"]

    @pytest.mark.parametrize("query", ["ka", "kask"])  # the 2-character and trigram orders
    def test_names_are_listed_by_name_then_id_and_limited(self, query: str) -> None:
        for name in ["Tiit Kask", "Anne Kask", "Tiit Kask", "Mart Kaskla", "Ülle Kask"]:
            PersonFactory(name=name)
        hits = customer_search.search(query=query, limit=4).hits
        listed = [(hit.name, hit.customer_id) for hit in hits]
        assert listed == sorted(listed) and len(listed) == 4, listed
        assert [name for name, _ in listed] == [
            "Anne Kask",
            "Mart Kaskla",
            "Tiit Kask",
            "Tiit Kask",
        ]

    def test_too_short_a_query_searches_no_names(self, juri: Any) -> None:
        result = customer_search.search(query="j")
        assert (result.hits, result.too_short) == ([], True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index is PostgreSQL's")
class TestIndexes:
    def test_the_name_search_can_use_the_trigram_index(self, juri: Any) -> None:
        from django.db.models import F

        query = (
            Customer.objects.annotate(folded_name=customer_search.Folded(F("name")))
            .filter(folded_name__contains="ounapuu")
            .values_list("pk")
        )
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "customers_customer_name_trgm" in plan, plan
