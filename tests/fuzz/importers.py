"""The importers the fuzz suite drives, each with a strategy for valid input.

To add an importer (bank statements, legacy extracts, data hub V2, ...), append one
:class:`Importer` to :data:`IMPORTERS`: a name, a strategy that draws a valid file (or argv),
how to run it through its real command, and the tables it writes. ``test_fuzz_importers``
then mutates its valid files with :mod:`fuzz.mutations` and checks every result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import models
from hypothesis import strategies as st

from vool.common.identifiers import make_reference_number
from vool.common.localtime import TALLINN
from vool.domain.ledger.models import LedgerTransaction, Posting
from vool.domain.metering.models import IntervalCorrection, IntervalDay, MeteringImport, Reading
from vool.domain.receivables import operations as receivables_operations
from vool.domain.receivables.models import (
    Allocation,
    BankDebit,
    InvoiceSettlement,
    Payment,
    StatementFile,
)
from vool.domain.tariffs.models import MarketPrice
from vool.integrations.bank import camt, camt_writer

SMART_EIC = "38ZEE-00625607-9"  # a 15-minute remote-read point
MANUAL_EIC = "38ZEE-00742330-T"  # a manual point with a SINGLE register (last read 1000 kWh)
INTERVALS_AS_OF = "2026-12-31T00:00+02:00"
READINGS_AS_OF = "2026-11-03T12:00+02:00"
METERING_TABLES: tuple[type[models.Model], ...] = (
    IntervalDay,
    IntervalCorrection,
    MeteringImport,
    Reading,
)


@dataclass(frozen=True)
class Importer:
    """One importer under fuzzing. ``valid`` draws valid content (bytes) for a file named
    ``file_name``; ``argv(path, content)`` gives the command's arguments for it; ``tables``
    are the models it writes (their row counts must not change when it refuses)."""

    name: str
    file_name: str
    valid: st.SearchStrategy[bytes]
    argv: Callable[[Path, bytes], Sequence[str]]
    tables: tuple[type[models.Model], ...]
    text_mutations_only: bool = False  # argv content: no bytes that a shell could not pass


@dataclass
class Counts:
    """What happened to one importer's examples (printed at the end of the run)."""

    examples: int = 0
    imported: int = 0
    refused: int = 0
    tracebacks: int = 0
    partial_writes: int = 0
    failures: list[str] = field(default_factory=list)


COUNTS: dict[str, Counts] = {}


# --- valid content ---------------------------------------------------------------------------

_QUARTER = dt.timedelta(minutes=15)
_FIRST_QUARTER = dt.datetime(2026, 10, 20, 22, 0, tzinfo=dt.UTC)  # 21 October 00:00 local


def _kwh() -> st.SearchStrategy[Decimal]:
    return st.integers(min_value=0, max_value=2000).map(lambda wh: Decimal(wh).scaleb(-3))


@st.composite
def _quarters(draw: st.DrawFn) -> list[tuple[dt.datetime, Decimal, str]]:
    first = draw(st.integers(min_value=0, max_value=14 * 96))
    count = draw(st.integers(min_value=1, max_value=12))
    return [
        (
            _FIRST_QUARTER + (first + i) * _QUARTER,
            draw(_kwh()),
            draw(st.sampled_from(["M", "E"])),
        )
        for i in range(count)
    ]


def _intervals_json(quarters: list[tuple[dt.datetime, Decimal, str]]) -> bytes:
    items = ",".join(
        f'{{"pS":"{t:%Y-%m-%dT%H:%M:%S}.000Z","outQty":{{"rType":"{r}","kwh":{kwh}}}}}'
        for t, kwh, r in quarters
    )
    return f'{{"meterEic":"{SMART_EIC}","periods":[{{"r":"PT15M","aI":[{items}]}}]}}'.encode()


def _local(t: dt.datetime) -> str:
    local = t.astimezone(TALLINN)
    offset = local.strftime("%z")
    return f"{local:%d.%m.%Y %H:%M}{offset[:3]}:{offset[3:]}"


def _intervals_csv(quarters: list[tuple[dt.datetime, Decimal, str]]) -> bytes:
    rows = ["Meter EIC;Period Start;Resolution;Quantity KWH OUT;Reading Type OUT"]
    rows += [
        f"{SMART_EIC};{_local(t)};15 MINUTES;{str(kwh).replace('.', ',')};"
        f"{'METERED' if r == 'M' else 'ESTIMATED'}"
        for t, kwh, r in quarters
    ]
    return ("\n".join(rows) + "\n").encode()


@st.composite
def _v2_intervals(draw: st.DrawFn) -> list[tuple[dt.datetime, Decimal, Decimal, str]]:
    """Quarter hours of a prosumer: ``(start, OUT kWh, IN kWh, rType)``."""
    return [(t, out, draw(_kwh()), r) for t, out, r in draw(_quarters())]


