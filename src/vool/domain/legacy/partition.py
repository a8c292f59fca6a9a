"""A legacy extract cut into chunks of accounts, so that a load of any size works in bounded
memory and commits chunk by chunk. Pure: no Django, no database.

Every rule of the validation (:mod:`rules`) looks at the rows of one account *group* only: an
account with its customer, that customer's other accounts, the customers with the same
personal or registry code, the points it has contracts on (and the other accounts with
contracts on them), their addresses, meters and registers, the points with the same EIC, the
accounts with the same old reference number. Those links are followed through the entity files
(read twice as a stream: once to join the groups, once to write each row to its chunk), and
the history files (readings, interval totals, bills, bill lines) and the shadow month's
15-minute data are streamed once, each row sent to the chunk of the row it hangs on. A row
whose parent is not in the extract goes to the first chunk, where the validation reports it
(as it would in one piece).

The bills and their lines (two thirds of an extract's rows) are streamed by a second process
beside this one when the caller gives one (``beside``: :func:`vool.usecases.forked.call_beside`),
each process spilling to chunk files of its own; in this process otherwise (:func:`run_here`).

Groups are put into chunks in the order of the customers file, each chunk holding about
``accounts_per_chunk`` accounts (a group is never split). A chunk's rows are spilled to a file
of their own in a temporary directory; :meth:`Partition.rows` reads one chunk back in the form
the validation reads a whole extract (entity → rows, in file order).

The one rule that crosses groups is a key given twice in the files whose keys are their own
(readings' ``NAIT_ID``, bills' ``ARVE_NR``): those keys are collected as they stream by, and
:meth:`Partition.key_lines` tells the validation every line of such a key, wherever its rows
went.
"""

from __future__ import annotations

import multiprocessing
import pickle
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Generic, Protocol, TypeVar

from vool.domain.legacy import extract_format as fmt

# entity → the links a row of it makes: (the kind of node, the column holding its key); the
# row's own key is a node of its entity's kind
GROUPED: dict[str, tuple[tuple[str, str], ...]] = {
    "customers": (("addresses", "AADRESS_ID"), ("code", "ISIKUKOOD"), ("code", "REG_KOOD")),
    "addresses": (),
    "accounts": (("customers", "KLIENT_ID"), ("reference", "VIITENUMBER")),
    "points": (("addresses", "AADRESS_ID"), ("eic", "EIC")),
    "meters": (("points", "MP_ID"),),
    "registers": (("meters", "ARVESTI_ID"),),
    "contracts": (("accounts", "KONTO_ID"), ("points", "MP_ID")),
    "open_items": (("accounts", "KONTO_ID"),),
    "balances": (("accounts", "KONTO_ID"),),
    "agreements": (("accounts", "KONTO_ID"),),
}
# entity → (the entity its rows hang on, the column holding that entity's key)
ROUTED: dict[str, tuple[str, str]] = {
    "readings": ("registers", "REGISTER_ID"),
    "interval_totals": ("points", "MP_ID"),
    "bills": ("accounts", "KONTO_ID"),
    "bill_lines": ("bills", "ARVE_NR"),
    # the shadow month's 15-minute data (fmt.SHADOW_FILES), stored with its point's chunk
    "intervals": ("points", "MP_ID"),
}
#: the files whose own keys may repeat across groups (see the module's doc)
OWN_KEYS = ("readings", "bills")
FIRST = 0  # the chunk of the products and of the rows whose parent is not in the extract
SPILL_ROWS = 2000  # rows of one chunk kept before they are written to its file

#: the routed files streamed beside the rest (see the module's doc)
BESIDE = ("bills", "bill_lines")
TICK_ROWS = 100_000  # rows of a file between two reports of how far it is
TICK_SECONDS = 1.0  # between two reports while this process waits for the one beside

Progress = Callable[[str, int, int], None]
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Running(Protocol[T_co]):
    """Work started beside this process: its result (waited for), or stopped unfinished."""

    def wait(self, seconds: float) -> bool:
        """Whether the work has ended, waiting up to ``seconds`` for it."""
        ...

    def result(self) -> T_co: ...

    def stop(self) -> None: ...


class Beside(Protocol):
    """Starts ``work`` beside this process (:func:`run_here`: at once, in this one)."""

    def __call__(self, work: Callable[[], T]) -> Running[T]: ...


