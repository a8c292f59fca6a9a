"""Reading files from outside safely: limits, strict JSON, CSV rows, echoed values. Pure: no
Django (the usecases build :class:`InputLimits` from the settings and pass them in).

Every importer reads its bytes through these helpers, so hostile input (a JSON bomb, ``NaN``,
duplicate keys, a 5 MB field, a stray carriage return, a year-0001 date) ends as
:class:`UnsafeInput` naming where and what, never as a traceback:

* :func:`check_size` refuses a file over ``max_file_bytes`` before it is read.
* :func:`load_json` refuses nesting deeper than ``max_json_depth`` (checked on the raw bytes
  before parsing), ``NaN``/``Infinity``, a key given twice in one object (no "last one wins"),
  strings and numbers longer than ``max_field_chars``; numbers come back as ``int`` or
  ``Decimal``, never ``float``.
* :func:`csv_rows` yields ``(line number, fields)``, refusing a carriage return inside a line,
  a NUL character (PostgreSQL text cannot hold one) and a field longer than
  ``max_field_chars``; JSON strings with ``\\u0000`` are refused too.
* :func:`shown` cuts a value for an error message (80 characters and "…").
* :func:`check_year` keeps times within the years :data:`FIRST_YEAR` .. :data:`LAST_YEAR`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import numpy as np

__all__ = [
    "DOTTED_TIME",
    "FIRST_YEAR",
    "LAST_YEAR",
    "SHOWN_CHARS",
    "InputLimits",
    "UnsafeInput",
    "check_size",
    "check_year",
    "csv_rows",
    "cut",
    "header_columns",
    "load_json",
    "parse_decimal",
    "shown",
]

SHOWN_CHARS: Final = 80
# Times outside these years are a typo or an attack, never metering or market data.
FIRST_YEAR: Final = 1990
LAST_YEAR: Final = 2099
_MAX_EXPONENT: Final = 30
# A time as the hub's and our CSV templates write it: dd.mm.yyyy hh:mm[:ss], then an optional
# zone (Z, UTC, +hh:mm). Groups: day, month, year, hour, minute, second, zone.
DOTTED_TIME: Final = re.compile(
    r"(\d{2})\.(\d{2})\.(\d{4})[ T](\d{2}):(\d{2})(?::(\d{2}))?\s*(Z|UTC|[+-]\d{2}:?\d{2})?"
)
_STRING: Final = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS: Final = bytes(b for b in range(256) if b not in b"[]{}")


@dataclass(frozen=True)
class InputLimits:
    """How much of a file an importer accepts (settings ``VOOL_IMPORT_MAX_FILE_BYTES``,
    ``VOOL_IMPORT_MAX_FIELD_CHARS``, ``VOOL_IMPORT_MAX_JSON_DEPTH``)."""

    max_file_bytes: int = 512 * 1024 * 1024
    max_field_chars: int = 4096
    max_json_depth: int = 32


class UnsafeInput(ValueError):
    """The input breaks a limit or is not strict JSON/CSV; ``location`` says where."""

    def __init__(self, location: str, field: str, message: str) -> None:
        self.location = location
        self.field = field
        self.message = message
        super().__init__(f"{location}, {field}: {message}")


def cut(value: object, limit: int = SHOWN_CHARS) -> str:
    """``value`` as text, cut to ``limit`` characters with "…"."""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """``repr`` of ``value`` as text, cut to ``limit`` characters with "…"."""
    return repr(cut(value, limit))


def check_size(size: int, limits: InputLimits) -> None:
    if size > limits.max_file_bytes:
        raise UnsafeInput(
            "file",
            "size",
            f"is {size:,} bytes, larger than the limit of {limits.max_file_bytes:,} bytes "
            "(setting VOOL_IMPORT_MAX_FILE_BYTES)",
        )


def check_year(year: int, text: object) -> None:
    """Raise ``ValueError`` if ``year`` is outside ``FIRST_YEAR`` .. ``LAST_YEAR``."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"{shown(text)} is not a time between {FIRST_YEAR} and {LAST_YEAR}")


def parse_decimal(text: str) -> Decimal:
    """A finite decimal number from ``text`` (decimal comma or point), with a magnitude
    between 1e-30 and 1e30; ``ValueError`` naming the text otherwise."""
    cleaned = text.strip().replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{shown(text.strip())} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{shown(text.strip())} is not a finite number")
    if value and not -_MAX_EXPONENT <= value.adjusted() <= _MAX_EXPONENT:
        raise ValueError(f"{shown(text.strip())} is out of range")
    return value


# --- JSON --------------------------------------------------------------------------------


def json_depth(data: bytes) -> int:
    """How deeply the arrays and objects of ``data`` nest (strings do not count)."""
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    codes = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1)
    return int(np.cumsum(steps).max())


