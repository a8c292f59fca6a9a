"""``vool legacy reconcile``: the legacy extract (and its deltas) against what Vool holds —
counts per entity, and per account and in total the balance, the last 13 bills' amounts and
count, and the consumption in kWh. Every difference is listed by account with its cause; the
go-live rule is that none is unexplained. An account held back by the validation explains its
own differences (the rules are named); anything else is unexplained.

The legacy side is read from the extract's files (checked against their manifest's counts and
control totals) without validating them again, as a stream in bounded memory
(:mod:`reconcile_stream`): which accounts the validation held back, and
why, the load run of that very extract recorded (:func:`queries.held_back_by`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db.models import Count, Max, Min, Sum

from vool.common.collector import gc_paused
from vool.domain.bulk import in_batches
from vool.domain.contracts.models import SupplyContract
from vool.domain.ledger.models import LedgerAccount, Posting
from vool.domain.ledger.operations import OPENING_BALANCE_DOCUMENT
from vool.domain.legacy import queries, reconcile_stream
from vool.domain.legacy.models import HistoricBill, HistoricIntervalTotal
from vool.domain.metering.models import Reading

MEASURES = reconcile_stream.MEASURES
ZERO = reconcile_stream.ZERO


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


def _vool_measures(
    account_ids: dict[str, int],
) -> tuple[dict[int, dict[str, Decimal]], dict[int, Decimal]]:
    measures: dict[int, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(MEASURES, ZERO))
    taken: dict[int, Decimal] = defaultdict(Decimal)
    ids = sorted(account_ids.values())
    for chunk in in_batches(ids):
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
    extract's files (:func:`reconcile_stream.read`: streamed, in bounded memory), which
    accounts are held back from the load runs that validated them."""
    with gc_paused():  # the extract's rows streamed past what is kept of them
        legacy = reconcile_stream.read(directories)
    measures, causes, held = legacy.measures, legacy.held, set(legacy.held)
    report = Report(not_loaded=legacy.not_loaded)
    report.counts = [
        EntityCount(entity, t.legacy, t.held, t.loaded, t.vool_records)
        for entity, t in legacy.tallies.items()
    ]
    account_keys = legacy.accounts
    mapped = queries.key_ids(entity="accounts", old_keys=account_keys)
    vool, taken = _vool_measures(mapped)
    report.accounts = len(account_keys)
    for measure in MEASURES:
        report.legacy_totals[measure] = sum((measures[k][measure] for k in account_keys), ZERO)
        report.held_totals[measure] = sum((measures[k][measure] for k in held), ZERO)
        report.vool_totals[measure] = sum((vool[mapped[k]][measure] for k in mapped), ZERO)
    for key in account_keys:
        ours = vool[mapped[key]] if key in mapped else dict.fromkeys(MEASURES, ZERO)
        for measure in MEASURES:
            theirs, mine = measures[key][measure], ours[measure]
            if theirs == mine:
                continue
            report.differences.append(
                _explain(key, measure, theirs, mine, held, causes, mapped, taken)
            )
    return report


def _explain(
    key: str,
    measure: str,
    theirs: Decimal,
    mine: Decimal,
    held: set[str],
    causes: dict[str, str],
    mapped: dict[str, int],
    taken: dict[int, Decimal],
) -> Difference:
    if key in held:
        return Difference(key, measure, theirs, mine, f"held back: {causes.get(key) or '?'}", True)
    if key not in mapped:
        return Difference(key, measure, theirs, mine, "not loaded (run vool legacy load)", False)
    if measure == "balance" and taken.get(mapped[key], ZERO) == theirs:
        return Difference(key, measure, theirs, mine, "Vool postings since the take-over", True)
    return Difference(key, measure, theirs, mine, "unexplained", False)
