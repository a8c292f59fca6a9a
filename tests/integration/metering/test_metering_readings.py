from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from factories import MeterFactory, MeteringPointFactory, RegisterFactory
from vool.common.localtime import TALLINN, UTC, Month
from vool.domain.metering import operations, queries
from vool.domain.metering.models import Meter, Reading, Register
from vool.domain.metering.policy import DEFAULT_POLICY
from vool.domain.supply.models import MeteringPoint

pytestmark = pytest.mark.django_db

Source = Reading.Source


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TALLINN)


def submit(register, value, read_at, *, source=Source.PORTAL, as_of=None, **kwargs):
    return operations.submit_reading(
        register=register,
        value_kwh=Decimal(value),
        read_at=read_at,
        source=source,
        as_of=as_of or read_at,
        **kwargs,
    )


def history(register, *values_by_month):
    """Month-end readings given on the 1st at 10:00 of the next month (MIGRATION)."""
    for month, value in values_by_month:
        first = Month.parse(month).next().first_day
        submit(
            register, value, at(first.year, first.month, first.day, 10, 0), source=Source.MIGRATION
        )


@pytest.fixture(autouse=True)
def english():
    """The rules' refusals are in the active language; these tests read the English ones
    (TestRefusalsInTheCustomersLanguage reads the others)."""
    with translation.override("en"):
        yield


@pytest.fixture
def register():
    return RegisterFactory()


@pytest.fixture
def register_with_history(register):
    # 300 kWh over September (1 Sep .. 1 Oct): 10 kWh a day
    history(register, ("2026-08", 1000), ("2026-09", 1300))
    return register


def october(register):
    return queries.consumption_for_period(
        metering_point=register.meter.metering_point, month=Month(2026, 10)
    )["SINGLE"]


class TestReadingWindow:
    def test_2359_on_the_third_is_the_month_end_reading(self, register_with_history):
        result = submit(register_with_history, 1610, at(2026, 11, 3, 23, 59))
        assert result.created
        assert result.reading.period == "2026-10"
        assert result.reading.status == Reading.Status.ACCEPTED
        assert result.reading.details["advance_kwh"] == "310.000"
        assert result.reading.details["expected_kwh"] == "310.000"  # 31 days x 10
        assert october(register_with_history).kwh == Decimal(310)

    def test_0000_on_the_fourth_is_an_interim_reading(self, register_with_history):
        result = submit(register_with_history, 1610, at(2026, 11, 4, 0, 0))
        assert result.reading.period == ""
        assert result.reading.details["expected_kwh"] == "340.000"  # 1 Oct .. 4 Nov, 34 days
        assert october(register_with_history).kwh is None  # not billable: no month-end

    def test_back_dated_reading_entered_after_the_window_is_interim(self, register_with_history):
        result = submit(
            register_with_history, 1610, at(2026, 11, 2, 9, 0), as_of=at(2026, 11, 10, 9, 0)
        )
        assert result.reading.period == ""

    def test_reading_on_the_autumn_dst_day(self, register):
        history(register, ("2027-08", 1000), ("2027-09", 1300))
        # 31 Oct 2027: clocks go back at 04:00; 03:30 local the second time is 01:30 UTC
        read_at = dt.datetime(2027, 10, 31, 1, 30, tzinfo=UTC)
        result = submit(register, 1610, read_at)
        assert result.reading.period == "2027-10"
        assert result.reading.details["expected_kwh"] == "310.000"  # 31 days, not 31 x 24 h
        assert result.reading.status == Reading.Status.ACCEPTED

    def test_a_new_month_end_reading_in_the_window_replaces_the_first(self, register_with_history):
        first = submit(register_with_history, 1610, at(2026, 11, 1, 9, 0)).reading
        second = submit(register_with_history, 1620, at(2026, 11, 2, 9, 0)).reading
        assert second.supersedes == first
        assert (
            second.reason == "A new month-end reading for 2026-10 replaces the one given earlier."
        )
        assert october(register_with_history).kwh == Decimal(320)


