"""The legacy CIS's extract format: its files, columns, encodings, dates and numbers. Pure: no
Django. Described for people in ``docs/legacy-extract.md``.

Every file is ``;``-separated CSV with a header row, in windows-1257 (the old system's own
tables) or UTF-8 with a byte-order mark (its newer exports); dates are ``dd.mm.yyyy``, months
``mm.yyyy``, numbers have a decimal comma. ``MANIFEST.csv`` lists every file with its
encoding, row count and a control total; lines starting with ``#`` before its header say what
the extract is (``# kind=full`` or ``# kind=delta``, ``# seed=``, ``# extract_date=``).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

CP1257 = "cp1257"
UTF8_BOM = "utf-8-sig"
MANIFEST = "MANIFEST.csv"
MANIFEST_COLUMNS = ("FAIL", "KODEERING", "READ", "KONTROLLVALI", "KONTROLLSUMMA")


@dataclass(frozen=True)
class FileSpec:
    entity: str
    file_name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]  # the columns that make the row's old key
    encoding: str
    control_column: str = ""  # summed into the manifest's control total


def key_of(spec: FileSpec) -> Callable[[Sequence[str]], str]:
    """A row's old key in ``spec``'s file: its key columns stripped, joined by ``/``. The
    columns' positions are found once, for a file's rows."""
    at = [spec.columns.index(column) for column in spec.key]
    if len(at) == 1:
        only = at[0]
        return lambda values: values[only].strip()
    if len(at) == 2:  # a bill line's (bill, line): a third of an extract's rows
        first, second = at
        return lambda values: f"{values[first].strip()}/{values[second].strip()}"
    return lambda values: "/".join([values[i].strip() for i in at])


FILES: tuple[FileSpec, ...] = (
    FileSpec(
        "customers",
        "KLIENDID.csv",
        (
            "KLIENT_ID",
            "TYYP",
            "ISIKUKOOD",
            "REG_KOOD",
            "KMKR",
            "EESNIMI",
            "PERENIMI",
            "NIMI",
            "EPOST",
            "TELEFON",
            "KEEL",
            "AADRESS_ID",
        ),
        ("KLIENT_ID",),
        CP1257,
    ),
    FileSpec(
        "addresses",
        "AADRESSID.csv",
        ("AADRESS_ID", "TANAV", "LINN", "POSTIINDEKS"),
        ("AADRESS_ID",),
        CP1257,
    ),
    FileSpec(
        "accounts",
        "LEPINGUKONTOD.csv",
        ("KONTO_ID", "KLIENT_ID", "VIITENUMBER", "ARVE_KANAL", "AVATUD"),
        ("KONTO_ID",),
        CP1257,
    ),
    FileSpec(
        "points",
        "MOOTEPUNKTID.csv",
        (
            "MP_ID",
            "EIC",
            "VORGUETTEVOTJA",
            "AADRESS_ID",
            "KORTER",
            "PEAKAITSE_A",
            "VORGUPAKETT",
            "KAUGLOENTUD",
        ),
        ("MP_ID",),
        CP1257,
    ),
    FileSpec(
        "meters",
        "ARVESTID.csv",
        ("ARVESTI_ID", "MP_ID", "SEERIANR", "NUMBRIKOHTI", "KORDAJA", "PAIGALDATUD"),
        ("ARVESTI_ID",),
        UTF8_BOM,
    ),
    FileSpec(
        "registers",
        "REGISTRID.csv",
        ("REGISTER_ID", "ARVESTI_ID", "OBIS"),
        ("REGISTER_ID",),
        UTF8_BOM,
    ),
    FileSpec(
        "products",
        "TOOTED.csv",
        ("TOOTE_KOOD", "NIMETUS", "HIND_S_KWH"),
        ("TOOTE_KOOD",),
        CP1257,
    ),
    FileSpec(
        "contracts",
        "LEPINGUD.csv",
        ("LEPING_ID", "KONTO_ID", "MP_ID", "TOOTE_KOOD", "ALGUS", "LOPP", "ROHELINE"),
        ("LEPING_ID",),
        CP1257,
    ),
    FileSpec(
        "readings",
        "NAIDUD.csv",
        ("NAIT_ID", "REGISTER_ID", "KUUPAEV", "NAIT_KWH"),
        ("NAIT_ID",),
        UTF8_BOM,
        "NAIT_KWH",
    ),
    FileSpec(
        "interval_totals",
        "INTERVALLID.csv",
        ("MP_ID", "KUU", "KWH"),
        ("MP_ID", "KUU"),
        UTF8_BOM,
        "KWH",
    ),
    FileSpec(
        "bills",
        "ARVED.csv",
        (
            "ARVE_NR",
            "KONTO_ID",
            "PERIOOD",
            "ARVE_KP",
            "MAKSE_TAHTAEG",
            "KWH",
            "SUMMA_KM_TA",
            "KM",
            "SUMMA",
        ),
        ("ARVE_NR",),
        UTF8_BOM,
        "SUMMA",
    ),
    FileSpec(
        "bill_lines",
        "ARVE_READ.csv",
        ("ARVE_NR", "RIDA", "KIRJELDUS", "KOGUS", "UHIK", "UHIKU_HIND", "SUMMA"),
        ("ARVE_NR", "RIDA"),
        UTF8_BOM,
        "SUMMA",
    ),
    FileSpec(
        "open_items",
        "AVATUD_KANDED.csv",
        ("KANNE_ID", "KONTO_ID", "ARVE_NR", "TAHTAEG", "SUMMA"),
        ("KANNE_ID",),
        CP1257,
        "SUMMA",
    ),
    FileSpec("balances", "SALDOD.csv", ("KONTO_ID", "SALDO"), ("KONTO_ID",), CP1257, "SALDO"),
    FileSpec(
        "agreements",
        "KOKKULEPPED.csv",
        ("KOKKULEPE_ID", "KONTO_ID", "LIIK", "PANK_BIC", "IBAN", "ALGUS"),
        ("KOKKULEPE_ID",),
        CP1257,
    ),
)
#: the files a shadow run needs besides the history (an extract without them still loads;
#: the shadow run then names what is missing): one month of 15-minute interval data of the
#: remote-read points (a local day a row: its 92, 96 or 100 quarter-hour kWh values with three
#: decimals, separated by spaces), that month's day-ahead prices (start in UTC,
#: ``dd.mm.yyyy hh:mm``), and the old products' price list — the prices the legacy bills used
#: (EUR/kWh without VAT, a margin for an exchange-price product, the green-energy add-on).
#: Loaded into metering and tariffs by :mod:`vool.domain.legacy.shadow_data`, not staged.
SHADOW_FILES: tuple[FileSpec, ...] = (
    FileSpec(
        "intervals",
        "VEERANDTUNNID.csv",
        ("MP_ID", "KUUPAEV", "KWH_15MIN"),
        ("MP_ID", "KUUPAEV"),
        UTF8_BOM,
    ),
    FileSpec(
        "market_prices",
        "BORSIHINNAD.csv",
        ("ALGUS_UTC", "MINUTID", "HIND_EUR_MWH"),
        ("ALGUS_UTC",),
        UTF8_BOM,
        "HIND_EUR_MWH",
    ),
    FileSpec(
        "price_list",
        "HINNAKIRI.csv",
        (
            "TOOTE_KOOD",
            "ALGUS",
            "LOPP",
            "HIND_KWH",
            "PAEV_KWH",
            "OO_KWH",
            "MARGINAAL_KWH",
            "KUUTASU",
            "ROHELINE_KWH",
        ),
        ("TOOTE_KOOD", "ALGUS"),
        CP1257,
    ),
)
SPECS = {spec.entity: spec for spec in FILES + SHADOW_FILES}


class UnreadableExtract(ValueError):
    """The extract as a whole cannot be read (a file missing, unreadable, or not what the
    manifest says); nothing is loaded. The message names the file and line."""


# --- values -------------------------------------------------------------------------------


def format_date(value: dt.date | None) -> str:
    return "" if value is None else value.strftime("%d.%m.%Y")


def parse_date(text: str) -> dt.date:
    """``dd.mm.yyyy``; ``ValueError`` saying what was expected."""
    try:
        day, month, year = text.strip().split(".")
        if len(day) != 2 or len(month) != 2 or len(year) != 4:
            raise ValueError
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(f"{text!r} is not a date dd.mm.yyyy") from None


def format_month(year: int, month: int) -> str:
    return f"{month:02d}.{year:04d}"


def parse_month(text: str) -> tuple[int, int]:
    """``mm.yyyy`` as ``(year, month)``."""
    try:
        month, year = text.strip().split(".")
        if len(month) != 2 or len(year) != 4 or not 1 <= int(month) <= 12:
            raise ValueError
        return int(year), int(month)
    except ValueError:
        raise ValueError(f"{text!r} is not a month mm.yyyy") from None


def format_decimal(value: Decimal) -> str:
    return format(value, "f").replace(".", ",")


def parse_decimal(text: str) -> Decimal:
    """A number with a decimal comma (``1234,56``); a point or a thousands separator is not
    the old system's format and is refused."""
    cleaned = text.strip()
    if not cleaned or "." in cleaned or " " in cleaned:
        raise ValueError(f"{text!r} is not a number with a decimal comma")
    try:
        value = Decimal(cleaned.replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number with a decimal comma") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not a finite number")
    return value


