from __future__ import annotations

import datetime as dt
from collections import Counter
from itertools import pairwise

import pytest
from django.db import IntegrityError, connection, transaction

from vool.common import identifiers
from vool.common.localtime import intervals_in_day
from vool.domain.contracts.models import SupplyContract
from vool.domain.customers.models import BillingAccount, Customer, FormerReferenceNumber
from vool.domain.integrity import operations as integrity
from vool.domain.metering.intervals import unpack_quality, unpack_values
from vool.domain.metering.models import IntervalDay, Meter, Reading, Register
from vool.domain.supply.models import MeteringPoint
from vool.usecases.demo import seed

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 4, 2)  # history from 2026-01-01, over the spring DST change


def run_seed(customers: int = 60, seed_value: int = 7) -> seed.SeedResult:
    return seed.seed_demo(customers=customers, seed=seed_value, as_of=AS_OF, history_months=3)


def snapshot() -> list[tuple[object, ...]]:
    return list(
        Customer.objects.order_by("pk").values_list(
            "kind", "name", "personal_code", "registry_code", "vat_number", "city"
        )
    )


def wipe_demo_data() -> None:
    """Delete what the seeder wrote, inside the test's transaction. Readings and interval
    data are append-only (database guards): this wipe lifts them with the one maintenance
    switch, as a database reset does."""
    with integrity.maintenance(reason="test: wipe the demo data"):
        for model in (IntervalDay, Reading, SupplyContract, Register, Meter, MeteringPoint):
            model.objects.all().delete()
        FormerReferenceNumber.objects.all().delete()
        BillingAccount.objects.all().delete()
        Customer.objects.all().delete()


class TestSeedDemo:
    def test_one_account_in_eight_has_a_former_reference_number(self):
        result = run_seed()
        former = list(FormerReferenceNumber.objects.select_related("account"))
        assert result.former_reference_numbers == len(former) > 0
        assert {f.account_id % seed.FORMER_REFERENCE_EVERY for f in former} == {0}
        current = set(BillingAccount.objects.values_list("reference_number", flat=True))
        for f in former:
            assert identifiers.is_valid_reference_number(f.reference_number)
            assert f.reference_number not in current and len(f.reference_number) == 10
            assert f.replaced_on == dt.date(2026, 1, 1)  # the history's first day

    def test_counts_and_valid_identifiers(self):
        result = run_seed()
        assert result.customers == Customer.objects.count() == 60
        assert result.billing_accounts == BillingAccount.objects.count() == 60
        assert result.metering_points == MeteringPoint.objects.count()
        assert result.contracts == SupplyContract.objects.count() == result.metering_points
        for customer in Customer.objects.all():
            if customer.kind == "PERSON":
                identifiers.validate_isikukood(customer.personal_code or "")
            else:
                identifiers.validate_registrikood(customer.registry_code or "")
                if customer.vat_number:
                    identifiers.validate_kmkr(customer.vat_number)
        for account in BillingAccount.objects.all():
            identifiers.validate_reference_number(account.reference_number)
        for point in MeteringPoint.objects.all():
            assert identifiers.validate_eic(point.eic) == point.eic
        assert result.history == (dt.date(2026, 1, 1), AS_OF)

    def test_the_same_seed_gives_the_same_customers(self):
        run_seed()
        first = snapshot()
        wipe_demo_data()
        run_seed()
        assert snapshot() == first

    def test_about_four_in_five_points_are_remote(self):
        run_seed(customers=400)
        methods = Counter(MeteringPoint.objects.values_list("metering_method", flat=True))
        share = methods["REMOTE_INTERVAL"] / sum(methods.values())
        assert 0.72 < share < 0.88

    def test_interval_days_follow_dst(self):
        run_seed()
        remote = MeteringPoint.objects.filter(metering_method="REMOTE_INTERVAL")
        days = (AS_OF - dt.date(2026, 1, 1)).days
        assert IntervalDay.objects.count() == remote.count() * days
        dst_day = dt.date(2026, 3, 29)
        for row in IntervalDay.objects.filter(day=dst_day):
            values = unpack_values(row.values_wh)
            assert values.size == intervals_in_day(dst_day, minutes=row.resolution_minutes)
            assert unpack_quality(row.quality).size == values.size
            assert int(values.sum()) == row.total_wh > 0

    def test_manual_points_have_monthly_readings_that_never_fall(self):
        run_seed()
        registers = Register.objects.filter(
            meter__metering_point__metering_method="MANUAL_REGISTER"
        )
        assert registers.exists()
        for register in registers:
            readings = list(register.readings.order_by("read_at"))
            assert readings[0].source == "MIGRATION"
            assert [r.period for r in readings[:4]][:1] == ["2025-12"]
            values = [r.value_kwh for r in readings]
            digits = register.meter.digits
            for before, after in pairwise(values):
                assert (after - before) % (10**digits) < 10**digits // 2  # rollover allowed

    def test_refuses_a_database_with_customers(self):
        run_seed(customers=5)
        with pytest.raises(seed.UnableToSeed, match="already has customers"):
            run_seed(customers=5)


class TestReadingsAreAppendOnly:
    def test_the_database_refuses_to_edit_or_delete_a_reading(self):
        run_seed(customers=20)
        reading = Reading.objects.first()
        assert reading is not None
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            Reading.objects.filter(pk=reading.pk).update(value_kwh=0)
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            Reading.objects.filter(pk=reading.pk).delete()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="ANALYZE and the planner's statistics are PostgreSQL's",
)
def test_the_seed_leaves_the_planner_statistics_of_what_it_wrote():
    """Where autovacuum is off (or has not come round), a freshly seeded 500,000-customer
    database was planned as if empty: the point search took 175-580 ms instead of ~5 ms.
    ANALYZE sets ``pg_class.reltuples`` in the same transaction, so the count shows here."""
    run_seed(customers=60)
    with connection.cursor() as cursor:
        for model in seed.SEEDED_MODELS:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE relname = %s", [model._meta.db_table]
            )
            (estimate,) = cursor.fetchone()
            assert estimate == model.objects.count(), model.__name__