class TestRulesOfAReading:
    def test_lower_reading_is_refused(self, register_with_history):
        with pytest.raises(operations.UnableToSubmitReading) as caught:
            submit(register_with_history, 1200, at(2026, 11, 2, 9, 0))
        assert str(caught.value) == (
            "The reading 1200 is lower than the previous reading 1300. "
            "Please check the number on the meter."
        )
        assert Reading.objects.count() == 2

    def test_rollover_of_a_four_digit_meter(self):
        register = RegisterFactory(meter=MeterFactory(digits=4))
        history(register, ("2026-08", 9000), ("2026-09", 9600))  # 20 kWh a day
        result = submit(register, 220, at(2026, 11, 2, 9, 0))
        assert result.reading.status == Reading.Status.ACCEPTED
        assert result.reading.details["wraps"] == 1
        assert result.reading.details["advance_kwh"] == "620.000"  # 400 to 10000, then 220
        assert october(register).kwh == Decimal(620)

    def test_double_submission_is_one_reading(self, register_with_history):
        first = submit(register_with_history, 1610, at(2026, 11, 2, 9, 0))
        again = submit(register_with_history, 1610, at(2026, 11, 2, 9, 1))
        assert first.created and not again.created
        assert again.reading == first.reading
        assert Reading.objects.count() == 3

    def test_implausible_reading_waits_for_review(self, register_with_history):
        result = submit(register_with_history, 2300, at(2026, 11, 2, 9, 0))
        assert result.reading.status == Reading.Status.PENDING_REVIEW
        assert result.reading.reason == (
            "Consumption 1000 kWh is more than 3 times the 310 kWh expected from the "
            "history. Please check the reading."
        )
        pending = october(register_with_history)
        assert (pending.kwh, pending.pending_review) == (None, True)
        point = register_with_history.meter.metering_point
        assert queries.readings_waiting_for_review(metering_point=point) == [result.reading]
        reviewer = get_user_model().objects.create_superuser("reviewer", "r@example.com", "pw")
        accepted = operations.review_reading(
            reading=result.reading,
            accept=True,
            reason="Customer confirmed: new sauna.",
            created_by=reviewer,
            as_of=at(2026, 11, 3, 12, 0),
        )
        assert accepted.supersedes == result.reading
        assert accepted.status == Reading.Status.ACCEPTED
        assert october(register_with_history).kwh == Decimal(1000)
        assert queries.readings_waiting_for_review() == []
        assert queries.reading_history(metering_point=point)[0] == accepted

    def test_remote_read_point_refuses_readings(self):
        register = RegisterFactory(meter=MeterFactory(metering_point=MeteringPointFactory()))
        point = register.meter.metering_point
        assert point.metering_method == MeteringPoint.MeteringMethod.REMOTE_INTERVAL
        with pytest.raises(operations.UnableToSubmitReading) as caught:
            submit(register, 100, at(2026, 11, 2, 9, 0))
        assert str(caught.value) == (
            f"Metering point {point.eic} is read remotely: its consumption comes from the "
            f"meter's interval data and it needs no readings."
        )
        assert Reading.objects.count() == 0

    def test_value_must_fit_the_meter(self, register):
        with pytest.raises(operations.UnableToSubmitReading, match="shows 6 digits"):
            submit(register, 1000000, at(2026, 11, 2, 9, 0))

    def test_future_reading_is_refused(self, register):
        with pytest.raises(operations.UnableToSubmitReading, match="future"):
            submit(register, 10, at(2026, 11, 2, 9, 0), as_of=at(2026, 11, 1, 9, 0))


class TestCorrections:
    def test_correction_supersedes_and_records_who_and_why(self, register_with_history):
        clerk = get_user_model().objects.create_user("clerk")
        wrong = submit(register_with_history, 1610, at(2026, 11, 2, 9, 0)).reading
        fixed = operations.correct_reading(
            reading=wrong,
            value_kwh=Decimal(1600),
            reason="Customer read the wrong digit",
            as_of=at(2026, 11, 5, 9, 0),
            created_by=clerk,
        )
        assert (fixed.supersedes, fixed.created_by, fixed.period) == (wrong, clerk, "2026-10")
        assert fixed.reason == "Customer read the wrong digit"
        assert Reading.objects.filter(pk=wrong.pk, value_kwh=1610).exists()  # kept, unchanged
        assert october(register_with_history).kwh == Decimal(300)
        with pytest.raises(operations.UnableToSubmitReading, match="already corrected"):
            operations.correct_reading(
                reading=wrong, value_kwh=Decimal(1605), reason="x", as_of=at(2026, 11, 5, 9, 0)
            )


