"""``vool readings import FILE``: register readings from a CSV file (a call centre's list, a
legacy system's export). All lines or none: every reading goes through
:func:`~vool.domain.metering.operations.submit_reading` with all its rules, and any bad line
rejects the file with a report naming each bad line and field.

The file: ``;``-separated, UTF-8, a header row with the columns ``Metering Point EIC``,
``Read At`` (with its zone: ``02.11.2026 09:00+02:00`` or ISO 8601), ``Value KWH`` (decimal
comma or point), optional ``Register`` (``SINGLE`` (default), ``DAY``, ``NIGHT``), ``Meter
Serial`` (checked when given) and ``Source`` (``FILE`` (default), ``PHONE``, ``BACKOFFICE``,
``MIGRATION``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from django.db import transaction

from vool.common.localtime import local_date
from vool.domain.metering import operations
from vool.domain.metering import queries as metering_queries
from vool.domain.supply import queries as supply_queries
from vool.integrations.safe_input import (
    DOTTED_TIME,
    FIRST_YEAR,
    LAST_YEAR,
    InputLimits,
    UnsafeInput,
    csv_rows,
    cut,
    header_columns,
    parse_decimal,
    shown,
)
from vool.usecases.import_intervals import ImportProblem, RejectedFile, unknown_eics
from vool.usecases.input_limits import import_limits, read_limited
from vool.usecases.submit_reading import reading_policy, reading_value_problem

__all__ = ["ReadingsImported", "RejectedFile", "import_readings_file"]

_COLUMNS: Final = {
    "metering point eic": "eic",
    "meter eic": "eic",
    "register": "register",
    "read at": "read_at",
    "value kwh": "value",
    "meter serial": "serial",
    "source": "source",
}
_SOURCES: Final = {"FILE", "PHONE", "BACKOFFICE", "MIGRATION"}


@dataclass(frozen=True)
class ReadingsImported:
    lines: int
    created: int
    already_known: int
    pending_review: int


@dataclass(frozen=True)
class _Line:
    line: int
    eic: str
    register: str
    read_at: dt.datetime
    value: Decimal
    serial: str
    source: str


def _read_at(text: str) -> dt.datetime:
    t = text.strip()
    m = DOTTED_TIME.fullmatch(t)
    if m is not None:
        day, month, year, hour, minute, second, zone = m.groups()
        zone = (zone or "").replace("UTC", "Z")
        t = f"{year}-{month}-{day}T{hour}:{minute}:{second or '00'}{zone}"
    try:
        value = dt.datetime.fromisoformat(t)
    except ValueError as exc:
        raise ValueError("is not a time such as 02.11.2026 09:00+02:00") from exc
    if value.tzinfo is None:
        raise ValueError("has no time zone, e.g. 02.11.2026 09:00+02:00")
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"is not a time between {FIRST_YEAR} and {LAST_YEAR}")
    return value


@dataclass(frozen=True)
class _Columns:
    index: dict[str, int]

    def get(self, row: list[str], key: str) -> str:
        i = self.index.get(key)
        return row[i].strip() if i is not None and i < len(row) else ""


def _parse_row(columns: _Columns, number: int, row: list[str], name: str) -> _Line | ImportProblem:
    def bad(field: str, message: str) -> ImportProblem:
        return ImportProblem(name, f"line {number}", field, message)

    eic = columns.get(row, "eic")
    if not eic:
        return bad("Metering Point EIC", "is missing")
    read_at_text = columns.get(row, "read_at")
    try:
        read_at = _read_at(read_at_text)
    except ValueError as exc:
        return bad("Read At", f"{shown(read_at_text)} {exc}")
    value_text = columns.get(row, "value")
    try:
        value = parse_decimal(value_text)
    except ValueError as exc:
        return bad("Value KWH", str(exc))
    if reading_value_problem(value) is not None:
        return bad("Value KWH", f"{shown(value_text)} is not kWh with at most 3 decimals")
    register = columns.get(row, "register").upper() or "SINGLE"
    if register not in ("SINGLE", "DAY", "NIGHT"):
        return bad("Register", f"{shown(register)} is not SINGLE, DAY or NIGHT")
    source = columns.get(row, "source").upper() or "FILE"
    if source not in _SOURCES:
        return bad("Source", f"{shown(source)} is not one of {', '.join(sorted(_SOURCES))}")
    return _Line(number, eic, register, read_at, value, columns.get(row, "serial"), source)


@dataclass
class _Parsed:
    lines: list[_Line]
    problems: list[ImportProblem]
    eics: dict[str, int]  # every EIC of the file: the first line it is on


def _parse(text: str, name: str, limits: InputLimits) -> _Parsed:
    parsed = _Parsed([], [], {})
    rows = csv_rows(text, limits)
    try:
        header = next(rows, (1, []))[1]
        columns = _Columns(header_columns(header, _COLUMNS))
        for key, label in (
            ("eic", "Metering Point EIC"),
            ("read_at", "Read At"),
            ("value", "Value KWH"),
        ):
            if key not in columns.index:
                parsed.problems.append(
                    ImportProblem(name, "line 1", label, "mandatory column is missing")
                )
        if parsed.problems:
            return parsed
        for number, row in rows:
            if not any(c.strip() for c in row):
                continue
            eic = columns.get(row, "eic")
            if eic:
                parsed.eics.setdefault(eic, number)
            line = _parse_row(columns, number, row, name)
            if isinstance(line, ImportProblem):
                parsed.problems.append(line)
            else:
                parsed.lines.append(line)
    except UnsafeInput as exc:
        parsed.problems.append(ImportProblem(name, exc.location, exc.field, exc.message))
    return parsed


def _unknown_eics(parsed: _Parsed, name: str) -> list[ImportProblem]:
    return [
        ImportProblem(
            name, f"line {parsed.eics[eic]}", "Metering Point EIC", f"{cut(eic)} is unknown"
        )
        for eic in unknown_eics(parsed.eics)
    ]


def _line_number(problem: ImportProblem) -> int:
    _, _, number = problem.location.partition(" ")
    return int(number) if number.isdigit() else 0


def _registers_of(
    lines: list[_Line], name: str
) -> tuple[list[ImportProblem], list[tuple[_Line, int]]]:
    """The register of each line (its point's meter installed on the reading's day, the
    line's register kind), in three queries for the file; the problems of the lines without
    one."""
    points = supply_queries.point_ids_by_eic(eics={line.eic for line in lines})
    installed = metering_queries.installed_meters(metering_point_ids=points.values())
    registers = installed.registers
    problems: list[ImportProblem] = []
    found: list[tuple[_Line, int]] = []
    for line in lines:
        where = f"line {line.line}"
        point = points.get(line.eic)
        if point is None:
            problems.append(
                ImportProblem(name, where, "Metering Point EIC", f"{cut(line.eic)} is unknown")
            )
            continue
        day = local_date(line.read_at)
        meter = installed.meter_on(point, day)
        if meter is None:
            problems.append(ImportProblem(name, where, "Metering Point EIC", "has no meter"))
            continue
        if line.serial and line.serial != meter.serial_number:
            problems.append(
                ImportProblem(
                    name,
                    where,
                    "Meter Serial",
                    f"{shown(line.eic)} has meter {meter.serial_number}, not {shown(line.serial)}",
                )
            )
            continue
        register = registers.get((meter.pk, line.register))
        if register is None:
            problems.append(
                ImportProblem(
                    name, where, "Register", f"meter {meter.serial_number} has no {line.register}"
                )
            )
            continue
        found.append((line, register))
    return problems, found


def _submit(
    lines: list[_Line], name: str, *, as_of: dt.datetime, created_by: Any
) -> tuple[list[ImportProblem], list[operations.SubmittedReading]]:
    """Every line through :func:`~vool.domain.metering.operations.submit_readings` (all its
    rules, a handful of queries and one INSERT a reading); the problems, or the results."""
    problems, found = _registers_of(lines, name)
    results = operations.submit_readings(
        readings=[
            operations.ReadingToSubmit(register, line.value, line.read_at, line.source)
            for line, register in found
        ],
        as_of=as_of,
        policy=reading_policy(),
        created_by=created_by,
    )
    submitted: list[operations.SubmittedReading] = []
    for (line, _), result in zip(found, results, strict=True):
        if isinstance(result, operations.UnableToSubmitReading):
            problems.append(ImportProblem(name, f"line {line.line}", "Value KWH", str(result)))
        else:
            submitted.append(result)
    return sorted(problems, key=_line_number), submitted


def import_readings_file(
    *, path: Path, as_of: dt.datetime, created_by: Any = None
) -> ReadingsImported:
    """Import the readings of ``path`` (see the module doc); raises :class:`RejectedFile`."""
    name = path.name
    limits = import_limits()
    try:
        content = read_limited(path, limits)
        text = content.decode("utf-8")
    except OSError as exc:
        raise RejectedFile([ImportProblem(str(path), "file", "file", str(exc))]) from exc
    except UnicodeDecodeError as exc:
        raise RejectedFile(
            [ImportProblem(name, "file", "encoding", f"is not UTF-8 ({exc.reason})")]
        ) from exc
    except UnsafeInput as exc:
        raise RejectedFile([ImportProblem(name, exc.location, exc.field, exc.message)]) from exc
    parsed = _parse(text, name, limits)
    lines = parsed.lines
    if parsed.problems:
        found = parsed.problems + _unknown_eics(parsed, name)
        raise RejectedFile(sorted(found, key=_line_number))
    with transaction.atomic():
        problems, submitted = _submit(lines, name, as_of=as_of, created_by=created_by)
        if problems:
            transaction.set_rollback(True)
        else:
            operations.record_readings_import(
                file_name=name,
                sha256=hashlib.sha256(content).hexdigest(),
                lines=len(lines),
                as_of=as_of,
                created_by=created_by,
            )
    if problems:
        raise RejectedFile(problems)
    created = [r.reading for r in submitted if r.created]
    return ReadingsImported(
        lines=len(lines),
        created=len(created),
        already_known=len(submitted) - len(created),
        pending_review=sum(r.status == r.Status.PENDING_REVIEW for r in created),
    )
