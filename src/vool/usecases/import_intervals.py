"""``vool intervals import FILE...``: data hub metering data (JSON or CSV) into interval days.

All files of one call are one import: parsed, checked and stored in one transaction, or
rejected whole with a report naming each bad line (or JSON path) and field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vool.domain.metering.interval_operations import (
    IntervalBatch,
    IntervalImportResult,
    UnableToImportIntervals,
    store_intervals,
)
from vool.integrations.datahub import metering_data

__all__ = ["ImportProblem", "RejectedFile", "import_interval_data", "import_interval_files"]


@dataclass(frozen=True)
class ImportProblem:
    file: str
    location: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.location}, {self.field}: {self.message}"


class RejectedFile(Exception):
    """The import was rejected and nothing stored; ``problems`` says why, line by line."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s); nothing was imported")


def _merge(parts: list[tuple[str, metering_data.MeteringData]]) -> IntervalBatch:
    keys: dict[tuple[str, str, int], int] = {}
    series_index = []
    offsets = []
    total = 0
    for _, data in parts:
        remap = np.array([keys.setdefault(k, len(keys)) for k in data.series], dtype=np.int32)
        series_index.append(remap[data.series_index] if len(data) else data.series_index)
        offsets.append(total)
        total += len(data)

    def locate(row: int) -> str:
        k = int(np.searchsorted(offsets, row, side="right")) - 1
        name, data = parts[k]
        where = data.locate(row - offsets[k])
        return f"{name}: {where}" if len(parts) > 1 else where

    if len(parts) == 1:
        data = parts[0][1]
        return IntervalBatch(
            series=data.series,
            series_index=data.series_index,
            start_s=data.start_s,
            wh=data.wh,
            quality=data.estimated,
            locate=data.locate,
        )
    return IntervalBatch(
        series=list(keys),
        series_index=np.concatenate(series_index),
        start_s=np.concatenate([d.start_s for _, d in parts]),
        wh=np.concatenate([d.wh for _, d in parts]),
        quality=np.concatenate([d.estimated for _, d in parts]),
        locate=locate,
    )


def import_interval_data(
    *,
    files: Sequence[tuple[str, bytes]],
    as_of: dt.datetime,
    recorded_at: dt.datetime | None = None,
    created_by: Any = None,
) -> IntervalImportResult:
    """Import ``(name, content)`` pairs; raises :class:`RejectedFile` with every problem.

    ``as_of`` is the data time the new versions are known since (what bill runs cut off at);
    ``recorded_at`` (default ``as_of``) is when the import ran, for the audit."""
    problems: list[ImportProblem] = []
    parts: list[tuple[str, metering_data.MeteringData]] = []
    digest = hashlib.sha256()
    for name, content in files:
        digest.update(content)
        try:
            parts.append((name, metering_data.parse(content, name=name)))
        except metering_data.InvalidMeteringFile as exc:
            problems.extend(ImportProblem(name, e.location, e.field, e.message) for e in exc.errors)
    if problems:
        raise RejectedFile(problems)
    batch = _merge(parts)
    names = ", ".join(name for name, _ in files)
    try:
        return store_intervals(
            batch=batch,
            as_of=as_of,
            recorded_at=recorded_at,
            file_name=names,
            sha256=digest.hexdigest(),
            created_by=created_by,
        )
    except UnableToImportIntervals as exc:
        file = names if len(files) == 1 else "import"
        raise RejectedFile(
            [ImportProblem(file, p.location, p.field, p.message) for p in exc.problems]
        ) from exc


def import_interval_files(
    *,
    paths: Sequence[Path],
    as_of: dt.datetime,
    recorded_at: dt.datetime | None = None,
    created_by: Any = None,
) -> IntervalImportResult:
    """Read the files and import them together (see :func:`import_interval_data`)."""
    files = []
    problems = []
    for path in paths:
        try:
            files.append((path.name, path.read_bytes()))
        except OSError as exc:
            problems.append(ImportProblem(str(path), "file", "file", exc.strerror or str(exc)))
    if problems:
        raise RejectedFile(problems)
    return import_interval_data(
        files=files, as_of=as_of, recorded_at=recorded_at, created_by=created_by
    )