class TestMeterExchange:
    def test_consumption_across_the_exchange(self, register_with_history):
        point = register_with_history.meter.metering_point
        new = operations.exchange_meter(
            metering_point=point,
            exchanged_at=at(2026, 10, 15, 12, 0),
            final_readings={"SINGLE": Decimal(1450)},
            serial_number="NEW-1",
            as_of=at(2026, 10, 15, 12, 0),
        )
        old = Meter.objects.get(pk=register_with_history.meter_id)
        assert old.removed_date == dt.date(2026, 10, 15)
        assert new.installed_date == dt.date(2026, 10, 15)
        new_register = Register.objects.get(meter=new)
        submit(new_register, 160, at(2026, 11, 2, 9, 0))
        # old meter 1300 -> 1450 (150) plus new meter 0 -> 160
        assert october(register_with_history).kwh == Decimal(310)

    def test_final_reading_below_the_last_is_refused(self, register_with_history):
        with pytest.raises(operations.UnableToSubmitReading):
            operations.exchange_meter(
                metering_point=register_with_history.meter.metering_point,
                exchanged_at=at(2026, 10, 15, 12, 0),
                final_readings={"SINGLE": Decimal(1000)},
                serial_number="NEW-1",
                as_of=at(2026, 10, 15, 12, 0),
            )
        assert Meter.objects.count() == 1


def write_estimate(*, register, month, segment, as_of):
    """The set-based month estimate for this one register: its reading, or None."""
    result = operations.estimate_month(
        month=month,
        as_of=as_of,
        segment_of=lambda target: segment,
        policy=DEFAULT_POLICY,
        register_ids=[register.pk],
    )
    assert result.failures == []
    return result.written[0] if result.written else None


class TestEstimates:
    closed = at(2026, 11, 4, 0, 0)

    def test_average_daily_then_true_up_by_the_next_actual(self, register_with_history):
        estimate = write_estimate(
            register=register_with_history,
            month=Month(2026, 10),
            segment="HOUSE",
            as_of=self.closed,
        )
        assert estimate is not None
        assert (estimate.source, estimate.period, estimate.value_kwh) == (
            Source.ESTIMATED,
            "2026-10",
            Decimal(1610),
        )
        assert estimate.details["estimate"] == {
            "method": "AVERAGE_DAILY",
            "inputs": {
                "recent_kwh": "300.000",
                "recent_days": "30",
                "daily_kwh": "10.000",
                "days": "31",
            },
        }
        assert october(register_with_history).estimated
        # writing it again changes nothing
        assert (
            write_estimate(
                register=register_with_history,
                month=Month(2026, 10),
                segment="HOUSE",
                as_of=self.closed,
            )
            is None
        )
        actual = submit(register_with_history, 1900, at(2026, 12, 2, 9, 0)).reading
        assert actual.details["true_up"] == {
            "since_reading": actual.register.readings.get(value_kwh=1300).pk,
            "since_date": "2026-10-01",
            "actual_kwh": "600.000",
            "estimated_kwh": "310.000",
            "difference_kwh": "290.000",
            "estimates": [estimate.pk],
            "apportioned_kwh": {"2026-10": "304.918", "2026-11": "295.082"},
        }
        november = queries.consumption_for_period(
            metering_point=register_with_history.meter.metering_point, month=Month(2026, 11)
        )["SINGLE"]
        assert (november.kwh, november.estimated) == (Decimal(290), True)

    def test_same_month_last_year_scaled_by_days(self, register):
        history(register, ("2025-09", 500), ("2025-10", 912), ("2026-09", 1300))
        submit(register, 1400, at(2026, 10, 10, 9, 0), source=Source.MIGRATION)  # interim
        estimate = write_estimate(
            register=register, month=Month(2026, 10), segment="HOUSE", as_of=self.closed
        )
        # 412 kWh in 31 days of October 2025; 22 days from 10 Oct: 412 * 22 / 31 = 292.39
        assert estimate.details["estimate"]["method"] == "SAME_MONTH_LAST_YEAR"
        assert estimate.value_kwh == Decimal(1692)

    def test_load_profile_without_history(self, register):
        submit(register, 100, at(2026, 10, 1, 9, 0), source=Source.MIGRATION)
        estimate = write_estimate(
            register=register, month=Month(2026, 10), segment="HOUSE", as_of=self.closed
        )
        # 6000 kWh a year x 8.2 % in October x 31/31 days = 492
        assert estimate.details["estimate"]["method"] == "LOAD_PROFILE"
        assert estimate.value_kwh == Decimal(592)

    def test_no_estimate_while_the_window_is_open(self, register_with_history):
        with pytest.raises(operations.UnableToSubmitReading, match="still open"):
            write_estimate(
                register=register_with_history,
                month=Month(2026, 10),
                segment="HOUSE",
                as_of=at(2026, 11, 3, 23, 59),
            )


