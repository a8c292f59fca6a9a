"""``vool legacy load``: a legacy extract staged, validated and loaded into Vool's model.

The extract is read and checked against its manifest in one transaction (an extract that
cannot be read, a file missing or a count or control total not as the manifest says, writes
nothing), then staged, validated and loaded in chunks of whole account groups
(:mod:`partition`), each in a transaction of its own; the chunks may run in several processes
at once (``usecases.legacy_load``). A row that fails validation holds its accounts back and
the rest loads. Every loaded row is mapped old key →
Vool id in :class:`KeyMap` with a fingerprint of its values, so loading the same extract
again changes nothing and a delta extract changes only what changed. Writes are set-based
(COPY on PostgreSQL, ``bulk_create`` elsewhere).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import Model

from vool.common.collector import gc_paused
from vool.common.localtime import local_date, local_midnight
from vool.domain.audit import operations as audit
from vool.domain.bulk import copy_rows, insert_instances, reserve_ids
from vool.domain.contracts.models import SupplyContract
from vool.domain.customers import operations as customer_operations
from vool.domain.customers.models import BillingAccount, Customer, FormerReferenceNumber
from vool.domain.ledger import operations as ledger_operations
from vool.domain.ledger.models import LedgerTransaction, Posting
from vool.domain.legacy import extract_format as fmt
from vool.domain.legacy import history_sql, partition, queries, rules, shadow_data
from vool.domain.legacy.models import (
    HistoricBill,
    HistoricBillLine,
    HistoricIntervalTotal,
    Issue,
    KeyMap,
    LoadRun,
    PaymentAgreement,
    StagedBlock,
    StagedRow,
)
from vool.domain.metering.models import Meter, Reading, Register
from vool.domain.metering.window import DEFAULT_WINDOW
from vool.domain.supply.models import GridOperator, MeteringPoint
from vool.domain.tariffs.models import Product

Progress = Callable[[str, int, int], None]
READING_HOUR = dt.timedelta(hours=12)  # an old reading has a day only: it counts at noon


@dataclass
class LoadResult:
    run_id: int
    dry_run: bool
    kind: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: int = 0
    warnings: int = 0
    held_accounts: list[str] = field(default_factory=list)
    issues: list[rules.Issue] = field(default_factory=list)


#: accounts a chunk of the load holds (with their whole groups: see :mod:`partition`)
ACCOUNTS_PER_CHUNK = 5000


@dataclass(frozen=True)
class _Times:
    as_of: dt.datetime
    now: dt.datetime


@dataclass
class LoadPlan:
    """What every chunk of a load needs: its run, its chunks (spilled), its extract's
    manifest and times, and the result the outcomes of the chunks are added to."""

    run: LoadRun
    parts: partition.Partition
    manifest: fmt.Manifest
    times: _Times
    result: LoadResult
    #: whether an earlier load (not a dry run) may have left keys, staged customers and
    #: reference numbers: if not, a chunk looks none of them up (its groups are its own: no
    #: other chunk of this run holds its keys or its customers' codes). At 500,000 customers
    #: those lookups of what cannot be there were a quarter of the database's time.
    earlier_loads: bool = True

    @property
    def has_intervals(self) -> bool:
        """Whether the extract has the shadow month's 15-minute data (stored by the chunks)."""
        return fmt.SPECS["intervals"] in partition.routed_shadow_files(self.manifest)


@dataclass
class ChunkOutcome:
    """What one chunk of a load found and did: its issues, the accounts it held back (with
    their causes) and the rows it loaded, by entity."""

    issues: list[rules.Issue]
    held: dict[str, str]
    counts: dict[str, dict[str, int]]


#: runs every chunk of a load and gives their outcomes in the chunks' order: one by one in
#: this process (:func:`load_chunks_inline`), or in a pool of processes (``usecases``)
ChunkRunner = Callable[[LoadPlan], Iterator[ChunkOutcome]]


