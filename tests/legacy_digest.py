"""A digest of what a legacy load wrote, with every surrogate key replaced by the old key it
maps to, so that two loads of one extract (another path, other chunks) can be compared row
for row: the entity rows, the history, the shadow month's 15-minute data, the key map, the
opening balances and the staged rows."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from django.db.models import Model

from vool.domain.contracts.models import SupplyContract
from vool.domain.customers.models import BillingAccount, Customer, FormerReferenceNumber
from vool.domain.ledger.models import Posting
from vool.domain.legacy import extract_format as fmt
from vool.domain.legacy import queries
from vool.domain.legacy.models import (
    HistoricBill,
    HistoricBillLine,
    HistoricIntervalTotal,
    KeyMap,
    LoadRun,
    PaymentAgreement,
)
from vool.domain.metering.models import IntervalDay, Meter, Reading, Register
from vool.domain.supply.models import MeteringPoint

# the model of each entity whose rows the key map maps
MODELS: dict[str, type[Model]] = {
    "customers": Customer,
    "accounts": BillingAccount,
    "points": MeteringPoint,
    "meters": Meter,
    "registers": Register,
    "contracts": SupplyContract,
    "readings": Reading,
    "interval_totals": HistoricIntervalTotal,
    "bills": HistoricBill,
}
# every model a load writes rows of, and its fields drawn from a sequence (left out, as is
# the real time a row was written)
WRITTEN: tuple[tuple[type[Model], tuple[str, ...]], ...] = (
    (Customer, ()),
    (BillingAccount, ("reference_number",)),
    (FormerReferenceNumber, ()),
    (MeteringPoint, ()),
    (Meter, ()),
    (Register, ()),
    (SupplyContract, ()),
    (Reading, ()),
    (HistoricIntervalTotal, ()),
    (HistoricBill, ()),
    (HistoricBillLine, ()),
    (PaymentAgreement, ()),
    (IntervalDay, ()),  # the shadow month's 15-minute data
)
REAL_TIME = ("created_at", "updated_at")
# a foreign key's target model → the entity whose old keys name its rows
ENTITY_OF = {model: entity for entity, model in MODELS.items()}


def _old_keys(entity: str) -> dict[int, str]:
    """Vool id → old key (the smallest, for a customer two old customers were merged into)."""
    keys: dict[int, str] = {}
    for new_id, old_key in KeyMap.objects.filter(entity=entity).values_list("new_id", "old_key"):
        keys[new_id] = min(old_key, keys.get(new_id, old_key))
    return keys


def _model_rows(model: type[Model], left_out: tuple[str, ...]) -> Iterator[str]:
    left_out = ("id", *REAL_TIME, *left_out)
    fields = [f for f in model._meta.concrete_fields if f.name not in left_out]
    names = [f.attname for f in fields]
    mapped = {
        f.attname: _old_keys(ENTITY_OF[f.related_model])
        for f in fields
        if f.is_relation and f.related_model in ENTITY_OF
    }
    own = _old_keys(ENTITY_OF[model]) if model in ENTITY_OF else {}
    for pk, *values in model._default_manager.values_list("pk", *names):
        # a binary field is a memoryview on PostgreSQL: its bytes are what is compared
        values = [bytes(v) if isinstance(v, memoryview) else v for v in values]
        row = dict(zip(names, values, strict=True))
        for name, keys in mapped.items():
            row[name] = keys.get(row[name], f"unmapped {row[name]}")
        key = own.get(pk, "unmapped") if model in ENTITY_OF else ""
        yield f"{model.__name__} {key} {sorted(row.items(), key=lambda item: item[0])}"


def _rows() -> Iterator[str]:
    for model, left_out in WRITTEN:
        yield from _model_rows(model, left_out)
    ids = {e: set(m._default_manager.values_list("pk", flat=True)) for e, m in MODELS.items()}
    for entity, old_key, new_id, account_key, fingerprint in KeyMap.objects.values_list(
        "entity", "old_key", "new_id", "account_key", "fingerprint"
    ):
        mapped = new_id in ids[entity] if entity in ids else True
        yield f"KeyMap {entity} {old_key} {account_key} {fingerprint} {mapped}"
    for at, run_id in enumerate(LoadRun.objects.order_by("pk").values_list("pk", flat=True)):
        for spec in fmt.FILES:  # staged as read, in rows or in blocks alike
            for row in queries.staged(run_id=run_id, entity=spec.entity):
                yield f"Staged {at} {spec.entity} {row.line} {row.values}"
    accounts = _old_keys("accounts")
    for account, ledger, amount, posted in Posting.objects.filter(
        billing_account__isnull=False
    ).values_list("billing_account_id", "account", "amount", "transaction__posted_date"):
        yield f"Posting {accounts.get(account)} {ledger} {amount} {posted}"


def digest() -> tuple[str, int]:
    """The digest of every row a load wrote, and how many rows."""
    rows = sorted(_rows())
    return hashlib.sha256("\n".join(rows).encode()).hexdigest(), len(rows)
