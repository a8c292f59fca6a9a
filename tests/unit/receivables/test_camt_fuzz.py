"""Whatever bytes arrive, the parser returns a statement or refuses in words
(:class:`InvalidBankFile`), never with a traceback."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from vool.integrations.bank import camt, camt_writer

VALID = camt_writer.write(
    account_iban="EE382200221020145685",
    statement_id="F-1",
    created_at=dt.datetime(2026, 11, 3, 22, tzinfo=dt.UTC),
    lines=[
        camt_writer.StatementLine(
            "F1",
            Decimal("30.00"),
            True,
            dt.date(2026, 11, 3),
            name="Mari",
            iban="EE462200221011112222",
            reference="10000016",
        ),
        camt_writer.StatementLine(
            "F2", Decimal("5.00"), True, dt.date(2026, 11, 3), reference="10000029", text="arve 7"
        ),
        camt_writer.StatementLine(
            "F3",
            Decimal("30.00"),
            False,
            dt.date(2026, 11, 3),
            is_reversal=True,
            iban="EE462200221011112222",
        ),
    ],
)


def parse_or_refuse(data: bytes) -> None:
    try:
        camt.parse(data, schemas_dir=settings.VOOL_SCHEMAS_DIR)
    except camt.InvalidBankFile as exc:
        assert exc.errors and all(str(e) for e in exc.errors)


@hsettings(max_examples=150, deadline=None)
@given(
    at=st.integers(min_value=0, max_value=len(VALID) - 1),
    length=st.integers(min_value=0, max_value=40),
    insert=st.binary(max_size=40),
)
def test_spliced_bytes_are_refused_in_words(at: int, length: int, insert: bytes) -> None:
    parse_or_refuse(VALID[:at] + insert + VALID[at + length :])


@hsettings(max_examples=60, deadline=None)
@given(
    text=st.text(max_size=30), at=st.sampled_from([b"<Ustrd>", b"<Nm>", b"<AcctSvcrRef>", b"<Ref>"])
)
def test_any_text_in_a_field(text: str, at: bytes) -> None:
    from xml.sax.saxutils import escape

    parse_or_refuse(VALID.replace(at, at + escape(text).encode(), 1))


def test_comments_and_processing_instructions_inside_an_entry() -> None:
    data = VALID.replace(b"<Ntry>", b"<Ntry><!-- note --><?pi x?>", 1).replace(
        b"<Refs>", b"<Refs><!-- c -->", 1
    )
    statement = camt.parse(data, schemas_dir=settings.VOOL_SCHEMAS_DIR)
    assert statement.transactions[0].key == "F1"