def load_extract(
    *,
    directory: Path,
    as_of: dt.datetime,
    now: dt.datetime,
    user: Any,
    reason: str,
    dry_run: bool = False,
    on_progress: Progress | None = None,
    accounts_per_chunk: int = ACCOUNTS_PER_CHUNK,
    run_chunks: ChunkRunner | None = None,
    beside: partition.Beside = partition.run_here,
) -> LoadResult:
    """Stage, validate and (unless ``dry_run``) load the extract in ``directory``. ``as_of``
    is the data time (the loaded readings are known from it), ``now`` the real time.

    The extract is cut into chunks of accounts (:mod:`partition`), validated and loaded chunk
    by chunk, each chunk in a transaction of its own with its key-map rows: memory stays
    bounded, and a load killed half-way is resumed by running it again (the key map makes
    the chunks already loaded a no-op). The chunks are independent (each holds whole
    groups of accounts), so ``run_chunks`` may run them in other processes, and ``beside``
    may partition the bills in another process while this one partitions the rest. A dry
    run is one transaction, rolled back, and runs its chunks here."""
    if not reason.strip():
        raise ValueError("A load needs a reason (it moves balances into the ledger).")
    progress = on_progress or (lambda step, done, total: None)
    manifest = fmt.read_manifest(directory)
    times = _Times(as_of, now)
    runner = load_chunks_inline if dry_run or run_chunks is None else run_chunks
    with _rolled_back(dry_run), partition.spill_directory() as spill:
        with transaction.atomic():
            plan = _begin(
                directory,
                manifest,
                Path(spill),
                accounts_per_chunk,
                progress,
                beside,
                times=times,
                user=user,
                reason=reason,
                dry_run=dry_run,
            )
        held: dict[str, str] = {}
        for done, outcome in enumerate(runner(plan), start=1):
            _add_outcome(plan.result, outcome)
            held |= outcome.held
            progress("load", done, plan.parts.chunks)
        with transaction.atomic():
            _finish(plan, directory, held, user=user)
    if not dry_run:
        _analyze()
    return plan.result


def load_chunks_inline(plan: LoadPlan) -> Iterator[ChunkOutcome]:
    """The chunks of a load, one after the other in this process."""
    for chunk in range(plan.parts.chunks):
        yield load_chunk(plan, chunk)


def _add_outcome(result: LoadResult, outcome: ChunkOutcome) -> None:
    result.issues += outcome.issues
    result.held_accounts += outcome.held
    for entity, counts in outcome.counts.items():
        into = result.counts.setdefault(entity, dict.fromkeys(counts, 0))
        for name, count in counts.items():
            into[name] += count


#: the tables a load fills: analysed after it, so that the next statements on them (reconcile,
#: the first bill run) are planned on their real size, not on that of the empty tables
LOADED: tuple[type[Model], ...] = (
    Customer,
    BillingAccount,
    FormerReferenceNumber,
    MeteringPoint,
    Meter,
    Register,
    SupplyContract,
    Reading,
    HistoricIntervalTotal,
    HistoricBill,
    HistoricBillLine,
    PaymentAgreement,
    LedgerTransaction,
    Posting,
    KeyMap,
    StagedRow,
    Issue,
)


