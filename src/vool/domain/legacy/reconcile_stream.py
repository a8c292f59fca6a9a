"""The legacy side of ``vool legacy reconcile`` in bounded memory: the extract (with its deltas
laid over it) read as a stream, each row summed into what reconcile measures as it comes.

The small files (customers, accounts, points, meters, registers, contracts, open items,
balances, agreements) are laid over each other as reconcile always laid them — a later row of
the same old key replaces the earlier one where it stood, a delta's account replaces its open
items whole — keeping of each row only the few strings reconcile needs. The big files
(readings, interval totals, bills, bill lines) of the first extract are never held: each is
streamed (:func:`extract_format.iter_rows`), a row a later extract replaces skipped (the deltas
are small and held), and summed per register, point and account. Their old keys are kept as
one sorted array of bytes (:class:`KeySet`, about a key's length a row): it finds a key twice
in one file (the last row is the one, as before; the file is then read again) and counts the
keys the key map holds, and Vool's legacy bill lines (streamed from Vool too)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt
from django.db import connection

from vool.domain.bulk import IN_LIST, in_batches
from vool.domain.legacy import extract_format as fmt
from vool.domain.legacy import queries
from vool.domain.legacy.models import KeyMap

MEASURES = ("balance", "bills", "bills_amount", "consumption_kwh")
ZERO = Decimal(0)
BIG = ("readings", "interval_totals", "bills", "bill_lines")  # streamed, never held
NOT_COUNTED = ("products", "addresses")  # read (their manifest checked), not reconciled
BLOCK = 100_000  # keys collected before they join a KeySet's arrays
KEY_MAP_BATCH = 50_000  # key-map rows matched against a KeySet at once


class KeySet:
    """Many strings, exactly, in little memory: their UTF-8 bytes in sorted numpy arrays of
    fixed width (about a key's length a key, against ~60 bytes a str in a Python set)."""

    def __init__(self) -> None:
        self._blocks: list[npt.NDArray[np.bytes_]] = []
        self._pending: list[bytes] = []
        self._sorted = True

    def add(self, key: str) -> None:
        self._pending.append(key.encode())
        if len(self._pending) >= BLOCK:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._blocks.append(np.array(self._pending, dtype=np.bytes_))
            self._pending = []
            self._sorted = False

    def sorted(self) -> npt.NDArray[np.bytes_]:
        """All the keys added, sorted (a key added twice is there twice)."""
        self._flush()
        if not self._blocks:
            return np.array([], dtype="S1")
        if not self._sorted:
            width = max(b.dtype.itemsize for b in self._blocks)
            merged = np.empty(sum(len(b) for b in self._blocks), dtype=f"S{width}")
            at = 0
            for number in range(len(self._blocks)):  # each let go once copied: not twice
                block, self._blocks[number] = self._blocks[number], merged[:0]
                merged[at : at + len(block)] = block
                at += len(block)
            del block
            merged.sort(kind="stable")  # timsort: the keys come mostly in order
            self._blocks, self._sorted = [merged], True
        return self._blocks[0]

    def __len__(self) -> int:
        return sum(len(b) for b in self._blocks) + len(self._pending)

    def duplicated(self) -> set[str]:
        """The keys added more than once."""
        keys = self.sorted()
        twice = keys[1:][keys[1:] == keys[:-1]]
        return {k.decode() for k in np.unique(twice)}

    def contains(self, keys: Sequence[str]) -> list[bool]:
        return self.contains_bytes([k.encode() for k in keys])

    def contains_bytes(self, keys: Sequence[bytes]) -> list[bool]:
        ours = self.sorted()
        if not len(ours) or not keys:
            return [False] * len(keys)
        width = ours.dtype.itemsize
        fits = np.array([len(k) <= width for k in keys])  # a longer key is none of ours
        probe = np.array([k if len(k) <= width else b"" for k in keys], dtype=ours.dtype)
        at = np.minimum(np.searchsorted(ours, probe), len(ours) - 1)
        return ((ours[at] == probe) & fits).tolist()


class Contract(NamedTuple):
    account: str
    point: str


class Reading(NamedTuple):
    register: str
    kwh: Decimal | None


class Total(NamedTuple):
    point: str
    kwh: Decimal | None


class Bill(NamedTuple):
    account: str
    total: Decimal | None


def _number(text: str) -> Decimal | None:
    try:
        return fmt.parse_decimal(text)
    except ValueError:  # the load reported it (and held its accounts back)
        return None


def _at(entity: str, column: str) -> int:
    return fmt.SPECS[entity].columns.index(column)


def _text(entity: str, column: str) -> Callable[[tuple[str, ...]], str]:
    at = _at(entity, column)
    return lambda values: values[at].strip()


def _keep_nothing(values: tuple[str, ...]) -> None:
    return None


def _keeper(entity: str) -> Callable[[tuple[str, ...]], Any] | None:
    """What reconcile keeps of a row of ``entity`` (``None``: the file is only checked)."""
    if entity in NOT_COUNTED:
        return None
    if entity in ("customers", "points"):
        return _keep_nothing
    if entity == "open_items":  # as written: a delta's balances replace them by KONTO_ID
        at = _at("open_items", "KONTO_ID")
        return lambda values: values[at]
    if entity == "balances":
        saldo = _at("balances", "SALDO")
        return lambda values: _number(values[saldo])
    ref = {
        "accounts": "KLIENT_ID",
        "meters": "MP_ID",
        "registers": "ARVESTI_ID",
        "agreements": "KONTO_ID",
        "bill_lines": "ARVE_NR",
    }
    if entity in ref:
        return _text(entity, ref[entity])
    return _pair(entity)


def _pair(entity: str) -> Callable[[tuple[str, ...]], Any]:
    if entity == "contracts":
        account, point = _text(entity, "KONTO_ID"), _text(entity, "MP_ID")
        return lambda values: Contract(account(values), point(values))
    ref, number, kind = {
        "readings": ("REGISTER_ID", "NAIT_KWH", Reading),
        "interval_totals": ("MP_ID", "KWH", Total),
        "bills": ("KONTO_ID", "SUMMA", Bill),
    }[entity]
    text, at = _text(entity, ref), _at(entity, number)
    return lambda values: kind(text(values), _number(values[at]))


# --- the small files, laid over each other ----------------------------------------------


@dataclass
class Layered:
    """The small files of the extracts laid over each other (old key → what reconcile needs
    of the row), the deltas' big files too (the first extract's are streamed), and the
    accounts held back with their causes as the load runs of these extracts found them."""

    rows: dict[str, dict[str, Any]] = field(default_factory=lambda: defaultdict(dict))
    held: dict[str, str] = field(default_factory=dict)
    not_loaded: list[Path] = field(default_factory=list)


def layered(directories: Sequence[Path], manifests: Sequence[fmt.Manifest]) -> Layered:
    """The extracts' files in order, each row replacing an earlier one of its old key (a
    delta's balances first dropping the open items of their accounts); the first extract's
    big files are left to :func:`read` to stream. Which accounts are held back comes from the
    load run of each extract (none if it was not loaded, or changed since): an extract's own
    accounts take its verdict."""
    result = Layered()
    for number, (directory, manifest) in enumerate(zip(directories, manifests, strict=True)):
        if manifest.kind == "delta":
            balances = fmt.iter_rows(directory, fmt.SPECS["balances"], manifest)
            delta_accounts = {row.values[0] for row in balances}
            result.rows["open_items"] = {
                k: account
                for k, account in result.rows["open_items"].items()
                if account not in delta_accounts
            }
        here: set[str] = set()
        for spec in fmt.FILES:
            if number == 0 and spec.entity in BIG:
                continue  # streamed by :func:`read`
            keep, key_of = _keeper(spec.entity), fmt.key_of(spec)
            into = result.rows[spec.entity]
            for row in fmt.iter_rows(directory, spec, manifest):
                if keep is not None:
                    into[key_of(row.values)] = keep(row.values)
                if spec.entity == "accounts":
                    here.add(key_of(row.values))
        by_run = queries.held_back_by(manifest_digest=manifest.digest)
        if by_run is None:
            result.not_loaded.append(directory)
            by_run = {}
        layer = here | set(by_run)
        result.held = {k: v for k, v in result.held.items() if k not in layer} | by_run
    return result


# --- which rows are held back -------------------------------------------------------------


class Links:
    """Of each customer, point, meter and register whether it belongs to an account that is
    not held back (a row that belongs to none is held back: ``rules.Checked.loadable``)."""

    def __init__(self, rows: Mapping[str, Mapping[str, Any]], held: set[str]) -> None:
        self.held = held
        customer_accounts: dict[str, list[str]] = defaultdict(list)
        for key, customer in rows["accounts"].items():
            customer_accounts[customer].append(key)
        point_accounts: dict[str, set[str]] = defaultdict(set)
        for contract in rows["contracts"].values():
            point_accounts[contract.point].add(contract.account)
        self.customer_ok = {
            key: any(a not in held for a in customer_accounts.get(key, ()))
            for key in rows["customers"]
        }
        self.point_ok = {
            key: any(a not in held for a in point_accounts.get(key, ())) for key in rows["points"]
        }
        self.meter_ok = {k: self.point_ok.get(point, False) for k, point in rows["meters"].items()}
        self.register_ok = {
            k: self.meter_ok.get(meter, False) for k, meter in rows["registers"].items()
        }

    def small_held(self, entity: str, key: str, row: Any) -> bool:
        """Whether a row of a small file is held back."""
        if entity == "customers":
            return not self.customer_ok[key]
        if entity == "points":
            return not self.point_ok[key]
        if entity == "meters":
            return not self.meter_ok[key]
        if entity == "registers":
            return not self.register_ok[key]
        if entity == "contracts":
            return row.account in self.held
        if entity in ("open_items", "agreements"):
            return row.strip() in self.held
        return key in self.held  # accounts and balances: their key is the account's


# --- the big files, streamed --------------------------------------------------------------


@dataclass
class Tally:
    legacy: int = 0  # rows (distinct old keys) in the extract with its deltas
    held: int = 0  # of them held back
    loaded: int = 0  # old keys mapped to Vool
    vool_records: int = 0  # distinct Vool records they map to


class _Stream(ABC):
    """One big file's rows as they come: counted, held back or not, their old keys kept."""

    def __init__(self) -> None:
        self.tally = Tally()
        self.keys = KeySet()

    @abstractmethod
    def add(self, key: str, row: Any) -> None:
        """Count the row in (``tally``, ``keys``)."""

    def close(self) -> None:  # noqa: B027 (a hook: most streams have nothing left to do)
        """The rows so far are all summed in."""


class _Summed(_Stream):
    """A stream that knows each row's fate as it comes."""

    def add(self, key: str, row: Any) -> None:
        self.tally.legacy += 1
        self.keys.add(key)
        if not self.take(key, row):
            self.tally.held += 1

    @abstractmethod
    def take(self, key: str, row: Any) -> bool:
        """Sum the row in; whether it is loadable."""


class _Readings(_Summed):
    """Each register's lowest and highest reading."""

    def __init__(self, register_ok: dict[str, bool]) -> None:
        super().__init__()
        self.register_ok = register_ok
        self.low: dict[str, Decimal] = {}
        self.high: dict[str, Decimal] = {}

    def take(self, key: str, row: Reading) -> bool:
        register, kwh = row
        if kwh is not None:
            self.low[register] = min(kwh, self.low.get(register, kwh))
            self.high[register] = max(kwh, self.high.get(register, kwh))
        return self.register_ok.get(register, False)


class _Totals(_Summed):
    """Each point's interval totals summed."""

    def __init__(self, point_ok: dict[str, bool]) -> None:
        super().__init__()
        self.point_ok = point_ok
        self.kwh: dict[str, Decimal] = {}

    def take(self, key: str, row: Total) -> bool:
        if row.kwh is not None:
            self.kwh[row.point] = self.kwh.get(row.point, ZERO) + row.kwh
        return self.point_ok.get(row.point, False)


class _Bills(_Summed):
    """Each account's bills counted and their totals summed; the bills of held-back
    accounts (their lines are held back too)."""

    def __init__(self, held: set[str]) -> None:
        super().__init__()
        self.held = held
        self.count: dict[str, int] = defaultdict(int)
        self.amount: dict[str, Decimal] = {}
        self.held_bills: set[str] = set()

    def take(self, key: str, row: Bill) -> bool:
        self.count[row.account] += 1
        self.amount[row.account] = self.amount.get(row.account, ZERO) + (row.total or ZERO)
        if row.account in self.held:
            self.held_bills.add(key)
            return False
        return True


class _Lines(_Stream):
    """Bill lines: held back unless their bill is one of the extract's, of an account not
    held back. A line whose old key is not ``bill/position`` as Vool would write it (``RIDA``
    written ``01``, or not a number) is noted with that form (see :func:`_loaded_lines`)."""

    def __init__(self, bills: KeySet, held_bills: set[str]) -> None:
        super().__init__()
        self.bills, self.held_bills = bills, held_bills
        self.batch: list[str] = []  # each line's bill
        self.odd: dict[str, str | None] = {}  # old key → bill/position (None: no position)

    def add(self, key: str, row: str) -> None:
        self.tally.legacy += 1
        self.keys.add(key)
        self.batch.append(row)
        position = _position(key)
        written = None if position is None else f"{row}/{position}"
        if written != key:
            self.odd[key] = written
        if len(self.batch) >= BLOCK:
            self.close()

    def close(self) -> None:
        known = self.bills.contains(self.batch)
        for bill, found in zip(self.batch, known, strict=True):
            if not found or bill in self.held_bills:
                self.tally.held += 1
        self.batch = []


def _position(line_key: str) -> int | None:
    """The position (``RIDA``) in a bill line's old key ``ARVE_NR/RIDA``."""
    try:
        return int(line_key.rsplit("/", 1)[-1])
    except ValueError:
        return None


def _effective(
    entity: str,
    directory: Path,
    manifest: fmt.Manifest,
    later: Mapping[str, Any],
    superseded: set[int],
) -> Iterator[tuple[str, Any]]:
    """The rows of the first extract's file that stay: not replaced by a later extract's row
    of their key, nor (``superseded``, by line) by a later row of their key in the file."""
    spec = fmt.SPECS[entity]
    key_of, keep = fmt.key_of(spec), _keeper(entity)
    assert keep is not None
    for row in fmt.iter_rows(directory, spec, manifest):
        key = key_of(row.values)
        if key in later or row.line in superseded:
            continue
        yield key, keep(row.values)


def _superseded(
    entity: str, directory: Path, manifest: fmt.Manifest, duplicated: set[str]
) -> set[int]:
    """The lines of the rows of these keys that a later row of the same key replaces."""
    spec = fmt.SPECS[entity]
    key_of = fmt.key_of(spec)
    last: dict[str, int] = {}
    superseded: set[int] = set()
    for row in fmt.iter_rows(directory, spec, manifest):
        key = key_of(row.values)
        if key in duplicated:
            if key in last:
                superseded.add(last[key])
            last[key] = row.line
    return superseded


S = TypeVar("S", bound="_Stream")


def _stream(
    entity: str,
    base: tuple[Path, fmt.Manifest] | None,
    later: Mapping[str, Any],
    fresh: Callable[[], S],
) -> S:
    """The first extract's file streamed (read again, counting afresh, if a key is in it
    twice), then the deltas' rows of the entity."""
    stream = fresh()
    if base is not None:
        _take(stream, _effective(entity, *base, later, set()))
        duplicated = stream.keys.duplicated()
        if duplicated:
            superseded = _superseded(entity, *base, duplicated)
            stream = fresh()
            _take(stream, _effective(entity, *base, later, superseded))
    _take(stream, iter(later.items()))
    return stream


def _take(stream: _Stream, rows: Iterator[tuple[str, Any]]) -> None:
    for key, row in rows:
        stream.add(key, row)
    stream.close()


def _mapped(entity: str, keys: KeySet) -> tuple[int, int]:
    """How many of these old keys the key map holds, and how many distinct Vool records they
    map to: few keys looked up, for many the entity's map streamed and matched in batches."""
    rows = KeyMap.objects.filter(entity=entity).values_list("old_key", "new_id")
    ids = array("q")
    if len(keys) <= 10 * IN_LIST:
        wanted = [k.decode() for k in keys.sorted()]
        for chunk in in_batches(wanted):
            ids.extend(new_id for _, new_id in rows.filter(old_key__in=chunk))
    else:
        batch: list[tuple[str, int]] = []
        for pair in rows.iterator(chunk_size=KEY_MAP_BATCH):
            batch.append(pair)
            if len(batch) == KEY_MAP_BATCH:
                _match(keys, batch, ids)
                batch = []
        _match(keys, batch, ids)
    distinct = len(np.unique(np.frombuffer(ids, dtype=np.int64))) if ids else 0
    return len(ids), distinct


def _loaded_lines(keys: KeySet, odd: Mapping[str, str | None]) -> int:
    """How many of the extract's bill lines Vool holds (their bill mapped, and a line at their
    position on it): Vool's legacy bill lines streamed as ``old bill key/position`` and matched
    against the lines' old keys; a line whose old key is not in that form (``odd``: ``RIDA``
    written ``01``) by the form it would have."""
    sql = (  # the tables of HistoricBillLine and KeyMap
        "SELECT k.old_key || '/' || CAST(l.position AS TEXT) FROM legacy_historicbillline l "
        "JOIN legacy_keymap k ON k.new_id = l.bill_id AND k.entity = 'bills'"
    )
    by_odd = Counter(written for written in odd.values() if written is not None)
    loaded = 0
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while held := [written for (written,) in cursor.fetchmany(KEY_MAP_BATCH)]:
            found = keys.contains(held)
            if not odd:
                loaded += sum(found)
                continue
            for written, hit in zip(held, found, strict=True):
                loaded += by_odd.get(written, 0) + (1 if hit and written not in odd else 0)
    return loaded


def _match(keys: KeySet, batch: list[tuple[str, int]], ids: array[int]) -> None:
    found = keys.contains_bytes([old_key.encode() for old_key, _ in batch])
    ids.extend(new_id for (_, new_id), hit in zip(batch, found, strict=True) if hit)


# --- the legacy side, whole ---------------------------------------------------------------


@dataclass
class Legacy:
    """What reconcile compares of the extract: per entity its rows (held back, loaded), per
    account the measures, the accounts (sorted) and those held back with their causes."""

    tallies: dict[str, Tally]
    measures: dict[str, dict[str, Decimal]]
    accounts: list[str]
    held: dict[str, str]
    not_loaded: list[Path]


def read(directories: Sequence[Path]) -> Legacy:
    """The extracts (each file checked against its manifest's counts and control totals), the
    first one's big files streamed; which accounts are held back from their load runs."""
    manifests = [fmt.read_manifest(d) for d in directories]
    layers = layered(directories, manifests)
    rows, held = layers.rows, set(layers.held)
    links = Links(rows, held)
    base = (directories[0], manifests[0]) if directories else None
    tallies = {
        s.entity: _small_tally(s.entity, rows[s.entity], links)
        for s in fmt.FILES
        if s.entity not in BIG + NOT_COUNTED
    }
    readings = _stream("readings", base, rows["readings"], lambda: _Readings(links.register_ok))
    tallies["readings"] = _mapped_tally("readings", readings)
    totals = _stream(
        "interval_totals", base, rows["interval_totals"], lambda: _Totals(links.point_ok)
    )
    tallies["interval_totals"] = _mapped_tally("interval_totals", totals)
    bills = _stream("bills", base, rows["bills"], lambda: _Bills(held))
    tallies["bills"] = _mapped_tally("bills", bills)
    lines = _stream(
        "bill_lines", base, rows["bill_lines"], lambda: _Lines(bills.keys, bills.held_bills)
    )
    lines.tally.loaded = lines.tally.vool_records = _loaded_lines(lines.keys, lines.odd)
    tallies["bill_lines"] = lines.tally
    return Legacy(
        tallies={s.entity: tallies[s.entity] for s in fmt.FILES if s.entity not in NOT_COUNTED},
        measures=_measures(rows, readings, totals, bills),
        accounts=sorted(rows["accounts"]),
        held=layers.held,
        not_loaded=layers.not_loaded,
    )


def _small_tally(entity: str, rows: Mapping[str, Any], links: Links) -> Tally:
    mapped = queries.key_ids(entity=entity, old_keys=list(rows))
    held = sum(1 for key, row in rows.items() if links.small_held(entity, key, row))
    return Tally(len(rows), held, len(mapped), len(set(mapped.values())))


def _mapped_tally(entity: str, stream: _Stream) -> Tally:
    stream.tally.loaded, stream.tally.vool_records = _mapped(entity, stream.keys)
    return stream.tally


def _measures(
    rows: Mapping[str, Mapping[str, Any]], readings: _Readings, totals: _Totals, bills: _Bills
) -> dict[str, dict[str, Decimal]]:
    measures: dict[str, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(MEASURES, ZERO))
    for key, amount in rows["balances"].items():
        measures[key]["balance"] = amount or ZERO
    for account, count in bills.count.items():
        measures[account]["bills"] += count
        measures[account]["bills_amount"] += bills.amount[account]
    kwh: dict[str, Decimal] = defaultdict(Decimal)  # per point: registers' last - first, totals
    register_meter, meter_point = rows["registers"], rows["meters"]
    for register, low in readings.low.items():
        kwh[meter_point.get(register_meter.get(register, ""), "")] += readings.high[register] - low
    for point, total in totals.kwh.items():
        kwh[point] += total
    for contract in rows["contracts"].values():
        measures[contract.account]["consumption_kwh"] += kwh.pop(contract.point, ZERO)
    return measures
