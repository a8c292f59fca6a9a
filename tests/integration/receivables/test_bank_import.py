"""`vool bank import`: Estonian-style statements from file to ledger (matching, allocation,
suspense, reversals) and the refusals, with nothing stored from a refused file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from receivables_factories import (
    AS_OF,
    DAY,
    JURI_IBAN,
    MARI_IBAN,
    PAIKE_IBAN,
    STRANGER_IBAN,
    account,
    credit,
    debit,
    issued_invoice,
    our_bank_account,
    statement_file,
)
from vool.domain.ledger import queries as ledger_queries
from vool.domain.ledger.models import LedgerTransaction
from vool.domain.receivables import queries
from vool.domain.receivables.allocation import OpenInvoice
from vool.domain.receivables.models import (
    Allocation,
    BankDebit,
    InvoiceSettlement,
    Payment,
    StatementFile,
)
from vool.integrations.bank import camt
from vool.usecases import import_bank_statement
from vool.usecases.import_bank_statement import RejectedFile

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[2] / "data" / "bank"
OCT_DUE = dt.date(2026, 10, 20)
NOV_DUE = dt.date(2026, 11, 20)


def run(path: Path) -> import_bank_statement.FileImported:
    return import_bank_statement.import_bank_file(path=path, as_of=AS_OF, imported_by="tester")


def balance(billing_account_id: int) -> Decimal:
    return ledger_queries.receivable_balance(billing_account_id=billing_account_id)


def open_amounts(billing_account_id: int) -> list[tuple[int, Decimal]]:
    invoices: list[OpenInvoice] = queries.open_invoices(
        billing_account_ids=[billing_account_id]
    ).get(billing_account_id, [])
    return [(i.number, i.open_amount) for i in invoices]


def nothing_stored() -> bool:
    return not (
        StatementFile.objects.exists()
        or Payment.objects.exists()
        or BankDebit.objects.exists()
        or Allocation.objects.exists()
        or LedgerTransaction.objects.filter(kind="PAYMENT").exists()
    )


@pytest.fixture
def accounts() -> dict[str, int]:
    our_bank_account()
    mari, juri, paike = account("10000016"), account("10000029"), account("10000032")
    issued_invoice(mari, number=1, gross="30.00", due=OCT_DUE)
    issued_invoice(juri, number=2, gross="40.00", due=OCT_DUE)
    issued_invoice(paike, number=3, gross="20.00", due=OCT_DUE)
    issued_invoice(paike, number=5, gross="12.34", due=NOV_DUE)
    return {"mari": mari.pk, "juri": juri.pk, "paike": paike.pk}


class TestEstonianStatement:
    def test_structured_rfb_and_rf_references_are_allocated_unknown_goes_to_suspense(
        self, accounts: dict[str, int]
    ) -> None:
        imported = run(DATA / "swedbank-camt053.xml")
        r = imported.result
        assert (r.new_payments, r.allocated, r.suspense, r.new_debits) == (4, 3, 1, 1)
        # structured reference: Mari's invoice is paid in full
        assert balance(accounts["mari"]) == Decimal("0.00")
        assert open_amounts(accounts["mari"]) == []
        # /RFB/ form: Jüri paid 15 of 40 (a partial payment)
        assert balance(accounts["juri"]) == Decimal("25.00")
        assert open_amounts(accounts["juri"]) == [(2, Decimal("25.00"))]
        # RF reference: the oldest of the two invoices is paid first
        assert open_amounts(accounts["paike"]) == [(5, Decimal("12.34"))]
        # no reference: in suspense, suggested by the invoice number in the text
        (item,) = queries.suspense_queue()
        assert item.payment.payer_name == "Tundmatu Maksja"
        assert item.unallocated == Decimal("12.34")
        assert [s.reference_number for s in item.suggestions] == ["10000032"]
        assert "invoice number" in item.suggestions[0].why
        # the bank fee is a debit for review, not a payment
        assert r.unmatched_debits == ["2026110300005 0.50"]
        totals = queries.payment_totals()
        assert (totals.received, totals.allocated, totals.suspense) == (
            Decimal("77.34"),
            Decimal("65.00"),
            Decimal("12.34"),
        )
        assert totals.balanced
        assert ledger_queries.unbalanced_transactions() == []

    def test_overpayment_stays_as_credit_balance(
        self, accounts: dict[str, int], tmp_path: Path
    ) -> None:
        run(statement_file(tmp_path / "s.xml", credit("P1", "50.00", reference="10000016")))
        assert balance(accounts["mari"]) == Decimal("-20.00")
        assert open_amounts(accounts["mari"]) == []
        settled = InvoiceSettlement.objects.get()
        assert settled.amount == Decimal("30.00")

    def test_one_payment_for_two_invoices(self, accounts: dict[str, int], tmp_path: Path) -> None:
        run(statement_file(tmp_path / "s.xml", credit("P1", "32.34", reference="10000032")))
        assert balance(accounts["paike"]) == Decimal("0.00")
        assert open_amounts(accounts["paike"]) == []
        assert sorted(InvoiceSettlement.objects.values_list("invoice__number", "amount")) == [
            (3, Decimal("20.00")),
            (5, Decimal("12.34")),
        ]
        # one ledger transaction for the payment, cash against receivable
        (tx,) = LedgerTransaction.objects.filter(kind="PAYMENT")
        assert sorted((p.account, p.amount) for p in tx.postings.all()) == [
            ("CASH", Decimal("32.34")),
            ("RECEIVABLE", Decimal("-32.34")),
        ]

    def test_unknown_reference_goes_to_suspense(
        self, accounts: dict[str, int], tmp_path: Path
    ) -> None:
        run(statement_file(tmp_path / "s.xml", credit("P1", "9.00", reference="77777777")))
        payment = Payment.objects.get()
        assert payment.status == Payment.Status.SUSPENSE
        assert payment.reference == "77777777"
        # on the ledger as cash against suspense, on no billing account
        (tx,) = LedgerTransaction.objects.filter(kind="PAYMENT")
        assert tx.billing_account_id is None
        assert (tx.document_type, tx.document_id) == ("receivables.Payment", payment.pk)
        assert sorted((p.account, p.amount) for p in tx.postings.all()) == [
            ("CASH", Decimal("9.00")),
            ("SUSPENSE", Decimal("-9.00")),
        ]
        assert ledger_queries.suspense_balance() == Decimal("9.00")

    def test_duplicate_file_adds_nothing(self, accounts: dict[str, int]) -> None:
        run(DATA / "swedbank-camt053.xml")
        again = run(DATA / "swedbank-camt053.xml")
        assert again.result.duplicate_file
        assert Payment.objects.count() == 4
        assert StatementFile.objects.count() == 1
        assert balance(accounts["mari"]) == Decimal("0.00")

    def test_notification_then_statement_is_one_payment(self, accounts: dict[str, int]) -> None:
        first = run(DATA / "swedbank-camt054.xml").result
        assert (first.new_payments, first.allocated) == (1, 1)
        second = run(DATA / "swedbank-camt053.xml").result
        assert (second.new_payments, second.known_payments) == (3, 1)
        assert Payment.objects.filter(entry_key="2026110300001").count() == 1
        assert balance(accounts["mari"]) == Decimal("0.00")  # not paid twice
        assert StatementFile.objects.count() == 2

    def test_reversal_takes_the_payment_back_and_reopens_the_invoice(
        self, accounts: dict[str, int], tmp_path: Path
    ) -> None:
        run(
            statement_file(
                tmp_path / "a.xml",
                credit("P1", "30.00", reference="10000016", iban=MARI_IBAN, name="Mari Maasikas"),
            )
        )
        assert balance(accounts["mari"]) == Decimal("0.00")
        later = dt.date(2026, 11, 4)
        result = run(
            statement_file(
                tmp_path / "b.xml",
                debit("R1", "30.00", is_reversal=True, iban=MARI_IBAN, day=later),
                statement_id="STMT-2",
            )
        ).result
        assert result.reversed_payments == 1
        payment = Payment.objects.get(entry_key="P1")
        assert payment.status == Payment.Status.RETURNED
        assert balance(accounts["mari"]) == Decimal("30.00")
        assert open_amounts(accounts["mari"]) == [(1, Decimal("30.00"))]
        # off Mari's account into suspense, and out of suspense to the bank on the debit's day
        back, out = LedgerTransaction.objects.filter(kind="REFUND").order_by("id")
        assert (back.billing_account_id, back.posted_date) == (accounts["mari"], DAY)
        assert sorted((p.account, p.amount) for p in back.postings.all()) == [
            ("RECEIVABLE", Decimal("30.00")),
            ("SUSPENSE", Decimal("-30.00")),
        ]
        assert (out.billing_account_id, out.posted_date) == (None, later)
        assert sorted((p.account, p.amount) for p in out.postings.all()) == [
            ("CASH", Decimal("-30.00")),
            ("SUSPENSE", Decimal("30.00")),
        ]
        assert ledger_queries.suspense_balance() == Decimal("0.00")
        assert ledger_queries.account_totals()["CASH"] == Decimal("0.00")
        assert BankDebit.objects.get(entry_key="R1").payment == payment
        assert queries.payment_totals().balanced

    def test_returned_direct_debit_reopens_the_invoice(
        self, accounts: dict[str, int], tmp_path: Path
    ) -> None:
        collected = credit(
            "DD1",
            "40.00",
            reference="10000029",
            iban=JURI_IBAN,
            end_to_end_id="DD-2026-10-2",
            bank_code=("PMNT", "RDDT", "ESDD"),
        )
        run(statement_file(tmp_path / "a.xml", collected))
        assert balance(accounts["juri"]) == Decimal("0.00")
        returned = debit(
            "DD1-R",
            "40.00",
            end_to_end_id="DD-2026-10-2",
            return_reason="AM04",
            bank_code=("PMNT", "RDDT", "UPDD"),
            day=dt.date(2026, 11, 6),
        )
        run(statement_file(tmp_path / "b.xml", returned, statement_id="STMT-2"))
        debit_row = BankDebit.objects.get()
        assert (debit_row.kind, debit_row.return_reason) == ("RETURN", "AM04")
        assert balance(accounts["juri"]) == Decimal("40.00")
        assert open_amounts(accounts["juri"]) == [(2, Decimal("40.00"))]
        assert Payment.objects.get().status == Payment.Status.RETURNED

    def test_reversal_in_the_same_file_as_the_payment(
        self, accounts: dict[str, int], tmp_path: Path
    ) -> None:
        run(
            statement_file(
                tmp_path / "a.xml",
                credit("P1", "20.00", reference="10000032", iban=PAIKE_IBAN),
                debit("R1", "20.00", is_reversal=True, iban=PAIKE_IBAN),
            )
        )
        assert balance(accounts["paike"]) == Decimal("32.34")
        assert queries.payment_totals().refunded == Decimal("20.00")


class TestRefusals:
    def test_unknown_statement_iban(self, accounts: dict[str, int], tmp_path: Path) -> None:
        path = statement_file(tmp_path / "s.xml", credit("P1", "5.00"), iban=STRANGER_IBAN)
        with pytest.raises(RejectedFile) as info:
            run(path)
        assert "EE471000001020145685 is not one of the retailer's bank accounts" in str(
            info.value.problems[0]
        )
        assert nothing_stored()

    def test_wrong_check_digit_refuses_the_whole_file(
        self, accounts: dict[str, int], tmp_path: Path
    ) -> None:
        path = statement_file(
            tmp_path / "s.xml",
            credit("P1", "30.00", reference="10000016"),
            credit("P2", "30.00", reference="10000017"),
        )
        with pytest.raises(RejectedFile) as info:
            run(path)
        (problem,) = info.value.problems
        assert str(problem).startswith(f"{path}: entry 2 (AcctSvcrRef P2) (line ")
        assert "RmtInf/Strd/CdtrRefInf/Ref" in str(problem)
        assert nothing_stored()

    @pytest.mark.parametrize(
        ("mangle", "expected"),
        [
            (lambda b: b[: len(b) // 2], "not well-formed XML"),
            (lambda b: b.replace(b">30.00</Amt>", b">30.001</Amt>"), "more than two decimals"),
            (lambda b: b.replace(b'Ccy="EUR">30.00', b'Ccy="SEK">30.00'), "currency 'SEK'"),
            (
                lambda b: b.replace(
                    b"?>", b'?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1
                ),
                "DOCTYPE",
            ),
        ],
        ids=["truncated", "three-decimals", "currency", "xxe"],
    )
    def test_bad_file_stores_nothing(
        self, accounts: dict[str, int], tmp_path: Path, mangle: object, expected: str
    ) -> None:
        good = statement_file(tmp_path / "good.xml", credit("P1", "30.00", reference="10000016"))
        bad = tmp_path / "bad.xml"
        bad.write_bytes(mangle(good.read_bytes()))  # type: ignore[operator]
        with pytest.raises(RejectedFile) as info:
            run(bad)
        assert any(expected in str(p) for p in info.value.problems)
        assert nothing_stored()


def test_statement_checksum_is_the_files(tmp_path: Path) -> None:
    path = statement_file(tmp_path / "s.xml", credit("P1", "1.00"))
    parsed = camt.parse(
        path.read_bytes(),
        schemas_dir=Path(__import__("django.conf").conf.settings.VOOL_SCHEMAS_DIR),
    )
    statement = import_bank_statement.to_statement(parsed, file_name="s.xml")
    assert statement.entry_count == 1
    assert statement.lines[0].amount == Decimal("1.00")