def _analyze() -> None:
    """PostgreSQL's statistics of the loaded tables (a reconcile right after a 50,000-customer
    load took 142 s on tables never analysed, 94 s after ``ANALYZE``, benchmarks/RESULTS.md)."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in LOADED)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


@contextmanager
def _rolled_back(dry_run: bool) -> Iterator[None]:
    """A dry run is one transaction, rolled back at its end; a load commits as it goes."""
    if not dry_run:
        yield
        return
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _begin(
    directory: Path,
    manifest: fmt.Manifest,
    spill: Path,
    accounts_per_chunk: int,
    progress: Progress,
    beside: partition.Beside,
    *,
    times: _Times,
    user: Any,
    reason: str,
    dry_run: bool,
) -> LoadPlan:
    """The run, its chunks (every file read and checked against the manifest: an extract
    that cannot be read writes nothing) and the old price list."""
    run = LoadRun.objects.create(
        directory=str(directory),
        kind=manifest.kind,
        dry_run=dry_run,
        as_of=times.as_of,
        reason=reason,
        created_by=user if user is not None and user.pk else None,
    )
    # chunks commit as they go: who started the run, and why, is on record before any does
    _audit(run, user, times, "legacy.load.start", {"directory": str(directory), "kind": run.kind})
    with gc_paused():  # tens of millions of rows streamed past the account groups
        parts = partition.partition(
            directory=directory,
            manifest=manifest,
            into=spill,
            accounts_per_chunk=accounts_per_chunk,
            progress=progress,
            beside=beside,
        )
    prices = shadow_data.load_price_list(directory=directory, manifest=manifest)
    _write_issues(run, prices.issues)
    result = LoadResult(run.pk, dry_run, manifest.kind, issues=list(prices.issues))
    if not dry_run:
        result.counts = dict(prices.counts)
    earlier = LoadRun.objects.filter(dry_run=False, pk__lt=run.pk).exists()
    return LoadPlan(run, parts, manifest, times, result, earlier_loads=earlier)


def load_chunk(plan: LoadPlan, chunk: int) -> ChunkOutcome:
    """One chunk of a load staged, validated and (unless a dry run) loaded, in a transaction
    of its own. Reference numbers for its accounts not loaded before are drawn first, in a
    short transaction of their own, so that chunks loading at once never wait on the counter
    for each other (the numbers of accounts held back, or of a chunk that fails, are left
    unused: a gap, which is harmless)."""
    run, times, dry_run = plan.run, plan.times, plan.result.dry_run
    rows = plan.parts.rows(chunk)
    intervals = rows.pop("intervals", None)  # the shadow month's, of this chunk's points
    earlier = plan.earlier_loads
    references = [] if dry_run else _reference_numbers(rows["accounts"], earlier=earlier)
    # millions of short-lived rows, records and values: the cycle collector would walk the
    # chunk's live ones again and again (measured: two fifths of the validation's time)
    with gc_paused(), transaction.atomic():
        for entity, entity_rows in rows.items():
            _stage(run, fmt.SPECS[entity], entity_rows)
        context = queries.context(rows, today=local_date(times.as_of), earlier_loads=earlier)
        checked = rules.check(rows, context, plan.parts.key_lines)
        del rows
        _write_issues(run, checked.issues)
        issues, counts = checked.issues, {}
        if not dry_run:
            loader = _Loader(
                run,
                checked,
                plan.manifest,
                references,
                as_of=times.as_of,
                now=times.now,
                earlier_loads=earlier,
            )
            counts = loader.load_all()
            if plan.has_intervals:  # after the points: only the loaded ones get theirs
                stored, counts["intervals"] = _load_intervals(run, intervals or [], times)
                issues = issues + stored
    return ChunkOutcome(issues, rules.held_causes(checked), counts)


def _load_intervals(
    run: LoadRun, rows: list[fmt.Row], times: _Times
) -> tuple[list[rules.Issue], dict[str, int]]:
    """A chunk's rows of the shadow month's 15-minute data stored: their issues (written)
    and counts."""
    issues: list[rules.Issue] = []
    counts = shadow_data.load_intervals(rows, as_of=times.as_of, issues=issues)
    _write_issues(run, issues)
    return issues, counts


def _reference_numbers(accounts: Sequence[fmt.Row], *, earlier: bool) -> list[str]:
    """A reference number for each account row whose old key is not loaded yet (by an
    ``earlier`` load: see :attr:`LoadPlan.earlier_loads`)."""
    key_of = fmt.key_of(fmt.SPECS["accounts"])
    keys = sorted({key_of(row.values) for row in accounts})
    loaded = queries.key_map(entity="accounts", old_keys=keys) if earlier else {}
    new = len(keys) - len(loaded)
    return customer_operations.allocate_reference_numbers(count=new) if new else []


def _finish(plan: LoadPlan, directory: Path, held: dict[str, str], *, user: Any) -> None:
    """The shadow month's prices, the run's summary and the audit record."""
    run, manifest, result, times = plan.run, plan.manifest, plan.result, plan.times
    if not result.dry_run:
        extra = shadow_data.load_shadow_data(directory=directory, manifest=manifest, now=times.now)
        result.counts.update(extra.counts)
        _write_issues(run, extra.issues)
        result.issues += extra.issues
    result.issues.sort(key=lambda i: (i.file_name, i.line, i.field))
    result.errors = sum(1 for i in result.issues if i.severity == rules.ERROR)
    result.warnings = len(result.issues) - result.errors
    result.held_accounts = sorted(set(result.held_accounts))
    summary = {
        "load": result.counts,
        "errors": result.errors,
        "warnings": result.warnings,
        "held_accounts": len(result.held_accounts),
    }
    # what reconcile reads instead of validating the extract again: which extract this
    # run read (its manifest) and the accounts it held back, with their causes
    run.counts = summary | {queries.RUN_MANIFEST: manifest.digest, queries.RUN_HELD: held}
    run.save(update_fields=["counts"])
    _audit(run, user, times, "legacy.load", summary)


def _audit(run: LoadRun, user: Any, times: _Times, action: str, after: dict[str, Any]) -> None:
    audit.record(
        user=user,
        happened_at=times.now,
        action=action,
        object_type="legacy.LoadRun",
        object_id=run.pk,
        reason=run.reason,
        after=after | {"dry_run": run.dry_run},
    )


def _stage(run: LoadRun, spec: fmt.FileSpec, rows: Sequence[fmt.Row]) -> None:
    """Rows into the staging tables (COPY): the customers and the readings one to a row
    (:class:`StagedRow`: what a later delta looks its customers' codes up in,
    :func:`queries.context`, and what the readings are written from on PostgreSQL,
    :mod:`history_sql`), the others in blocks (:class:`StagedBlock`). The validation reads
    the rows as read from the files."""
    pk, entity = run.pk, spec.entity
    if entity not in StagedRow.ENTITIES:
        copy_rows(
            StagedBlock,
            ("run", "entity", "first_line", "rows"),
            (
                (pk, entity, first, text)
                for first, text in StagedBlock.pack((row.line, row.values) for row in rows)
            ),
        )
        return
    codes = [spec.columns.index(c) for c in ("ISIKUKOOD", "REG_KOOD") if c in spec.columns]
    join = StagedRow.join
    copy_rows(
        StagedRow,
        ("run", "entity", "line", "fields", "lookup"),
        (
            (pk, entity, row.line, join(row.values), _lookup(row, codes) if codes else "")
            for row in rows
        ),
    )


def _lookup(row: fmt.Row, codes: list[int]) -> str:
    """A customer row's personal or registry code (what a later delta looks up)."""
    return next((row.values[i].strip()[:20] for i in codes if row.values[i].strip()), "")