@dataclass
class _Done(Generic[T]):
    value: T

    def wait(self, seconds: float) -> bool:
        return True

    def result(self) -> T:
        return self.value

    def stop(self) -> None:
        pass


def run_here(work: Callable[[], T]) -> Running[T]:
    """Work run in this process, at once."""
    return _Done(work())


class _Groups:
    """Union-find over the nodes ``kind\\x1fkey``, in the order they were first seen."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def node(self, kind: str, key: str) -> str:
        name = f"{kind}\x1f{key}"
        self.parent.setdefault(name, name)
        return name

    def find(self, node: str) -> str:
        parent = self.parent
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def join(self, a: str, b: str) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[root_b] = root_a

    def chunks(self, accounts_per_chunk: int) -> dict[str, int]:
        """Each node → its chunk: the groups in the order first seen, a chunk closed once it
        holds ``accounts_per_chunk`` accounts (a group without accounts weighs one)."""
        roots = [self.find(node) for node in self.parent]
        weight: dict[str, int] = defaultdict(int)
        for node, root in zip(self.parent, roots, strict=True):
            if node.startswith("accounts\x1f"):
                weight[root] += 1
        chunk_of_root: dict[str, int] = {}
        current = filled = 0
        for root in roots:
            if root in chunk_of_root:
                continue
            if filled >= accounts_per_chunk:
                current, filled = current + 1, 0
            chunk_of_root[root] = current
            filled += weight.get(root, 1)
        return {node: chunk_of_root[root] for node, root in zip(self.parent, roots, strict=True)}


def _join_file(groups: _Groups, spec: fmt.FileSpec, rows: Iterator[fmt.Row]) -> None:
    key_of = fmt.key_of(spec)
    links = [(kind, spec.columns.index(c)) for kind, c in GROUPED[spec.entity]]
    for row in rows:
        values = row.values
        own = groups.node(spec.entity, key_of(values))
        for kind, at in links:
            value = node_value(kind, values[at])
            if value:
                groups.join(own, groups.node(kind, value))


#: the links by an identifier, which the validation compares in its compact form
IDENTIFIERS = ("code", "eic", "reference")


def node_value(kind: str, text: str) -> str:
    """The value a link joins by: an old key stripped, as the validation reads keys; an
    identifier without any white space and in capitals, so that two texts the validation
    takes for one code (``common.identifiers``' compact forms) always join (two it takes for
    two codes may too: a group larger than needed is still whole)."""
    if kind in IDENTIFIERS:
        return "".join(text.split()).upper()
    return text.strip()


@dataclass
class Partition:
    """The extract's rows, chunk by chunk (see the module's doc)."""

    directory: Path
    chunks: int
    #: entity → old key → every line it is on, of the keys given more than once (OWN_KEYS)
    repeated: dict[str, dict[str, tuple[int, ...]]] = field(default_factory=dict)
    rows_per_chunk: list[int] = field(default_factory=list)

    def rows(self, chunk: int) -> dict[str, list[fmt.Row]]:
        """A chunk's rows by entity: every entity of ``fmt.FILES``, and the shadow files'
        routed to it (:func:`routed_shadow_files`) if the extract has them. An entity's rows
        are all in one process's spill file, in file order."""
        found: dict[str, list[fmt.Row]] = {spec.entity: [] for spec in fmt.FILES}
        for part in PARTS:
            path = _spill_path(self.directory, chunk, part)
            if path.exists():
                _read_spill(path, found)
        return found

    def key_lines(self, entity: str, key: str) -> tuple[int, ...]:
        """Every line of ``entity``'s file holding ``key``, if there is more than one."""
        return self.repeated.get(entity, {}).get(key, ())


def _read_spill(path: Path, found: dict[str, list[fmt.Row]]) -> None:
    with path.open("rb") as spill:
        while True:
            try:
                # our own file, written moments ago in a private temporary directory
                entity, rows = pickle.load(spill)  # noqa: S301
            except EOFError:
                break
            found.setdefault(entity, []).extend(fmt.Row(*row) for row in rows)


PARTS = ("", "beside")  # a chunk's spill files: this process's and the one beside's


