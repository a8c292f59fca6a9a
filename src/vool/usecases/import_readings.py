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

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

from django.db import transaction

from vool.common.localtime import local_date
from vool.domain.metering import operations
from vool.domain.metering.models import Meter, MeteringImport, Reading
from vool.domain.supply.models import MeteringPoint
from vool.usecases.import_intervals import ImportProblem, RejectedFile
from vool.usecases.submit_reading import reading_policy

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
_LOCAL: Final = re.compile(
    r"(\d{2})\.(\d{2})\.(\d{4})[ T](\d{2}):(\d{2})(?::(\d{2}))?\s*(Z|UTC|[+-]\d{2}:?\d{2})?"
)


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
    m = _LOCAL.fullmatch(t)
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
    return value


def _parse(text: str, name: str) -> tuple[list[_Line], list[ImportProblem]]:
    problems: list[ImportProblem] = []
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";")
    header = next(reader, None) or []
    columns = {
        _COLUMNS[h.strip().lower()]: i
        for i, h in enumerate(header)
        if h.strip().lower() in _COLUMNS
    }
    for key, label in (
        ("eic", "Metering Point EIC"),
        ("read_at", "Read At"),
        ("value", "Value KWH"),
    ):
        if key not in columns:
            problems.append(ImportProblem(name, "line 1", label, "mandatory column is missing"))
    if problems:
        return [], problems
    width = max(columns.values()) + 1
    lines: list[_Line] = []
    for number, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        row = row + [""] * (width - len(row))

        def bad(field: str, message: str, number: int = number) -> None:
            problems.append(ImportProblem(name, f"line {number}", field, message))

        eic = row[columns["eic"]].strip()
        if not eic:
            bad("Metering Point EIC", "is missing")
            continue
        try:
            read_at = _read_at(row[columns["read_at"]])
        except ValueError as exc:
            bad("Read At", f"{row[columns['read_at']].strip()!r} {exc}")
            continue
        raw = row[columns["value"]].strip().replace(",", ".")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            bad("Value KWH", f"{row[columns['value']].strip()!r} is not a number")
            continue
        if not value.is_finite() or value < 0 or value.as_tuple().exponent < -3:  # type: ignore[operator]
            bad(
                "Value KWH", f"{row[columns['value']].strip()!r} is not kWh with at most 3 decimals"
            )
            continue
        register = row[columns["register"]].strip().upper() if "register" in columns else ""
        register = register or "SINGLE"
        if register not in ("SINGLE", "DAY", "NIGHT"):
            bad("Register", f"{register!r} is not SINGLE, DAY or NIGHT")
            continue
        source = row[columns["source"]].strip().upper() if "source" in columns else ""
        source = source or "FILE"
        if source not in _SOURCES:
            bad("Source", f"{source!r} is not one of {', '.join(sorted(_SOURCES))}")
            continue
        serial = row[columns["serial"]].strip() if "serial" in columns else ""
        lines.append(_Line(number, eic, register, read_at, value, serial, source))
    return lines, problems


def import_readings_file(
    *, path: Path, as_of: dt.datetime, created_by: Any = None
) -> ReadingsImported:
    """Import the readings of ``path`` (see the module doc); raises :class:`RejectedFile`."""
    try:
        content = path.read_bytes()
        text = content.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RejectedFile([ImportProblem(str(path), "file", "file", str(exc))]) from exc
    name = path.name
    lines, problems = _parse(text, name)
    if problems:
        raise RejectedFile(problems)
    policy = reading_policy()
    created = known = pending = 0
    with transaction.atomic():
        points = {
            p.eic: p for p in MeteringPoint.objects.filter(eic__in={line.eic for line in lines})
        }
        for line in lines:
            where = f"line {line.line}"
            point = points.get(line.eic)
            if point is None:
                problems.append(
                    ImportProblem(name, where, "Metering Point EIC", f"{line.eic} is unknown")
                )
                continue
            meter = (
                Meter.objects.filter(
                    metering_point=point, installed_date__lte=local_date(line.read_at)
                )
                .order_by("-installed_date")
                .first()
            )
            if meter is None:
                problems.append(ImportProblem(name, where, "Metering Point EIC", "has no meter"))
                continue
            if line.serial and line.serial != meter.serial_number:
                problems.append(
                    ImportProblem(
                        name,
                        where,
                        "Meter Serial",
                        f"{line.eic} has meter {meter.serial_number}, not {line.serial}",
                    )
                )
                continue
            register = meter.registers.filter(kind=line.register).first()
            if register is None:
                problems.append(
                    ImportProblem(
                        name,
                        where,
                        "Register",
                        f"meter {meter.serial_number} has no {line.register}",
                    )
                )
                continue
            try:
                result = operations.submit_reading(
                    register=register,
                    value_kwh=line.value,
                    read_at=line.read_at,
                    source=line.source,
                    as_of=as_of,
                    created_by=created_by,
                    policy=policy,
                )
            except operations.UnableToSubmitReading as exc:
                problems.append(ImportProblem(name, where, "Value KWH", str(exc)))
                continue
            if not result.created:
                known += 1
            else:
                created += 1
                pending += result.reading.status == Reading.Status.PENDING_REVIEW
        if problems:
            transaction.set_rollback(True)
        else:
            MeteringImport.objects.create(
                kind=MeteringImport.Kind.READINGS,
                file_name=name[:255],
                sha256=hashlib.sha256(content).hexdigest(),
                intervals=len(lines),
                as_of=as_of,
                created_by=created_by,
            )
    if problems:
        raise RejectedFile(problems)
    return ReadingsImported(
        lines=len(lines), created=created, already_known=known, pending_review=pending
    )
