"""``vool legacy reconcile``: the legacy extract (and its deltas) against what Vool holds —
counts per entity, and per account and in total the balance, the last 13 bills' amounts and
count, and the consumption in kWh. Every difference is listed by account with its cause; the
go-live rule is that none is unexplained. An account held back by the validation explains its
own differences (the rules are named); anything else is unexplained.

The legacy side is read from the extract's files (checked against their manifest's counts and
control totals) without validating them again: which accounts the validation held back, and
why, the load run of that very extract recorded (:func:`queries.held_back_by`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db.models import Count, Max, Min, Sum

from vool.domain.contracts.models import SupplyContract
from vool.domain.ledger.models import LedgerAccount, Posting
from vool.domain.ledger.operations import OPENING_BALANCE_DOCUMENT
from vool.domain.legacy import extract_format as fmt
from vool.domain.legacy import operations, queries, rules
from vool.domain.legacy.models import HistoricBill, HistoricIntervalTotal
from vool.domain.metering.models import Reading

MEASURES = ("balance", "bills", "bills_amount", "consumption_kwh")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Difference:
    account_key: str
    measure: str
    legacy: Decimal
    vool: Decimal
    cause: str
    explained: bool


@dataclass(frozen=True)
class EntityCount:
    entity: str
    legacy: int
    held_back: int
    loaded: int  # old keys mapped to Vool
    vool_records: int  # distinct Vool records they map to (merged customers are one)

    @property
    def explained(self) -> bool:
        return self.loaded == self.legacy - self.held_back


@dataclass
class Report:
    counts: list[EntityCount] = field(default_factory=list)
    legacy_totals: dict[str, Decimal] = field(default_factory=dict)
    vool_totals: dict[str, Decimal] = field(default_factory=dict)
    held_totals: dict[str, Decimal] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)
    accounts: int = 0
    not_loaded: list[Path] = field(default_factory=list)  # extracts no load run read

    @property
    def unexplained(self) -> list[Difference]:
        return [d for d in self.differences if not d.explained]

    @property
    def ok(self) -> bool:
        return not self.unexplained and all(c.explained for c in self.counts)


# the numbers of the extract reconcile measures (entity → record field → column)
NUMBERS = {
    "balances": {"amount": "SALDO"},
    "bills": {"total": "SUMMA"},
    "readings": {"value_kwh": "NAIT_KWH"},
    "interval_totals": {"kwh": "KWH"},
}


@dataclass
class Layers:
    """A full extract with its deltas laid over it: the rows (a later row of the same old
    key replaces the earlier; a delta's account replaces its open items whole) and the
    accounts held back, with their causes, as the load runs of these extracts found them."""

    rows: dict[str, list[fmt.Row]]
    held: dict[str, str]
    not_loaded: list[Path]


def layers(directories: Sequence[Path]) -> Layers:
    """Read the extracts (each checked against its manifest's counts and control totals)
    and take from their load runs which accounts they held back — no row is validated again:
    an extract that was not loaded (or changed since) holds nothing back, so its differences
    stay unexplained."""
    merged: dict[str, dict[str, fmt.Row]] = defaultdict(dict)
    held: dict[str, str] = {}
    not_loaded: list[Path] = []
    account_at = fmt.SPECS["accounts"].columns.index("KONTO_ID")
    for directory in directories:
        manifest, rows = operations.read_extract(directory)
        if manifest.kind == "delta":
            delta_accounts = {r.values[0] for r in rows["balances"]}
            at = fmt.SPECS["open_items"].columns.index("KONTO_ID")
            merged["open_items"] = {
                k: r for k, r in merged["open_items"].items() if r.values[at] not in delta_accounts
            }
        for spec in fmt.FILES:
            key_at = [spec.columns.index(c) for c in spec.key]
            into = merged[spec.entity]
            for row in rows[spec.entity]:
                into["/".join([row.values[i].strip() for i in key_at])] = row
        by_run = queries.held_back_by(manifest_digest=manifest.digest)
        if by_run is None:
            not_loaded.append(directory)
            by_run = {}
        layer = {r.values[account_at].strip() for r in rows["accounts"]} | set(by_run)
        held = {k: v for k, v in held.items() if k not in layer} | by_run
    return Layers({e: list(r.values()) for e, r in merged.items()}, held, not_loaded)


def _legacy_measures(checked: rules.Checked) -> dict[str, dict[str, Decimal]]:
    measures: dict[str, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(MEASURES, ZERO))
    for key, balance in checked.records["balances"].items():
        measures[key]["balance"] = balance["amount"] or ZERO
    for bill in checked.records["bills"].values():
        measures[bill["account"]]["bills"] += 1
        measures[bill["account"]]["bills_amount"] += bill["total"] or ZERO
    by_point = _point_kwh(
        (
            (r["register"], r["value_kwh"])
            for r in checked.records["readings"].values()
            if r["value_kwh"] is not None
        ),
        {k: r["meter"] for k, r in checked.records["registers"].items()},
        {k: r["point"] for k, r in checked.records["meters"].items()},
        (
            (t["point"], t["kwh"])
            for t in checked.records["interval_totals"].values()
            if t["kwh"] is not None
        ),
    )
    for contract in checked.records["contracts"].values():
        measures[contract["account"]]["consumption_kwh"] += by_point.pop(contract["point"], ZERO)
    return measures


def _point_kwh(
    readings: Iterable[tuple[str, Decimal]],
    register_meter: dict[str, str],
    meter_point: dict[str, str],
    totals: Iterable[tuple[str, Decimal]],
) -> dict[str, Decimal]:
    """Per point: each register's last reading minus its first, plus the interval totals."""
    low: dict[str, Decimal] = {}
    high: dict[str, Decimal] = {}
    for register, value in readings:
        low[register] = min(value, low.get(register, value))
        high[register] = max(value, high.get(register, value))
    kwh: dict[str, Decimal] = defaultdict(Decimal)
    for register in low:
        point = meter_point.get(register_meter.get(register, ""), "")
        kwh[point] += high[register] - low[register]
    for point, value in totals:
        kwh[point] += value
    return kwh


def _vool_measures(
    account_ids: dict[str, int],
) -> tuple[dict[int, dict[str, Decimal]], dict[int, Decimal]]:
    measures: dict[int, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(MEASURES, ZERO))
    taken: dict[int, Decimal] = defaultdict(Decimal)
    ids = sorted(account_ids.values())
    for chunk in queries.chunks(ids):
        for account, document, total in (
            Posting.objects.filter(billing_account_id__in=chunk, account=LedgerAccount.RECEIVABLE)
            .values_list("billing_account_id", "transaction__document_type")
            .annotate(total=Sum("amount"))
        ):
            measures[account]["balance"] += Decimal(total).quantize(Decimal("0.01"))
            if document == OPENING_BALANCE_DOCUMENT:
                taken[account] += Decimal(total).quantize(Decimal("0.01"))
        for account, count, amount in (
            HistoricBill.objects.filter(billing_account_id__in=chunk)
            .values_list("billing_account_id")
            .annotate(n=Count("id"), total=Sum("total_amount"))
            .values_list("billing_account_id", "n", "total")
        ):
            measures[account]["bills"] += count
            measures[account]["bills_amount"] += Decimal(amount).quantize(Decimal("0.01"))
        contracts = list(
            SupplyContract.objects.filter(billing_account_id__in=chunk).values_list(
                "billing_account_id", "metering_point_id"
            )
        )
        points = sorted({p for _, p in contracts})
        readings = (
            Reading.objects.filter(
                register__meter__metering_point_id__in=points, source="MIGRATION"
            )
            .values_list("register_id", "register__meter__metering_point_id")
            .annotate(low=Min("value_kwh"), high=Max("value_kwh"))
        )
        kwh: dict[int, Decimal] = defaultdict(Decimal)
        for _, point, low, high in readings:
            kwh[point] += Decimal(high) - Decimal(low)
        for point, total in (
            HistoricIntervalTotal.objects.filter(metering_point_id__in=points)
            .values_list("metering_point_id")
            .annotate(t=Sum("consumption_kwh"))
        ):
            kwh[point] += Decimal(total).quantize(Decimal("0.001"))
        for account, point in contracts:
            measures[account]["consumption_kwh"] += kwh.pop(point, ZERO)
    return measures, taken


def reconcile(*, directories: Sequence[Path]) -> Report:
    """Compare the extract (with its deltas, in order) with Vool: the legacy side from the
    extract's files, which accounts are held back from the load runs that validated them."""
    layered = layers(directories)
    checked = rules.link(layered.rows, NUMBERS, held=set(layered.held))
    causes = layered.held
    report = Report(not_loaded=layered.not_loaded)
    report.counts = _counts(checked)
    legacy = _legacy_measures(checked)
    account_keys = sorted(checked.records["accounts"])
    mapped = queries.key_ids(entity="accounts", old_keys=account_keys)
    vool, taken = _vool_measures(mapped)
    report.accounts = len(account_keys)
    for measure in MEASURES:
        report.legacy_totals[measure] = sum((legacy[k][measure] for k in account_keys), ZERO)
        report.held_totals[measure] = sum((legacy[k][measure] for k in checked.held), ZERO)
        report.vool_totals[measure] = sum((vool[mapped[k]][measure] for k in mapped), ZERO)
    for key in account_keys:
        ours = vool[mapped[key]] if key in mapped else dict.fromkeys(MEASURES, ZERO)
        for measure in MEASURES:
            theirs, mine = legacy[key][measure], ours[measure]
            if theirs == mine:
                continue
            report.differences.append(
                _explain(key, measure, theirs, mine, checked, causes, mapped, taken)
            )
    return report


def _explain(
    key: str,
    measure: str,
    theirs: Decimal,
    mine: Decimal,
    checked: rules.Checked,
    causes: dict[str, str],
    mapped: dict[str, int],
    taken: dict[int, Decimal],
) -> Difference:
    if key in checked.held:
        return Difference(key, measure, theirs, mine, f"held back: {causes.get(key) or '?'}", True)
    if key not in mapped:
        return Difference(key, measure, theirs, mine, "not loaded (run vool legacy load)", False)
    if measure == "balance" and taken.get(mapped[key], ZERO) == theirs:
        return Difference(key, measure, theirs, mine, "Vool postings since the take-over", True)
    return Difference(key, measure, theirs, mine, "unexplained", False)


def _counts(checked: rules.Checked) -> list[EntityCount]:
    counts = []
    for spec in fmt.FILES:
        if spec.entity in ("products", "addresses"):
            continue
        records = checked.records[spec.entity]
        held = sum(1 for r in records.values() if not checked.loadable(spec.entity, r))
        if spec.entity == "bill_lines":  # mapped by their bill (no key-map rows of their own)
            loaded = len(_loaded_bill_lines(records))
            counts.append(EntityCount(spec.entity, len(records), held, loaded, loaded))
            continue
        mapped = queries.key_ids(entity=spec.entity, old_keys=list(records))
        counts.append(
            EntityCount(spec.entity, len(records), held, len(mapped), len(set(mapped.values())))
        )
    return counts


def _loaded_bill_lines(lines: dict[str, rules.Record]) -> set[str]:
    """The old keys (bill/position) of the legacy bill lines Vool holds: their bill mapped
    and a line at their position on it."""
    bills = queries.key_ids(entity="bills", old_keys=sorted({r["bill"] for r in lines.values()}))
    held_lines = queries.bill_line_positions(bill_ids=list(bills.values()))
    return {
        key
        for key, r in lines.items()
        if r["bill"] in bills and (bills[r["bill"]], _position(key)) in held_lines
    }


def _position(line_key: str) -> int | None:
    """The position (``RIDA``) in a bill line's old key ``ARVE_NR/RIDA``."""
    try:
        return int(line_key.rsplit("/", 1)[-1])
    except ValueError:
        return None
