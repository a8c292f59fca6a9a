"""Reads for the legacy migration: what Vool already knows, the key map, taken-over balances."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import Q, QuerySet, Sum

from vool.domain.bulk import IN_LIST, in_batches
from vool.domain.customers.models import BillingAccount, Customer, FormerReferenceNumber
from vool.domain.ledger.models import LedgerAccount, Posting
from vool.domain.ledger.operations import OPENING_BALANCE_DOCUMENT
from vool.domain.legacy import extract_format as fmt
from vool.domain.legacy import rules
from vool.domain.legacy.models import KeyMap, LoadRun, StagedBlock, StagedRow
from vool.domain.supply.models import GridOperator, MeteringPoint
from vool.domain.tariffs.models import Product

RUN_MANIFEST, RUN_HELD = "manifest", "held"  # in LoadRun.counts: see :func:`held_back_by`


class Mapped(NamedTuple):
    id: int  # of the KeyMap row
    new_id: int
    fingerprint: str


def key_map(*, entity: str, old_keys: Sequence[str]) -> dict[str, Mapped]:
    """The key-map rows of these old keys (unknown ones left out), looked up on the index (a
    chunk of a load asks for its own keys only, however large the map): on PostgreSQL the
    keys go as one array (no statement of thousands of parameters to build and parse)."""
    found: dict[str, Mapped] = {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT old_key, id, new_id, fingerprint FROM legacy_keymap "
                "WHERE entity = %s AND old_key = ANY(%s)",
                [entity, list(old_keys)],
            )
            return {k: Mapped(i, n, f) for k, i, n, f in cursor.fetchall()}
    rows = KeyMap.objects.filter(entity=entity).values_list(
        "old_key", "id", "new_id", "fingerprint"
    )
    for batch in in_batches(old_keys):
        found.update((k, Mapped(i, n, f)) for k, i, n, f in rows.filter(old_key__in=batch))
    return found


def key_ids(*, entity: str, old_keys: Sequence[str]) -> dict[str, int]:
    """Old key → Vool id of these old keys (unknown ones left out); like :func:`key_map`,
    for many keys the entity's whole map is streamed, its two columns only."""
    found: dict[str, int] = {}
    rows = KeyMap.objects.filter(entity=entity).values_list("old_key", "new_id")
    if len(old_keys) <= 10 * IN_LIST:
        for chunk in in_batches(old_keys):
            found.update(rows.filter(old_key__in=chunk))
        return found
    wanted = set(old_keys)
    for key, new_id in rows.iterator(chunk_size=50_000):
        if key in wanted:
            found[key] = new_id
    return found


def held_back_by(*, manifest_digest: str) -> dict[str, str] | None:
    """The accounts the latest load of this extract (known by its manifest's digest, wherever
    it was read from) held back, with their causes; ``None`` if it was never loaded."""
    counts = (
        LoadRun.objects.filter(dry_run=False, **{f"counts__{RUN_MANIFEST}": manifest_digest})
        .order_by("-pk")
        .values_list("counts", flat=True)
        .first()
    )
    return None if counts is None else dict(counts.get(RUN_HELD, {}))


def old_keys_of(*, entity: str, new_ids: Iterable[int]) -> dict[int, set[str]]:
    keys: dict[int, set[str]] = {}
    for chunk in in_batches(sorted(set(new_ids))):
        for old_key, new_id in KeyMap.objects.filter(entity=entity, new_id__in=chunk).values_list(
            "old_key", "new_id"
        ):
            keys.setdefault(new_id, set()).add(old_key)
    return keys


def _column(rows: list[fmt.Row], entity: str, column: str) -> list[str]:
    at = fmt.SPECS[entity].columns.index(column)
    return sorted({r.values[at].strip() for r in rows if r.values[at].strip()})