class TestConsumptionForPeriod:
    def test_a_missing_month_end_falls_back_to_the_one_before(self, register_with_history):
        submit(register_with_history, 1900, at(2026, 12, 2, 9, 0))  # November's month-end
        november = queries.consumption_for_period(
            metering_point=register_with_history.meter.metering_point, month=Month(2026, 11)
        )["SINGLE"]
        # no October month-end: from September's (1300, boundary 1 Oct) to 1900
        assert (november.kwh, november.start_date, november.end_date) == (
            Decimal(600),
            dt.date(2026, 10, 1),
            dt.date(2026, 12, 1),
        )
        assert not november.estimated

    def test_day_and_night_registers_with_a_multiplier(self):
        point = MeteringPointFactory(metering_method=MeteringPoint.MeteringMethod.MANUAL_REGISTER)
        meter = operations.install_meter(
            metering_point=point,
            serial_number="DN-1",
            installed_date=dt.date(2026, 1, 1),
            register_kinds=["DAY", "NIGHT"],
            multiplier=Decimal(30),  # a current-transformer meter
        )
        day, night = (
            Register.objects.get(meter=meter, kind="DAY"),
            Register.objects.get(meter=meter, kind="NIGHT"),
        )
        history(day, ("2026-09", 100))
        history(night, ("2026-09", 50))
        submit(day, "112.5", at(2026, 11, 1, 9, 0), source=Source.MIGRATION)
        submit(night, "58", at(2026, 11, 1, 9, 0), source=Source.MIGRATION)
        october = queries.consumption_for_period(metering_point=point, month=Month(2026, 10))
        assert october["DAY"].kwh == Decimal("375.000")  # 12.5 x 30
        assert october["NIGHT"].kwh == Decimal("240.000")  # 8 x 30


class TestRefusalsInTheCustomersLanguage:
    """The portal and the back office show a refusal as it is: in the active language, with
    numbers and dates as that language writes them."""

    def test_a_lower_reading_in_estonian_and_russian(self, register_with_history):
        with translation.override("et"), pytest.raises(operations.UnableToSubmitReading) as et:
            submit(register_with_history, Decimal("1200.5"), at(2026, 11, 2, 9, 0))
        assert str(et.value) == (
            "Näit 1200,5 on väiksem kui eelmine näit 1300. Palun kontrollige arvesti näitu."
        )
        with translation.override("ru"), pytest.raises(operations.UnableToSubmitReading) as ru:
            submit(register_with_history, 1200, at(2026, 11, 2, 9, 0))
        assert str(ru.value).startswith("Показание 1200 меньше предыдущего показания 1300.")

    def test_a_reading_outside_the_meters_time_names_its_dates_in_estonian(self, register):
        meter = register.meter
        meter.installed_date = dt.date(2026, 6, 1)
        meter.save()
        with translation.override("et"), pytest.raises(operations.UnableToSubmitReading) as et:
            submit(register, 100, at(2026, 5, 20, 12, 0))
        assert str(et.value) == (
            f"Arvesti {meter.serial_number} oli paigaldatud 01.06.2026 kuni praegu; "
            "20.05.2026 näit ei saa sellelt olla."
        )