def _spill_path(directory: Path, chunk: int, part: str) -> Path:
    return directory / f"chunk-{chunk:05d}{'-' + part if part else ''}.pickle"


class _Spill:
    """Rows written to their chunk's file, a few thousand at a time."""

    def __init__(self, directory: Path, part: str) -> None:
        self.directory, self.part = directory, part
        self.files: dict[int, BinaryIO] = {}
        self.waiting: dict[int, list[tuple[int, tuple[str, ...]]]] = defaultdict(list)
        self.entity = ""
        self.counts: dict[int, int] = defaultdict(int)

    def add(self, chunk: int, row: fmt.Row) -> None:
        waiting = self.waiting[chunk]
        waiting.append((row.line, row.values))
        if len(waiting) >= SPILL_ROWS:
            self._write(chunk)

    def _write(self, chunk: int) -> None:
        rows = self.waiting.pop(chunk)
        if chunk not in self.files:
            self.files[chunk] = _spill_path(self.directory, chunk, self.part).open("wb")
        pickle.dump((self.entity, rows), self.files[chunk], protocol=pickle.HIGHEST_PROTOCOL)
        self.counts[chunk] += len(rows)

    def end_file(self) -> None:
        for chunk in list(self.waiting):
            self._write(chunk)

    def close(self) -> None:
        for file in self.files.values():
            file.close()  # again: nothing


def partition(
    *,
    directory: Path,
    manifest: fmt.Manifest,
    into: Path,
    accounts_per_chunk: int,
    progress: Progress,
    beside: Beside = run_here,
) -> Partition:
    """Read the extract in ``directory`` (every file checked against ``manifest``, as
    :func:`extract_format.iter_rows` does) into chunks spilled under ``into``; the bills and
    their lines ``beside`` the rest."""
    groups = _Groups()
    grouped = [spec for spec in fmt.FILES if spec.entity in GROUPED]
    for spec in grouped:
        _join_file(groups, spec, fmt.iter_rows(directory, spec, manifest))
    chunk_of = groups.chunks(accounts_per_chunk)
    del groups
    chunks = max(chunk_of.values(), default=FIRST) + 1
    routed = [s for s in fmt.FILES if s.entity not in GROUPED] + routed_shadow_files(manifest)
    theirs = [s for s in routed if s.entity in BESIDE]
    mine = [s for s in routed if s.entity not in BESIDE]
    total = sum(manifest.rows[spec.file_name] for spec in [*grouped, *routed])
    their_rows = multiprocessing.RawValue("q", 0)  # shared with a forked process

    def their_tick(done: int) -> None:
        their_rows.value = done

    def tick(done: int) -> None:
        progress("read", done + their_rows.value, total)

    other = _Streams(directory, manifest, _Spill(into, PARTS[1]), _Router(chunk_of, theirs))
    running = beside(lambda: other.spill_all(theirs, their_tick))
    here = _Streams(directory, manifest, _Spill(into, PARTS[0]), _Router(chunk_of))
    del chunk_of
    try:
        here.stream(grouped, tick)
        here.router = here.router.routing_only(mine)
        here.stream(mine, tick)
        while not running.wait(TICK_SECONDS):  # the bills take longer: still told how far
            tick(here.rows)
        spilled = [here.spilled(), running.result()]
    finally:
        here.spill_to.close()
        running.stop()
    progress("read", total, total)
    return Partition(
        directory=into,
        chunks=chunks,
        repeated={
            e: {k: v for p in spilled for k, v in p.repeated.get(e, {}).items()} for e in OWN_KEYS
        },
        rows_per_chunk=[sum(p.counts.get(c, 0) for p in spilled) for c in range(chunks)],
    )


@dataclass
class _Spilled:
    """What one process's streams spilled: rows by chunk, the own keys given more than once."""

    counts: dict[int, int]
    repeated: dict[str, dict[str, tuple[int, ...]]]