def context(
    rows: dict[str, list[fmt.Row]], *, today: dt.date, earlier_loads: bool = True
) -> rules.Context:
    """What Vool knows that the validation needs, for the codes this extract holds; the codes
    of earlier loads' customers only if there were ``earlier_loads``."""
    codes = _column(rows["customers"], "customers", "ISIKUKOOD") + _column(
        rows["customers"], "customers", "REG_KOOD"
    )
    known: list[tuple[int, str, str | None, str | None]] = []
    for chunk in in_batches(codes):
        known += Customer.objects.filter(
            Q(personal_code__in=chunk) | Q(registry_code__in=chunk)
        ).values_list("id", "name", "personal_code", "registry_code")
    old_customers = old_keys_of(entity="customers", new_ids=[k[0] for k in known])
    customers = {
        (personal or registry or ""): rules.KnownCustomer(
            id, name, frozenset(old_customers.get(id, ()))
        )
        for id, name, personal, registry in known
    }
    eics: dict[str, str] = {}
    for chunk in in_batches(_column(rows["points"], "points", "EIC")):
        points = dict(MeteringPoint.objects.filter(eic__in=chunk).values_list("id", "eic"))
        old = old_keys_of(entity="points", new_ids=points)
        eics.update({eic: min(old.get(id, {""})) for id, eic in points.items()})
    references: dict[str, str] = {}
    for chunk in in_batches(_column(rows["accounts"], "accounts", "VIITENUMBER")):
        former = dict(
            FormerReferenceNumber.objects.filter(reference_number__in=chunk).values_list(
                "account_id", "reference_number"
            )
        )
        old = old_keys_of(entity="accounts", new_ids=former)
        references.update({ref: min(old.get(id, {""})) for id, ref in former.items()})
        current = BillingAccount.objects.filter(reference_number__in=chunk)
        references.update({ref: "" for ref in current.values_list("reference_number", flat=True)})
    return rules.Context(
        earlier_codes=_earlier_codes(codes) if earlier_loads else {},
        products=frozenset(Product.objects.values_list("code", flat=True)),
        grid_operators=frozenset(GridOperator.objects.values_list("code", flat=True)),
        customers_by_code=customers,
        eics=eics,
        former_references=references,
        today=today,
    )


def staged(*, run_id: int, entity: str) -> list[fmt.Row]:
    """A run's staged rows of one entity, as read from its file, in the order of their lines
    (from :class:`StagedRow` or from the blocks of :class:`StagedBlock`)."""
    if entity in StagedRow.ENTITIES:
        found = StagedRow.objects.filter(run_id=run_id, entity=entity).values_list("line", "fields")
        rows = [fmt.Row(line, StagedRow.split(fields)) for line, fields in found]
    else:
        blocks = StagedBlock.objects.filter(run_id=run_id, entity=entity).values_list(
            "rows", flat=True
        )
        rows = [fmt.Row(*row) for block in blocks for row in StagedBlock.unpack(block)]
    return sorted(rows, key=lambda row: row.line)


def staged_customers(*, codes: Sequence[str]) -> QuerySet[StagedRow]:
    """The staged customer rows of loads (not dry runs) with these personal or registry codes.
    ``lookup <> ''`` is written out: PostgreSQL uses the partial index on ``lookup`` only where
    the query says so (it does not prove it from an IN list of 900 codes); without it every
    staged row was scanned (2.4 s a query at 500,000 customers, 1.5 ms with it)."""
    return StagedRow.objects.filter(
        lookup__in=codes, entity="customers", run__dry_run=False
    ).exclude(lookup="")


def _earlier_codes(codes: Sequence[str]) -> dict[str, dict[str, str]]:
    """The customers of earlier loads' extracts with these codes that are not loaded."""
    spec = fmt.SPECS["customers"]
    key, name = spec.columns.index("KLIENT_ID"), spec.columns.index("NIMI")
    found: dict[str, dict[str, str]] = {}
    for chunk in in_batches(codes):
        staged = staged_customers(codes=chunk).values_list("lookup", "fields")
        for code, fields in staged:
            values = StagedRow.split(fields)
            found.setdefault(code, {})[values[key]] = values[name]
    loaded = key_map(entity="customers", old_keys=[k for v in found.values() for k in v])
    return {
        code: {k: name for k, name in names.items() if k not in loaded}
        for code, names in found.items()
    }


def taken_over(*, billing_account_ids: Sequence[int]) -> dict[int, Decimal]:
    """What has been taken over from the legacy system into each account's receivable so far."""
    totals: dict[int, Decimal] = {}
    for chunk in in_batches(billing_account_ids):
        totals.update(
            Posting.objects.filter(
                billing_account_id__in=chunk,
                account=LedgerAccount.RECEIVABLE,
                transaction__document_type=OPENING_BALANCE_DOCUMENT,
            )
            .values_list("billing_account_id")
            .annotate(total=Sum("amount"))
            .values_list("billing_account_id", "total")
        )
    return totals
