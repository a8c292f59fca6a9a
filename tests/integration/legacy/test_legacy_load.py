"""The legacy migration, stage by stage, on a generated extract of a few hundred customers:
the dirt in the validation report with its rule, load → reconcile to zero unexplained
differences, loading again changes nothing, a delta applies only its changes, the old
reference numbers still match payments, the bank files."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from vool.domain.customers.models import BillingAccount, Customer, FormerReferenceNumber
from vool.domain.ledger.models import LedgerAccount, Posting
from vool.domain.legacy import operations, reconcile
from vool.domain.legacy.models import HistoricBill, KeyMap
from vool.domain.metering.models import Reading
from vool.domain.supply.models import MeteringPoint
from vool.usecases import legacy_extract
from vool.usecases.demo import seed

pytestmark = pytest.mark.django_db

CUSTOMERS = 300
AS_OF = dt.datetime(2026, 11, 28, 20, 0, tzinfo=dt.UTC)
DELTA_AS_OF = dt.datetime(2026, 12, 2, 20, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("extract")
    legacy_extract.make_extract(directory=directory, customers=CUSTOMERS, seed=5)
    return directory


@pytest.fixture(scope="module")
def delta(tmp_path_factory: pytest.TempPathFactory, extract: Path) -> Path:
    directory = tmp_path_factory.mktemp("delta")
    legacy_extract.make_delta(directory=directory, base=extract)
    return directory


@pytest.fixture
def reference_data() -> None:
    seed.ensure_reference_data()


def load(
    directory: Path, *, as_of: dt.datetime = AS_OF, dry_run: bool = False
) -> operations.LoadResult:
    return operations.load_extract(
        directory=directory,
        as_of=as_of,
        now=as_of,
        user=None,
        reason="go-live rehearsal",
        dry_run=dry_run,
    )


def state() -> tuple[int, ...]:
    return (
        Customer.objects.count(),
        BillingAccount.objects.count(),
        MeteringPoint.objects.count(),
        Reading.objects.count(),
        HistoricBill.objects.count(),
        Posting.objects.count(),
        KeyMap.objects.count(),
    )


def test_smoke(extract: Path, reference_data: None) -> None:
    result = load(extract)
    rules = Counter(i.rule for i in result.issues)
    print(rules, result.counts, len(result.held_accounts))
    report = reconcile.reconcile(directories=[extract])
    print(report.unexplained[:5], len(report.differences))
    assert not report.unexplained