def _write_issues(run: LoadRun, issues: Sequence[rules.Issue]) -> None:
    copy_rows(
        Issue,
        (
            "run",
            "severity",
            "file_name",
            "line",
            "field",
            "rule",
            "value",
            "account_key",
            "message",
        ),
        (
            (
                run.pk,
                i.severity,
                i.file_name,
                i.line,
                i.field,
                i.rule,
                i.value,
                ",".join(i.account_keys)[:40],
                i.message,
            )
            for i in issues
        ),
    )


class _Loader:
    """Loads the loadable rows entity by entity: new ones inserted, changed ones updated
    where Vool allows it (history stays as first loaded), unchanged ones left alone."""

    def __init__(
        self,
        run: LoadRun,
        checked: rules.Checked,
        manifest: fmt.Manifest,
        references: list[str],
        *,
        as_of: dt.datetime,
        now: dt.datetime,
        earlier_loads: bool = True,
    ) -> None:
        self.run, self.checked, self.manifest = run, checked, manifest
        self.earlier_loads = earlier_loads  # LoadPlan.earlier_loads
        self.references = references  # for the new accounts, in their order
        self.as_of, self.now = as_of, now
        self.ids: dict[str, dict[str, int]] = defaultdict(dict)  # entity → old key → Vool id
        self.known: dict[str, dict[str, queries.Mapped]] = {}
        self.new_keys: dict[str, set[str]] = {}  # entity → the old keys new in this run
        self._line_prints: dict[str, list[str]] | None = None
        self.counts: dict[str, dict[str, int]] = {}
        self.extract_date = dt.date.fromisoformat(
            manifest.meta.get("extract_date", local_date(as_of).isoformat())
        )

    # -- the plan of one entity ------------------------------------------------------------

    def _fingerprint(self, entity: str, record: rules.Record) -> str:
        """The row's fingerprint; a customer's and a point's include their address."""
        if entity in ("customers", "points"):
            address = self.checked.records["addresses"].get(record["address"])
            extra = address["_fingerprint"] if address else ""
            return fmt.fingerprint((record["_fingerprint"], extra))
        if entity == "bills":  # its lines have no key-map rows: the bill's covers them
            return fmt.fingerprint(
                (record["_fingerprint"], *self.line_prints.get(record["_key"], ()))
            )
        return str(record["_fingerprint"])

    @property
    def line_prints(self) -> dict[str, list[str]]:
        """Old bill key → its lines' fingerprints, in the order of the lines' keys."""
        if self._line_prints is None:
            lines = self.checked.records["bill_lines"]
            found: dict[str, list[str]] = defaultdict(list)
            for key in sorted(lines):
                found[lines[key]["bill"]].append(str(lines[key]["_fingerprint"]))
            self._line_prints = dict(found)
        return self._line_prints

    def plan(self, entity: str) -> tuple[list[rules.Record], list[rules.Record]]:
        """The loadable records that are new and those that changed since they were loaded;
        the ids of the known ones are remembered."""
        records = [
            r for r in self.checked.records[entity].values() if self.checked.loadable(entity, r)
        ]
        keys = [r["_key"] for r in records]
        known = queries.key_map(entity=entity, old_keys=keys) if self.earlier_loads else {}
        self.known[entity] = known
        new, changed, unchanged = [], [], 0
        for record in records:
            mapped = known.get(record["_key"])
            if mapped is None:
                new.append(record)
                continue
            self.ids[entity][record["_key"]] = mapped.new_id
            if mapped.fingerprint != self._fingerprint(entity, record):
                changed.append(record)
            else:
                unchanged += 1
        held = len(self.checked.records[entity]) - len(records)
        self.new_keys[entity] = {r["_key"] for r in new}
        self.counts[entity] = {
            "new": len(new),
            "changed": len(changed),
            "unchanged": unchanged,
            "held_back": held,
        }
        return new, changed

    def remember(
        self, entity: str, records: Sequence[rules.Record], rows: Sequence[Model] | Sequence[int]
    ) -> None:
        """The new rows' old key → Vool id (the rows or their keys), in the key map."""
        keys = [r if isinstance(r, int) else int(r.pk) for r in rows]
        copy_rows(
            KeyMap,
            ("entity", "old_key", "new_id", "account_key", "fingerprint", "run"),
            (
                (
                    entity,
                    r["_key"],
                    key,
                    _account_key(self.checked, entity, r),
                    self._fingerprint(entity, r),
                    self.run.pk,
                )
                for r, key in zip(records, keys, strict=True)
            ),
        )
        for record, key in zip(records, keys, strict=True):
            self.ids[entity][record["_key"]] = key

    def refresh(self, entity: str, records: Sequence[rules.Record]) -> None:
        """The changed rows' new fingerprints, in the key map."""
        maps = [
            KeyMap(
                pk=self.known[entity][r["_key"]].id,
                fingerprint=self._fingerprint(entity, r),
                run=self.run,
            )
            for r in records
        ]
        KeyMap.objects.bulk_update(maps, ["fingerprint", "run"], batch_size=2000)

    def history_changed(self, entity: str, records: Sequence[rules.Record]) -> None:
        """History (meters, readings, bills) is not rewritten by a delta: listed instead."""
        spec = fmt.SPECS[entity]
        issues = [
            rules.Issue(
                rules.WARNING,
                spec.file_name,
                r["_line"],
                spec.key[0],
                "HISTORY_CHANGED",
                r["_key"],
                "changed in the old system after it was loaded; not applied",
                (_account_key(self.checked, entity, r),),
            )
            for r in records
        ]
        _write_issues(self.run, issues)

    # -- the load ------------------------------------------------------------------------------

    def load_all(self) -> dict[str, dict[str, int]]:
        steps = (
            self.customers,
            self.accounts,
            self.points,
            self.meters,
            self.registers,
            self.contracts,
            self.readings,
            self.interval_totals,
            self.bills,
            self.bill_lines,
            self.agreements,
            self.balances,
        )
        for step in steps:
            step()
        return self.counts

    def customers(self) -> None:
        new, changed = self.plan("customers")
        merged, merged_into_id = self.checked.merged_into_key, self.checked.merged_into_id
        own: list[rules.Record] = []
        others: list[rules.Record] = []  # merged into another customer
        for record in new:
            key = record["_key"]
            (others if key in merged or key in merged_into_id else own).append(record)
        instances = [Customer(**self._customer_fields(r)) for r in own]
        insert_instances(Customer, instances)
        self.remember("customers", own, instances)
        for record in others:
            into = merged_into_id.get(record["_key"])
            record["_merged_id"] = (
                into if into is not None else self.ids["customers"][merged[record["_key"]]]
            )
        self.remember("customers", others, [Customer(pk=r["_merged_id"]) for r in others])
        updated = [
            Customer(pk=self.ids["customers"][r["_key"]], **self._customer_fields(r))
            for r in changed
        ]
        Customer.objects.bulk_update(updated, CUSTOMER_UPDATES, batch_size=2000)
        self.refresh("customers", changed)

    def _customer_fields(self, record: rules.Record) -> dict[str, Any]:
        address = self.checked.records["addresses"].get(record["address"], {})
        return {
            "kind": record["kind"],
            "personal_code": record["personal_code"],
            "registry_code": record["registry_code"],
            "vat_number": record["vat_number"],
            "first_name": record["first_name"][:100],
            "last_name": record["last_name"][:100],
            "name": record["name"][:200],
            "email": record["email"],
            "phone": record["phone"],
            "preferred_language": record["preferred_language"],
            "street_address": address.get("street", "")[:200],
            "city": address.get("city", "")[:100],
            "postal_code": address.get("postal_code", ""),
        }

    def accounts(self) -> None:
        new, changed = self.plan("accounts")
        agreements = {a["account"]: a for a in self.checked.records["agreements"].values()}
        instances = []
        for record, reference in zip(new, self.references[: len(new)], strict=True):
            agreement = agreements.get(record["_key"])
            instances.append(
                BillingAccount(
                    customer_id=self.ids["customers"][record["customer"]],
                    reference_number=reference,
                    invoice_channel=record["invoice_channel"],
                    payment_method=agreement["payment_method"] if agreement else "BANK_TRANSFER",
                )
            )
        insert_instances(BillingAccount, instances)
        self.remember("accounts", new, instances)
        source = f"legacy extract {self.manifest.meta.get('system', '')} {self.extract_date}"
        copy_rows(
            FormerReferenceNumber,
            ("account", "reference_number", "replaced_on", "source"),
            (
                (i.pk, r["old_reference"], local_date(self.as_of), source.strip()[:100])
                for r, i in zip(new, instances, strict=True)
            ),
        )
        updated = [
            BillingAccount(pk=self.ids["accounts"][r["_key"]], invoice_channel=r["invoice_channel"])
            for r in changed
        ]
        BillingAccount.objects.bulk_update(updated, ["invoice_channel"], batch_size=2000)
        self.refresh("accounts", changed)

    def points(self) -> None:
        new, changed = self.plan("points")
        operators = dict(GridOperator.objects.values_list("code", "id"))
        instances = [
            MeteringPoint(
                **self._point_fields(r),
                eic=r["eic"],
                grid_operator_id=operators[r["grid_operator"]],
            )
            for r in new
        ]
        insert_instances(MeteringPoint, instances)
        self.remember("points", new, instances)
        updated = [
            MeteringPoint(pk=self.ids["points"][r["_key"]], **self._point_fields(r))
            for r in changed
        ]
        MeteringPoint.objects.bulk_update(updated, POINT_UPDATES, batch_size=2000)
        self.refresh("points", changed)

    def _point_fields(self, record: rules.Record) -> dict[str, Any]:
        address = self.checked.records["addresses"].get(record["address"], {})
        return {
            "street_address": address.get("street", "")[:200],
            "city": address.get("city", "")[:100],
            "postal_code": address.get("postal_code", ""),
            "is_apartment": record["is_apartment"],
            "main_fuse_a": record["main_fuse_a"],
            "network_package_code": record["network_package_code"],
            "metering_method": "REMOTE_INTERVAL" if record["remote"] else "MANUAL_REGISTER",
        }

    def _history(
        self,
        entity: str,
        model: type[Model],
        fields: tuple[str, ...],
        build: Callable[[rules.Record], tuple[Any, ...]],
    ) -> None:
        """The new rows of a history entity, written as plain rows (no model instance per
        row): on PostgreSQL with keys drawn from the sequence and COPY."""
        new, changed = self.plan(entity)
        if new and not self._history_from_staging(entity, new):
            self.remember(entity, new, _write_rows(model, fields, build, new))
        self.history_changed(entity, changed)

    def _history_from_staging(self, entity: str, new: list[rules.Record]) -> bool:
        """On PostgreSQL the new readings are read from staging by one statement, their key
        map with them (:mod:`history_sql`); False where that is not done (elsewhere, another
        entity, a value SQL did not read as Python did)."""
        if not history_sql.available() or entity != "readings":
            return False
        plan = history_sql.Plan(
            lines=[r["_line"] for r in new],
            parents=[self.ids["registers"][r["register"]] for r in new],
            account_keys=[_account_key(self.checked, entity, r) for r in new],
            fingerprints=[self._fingerprint(entity, r) for r in new],
        )
        return history_sql.write_readings(
            run_id=self.run.pk, plan=plan, days=self._reading_days(new), now=self.now
        )

    def _reading_days(self, new: list[rules.Record]) -> history_sql.ReadingDays:
        """Each day of the new readings once: its noon, month-end period and known-from."""
        days = sorted({r["day"] for r in new})
        read_at = [local_midnight(day) + READING_HOUR for day in days]
        ends = [DEFAULT_WINDOW.month_end_of(at) for at in read_at]
        return history_sql.ReadingDays(
            days=days,
            read_at=read_at,
            periods=[str(end) if end else "" for end in ends],
            known_at=[max(self.as_of, at) for at in read_at],
        )

    def meters(self) -> None:
        self._history(
            "meters",
            Meter,
            ("metering_point", "serial_number", "digits", "multiplier", "installed_date"),
            lambda r: (
                self.ids["points"][r["point"]],
                r["serial_number"],
                r["digits"],
                r["multiplier"],
                r["installed"],
            ),
        )

    def registers(self) -> None:
        self._history(
            "registers",
            Register,
            ("meter", "kind"),
            lambda r: (self.ids["meters"][r["meter"]], r["kind"]),
        )

    def contracts(self) -> None:
        new, changed = self.plan("contracts")
        today = local_date(self.as_of)
        products = dict(Product.objects.values_list("code", "id"))
        instances = []
        for r in new:
            account = self.checked.records["accounts"][r["account"]]
            instances.append(
                SupplyContract(
                    customer_id=self.ids["customers"][account["customer"]],
                    billing_account_id=self.ids["accounts"][r["account"]],
                    metering_point_id=self.ids["points"][r["point"]],
                    product_id=products[r["product"]],
                    valid_from=r["valid_from"],
                    valid_to=r["valid_to"],
                    status=_status(r, today),
                    signed_channel="MIGRATION",
                    green_energy=r["green_energy"],
                )
            )
        insert_instances(SupplyContract, instances)
        self.remember("contracts", new, instances)
        updated = [
            SupplyContract(
                pk=self.ids["contracts"][r["_key"]],
                valid_to=r["valid_to"],
                status=_status(r, today),
            )
            for r in changed
        ]
        SupplyContract.objects.bulk_update(updated, ["valid_to", "status"], batch_size=2000)
        self.refresh("contracts", changed)

    def readings(self) -> None:
        def build(r: rules.Record) -> tuple[Any, ...]:
            read_at = local_midnight(r["day"]) + READING_HOUR
            month_end = DEFAULT_WINDOW.month_end_of(read_at)
            return (
                self.ids["registers"][r["register"]],
                read_at,
                r["value_kwh"],
                "MIGRATION",
                "ACCEPTED",
                str(month_end) if month_end else "",
                max(self.as_of, read_at),
                f"legacy reading {r['_key']}",
                {},
                self.now,
            )

        fields: tuple[str, ...] = ("register", "read_at", "value_kwh", "source", "status")
        fields += ("period", "known_at", "reason", "details", "created_at")
        self._history("readings", Reading, fields, build)

    def interval_totals(self) -> None:
        self._history(
            "interval_totals",
            HistoricIntervalTotal,
            ("metering_point", "period", "consumption_kwh"),
            lambda r: (self.ids["points"][r["point"]], r["period"], r["kwh"]),
        )

    def bills(self) -> None:
        self._history(
            "bills",
            HistoricBill,
            (
                "billing_account",
                "number",
                "period",
                "issue_date",
                "due_date",
                "consumption_kwh",
                "net_amount",
                "vat_amount",
                "total_amount",
            ),
            lambda r: (
                self.ids["accounts"][r["account"]],
                r["_key"],
                r["period"],
                r["issue_date"],
                r["due_date"],
                r["kwh"],
                r["net"],
                r["vat"],
                r["total"],
            ),
        )

    def bill_lines(self) -> None:
        """A bill's lines (two thirds of an extract's rows) have no key-map rows of their own:
        a line is its bill's (mapped) and its position, and the bill's fingerprint covers its
        lines, so a line changed after its bill was loaded makes the bill ``HISTORY_CHANGED``.
        The lines of the bills new in this run are written; the others were, with their bill."""
        records = [
            r
            for r in self.checked.records["bill_lines"].values()
            if self.checked.loadable("bill_lines", r)
        ]
        new = [r for r in records if r["bill"] in self.new_keys["bills"]]
        self.counts["bill_lines"] = {
            "new": len(new),
            "changed": 0,  # shown on their bill
            "unchanged": len(records) - len(new),
            "held_back": len(self.checked.records["bill_lines"]) - len(records),
        }
        bills = self.ids["bills"]
        copy_rows(  # no key of theirs is needed: the database draws them
            HistoricBillLine,
            ("bill", "position", "description", "quantity", "unit", "unit_price", "amount"),
            (
                (
                    bills[r["bill"]],
                    r["position"],
                    r["description"],
                    r["quantity"],
                    r["unit"],
                    r["unit_price"],
                    r["amount"],
                )
                for r in new
            ),
        )

    def agreements(self) -> None:
        new, changed = self.plan("agreements")
        instances = [
            PaymentAgreement(**self._agreement_fields(r), old_agreement_id=r["_key"]) for r in new
        ]
        insert_instances(PaymentAgreement, instances)
        self.remember("agreements", new, instances)
        updated = [
            PaymentAgreement(pk=self.ids["agreements"][r["_key"]], **self._agreement_fields(r))
            for r in changed
        ]
        PaymentAgreement.objects.bulk_update(updated, AGREEMENT_UPDATES, batch_size=2000)
        BillingAccount.objects.bulk_update(
            [
                BillingAccount(
                    pk=self.ids["accounts"][r["account"]], payment_method=r["payment_method"]
                )
                for r in changed
            ],
            ["payment_method"],
            batch_size=2000,
        )
        self.refresh("agreements", changed)

    def _agreement_fields(self, record: rules.Record) -> dict[str, Any]:
        return {
            "billing_account_id": self.ids["accounts"][record["account"]],
            "kind": record["kind"],
            "bank_bic": record["bank_bic"],
            "payer_iban": record["payer_iban"],
            "valid_from": record["valid_from"],
        }

    def balances(self) -> None:
        """Each account's open items as its opening balance in the ledger; later, the change
        since what was taken over (a delta after the freeze)."""
        new, changed = self.plan("balances")
        records = new + changed
        account_ids = [self.ids["accounts"][r["account"]] for r in records]
        taken = queries.taken_over(billing_account_ids=account_ids)
        balances = [
            ledger_operations.OpeningBalance(
                billing_account_id=account_id,
                amount=r["amount"] - taken.get(account_id, Decimal(0)),
                reference=f"legacy {r['account']}",
            )
            for r, account_id in zip(records, account_ids, strict=True)
        ]
        ledger_operations.post_opening_balances(
            balances=balances, posted_date=self.extract_date, created_at=self.as_of
        )
        self._remember_on_accounts("balances", new)
        self.refresh("balances", changed)
        new, changed = self.plan("open_items")
        self._remember_on_accounts("open_items", new)
        self.refresh("open_items", changed)

    def _remember_on_accounts(self, entity: str, records: list[rules.Record]) -> None:
        """A balance and its open items live in the account's ledger: mapped to the account
        (its opening-balance transaction is ``ledger.operations.OPENING_BALANCE_DOCUMENT``)."""
        accounts = [BillingAccount(pk=self.ids["accounts"][r["account"]]) for r in records]
        self.remember(entity, records, accounts)


