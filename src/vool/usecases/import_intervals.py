"""``vool intervals import FILE...``: data hub metering data (JSON or CSV) into interval days.

All files of one call are one import: parsed, checked and stored in one transaction, or
rejected whole with a report naming each bad line (or JSON path) and field. A file with bad
values is also checked for EICs that are not ours, so one report names both. Files are read
within the limits of :mod:`vool.usecases.input_limits`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import itertools
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from vool.domain.metering.interval_operations import (
    IntervalBatch,
    IntervalImportResult,
    NetBatch,
    UnableToImportIntervals,
    store_intervals,
)
from vool.domain.supply import queries as supply_queries
from vool.integrations.datahub import metering_data
from vool.integrations.safe_input import InputLimits, UnsafeInput, check_size, cut
from vool.usecases import forked, parse_pool
from vool.usecases.input_limits import import_limits, read_limited

__all__ = [
    "ImportProblem",
    "IntervalImportReport",
    "PageImport",
    "RejectedFile",
    "import_interval_data",
    "import_interval_file_pages",
    "import_interval_files",
    "import_interval_pages",
    "unknown_eics",
]


@dataclass(frozen=True)
class ImportProblem:
    file: str
    location: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.location}, {self.field}: {self.message}"


@dataclass(frozen=True)
class IntervalImportReport(IntervalImportResult):
    """What was stored, plus what the files said but was not stored: the points the hub
    could not give (its ``unsuccessful`` answers, ``not_given``, for the operator to ask for
    again). ``net_intervals`` counts the net values read and stored (net OUT and net IN on
    the consumption rows)."""

    not_given: tuple[ImportProblem, ...] = ()
    net_intervals: int = 0


class RejectedFile(Exception):
    """The import was rejected and nothing stored; ``problems`` says why, line by line (the
    first ones, when the list was cut: ``total`` counts them all)."""

    def __init__(self, problems: list[ImportProblem], *, total: int | None = None) -> None:
        self.problems = problems
        self.total = max(len(problems), total or 0)
        super().__init__(f"{self.total} problem(s); nothing was imported")


def unknown_eics(eics: Iterable[str]) -> list[str]:
    """The EICs among ``eics`` that are not metering points of ours, sorted."""
    names = set(eics)
    known = supply_queries.point_ids_by_eic(eics=names)
    return sorted(eic for eic in names if eic not in known)


def _unknown_eics(name: str, eics: dict[str, str]) -> list[ImportProblem]:
    """Problems for the EICs of a rejected file that are not metering points of ours."""
    return [
        ImportProblem(name, eics[eic], "EIC", f"{cut(eic)} is not a metering point of ours")
        for eic in unknown_eics(eics)
    ]


def _net_batch(
    parts: list[tuple[str, metering_data.MeteringData]], keys: dict[tuple[str, str, int], int]
) -> NetBatch | None:
    """The net rows of all parts, their series mapped to the point's OUT series in ``keys``
    (added when the file gave no gross OUT for the point)."""
    nets = [(name, data.net) for name, data in parts if data.net is not None and len(data.net)]
    if not nets:
        return None
    index, is_out, offsets = [], [], []
    total = 0
    for _, net in nets:
        remap = np.array(
            [keys.setdefault((eic, "OUT", minutes), len(keys)) for eic, _, minutes in net.series],
            dtype=np.int32,
        )
        out = np.array([direction == "OUT" for _, direction, _ in net.series], dtype=bool)
        index.append(remap[net.series_index])
        is_out.append(out[net.series_index])
        offsets.append(total)
        total += len(net)

    def locate(row: int) -> str:
        k = int(np.searchsorted(offsets, row, side="right")) - 1
        name, net = nets[k]
        where = net.locate(row - offsets[k])
        return f"{name}: {where}" if len(parts) > 1 else where

    return NetBatch(
        series_index=np.concatenate(index),
        start_s=np.concatenate([net.start_s for _, net in nets]),
        wh=np.concatenate([net.wh for _, net in nets]),
        is_out=np.concatenate(is_out),
        locate=locate,
    )


def _merge(parts: list[tuple[str, metering_data.MeteringData]]) -> IntervalBatch:
    if len(parts) == 1:
        data = parts[0][1]
        single = {k: i for i, k in enumerate(data.series)}
        net = _net_batch(parts, single)
        return IntervalBatch(
            series=list(single),
            series_index=data.series_index,
            start_s=data.start_s,
            wh=data.wh,
            quality=data.estimated,
            locate=data.locate,
            net=net,
        )
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
        return f"{name}: {data.locate(row - offsets[k])}"

    net = _net_batch(parts, keys)
    return IntervalBatch(
        series=list(keys),
        series_index=np.concatenate(series_index),
        start_s=np.concatenate([d.start_s for _, d in parts]),
        wh=np.concatenate([d.wh for _, d in parts]),
        quality=np.concatenate([d.estimated for _, d in parts]),
        locate=locate,
        net=net,
    )


def _problems(parsed: parse_pool.Parsed) -> tuple[list[ImportProblem], int]:
    """The problems of a refused file, with its EICs that are not ours, and their total."""
    name = parsed.name
    problems = [ImportProblem(name, e.location, e.field, e.message) for e in parsed.errors]
    unknown = _unknown_eics(name, parsed.eics)
    return problems + unknown, parsed.total + len(unknown)


def import_interval_data(
    *,
    files: Sequence[tuple[str, bytes]],
    as_of: dt.datetime,
    recorded_at: dt.datetime | None = None,
    created_by: Any = None,
    limits: InputLimits | None = None,
) -> IntervalImportReport:
    """Import ``(name, content)`` pairs; raises :class:`RejectedFile` with every problem.

    ``as_of`` is the data time the new versions are known since (what bill runs cut off at);
    ``recorded_at`` (default ``as_of``) is when the import ran, for the audit."""
    limits = limits or import_limits()
    parsed = [parse_pool.parse(name, content, limits) for name, content in files]
    return _store_parsed(
        parsed,
        digest=parsed[0].sha256 if len(parsed) == 1 else _digest(c for _, c in files),
        as_of=as_of,
        recorded_at=recorded_at,
        created_by=created_by,
    )


def _digest(contents: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for content in contents:
        digest.update(content)
    return digest.hexdigest()


def _store_parsed(
    parsed: list[parse_pool.Parsed],
    *,
    digest: str,
    as_of: dt.datetime,
    recorded_at: dt.datetime | None,
    created_by: Any,
) -> IntervalImportReport:
    """Store the parsed files as one import, or raise :class:`RejectedFile`."""
    problems: list[ImportProblem] = []
    total = 0
    parts: list[tuple[str, metering_data.MeteringData]] = []
    for one in parsed:
        if one.data is not None:
            parts.append((one.name, one.data))
            continue
        found, count = _problems(one)
        problems.extend(found)
        total += count
    if problems:
        raise RejectedFile(problems, total=total)
    batch = _merge(parts)
    names = ", ".join(one.name for one in parsed)
    try:
        result = store_intervals(
            batch=batch,
            as_of=as_of,
            recorded_at=recorded_at,
            file_name=names,
            sha256=digest,
            created_by=created_by,
        )
    except UnableToImportIntervals as exc:
        file = names if len(parsed) == 1 else "import"
        raise RejectedFile(
            [ImportProblem(file, p.location, p.field, p.message) for p in exc.problems],
            total=exc.total,
        ) from exc
    return IntervalImportReport(
        **dataclasses.asdict(result),
        not_given=tuple(
            ImportProblem(name, e.location, e.eic, str(e).removeprefix(f"{e.eic}: "))
            for name, data in parts
            for e in data.hub_errors
        ),
        net_intervals=sum(len(data.net) for _, data in parts if data.net is not None),
    )


class PageImport(NamedTuple):
    """One page of :func:`import_interval_pages`: what was stored, or why it was refused."""

    name: str
    report: IntervalImportReport | None
    rejected: RejectedFile | None


def import_interval_pages(
    *,
    pages: Iterable[tuple[str, bytes]],
    as_of: dt.datetime,
    recorded_at: dt.datetime | None = None,
    created_by: Any = None,
    limits: InputLimits | None = None,
    overlap: bool = True,
) -> Iterator[PageImport]:
    """Import each ``(name, content)`` page as an import of its own, in its own transaction,
    in order, yielding each one's outcome as it is stored (a refused page stores nothing and
    the next pages go on). Re-importing a page stores nothing twice (its days are unchanged),
    so an import that was killed is finished by running it again.

    With ``overlap`` and more than one page, the next page is parsed in a forked process
    (:mod:`.parse_pool`) while this one is stored here: on two cores the wall time is about
    the larger of parsing and storing, not their sum."""
    limits = limits or import_limits()
    stored = dict(as_of=as_of, recorded_at=recorded_at, created_by=created_by)
    iterator = iter(pages)
    head = list(itertools.islice(iterator, 2))
    if not overlap or len(head) < 2:
        for name, content in itertools.chain(head, iterator):
            yield _page(parse_pool.parse(name, content, limits), **stored)
        return
    # forked, not spawned: a spawned process takes seconds to import what this one has
    with forked.forked_pool(1) as pool:
        first, following = head
        pending: Future[parse_pool.Parsed] | None = pool.submit(
            parse_pool.parse, *following, limits
        )
        parsed = parse_pool.parse(*first, limits)  # while the worker parses the second
        while pending is not None:
            upcoming = next(iterator, None)
            yield _page(parsed, **stored)
            parsed = pending.result()
            pending = (
                pool.submit(parse_pool.parse, *upcoming, limits) if upcoming is not None else None
            )
        yield _page(parsed, **stored)


def _page(parsed: parse_pool.Parsed, **stored: Any) -> PageImport:
    try:
        report = _store_parsed([parsed], digest=parsed.sha256, **stored)
    except RejectedFile as exc:
        return PageImport(parsed.name, None, exc)
    return PageImport(parsed.name, report, None)


def import_interval_files(
    *,
    paths: Sequence[Path],
    as_of: dt.datetime,
    recorded_at: dt.datetime | None = None,
    created_by: Any = None,
) -> IntervalImportReport:
    """Read the files and import them together (see :func:`import_interval_data`)."""
    limits = import_limits()
    files = []
    problems = []
    for path in paths:
        try:
            files.append((path.name, read_limited(path, limits)))
        except OSError as exc:
            problems.append(ImportProblem(str(path), "file", "file", exc.strerror or str(exc)))
        except UnsafeInput as exc:
            problems.append(ImportProblem(path.name, exc.location, exc.field, exc.message))
    if problems:
        raise RejectedFile(problems)
    return import_interval_data(
        files=files, as_of=as_of, recorded_at=recorded_at, created_by=created_by, limits=limits
    )


def import_interval_file_pages(
    *,
    paths: Sequence[Path],
    as_of: dt.datetime,
    recorded_at: dt.datetime | None = None,
    created_by: Any = None,
) -> Iterator[PageImport]:
    """Each file an import of its own (:func:`import_interval_pages`), read when its turn
    comes. Every file is checked first (it can be found, within the size limit): one that is
    not refuses the call with :class:`RejectedFile` before anything is stored."""
    limits = import_limits()
    problems = []
    for path in paths:
        try:
            check_size(path.stat().st_size, limits)
        except OSError as exc:
            problems.append(ImportProblem(str(path), "file", "file", exc.strerror or str(exc)))
        except UnsafeInput as exc:
            problems.append(ImportProblem(path.name, exc.location, exc.field, exc.message))
    if problems:
        raise RejectedFile(problems)
    return import_interval_pages(
        pages=((path.name, read_limited(path, limits)) for path in paths),
        as_of=as_of,
        recorded_at=recorded_at,
        created_by=created_by,
        limits=limits,
    )
