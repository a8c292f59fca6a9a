"""SEPA direct debit: the pain.008.001.02 file of the invoices due on a date (valid against
the XSD, õ ä ö ü kept), collected once; the collection arrives on the statement and pays the
invoice; a return with a reason code re-opens it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from lxml import etree

from receivables_factories import (
    AS_OF,
    JURI_IBAN,
    account,
    credit,
    debit,
    issued_invoice,
    our_bank_account,
    statement_file,
)
from vool.domain.receivables import direct_debit, dunning, queries
from vool.domain.receivables.models import DirectDebitItem, DunningHold, Payment
from vool.integrations.bank import pain008
from vool.usecases import direct_debit as collect_usecase
from vool.usecases import import_bank_statement

NS = {"p": pain008.NS}
COLLECT_ON = dt.date(2026, 11, 20)


@pytest.fixture
def creditor_settings(settings) -> None:  # type: ignore[no-untyped-def]
    settings.VOOL_SEPA_CREDITOR_ID = "EE49ZZZ12345678"
    settings.VOOL_SUPPLIER = {
        **settings.VOOL_SUPPLIER,
        "name": "Päikese Elekter OÜ",
        "iban": "EE38 2200 2210 2014 5685",
        "bic": "HABAEE2X",
    }


@pytest.fixture
def book(creditor_settings: None) -> dict[str, int]:
    """Jüri pays by direct debit: invoice 11 due 18 November (21.35), invoice 12 due
    25 November (after the date), invoice 13 disputed. Mari has no mandate."""
    our_bank_account()
    juri, mari = account("10000029"), account("10000016")
    issued_invoice(juri, number=11, gross="21.35", due=dt.date(2026, 11, 18), period="2026-09")
    issued_invoice(juri, number=12, gross="30.00", due=dt.date(2026, 11, 25), period="2026-10")
    disputed = issued_invoice(
        juri, number=13, gross="9.99", due=dt.date(2026, 11, 1), period="2026-08"
    )
    issued_invoice(mari, number=14, gross="40.00", due=dt.date(2026, 11, 18), period="2026-09")
    dunning.add_hold(
        kind=DunningHold.Kind.DISPUTED,
        invoice_id=disputed.pk,
        reason="meter reading disputed",
        by="clerk.anu",
        valid_from=dt.date(2026, 11, 1),
        valid_to=None,
        as_of=AS_OF,
    )
    direct_debit.add_mandate(
        billing_account_id=juri.pk,
        mandate_id="VOOL-M-10000029",
        signed_date=dt.date(2026, 1, 15),
        debtor_name="Jüri Õunapuu",
        debtor_iban=JURI_IBAN,
        by="clerk.anu",
        now=AS_OF,
    )
    return {"juri": juri.pk, "mari": mari.pk}


def _import(path: Path) -> None:
    outcome = import_bank_statement.import_bank_file(path=path, as_of=AS_OF)
    assert not isinstance(outcome, import_bank_statement.RejectedFile), outcome


def _open(account_id: int) -> list[tuple[int, Decimal]]:
    return [
        (o.number, o.open_amount)
        for o in queries.open_invoices(billing_account_ids=[account_id]).get(account_id, [])
    ]


@pytest.mark.django_db
class TestDirectDebit:
    def test_the_file_of_the_invoices_due(self, book: dict[str, int], tmp_path: Path) -> None:
        _import(statement_file(tmp_path / "s.xml", credit("T1", "12.00", reference="10000029")))
        # the 12.00 transfer paid 9.99 of invoice 13 (oldest) and 2.01 of invoice 11
        file = collect_usecase.collect(collection_date=COLLECT_ON, now=AS_OF, by="test")
        assert file is not None
        assert (file.message_id, file.count, file.total) == (
            "VOOL-DD-20261120-1",
            1,
            Decimal("19.34"),
        )
        root = etree.fromstring(file.xml)
        pain008.validate(file.xml, schemas_dir=settings.VOOL_SCHEMAS_DIR)
        tx = root.find(".//p:DrctDbtTxInf", NS)
        assert tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS) == "VOOL-DD-11"
        assert tx.findtext("p:InstdAmt", namespaces=NS) == "19.34"
        assert tx.findtext("p:Dbtr/p:Nm", namespaces=NS) == "Jüri Õunapuu"
        assert tx.findtext(".//p:MndtId", namespaces=NS) == "VOOL-M-10000029"
        assert tx.findtext(".//p:DtOfSgntr", namespaces=NS) == "2026-01-15"
        assert tx.findtext(".//p:Ustrd", namespaces=NS) == "/RFB/10000029/TXT/Arve 11"
        assert root.findtext(".//p:SeqTp", namespaces=NS) == "FRST"
        assert root.findtext(".//p:ReqdColltnDt", namespaces=NS) == "2026-11-20"
        assert root.findtext(".//p:CdtrSchmeId//p:Id/p:PrvtId/p:Othr/p:Id", namespaces=NS) == (
            "EE49ZZZ12345678"
        )
        assert root.findtext(".//p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == "EE382200221020145685"
        assert root.findtext(".//p:Cdtr/p:Nm", namespaces=NS) == "Päikese Elekter OÜ"
        # the same date again: nothing new; a week later invoice 12, as a recurring one
        assert collect_usecase.collect(collection_date=COLLECT_ON, now=AS_OF, by="test") is None
        later = collect_usecase.collect(collection_date=dt.date(2026, 11, 27), now=AS_OF, by="test")
        assert later is not None
        assert etree.fromstring(later.xml).findtext(".//p:SeqTp", namespaces=NS) == "RCUR"
        assert list(
            DirectDebitItem.objects.order_by("pk").values_list("invoice__number", "amount")
        ) == [
            (11, Decimal("19.34")),
            (12, Decimal("30.00")),
        ]

    def test_collected_then_returned(self, book: dict[str, int], tmp_path: Path) -> None:
        out = tmp_path / "dd.xml"
        call_command("bank", "direct-debit", "--date", "2026-11-20", "--out", str(out))
        assert b"VOOL-DD-11" in out.read_bytes()
        _import(
            statement_file(
                tmp_path / "a.xml",
                credit(
                    "DD1",
                    "21.35",
                    reference="10000029",
                    iban=JURI_IBAN,
                    end_to_end_id="VOOL-DD-11",
                    bank_code=("PMNT", "RDDT", "ESDD"),
                    day=COLLECT_ON,
                ),
            )
        )
        assert _open(book["juri"]) == [(13, Decimal("9.99")), (12, Decimal("30.00"))]
        _import(
            statement_file(
                tmp_path / "b.xml",
                debit(
                    "DD1-R",
                    "21.35",
                    end_to_end_id="VOOL-DD-11",
                    return_reason="MD06",
                    bank_code=("PMNT", "RDDT", "UPDD"),
                    day=dt.date(2026, 11, 24),
                ),
                statement_id="STMT-2",
            )
        )
        item = DirectDebitItem.objects.get()
        assert (item.status, item.return_reason) == ("RETURNED", "MD06")
        assert item.returned_by is not None and item.returned_by.kind == "RETURN"
        assert Payment.objects.get().status == Payment.Status.RETURNED
        assert _open(book["juri"]) == [
            (13, Decimal("9.99")),
            (11, Decimal("21.35")),
            (12, Decimal("30.00")),
        ]
        # a returned invoice is not collected again automatically
        again = collect_usecase.collect(collection_date=dt.date(2026, 11, 27), now=AS_OF, by="t")
        assert again is not None and b"VOOL-DD-11" not in again.xml

    def test_no_creditor_id_is_a_clear_error(self, book: dict[str, int], settings) -> None:  # type: ignore[no-untyped-def]
        settings.VOOL_SEPA_CREDITOR_ID = ""
        with pytest.raises(collect_usecase.UnableToCollect, match="VOOL_SEPA_CREDITOR_ID"):
            collect_usecase.collect(collection_date=COLLECT_ON, now=AS_OF, by="test")
        assert not DirectDebitItem.objects.exists()

    def test_a_second_mandate_in_force_is_refused(self, book: dict[str, int]) -> None:
        with pytest.raises(direct_debit.UnableToAddMandate, match="already has a mandate"):
            direct_debit.add_mandate(
                billing_account_id=book["juri"],
                mandate_id="VOOL-M-2",
                signed_date=dt.date(2026, 2, 1),
                debtor_name="Jüri",
                debtor_iban=JURI_IBAN,
                by="clerk",
                now=AS_OF,
            )
