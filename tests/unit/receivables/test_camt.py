"""The camt.053/054 parser on Estonian-style files written from the standard, and its refusals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from vool.common.identifiers import reference_to_rf
from vool.integrations.bank import camt, camt_writer

DATA = Path(__file__).resolve().parents[2] / "data" / "bank"
OURS = "EE382200221020145685"
PAYER = "EE462200221011112222"
DAY = dt.date(2026, 11, 3)
CREATED = dt.datetime(2026, 11, 3, 23, 0, tzinfo=dt.UTC)


def parse(data: bytes) -> camt.Statement:
    return camt.parse(data, schemas_dir=settings.VOOL_SCHEMAS_DIR)


def written(*lines: camt_writer.StatementLine, message: str = camt.CAMT053) -> bytes:
    return camt_writer.write(
        message=message, account_iban=OURS, statement_id="S-1", created_at=CREATED, lines=lines
    )


def line(key: str = "K1", amount: str = "10.00", **kw: object) -> camt_writer.StatementLine:
    return camt_writer.StatementLine(key, Decimal(amount), kw.pop("is_credit", True), DAY, **kw)  # type: ignore[arg-type]


def refused(data: bytes) -> list[str]:
    with pytest.raises(camt.InvalidBankFile) as info:
        parse(data)
    return [str(e) for e in info.value.errors]


class TestEstonianStatement:
    def test_swedbank_statement_gives_every_entry_with_its_reference(self) -> None:
        statement = parse((DATA / "swedbank-camt053.xml").read_bytes())
        assert statement.message == camt.CAMT053
        assert statement.account_iban == OURS
        assert statement.message_id == "SWED20261103STMT0001"
        got = [
            (t.key, t.amount, t.is_credit, t.reference, t.reference_source, t.text)
            for t in statement.transactions
        ]
        assert got == [
            ("2026110300001", Decimal("30.00"), True, "10000016", "Strd", ""),
            ("2026110300002", Decimal("15.00"), True, "10000029", "RFB", "Arve 12 tasumine"),
            ("2026110300003", Decimal("20.00"), True, "10000032", "RF", ""),
            ("2026110300004", Decimal("12.34"), True, "", "", "elekter oktoober, arve 5"),
            ("2026110300005", Decimal("0.50"), False, "", "", ""),
        ]
        first = statement.transactions[0]
        assert (first.counterparty_name, first.counterparty_iban) == ("Mari Maasikas", PAYER)
        assert first.end_to_end_id == "E2E-MM-1"
        assert first.booking_date == first.value_date == DAY
        assert statement.transactions[1].counterparty_name == "Jüri Õunapuu"
        assert statement.transactions[4].bank_transaction_code == "ACMT/MDOP/FEES"

    def test_notification_is_read_like_a_statement(self) -> None:
        statement = parse((DATA / "swedbank-camt054.xml").read_bytes())
        assert statement.message == camt.CAMT054
        assert [t.key for t in statement.transactions] == ["2026110300001"]

    def test_rf_reference_in_the_structured_field_carries_the_estonian_one(self) -> None:
        data = written(line(reference=reference_to_rf("10000016")))
        (tx,) = parse(data).transactions
        assert (tx.reference, tx.reference_source) == ("10000016", "Strd")

    def test_rfb_without_text(self) -> None:
        (tx,) = parse(written(line(reference="10000016", structured=False))).transactions
        assert (tx.reference, tx.reference_source, tx.text) == ("10000016", "RFB", "")

    def test_reversal_and_returned_direct_debit(self) -> None:
        data = written(
            line("R1", is_credit=False, is_reversal=True, iban=PAYER, name="Mari"),
            line("R2", is_credit=False, return_reason="MD06", bank_code=("PMNT", "RDDT", "UPDD")),
        )
        first, second = parse(data).transactions
        assert first.is_reversal and not first.is_credit
        assert first.counterparty_iban == PAYER  # the original payer (Dbtr)
        assert second.return_reason == "MD06"
        assert second.bank_transaction_code == "PMNT/RDDT/UPDD"

    def test_pending_entry_is_reported_not_booked(self) -> None:
        (tx,) = parse(written(line(status="PDNG"))).transactions
        assert not tx.is_booked

    def test_same_bytes_same_checksum(self) -> None:
        data = (DATA / "swedbank-camt053.xml").read_bytes()
        assert parse(data).sha256 == parse(data).sha256 != parse(data + b"\n").sha256


class TestRefusals:
    def test_malformed_xml(self) -> None:
        errors = refused(b"<Document><BkToCstmrStmt></Document>")
        assert "not well-formed XML" in errors[0]
        assert "line 1" in errors[0]

    def test_truncated_file(self) -> None:
        data = (DATA / "swedbank-camt053.xml").read_bytes()
        errors = refused(data[: len(data) // 2])
        assert "not well-formed XML" in errors[0]
        assert "truncated" in errors[0]

    def test_empty_file(self) -> None:
        assert "empty" in refused(b"  \n")[0]

    def test_xxe_is_refused_and_nothing_is_read(self, tmp_path: Path) -> None:
        secret = tmp_path / "secret.txt"
        secret.write_text("TOP-SECRET")
        data = (
            f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&x;</Document>'
        ).encode()
        errors = refused(data)
        assert "DOCTYPE" in errors[0]
        assert "TOP-SECRET" not in " ".join(errors)

    def test_billion_laughs_is_refused(self) -> None:
        entities = "".join(
            f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
        )
        data = (
            f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY l0 "ha">{entities}]>'
            "<Document>&l9;</Document>"
        ).encode()
        assert "DOCTYPE" in refused(data)[0]

    def test_doctype_after_a_long_comment_is_refused_too(self) -> None:
        data = (
            b'<?xml version="1.0"?><!--' + b"x" * 5000 + b'--><!DOCTYPE d [<!ENTITY a "b">]>'
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>'
        )
        assert "DOCTYPE" in refused(data)[0]

    def test_another_message_type(self) -> None:
        data = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"/>'
        assert "not a camt.053.001.02 or camt.054.001.02 document" in refused(data)[0]

    def test_schema_violation_names_the_element(self) -> None:
        data = written(line()).replace(
            b"<CdtDbtInd>CRDT</CdtDbtInd>", b"<CdtDbtInd>IN</CdtDbtInd>", 1
        )
        errors = refused(data)
        assert any("CdtDbtInd" in e and "not valid camt.053.001.02" in e for e in errors)

    def test_wrong_currency(self) -> None:
        entry = b'<Amt Ccy="EUR">10.00</Amt>\n        <CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>'
        data = written(line("K7", "10.00")).replace(entry, entry.replace(b"EUR", b"USD"))
        errors = refused(data)
        assert errors[0].startswith("entry 1 (AcctSvcrRef K7), Ntry/Amt/@Ccy")
        assert "USD" in errors[0]

    def test_three_decimals(self) -> None:
        data = written(line("K8", "10.00")).replace(b">10.00</Amt>", b">10.005</Amt>")
        errors = refused(data)
        assert any(
            e.startswith("entry 1 (AcctSvcrRef K8), Ntry/Amt") and "more than two decimals" in e
            for e in errors
        )

    def test_wrong_check_digit_in_the_structured_reference(self) -> None:
        errors = refused(written(line("K9"), line("K10", reference="10000017")))
        assert len(errors) == 1
        assert errors[0].startswith("entry 2 (AcctSvcrRef K10), RmtInf/Strd/CdtrRefInf/Ref")
        assert "wrong check digit (expected 6)" in errors[0]

    def test_wrong_check_digit_in_the_rfb_form(self) -> None:
        errors = refused(written(line("K11", reference="10000017", text="arve")))
        assert errors[0].startswith("entry 1 (AcctSvcrRef K11), RmtInf/Ustrd /RFB/")

    def test_wrong_rf_check_digits(self) -> None:
        errors = refused(written(line("K12", reference="RF0010000016")))
        assert "RF reference RF0010000016 has wrong check digits" in errors[0]

    def test_bad_payer_iban(self) -> None:
        errors = refused(written(line("K13", iban="EE462200221011112223")))
        assert errors[0].startswith("entry 1 (AcctSvcrRef K13), RltdPties/DbtrAcct/Id/IBAN")

    def test_same_bank_reference_twice_in_one_file(self) -> None:
        errors = refused(written(line("K14"), line("K14")))
        assert "K14 appears twice" in errors[0]

    def test_rf_like_text_with_bad_check_digits_is_free_text(self) -> None:
        (tx,) = parse(written(line(text="RF0010000016"))).transactions
        assert (tx.reference, tx.text) == ("", "RF0010000016")


def test_an_echoed_value_is_cut() -> None:
    """Found by the fuzz suite: lxml's message echoes a 64 kB namespace of the file."""
    data = b'<?xml version="1.0"?>\n<Document xmlns:' + b"9" * 64_000 + b'="x"/>'
    with pytest.raises(camt.InvalidBankFile) as caught:
        parse(data)
    (error,) = caught.value.errors
    assert error.field == "XML"
    assert error.message.startswith("not well-formed XML")
    assert len(error.message) <= camt.MESSAGE_CHARS
    assert len(str(caught.value)) < 400