def fingerprint(values: Sequence[str]) -> str:
    """A short digest of a row's values: a changed row has another fingerprint."""
    return hashlib.sha1("\x1f".join(values).encode(), usedforsecurity=False).hexdigest()


# --- files --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Manifest:
    kind: str  # "full" or "delta"
    meta: dict[str, str]
    rows: dict[str, int]  # file name -> data rows
    encodings: dict[str, str]
    control_totals: dict[str, Decimal]
    digest: str = ""  # of the manifest's bytes: which extract a load run read


def write_file(directory: Path, spec: FileSpec, rows: Iterable[Sequence[str]]) -> int:
    """Write one extract file; returns the number of data rows."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(spec.columns)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    (directory / spec.file_name).write_bytes(buffer.getvalue().encode(spec.encoding))
    return count


def write_manifest(
    directory: Path, *, meta: dict[str, str], counts: dict[str, int], totals: dict[str, Decimal]
) -> None:
    buffer = io.StringIO(newline="")
    for key, value in meta.items():
        buffer.write(f"# {key}={value}\r\n")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(MANIFEST_COLUMNS)
    for spec in FILES + SHADOW_FILES:
        if spec.entity not in counts:
            continue
        writer.writerow(
            (
                spec.file_name,
                "UTF-8-BOM" if spec.encoding == UTF8_BOM else "WINDOWS-1257",
                counts[spec.entity],
                spec.control_column,
                format_decimal(totals[spec.entity]) if spec.control_column else "",
            )
        )
    (directory / MANIFEST).write_bytes(buffer.getvalue().encode(UTF8_BOM))


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data:
        raise UnreadableExtract(f"{path.name}: contains a NUL byte; not a text file")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnreadableExtract(
                f"{path.name}: has a UTF-8 byte-order mark but byte {exc.start + 3} is not UTF-8"
            ) from exc
    try:
        return data.decode(CP1257)
    except UnicodeDecodeError as exc:
        raise UnreadableExtract(
            f"{path.name}: byte {exc.start} is not windows-1257 (and the file has no UTF-8 "
            "byte-order mark)"
        ) from exc


def read_manifest(directory: Path) -> Manifest:
    path = directory / MANIFEST
    if not path.is_file():
        raise UnreadableExtract(f"{directory}: no {MANIFEST}; not a legacy extract")
    lines = _decode(path).splitlines()
    digest = hashlib.sha1(path.read_bytes(), usedforsecurity=False).hexdigest()
    meta = {}
    while lines and lines[0].startswith("#"):
        key, _, value = lines.pop(0)[1:].strip().partition("=")
        meta[key.strip()] = value.strip()
    reader = csv.reader(lines, delimiter=";")
    header = next(reader, None)
    if header is None or tuple(header) != MANIFEST_COLUMNS:
        raise UnreadableExtract(f"{MANIFEST}: the header must be {';'.join(MANIFEST_COLUMNS)}")
    rows, encodings, totals = {}, {}, {}
    for number, row in enumerate(reader, start=len(meta) + 2):
        if len(row) != len(MANIFEST_COLUMNS):
            raise UnreadableExtract(f"{MANIFEST} line {number}: expected 5 fields")
        try:
            rows[row[0]] = int(row[2])
            if row[3]:
                totals[row[0]] = parse_decimal(row[4])
        except ValueError as exc:
            raise UnreadableExtract(f"{MANIFEST} line {number}: {exc}") from exc
        encodings[row[0]] = row[1]
    missing = [spec.file_name for spec in FILES if spec.file_name not in rows]
    if missing:
        raise UnreadableExtract(f"{MANIFEST}: does not list {', '.join(missing)}")
    kind = meta.get("kind", "full")
    if kind not in ("full", "delta"):
        raise UnreadableExtract(f"{MANIFEST}: kind must be full or delta, not {kind!r}")
    return Manifest(kind, meta, rows, encodings, totals, digest)


@dataclass(slots=True, weakref_slot=True)
class Row:
    """A data row of a file: its line number and its fields as read. Not frozen: tens of
    millions are made in a load, and a frozen dataclass takes twice as long to make."""

    line: int
    values: tuple[str, ...]


def read_file(directory: Path, spec: FileSpec, manifest: Manifest) -> list[Row]:
    """The data rows of one file, checked against the manifest's count and control total
    (a difference means a truncated or altered extract: :class:`UnreadableExtract`)."""
    return list(iter_rows(directory, spec, manifest))


def iter_rows(directory: Path, spec: FileSpec, manifest: Manifest) -> Iterator[Row]:
    """The data rows of one file, read as a stream (a file of any size in little memory);
    the manifest's count and control total are checked when the last row has been read, so a
    caller that writes rows as they come does so in a transaction the error rolls back."""
    path = directory / spec.file_name
    if not path.is_file():
        raise UnreadableExtract(f"{spec.file_name}: missing (the manifest lists it)")
    with path.open("rb") as raw:
        bom = raw.read(3) == b"\xef\xbb\xbf"
        raw.seek(3 if bom else 0)
        text = io.TextIOWrapper(raw, encoding="utf-8" if bom else CP1257, newline="")
        try:
            yield from _rows(spec, csv.reader(_lines(path, text), delimiter=";"), manifest)
        except UnicodeDecodeError:
            raise _undecodable(path) from None


def _lines(path: Path, text: io.TextIOWrapper) -> Iterator[str]:
    """The file's lines; a NUL byte, the unit separator (which joins a staged row's fields)
    or the record separator (which joins a staged block's rows) refuses the file. Checked
    here, once per line, not once per field."""
    for number, line in enumerate(text, start=1):
        if "\x00" in line:
            raise UnreadableExtract(f"{path.name}: contains a NUL byte; not a text file")
        for character, name in _SEPARATORS:
            if character in line:
                raise UnreadableExtract(
                    f"{path.name} line {number}: a field holds the control character "
                    f"U+{ord(character):04X} ({name})"
                )
        yield line


#: what joins a staged row's fields and a staged block's rows (``legacy.models``): never in a field
UNIT_SEPARATOR, RECORD_SEPARATOR = "\x1f", "\x1e"
_SEPARATORS = ((UNIT_SEPARATOR, "unit separator"), (RECORD_SEPARATOR, "record separator"))


def _rows(spec: FileSpec, reader: Any, manifest: Manifest) -> Iterator[Row]:
    header = next(reader, None)
    if header is None or tuple(header) != spec.columns:
        raise UnreadableExtract(
            f"{spec.file_name} line 1: the header must be {';'.join(spec.columns)}"
        )
    width, count = len(spec.columns), 0
    at = spec.columns.index(spec.control_column) if spec.control_column else -1
    total = Decimal(0)
    for values in reader:
        if len(values) != width:
            raise UnreadableExtract(
                f"{spec.file_name} line {reader.line_num}: {len(values)} fields, expected {width}"
            )
        if at >= 0:
            total += _control_value(values[at])
        count += 1
        yield Row(reader.line_num, tuple(values))
    expected = manifest.rows[spec.file_name]
    if count != expected:
        raise UnreadableExtract(
            f"{spec.file_name}: {count} rows, the manifest says {expected}; "
            "the extract is incomplete"
        )
    if at >= 0:
        _check_control_total(spec, total, manifest)


def _control_value(text: str) -> Decimal:
    try:
        return parse_decimal(text)
    except ValueError:
        return Decimal(0)  # a bad number is a row's error, reported by the validation


def _undecodable(path: Path) -> UnreadableExtract:
    """The error naming the first byte the file's encoding cannot read (found again block by
    block: the stream's decoder knows only its position in its last block)."""
    with path.open("rb") as raw:
        bom = raw.read(3) == b"\xef\xbb\xbf"
        offset = 3 if bom else 0
        raw.seek(offset)
        decoder = codecs.getincrementaldecoder("utf-8" if bom else CP1257)()
        while block := raw.read(1 << 20):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return _decode_error(path, bom, offset + exc.start)
            offset += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return _decode_error(path, bom, offset + exc.start)
    return UnreadableExtract(f"{path.name}: cannot be decoded")


def _decode_error(path: Path, bom: bool, at: int) -> UnreadableExtract:
    if bom:
        return UnreadableExtract(
            f"{path.name}: has a UTF-8 byte-order mark but byte {at} is not UTF-8"
        )
    return UnreadableExtract(
        f"{path.name}: byte {at} is not windows-1257 (and the file has no UTF-8 byte-order mark)"
    )


def _check_control_total(spec: FileSpec, total: Decimal, manifest: Manifest) -> None:
    expected = manifest.control_totals.get(spec.file_name)
    if expected is not None and total != expected:
        raise UnreadableExtract(
            f"{spec.file_name}: {spec.control_column} sums to {format_decimal(total)}, the "
            f"manifest says {format_decimal(expected)}; the extract is incomplete or altered"
        )