CUSTOMER_UPDATES = [
    "name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "preferred_language",
    "street_address",
    "city",
    "postal_code",
    "vat_number",
]
POINT_UPDATES = [
    "street_address",
    "city",
    "postal_code",
    "is_apartment",
    "main_fuse_a",
    "network_package_code",
    "metering_method",
]
AGREEMENT_UPDATES = ["kind", "bank_bic", "payer_iban", "valid_from"]


def _write_rows(
    model: type[Model],
    fields: tuple[str, ...],
    build: Callable[[rules.Record], tuple[Any, ...]],
    records: Sequence[rules.Record],
) -> list[int]:
    """New rows of a history entity as plain rows (no model instance per row): on PostgreSQL
    with keys drawn from the sequence and COPY; their keys, in order."""
    if not records:
        return []
    keys = reserve_ids(model, len(records))
    if keys is None:  # elsewhere: bulk_create sets the keys
        names = [getattr(model._meta.get_field(f), "attname", f) for f in fields]
        instances = [model(**dict(zip(names, build(r), strict=True))) for r in records]
        insert_instances(model, instances)
        return [int(i.pk) for i in instances]
    copy_rows(model, ("id", *fields), ((k, *build(r)) for k, r in zip(keys, records, strict=True)))
    return keys


def _status(record: rules.Record, today: dt.date) -> str:
    ended = record["valid_to"] is not None and record["valid_to"] <= today
    return "TERMINATED" if ended else "ACTIVE"


def _account_key(checked: rules.Checked, entity: str, record: rules.Record) -> str:
    return ",".join(sorted(checked.accounts_of(entity, record)))[:40]