def _v2_interval(t: dt.datetime, out: Decimal, inn: Decimal, r: str, *, offset: bool) -> str:
    ps = t.astimezone(TALLINN).isoformat() if offset else f"{t:%Y-%m-%dT%H:%M:%S}.000Z"
    net_out, net_in = max(out - inn, Decimal(0)), max(inn - out, Decimal(0))
    return (
        f'{{"pS":"{ps}","rTime":"2026-11-20T07:00:00+02:00",'
        f'"inQty":{{"rType":"{r}","kwh":{inn}}},"outQty":{{"rType":"{r}","kwh":{out}}},'
        + (
            f'"netQtyIn":{net_in},"netQtyOut":{net_out}}}'
            if offset
            else f'"netInQty":{net_in},"netOutQty":{net_out}}}'
        )
    )


@st.composite
def _intervals_v2_json(draw: st.DrawFn) -> bytes:
    """V2 metering data in one of the hub's documented shapes (ESTONIA.md §6)."""
    quarters = draw(_v2_intervals())
    direct = draw(st.booleans())
    items = ",".join(_v2_interval(*q, offset=direct) for q in quarters)
    periods = f"[{items}]" if direct else f'[{{"r":"PT15M","aI":[{items}]}}]'
    point = f'{{"meteringPointEic":"{SMART_EIC}","periods":{periods}}}'
    shape = draw(st.sampled_from(["array", "get", "page"]))
    if shape == "array":
        return f"[{point}]".encode()
    if shape == "get":
        error = (
            '{"meteringPointEic":"38ZEE-1000009--Z","error":{"id":"e1","message":"No access",'
            '"code":"ACCESS_DENIED","args":[],"traceId":"t1"}}'
        )
        return f'{{"successful":[{point}],"unsuccessful":[{error}]}}'.encode()
    return (
        f'{{"content":[{{"id":1,"createdTime":"2026-11-20T07:00:00+02:00",'
        f'"reason":"METERING_DATA_CHANGED","content":[{point}]}}]}}'
    ).encode()


def _kwh_comma(value: Decimal) -> str:
    return str(value).replace(".", ",")


@st.composite
def _intervals_csv_2026(draw: st.DrawFn) -> bytes:
    """The hub's current template: local Tallinn times without a zone, net columns."""
    rows = [
        "Metering Point EIC;Period Start;IN Quantity kWh;OUT Quantity kWh;NET IN Quantity kWh;"
        "NET OUT Quantity kWh;Reading Type IN;Reading Type OUT"
    ]
    for t, out, inn, r in draw(_v2_intervals()):
        kind = "METERED" if r == "M" else "ESTIMATED"
        net_out, net_in = max(out - inn, Decimal(0)), max(inn - out, Decimal(0))
        rows.append(
            f"{SMART_EIC};{t.astimezone(TALLINN):%d.%m.%Y %H:%M};{_kwh_comma(inn)};"
            f"{_kwh_comma(out)};{_kwh_comma(net_in)};{_kwh_comma(net_out)};{kind};{kind}"
        )
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1257"]))
    return ("\r\n".join(rows) + "\r\n").encode(encoding)


_PRICE = st.integers(min_value=-500_000, max_value=4_000_000).map(lambda m: Decimal(m).scaleb(-3))
_FIRST_HOUR = dt.datetime(2025, 9, 1, 0, 0, tzinfo=dt.UTC)  # hourly prices until October 2025


@st.composite
def _hours(draw: st.DrawFn) -> list[tuple[dt.datetime, Decimal]]:
    first = draw(st.integers(min_value=0, max_value=20 * 24))
    count = draw(st.integers(min_value=2, max_value=12))
    return [(_FIRST_HOUR + dt.timedelta(hours=first + i), draw(_PRICE)) for i in range(count)]


def _prices_json(hours: list[tuple[dt.datetime, Decimal]]) -> bytes:
    rows = ",".join(f'{{"timestamp":{int(t.timestamp())},"price":{p}}}' for t, p in hours)
    return f'{{"success":true,"data":{{"ee":[{rows}],"fi":[]}}}}'.encode()


def _prices_csv(hours: list[tuple[dt.datetime, Decimal]]) -> bytes:
    rows = [
        '"Ajatempel (UTC)";"Kuupäev (Eesti aeg)";"NPS Läti";"NPS Leedu";"NPS Soome";"NPS Eesti"'
    ]
    rows += [
        f'"{int(t.timestamp())}";"{t.astimezone(TALLINN):%d.%m.%Y %H:%M}";"1";"1";"1";'
        f'"{str(p).replace(".", ",")}"'
        for t, p in hours
    ]
    return ("\n".join(rows) + "\n").encode()


@st.composite
def _readings(draw: st.DrawFn) -> bytes:
    read_at = dt.datetime(2026, 10, 31, 8, 0, tzinfo=TALLINN) + dt.timedelta(
        minutes=draw(st.integers(min_value=0, max_value=2 * 24 * 60))
    )
    value = Decimal(draw(st.integers(min_value=1_000_000, max_value=1_400_000))).scaleb(-3)
    source = draw(st.sampled_from(["PHONE", "FILE", "BACKOFFICE", ""]))
    rows = [
        "Metering Point EIC;Register;Read At;Value KWH;Source",
        f"{MANUAL_EIC};SINGLE;{read_at:%d.%m.%Y %H:%M}+02:00;{str(value).replace('.', ',')};"
        f"{source}",
    ]
    return ("\n".join(rows) + "\n").encode()