class _Strict:
    """The hooks of :func:`json.loads` that refuse what ``json`` accepts by default."""

    def __init__(self, limits: InputLimits) -> None:
        self.limit = limits.max_field_chars

    def _check_text(self, text: str, what: str) -> None:
        if "\x00" in text:
            raise UnsafeInput(
                "file", "JSON", f"{what} {shown(text)} contains a NUL character (\\u0000)"
            )
        if len(text) > self.limit:
            raise UnsafeInput(
                "file",
                "JSON",
                f"{what} {shown(text)} has {len(text):,} characters, more than the limit of "
                f"{self.limit:,} (setting VOOL_IMPORT_MAX_FIELD_CHARS)",
            )

    def pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise UnsafeInput(
                    "file",
                    "JSON",
                    f"the key {shown(key)} appears twice in one object; each key may appear once",
                )
            self._check_text(key, "the key")
            if isinstance(value, str):
                self._check_text(value, f"the value of {shown(key)}")
            result[key] = value
        return result

    def number(self, text: str) -> Decimal:
        if len(text) > self.limit:
            raise UnsafeInput(
                "file",
                "JSON",
                f"a number with {len(text):,} digits {shown(text)} is longer than the limit of "
                f"{self.limit:,} characters",
            )
        try:
            return parse_decimal(text)
        except ValueError as exc:
            raise UnsafeInput("file", "JSON", str(exc)) from exc

    def integer(self, text: str) -> int:
        return int(self.number(text))

    @staticmethod
    def constant(text: str) -> Any:
        raise UnsafeInput("file", "JSON", f"{text} is not a number; JSON has no {text}")


def load_json(data: bytes | str, limits: InputLimits) -> Any:
    """Parse strict JSON within ``limits`` (see the module doc); :class:`UnsafeInput` if not."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    check_size(len(raw), limits)
    depth = json_depth(raw)
    if depth > limits.max_json_depth:
        raise UnsafeInput(
            "file",
            "JSON",
            f"is nested more than {limits.max_json_depth} levels deep ({depth:,}; setting "
            "VOOL_IMPORT_MAX_JSON_DEPTH)",
        )
    strict = _Strict(limits)
    try:
        return json.loads(
            data,
            object_pairs_hook=strict.pairs,
            parse_float=strict.number,
            parse_int=strict.integer,
            parse_constant=strict.constant,
        )
    except json.JSONDecodeError as exc:
        raise UnsafeInput(
            f"line {exc.lineno}, column {exc.colno}", "JSON", f"does not parse ({exc.msg})"
        ) from exc
    except UnicodeDecodeError as exc:
        raise UnsafeInput("file", "encoding", f"is not UTF-8 ({exc.reason})") from exc
    except RecursionError as exc:
        raise UnsafeInput("file", "JSON", "is nested too deeply to read") from exc


# --- CSV ---------------------------------------------------------------------------------


def _refuse_nul(text: str) -> None:
    at = text.find("\x00")
    if at >= 0:
        line = text.count("\n", 0, at) + 1
        raise UnsafeInput(f"line {line}", "file", "contains a NUL character (byte 0)")


def _without_stray_returns(text: str) -> str:
    """``text`` with CRLF line ends made LF; a carriage return anywhere else is refused."""
    if "\r" not in text:
        return text
    text = text.replace("\r\n", "\n")
    at = text.find("\r")
    if at >= 0:
        line = text.count("\n", 0, at) + 1
        raise UnsafeInput(
            f"line {line}",
            "file",
            "has a carriage return (\\r) inside the line; lines must end with a line feed",
        )
    return text


def csv_rows(
    text: str, limits: InputLimits, *, delimiter: str = ";"
) -> Iterator[tuple[int, list[str]]]:
    """``(line number, fields)`` of each row after the first (the header is row 1 and is
    yielded too, as line 1). Raises :class:`UnsafeInput` on a stray carriage return, a field
    longer than ``max_field_chars`` or CSV that does not parse."""
    text = _without_stray_returns(text.removeprefix("\ufeff"))
    _refuse_nul(text)
    if limits.max_field_chars >= csv.field_size_limit():
        csv.field_size_limit(limits.max_field_chars + 1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise UnsafeInput(
                    f"line {reader.line_num}",
                    "file",
                    f"has a field longer than {csv.field_size_limit():,} characters, more than "
                    f"the limit of {limits.max_field_chars:,} (setting "
                    "VOOL_IMPORT_MAX_FIELD_CHARS)",
                ) from exc
            raise UnsafeInput(f"line {reader.line_num}", "file", f"is not CSV ({exc})") from exc
        for i, value in enumerate(row, start=1):
            if len(value) > limits.max_field_chars:
                raise UnsafeInput(
                    f"line {reader.line_num}",
                    f"field {i}",
                    f"{shown(value)} is {len(value):,} characters long, more than the limit "
                    f"of {limits.max_field_chars:,} (setting VOOL_IMPORT_MAX_FIELD_CHARS)",
                )
        yield reader.line_num, row


def header_columns(header: list[str], labels: Mapping[str, str]) -> dict[str, int]:
    """A CSV header's known columns: ``labels`` maps a column's label (lower case) to its key;
    returns key -> column index (labels compared trimmed and in any letter case; of two
    columns with the same key, the later one counts)."""
    columns: dict[str, int] = {}
    for i, name in enumerate(header):
        key = labels.get(name.strip().lower())
        if key is not None:
            columns[key] = i
    return columns