class _Streams:
    """Files streamed one after another to their chunks' spill files, by one process."""

    def __init__(
        self, directory: Path, manifest: fmt.Manifest, spill: _Spill, router: _Router
    ) -> None:
        self.directory, self.manifest = directory, manifest
        self.spill_to, self.router = spill, router
        self.rows = 0  # of the files streamed so far

    def stream(self, specs: Sequence[fmt.FileSpec], tick: Callable[[int], None]) -> None:
        """``specs`` streamed, each row to its chunk; ``tick`` told the rows done every
        :data:`TICK_ROWS` and at the end of each file."""
        for spec in specs:
            self.spill_to.entity = spec.entity
            key_of = fmt.key_of(spec)
            for rows, row in enumerate(fmt.iter_rows(self.directory, spec, self.manifest), 1):
                self.spill_to.add(self.router.chunk(spec, key_of(row.values), row), row)
                if rows % TICK_ROWS == 0:
                    tick(self.rows + rows)
            self.rows += self.manifest.rows[spec.file_name]  # iter_rows has checked as many
            self.spill_to.end_file()
            self.router.end_file(spec.entity)
            tick(self.rows)

    def spilled(self) -> _Spilled:
        return _Spilled(dict(self.spill_to.counts), self.router.repeated())

    def spill_all(self, specs: Sequence[fmt.FileSpec], tick: Callable[[int], None]) -> _Spilled:
        """``specs`` streamed and their spill files closed."""
        try:
            self.stream(specs, tick)
        finally:
            self.spill_to.close()
        return self.spilled()


def routed_shadow_files(manifest: fmt.Manifest) -> list[fmt.FileSpec]:
    """The shadow files the extract has whose rows go with their point's chunk (the price
    list is read before the chunks, the day-ahead prices after them)."""
    return [s for s in fmt.SHADOW_FILES if s.entity in ROUTED and s.file_name in manifest.rows]


class _Router:
    """Which chunk a row goes to: a grouped row by its own key's node, a history row by the
    row it hangs on (a bill line by its bill, found as the bills streamed by)."""

    def __init__(
        self, chunk_of: dict[str, int], routes: Sequence[fmt.FileSpec] | None = None
    ) -> None:
        """``routes``: the routed files it will route only (the nodes the grouped files need
        are then left out)."""
        if routes is not None:
            parents = {f"{ROUTED[s.entity][0]}\x1f" for s in routes if s.entity in ROUTED}
            chunk_of = {n: c for n, c in chunk_of.items() if n[: n.index("\x1f") + 1] in parents}
        self.chunk_of = chunk_of
        self.bill_chunk: dict[str, int] = {}
        self.seen: dict[str, dict[str, int]] = {entity: {} for entity in OWN_KEYS}
        self.lines: dict[str, dict[str, list[int]]] = {entity: {} for entity in OWN_KEYS}

    def routing_only(self, routes: Sequence[fmt.FileSpec]) -> _Router:
        """A router of ``routes`` only, once the grouped files are spilled (it keeps only the
        nodes those files' rows hang on)."""
        return _Router(self.chunk_of, routes)

    def chunk(self, spec: fmt.FileSpec, key: str, row: fmt.Row) -> int:
        entity = spec.entity
        if entity in GROUPED:
            return self.chunk_of[f"{entity}\x1f{key}"]
        if entity not in ROUTED:
            return FIRST
        parent, column = ROUTED[entity]
        parent_key = row.values[spec.columns.index(column)].strip()
        if entity == "bill_lines":
            return self.bill_chunk.get(parent_key, FIRST)
        chunk = self.chunk_of.get(f"{parent}\x1f{parent_key}", FIRST)
        if entity in OWN_KEYS:
            self._own_key(entity, key, row.line, chunk)
        return chunk

    def _own_key(self, entity: str, key: str, line: int, chunk: int) -> None:
        first = self.seen[entity].setdefault(key, line)
        if first != line:
            self.lines[entity].setdefault(key, [first]).append(line)
        elif entity == "bills":
            self.bill_chunk[key] = chunk

    def repeated(self) -> dict[str, dict[str, tuple[int, ...]]]:
        return {e: {k: tuple(v) for k, v in keys.items()} for e, keys in self.lines.items()}

    def end_file(self, entity: str) -> None:
        if entity in self.seen:
            self.seen[entity] = {}
        if entity == "bill_lines":
            self.bill_chunk = {}


def spill_directory() -> tempfile.TemporaryDirectory[str]:
    """Where a load's chunks are spilled (removed with it)."""
    return tempfile.TemporaryDirectory(prefix="vool-legacy-")