_SUBMIT_VALUE = st.integers(min_value=1_000_000, max_value=1_400_000).map(
    lambda wh: f"SINGLE={Decimal(wh).scaleb(-3)}".encode()
)


def _file_argv(command: str, *extra: str) -> Callable[[Path, bytes], Sequence[str]]:
    def argv(path: Path, content: bytes) -> Sequence[str]:
        return [*command.split(), str(path), *extra]

    return argv


def _submit_argv(path: Path, content: bytes) -> Sequence[str]:
    value = content.decode("utf-8", "replace")
    return ["readings", "submit", MANUAL_EIC, value, "--as-of", READINGS_AS_OF]


OUR_IBAN = "EE382200221020145685"  # the retailer's bank account the statements are for
_PAYER_IBANS = ("EE462200221011112222", "EE437700771003334444")
BANK_TABLES: tuple[type[models.Model], ...] = (
    StatementFile,
    Payment,
    Allocation,
    InvoiceSettlement,
    BankDebit,
    LedgerTransaction,
    Posting,
)


@st.composite
def _bank_line(draw: st.DrawFn, key: str) -> camt_writer.StatementLine:
    amount = Decimal(draw(st.integers(min_value=1, max_value=10_000_000))).scaleb(-2)
    reference = draw(
        st.one_of(
            st.just(""),
            st.integers(min_value=1000, max_value=99_999_999).map(make_reference_number),
        )
    )
    return camt_writer.StatementLine(
        key,
        amount,
        draw(st.booleans()),
        dt.date(2026, 11, 3) + dt.timedelta(days=draw(st.integers(min_value=0, max_value=30))),
        name=draw(st.sampled_from(["", "Mari Maasikas", "Jüri Õun"])),
        iban=draw(st.sampled_from(("", *_PAYER_IBANS))),
        reference=reference,
        text=draw(st.sampled_from(["", "arve 1001", "elekter"])),
        structured=draw(st.booleans()),
        end_to_end_id=draw(st.sampled_from(["", f"E2E-{key}"])),
    )


@st.composite
def _camt(draw: st.DrawFn) -> bytes:
    count = draw(st.integers(min_value=1, max_value=6))
    return camt_writer.write(
        message=draw(st.sampled_from([camt.CAMT053, camt.CAMT054])),
        account_iban=OUR_IBAN,
        statement_id=f"FUZZ-{draw(st.integers(min_value=1, max_value=999))}",
        created_at=dt.datetime(2026, 12, 3, 22, 0, tzinfo=dt.UTC),
        lines=[draw(_bank_line(f"F{i}")) for i in range(count)],
    )


def _bank_argv(path: Path, content: bytes) -> Sequence[str]:
    """``vool bank import``: the statement's account must be one of ours, so it is configured
    here, inside the example's savepoint (the schemas come from ``VOOL_SCHEMAS_DIR``)."""
    receivables_operations.add_bank_account(iban=OUR_IBAN, name="Fuzz bank")
    return ["bank", "import", str(path)]


IMPORTERS: tuple[Importer, ...] = (
    Importer(
        "intervals-json",
        "hub.json",
        _quarters().map(_intervals_json),
        _file_argv("intervals import", "--as-of", INTERVALS_AS_OF),
        METERING_TABLES,
    ),
    Importer(
        "intervals-csv",
        "hub.csv",
        _quarters().map(_intervals_csv),
        _file_argv("intervals import", "--as-of", INTERVALS_AS_OF),
        METERING_TABLES,
    ),
    Importer(
        "intervals-v2-json",
        "hub-v2.json",
        _intervals_v2_json(),
        _file_argv("intervals import", "--as-of", INTERVALS_AS_OF),
        METERING_TABLES,
    ),
    Importer(
        "intervals-csv-2026",
        "hub-2026.csv",
        _intervals_csv_2026(),
        _file_argv("intervals import", "--as-of", INTERVALS_AS_OF),
        METERING_TABLES,
    ),
    Importer(
        "prices-json",
        "prices.json",
        _hours().map(_prices_json),
        _file_argv("prices import"),
        (MarketPrice,),
    ),
    Importer(
        "prices-csv",
        "prices.csv",
        _hours().map(_prices_csv),
        _file_argv("prices import"),
        (MarketPrice,),
    ),
    Importer(
        "readings-csv",
        "readings.csv",
        _readings(),
        _file_argv("readings import", "--as-of", READINGS_AS_OF),
        METERING_TABLES,
    ),
    Importer(
        "readings-submit",
        "value.txt",
        _SUBMIT_VALUE,
        _submit_argv,
        METERING_TABLES,
        text_mutations_only=True,
    ),
    Importer("bank-camt", "statement.xml", _camt(), _bank_argv, BANK_TABLES),
)
