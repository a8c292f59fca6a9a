"""Hand-computed bills of manual-read points: estimates, true-ups, meter multipliers, moves
and spreads (issue 8, sections 4 and 5).

Tariff data (``billing_factories.TEST_TARIFFS``): network package V1 0.05 EUR/kWh and 4.00 EUR
a month, excise 0.002 EUR/kWh, VAT 22 % until 2025-06-30 and 24 % from 2025-07-01. Every line
is rounded half-up to cents once; VAT is rounded once per rate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing_factories import (
    add_market_prices,
    add_reading,
    day_night_product,
    exchange_product,
    fixed_product,
    manual_account,
    superuser,
)
from factories import MeterFactory, MeteringPointFactory, RegisterFactory, SupplyContractFactory
from vool.common.localtime import TALLINN, Month
from vool.domain.billing.models import BillRunException, Invoice, InvoiceLine
from vool.domain.metering.models import Reading, Register
from vool.domain.supply.models import MeteringPoint
from vool.usecases import bill_run

pytestmark = pytest.mark.django_db

D = Decimal
ESTIMATED = Reading.Source.ESTIMATED
MAY, JUNE, JULY = Month(2025, 5), Month(2025, 6), Month(2025, 7)
OCTOBER = Month(2026, 10)


def bill(period: Month) -> object:
    """The run of ``period`` on the 5th of the next month."""
    today = period.next().first_day + dt.timedelta(days=4)
    return bill_run.run_billing(period=period, today=today)


def invoice_of(account_id: int, period: Month) -> Invoice:
    return Invoice.objects.get(
        billing_account_id=account_id, period=str(period), kind="INVOICE", status="ISSUED"
    )


def kwh_lines(invoice: Invoice) -> list[tuple[str, str, Decimal, Decimal | None, Decimal, bool]]:
    return [
        (line.component, line.band, line.quantity, line.unit_price, line.amount, line.is_true_up)
        for line in invoice.lines.filter(unit=InvoiceLine.Unit.KWH).order_by("position")
    ]


def day_night_point() -> tuple[int, Register, Register]:
    point = MeteringPointFactory(metering_method=MeteringPoint.MeteringMethod.MANUAL_REGISTER)
    meter = MeterFactory(metering_point=point)
    day = RegisterFactory(meter=meter, kind=Register.Kind.DAY)
    night = RegisterFactory(meter=meter, kind=Register.Kind.NIGHT)
    contract = SupplyContractFactory(product=day_night_product(), metering_point=point)
    return contract.billing_account_id, day, night


class TestActualBelowTheEstimate:
    """June estimated DAY 5730 / NIGHT 3400 from May's actual DAY 5430 / NIGHT 3200; the July
    actual reads DAY 5710 / NIGHT 3390: lower than the estimate, not a rollover."""

    def test_july_bills_its_share_and_a_negative_true_up_at_junes_prices(self) -> None:
        account_id, day, night = day_night_point()
        add_reading(day, MAY, "5430")
        add_reading(night, MAY, "3200")
        add_reading(day, JUNE, "5730", source=ESTIMATED)
        add_reading(night, JUNE, "3400", source=ESTIMATED)
        bill(JUNE)
        june = invoice_of(account_id, JUNE)
        assert [(c, b, q) for c, b, q, *_ in kwh_lines(june)][:2] == [
            ("ENERGY", "DAY", D("300.000")),
            ("ENERGY", "NIGHT", D("200.000")),
        ]

        add_reading(day, JULY, "5710")
        add_reading(night, JULY, "3390")
        bill(JULY)
        july = invoice_of(account_id, JULY)
        # Actual since May: DAY 280, NIGHT 190 kWh, apportioned by days (June 30, July 31 of
        # 61; largest remainder in Wh): DAY June 137.705, July 142.295; NIGHT June 93.443,
        # July 96.557. July bills its shares at July's prices; June's true-up is its share
        # minus what June billed: DAY 137.705 - 300 = -162.295, NIGHT 93.443 - 200 = -106.557,
        # at June's prices.
        # July: DAY 142.295 x 0.149 = 21.201955, NIGHT 96.557 x 0.099 = 9.559143, network
        # 238.852 x 0.05 = 11.9426, excise 238.852 x 0.002 = 0.477704.
        # True-up: DAY -162.295 x 0.149 = -24.181955, NIGHT -106.557 x 0.099 = -10.549143,
        # network -268.852 x 0.05 = -13.4426, excise -268.852 x 0.002 = -0.537704.
        assert kwh_lines(july) == [
            ("ENERGY", "DAY", D("142.295"), D("0.149000"), D("21.20"), False),
            ("ENERGY", "NIGHT", D("96.557"), D("0.099000"), D("9.56"), False),
            ("NETWORK_ENERGY", "ALL", D("238.852"), D("0.050000"), D("11.94"), False),
            ("EXCISE", "ALL", D("238.852"), D("0.002000"), D("0.48"), False),
            ("ENERGY", "DAY", D("-162.295"), D("0.149000"), D("-24.18"), True),
            ("ENERGY", "NIGHT", D("-106.557"), D("0.099000"), D("-10.55"), True),
            ("NETWORK_ENERGY", "ALL", D("-268.852"), D("0.050000"), D("-13.44"), True),
            ("EXCISE", "ALL", D("-268.852"), D("0.002000"), D("-0.54"), True),
        ]
        true_ups = july.lines.filter(is_true_up=True)
        # the true-up corrects June: June's VAT rate, June's days [1 June, 1 July), and says so
        assert {line.vat_rate for line in true_ups} == {D("0.22")}
        assert {(line.period_start, line.period_end) for line in true_ups} == {
            (dt.date(2025, 6, 1), dt.date(2025, 7, 1))
        }
        assert {line.basis["corrects_period"] for line in true_ups} == {"2025-06"}
        assert {line.vat_rate for line in july.lines.filter(is_true_up=False)} == {D("0.24")}
        day_basis = true_ups.get(component="ENERGY", band="DAY").basis["registers"][0]
        assert day_basis["true_up_by_period"] == {"2025-06": "-162.295"}
        assert day_basis["billed_on_estimates_kwh"] == "300.000"
        # VAT: 24 % of 50.17 (the July lines and both monthly fees, 2.99 + 4.00) = 12.0408;
        # 22 % of -48.71 = -10.7162
        summary = {entry["rate"]: entry for entry in july.vat_summary}
        assert (summary["0.22"]["base"], summary["0.22"]["vat"]) == ("-48.71", "-10.72")
        assert (summary["0.24"]["base"], summary["0.24"]["vat"]) == ("50.17", "12.04")
        assert july.gross_amount == D("2.78")


class TestRollover:
    def test_actual_to_actual_below_by_more_than_a_plausible_rollover_is_an_exception(
        self,
    ) -> None:
        contract, register = manual_account(product=fixed_product())
        add_reading(register, Month(2026, 9), "5000")
        add_reading(register, OCTOBER, "4900")  # 999,900 kWh "across a rollover"
        run = bill(OCTOBER)
        exception = BillRunException.objects.get(run=run)
        assert exception.billing_account_id == contract.billing_account_id
        assert exception.code == "NO_CONSUMPTION_DATA"
        assert "lower than the previous reading 5000" in exception.reason


class TestMeterMultiplier:
    def test_a_load_profile_estimate_on_a_x5_meter_bills_the_profile(self) -> None:
        point = MeteringPointFactory(metering_method=MeteringPoint.MeteringMethod.MANUAL_REGISTER)
        register = RegisterFactory(meter=MeterFactory(metering_point=point, multiplier=D(5)))
        contract = SupplyContractFactory(product=fixed_product(), metering_point=point)
        add_reading(register, Month(2026, 5), "1000")  # no history: the load profile
        bill(Month(2026, 6))
        estimate = Reading.objects.get(register=register, period="2026-06")
        # a house: 6000 kWh a year x 6 % in June x 30/30 days = 360 kWh = 72 register units
        assert estimate.details["estimate"]["method"] == "LOAD_PROFILE"
        assert estimate.value_kwh == D("1072")
        energy = invoice_of(contract.billing_account_id, Month(2026, 6)).lines.get(
            component="ENERGY"
        )
        assert (energy.quantity, energy.amount) == (D("360.000"), D("43.20"))
        assert energy.is_estimated


class TestMoveMidMonth:
    """One point, two accounts: the first moves out and the second moves in on 15 October
    (reading 1100 that day); September ends at 1000, October at 1250."""

    def _move(self) -> tuple[int, int, Register]:
        point = MeteringPointFactory(metering_method=MeteringPoint.MeteringMethod.MANUAL_REGISTER)
        register = RegisterFactory(meter=MeterFactory(metering_point=point))
        product = fixed_product()
        leaving = SupplyContractFactory(
            product=product, metering_point=point, valid_to=dt.date(2026, 10, 15)
        )
        arriving = SupplyContractFactory(
            product=product, metering_point=point, valid_from=dt.date(2026, 10, 15)
        )
        add_reading(register, Month(2026, 9), "1000")
        add_reading(register, OCTOBER, "1250")
        return leaving.billing_account_id, arriving.billing_account_id, register

    def test_each_account_bills_its_part_from_the_move_reading(self) -> None:
        leaving, arriving, register = self._move()
        Reading.objects.create(
            register=register,
            read_at=dt.datetime(2026, 10, 15, 11, 0, tzinfo=TALLINN),
            value_kwh=D("1100"),
            source=Reading.Source.BACKOFFICE,
            status=Reading.Status.ACCEPTED,
            known_at=dt.datetime(2026, 10, 15, 11, 0, tzinfo=TALLINN),
        )
        bill(OCTOBER)
        # 1 to 14 October: 1100 - 1000 = 100 kWh x 0.12 = 12.00; from the 15th: 1250 - 1100
        # = 150 kWh x 0.12 = 18.00
        out = invoice_of(leaving, OCTOBER).lines.get(component="ENERGY")
        assert (out.quantity, out.amount, out.period_end) == (
            D("100.000"),
            D("12.00"),
            dt.date(2026, 10, 15),
        )
        moved_in = invoice_of(arriving, OCTOBER).lines.get(component="ENERGY")
        assert (moved_in.quantity, moved_in.amount, moved_in.period_start) == (
            D("150.000"),
            D("18.00"),
            dt.date(2026, 10, 15),
        )

    def test_without_the_move_reading_both_are_exceptions_that_say_so(self) -> None:
        leaving, arriving, _ = self._move()
        run = bill(OCTOBER)
        reasons = dict(
            BillRunException.objects.filter(run=run).values_list("billing_account_id", "reason")
        )
        assert "move-out reading" in reasons[leaving]
        assert "2026-10-15" in reasons[leaving]
        assert "move-in reading" in reasons[arriving]


class TestExchangePriceOnAManualPoint:
    def test_the_month_is_spread_over_the_load_profile_not_evenly(self) -> None:
        contract, register = manual_account(product=exchange_product())
        add_reading(register, Month(2026, 9), "1000")
        add_reading(register, OCTOBER, "1250")
        # 100 EUR/MWh six hours a day (quarters 60-83 of each 96, 15:00-21:00 local until
        # the DST change, an hour earlier after it), 0 otherwise: the time mean is
        # 24/96 x 0.1 = 0.025 EUR/kWh, which an even spread pays (0.024966 with the 25-hour
        # day). The household profile puts more of the month in the evening peak.
        add_market_prices(OCTOBER, tuple(["0"] * 60 + ["100"] * 24 + ["0"] * 12))
        bill(OCTOBER)
        energy = invoice_of(contract.billing_account_id, OCTOBER).lines.get(component="ENERGY")
        assert energy.quantity == D("250.000")
        assert energy.unit_price is not None
        assert energy.unit_price > D("0.030")


class TestEstimationFailures:
    """One register that cannot be estimated (here: its estimate raises) does not stop the
    estimation of the others; the run keeps the failure and gives its reason."""

    def test_a_failing_register_is_recorded_and_the_others_are_still_estimated(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from vool.domain.metering import operations as metering_operations

        broken, broken_register = manual_account(product=fixed_product())
        fine, fine_register = manual_account(product=fixed_product())
        add_reading(broken_register, Month(2026, 9), "1000")
        add_reading(fine_register, Month(2026, 9), "2000")
        estimated_reading = metering_operations.estimated_reading

        def failing_for_one(**kwargs):  # type: ignore[no-untyped-def]
            if kwargs["target"].register_id == broken_register.pk:
                raise ValueError("the register's history is damaged")
            return estimated_reading(**kwargs)

        monkeypatch.setattr(metering_operations, "estimated_reading", failing_for_one)
        run = bill(OCTOBER)

        assert Reading.objects.filter(register=fine_register, period="2026-10").exists()
        assert invoice_of(fine.billing_account_id, OCTOBER).lines.get(component="ENERGY")
        (failure,) = run.report["estimation"]["failures"]
        assert failure["register_id"] == broken_register.pk
        assert failure["reason"] == "ValueError: the register's history is damaged"
        assert run.report["estimation"]["estimated"] == 1
        exception = BillRunException.objects.get(run=run)
        assert exception.billing_account_id == broken.billing_account_id
        assert exception.code == "ESTIMATION_FAILED"
        assert "estimating it failed: ValueError: the register's history is damaged" in (
            exception.reason
        )


class TestPlausibilityGuard:
    def test_a_huge_line_is_a_run_exception_not_a_bill(self) -> None:
        contract, register = manual_account(product=fixed_product())
        add_reading(register, Month(2026, 9), "1000")
        add_reading(register, OCTOBER, "151000")
        run = bill(OCTOBER)
        exception = BillRunException.objects.get(run=run)
        assert (exception.billing_account_id, exception.code) == (
            contract.billing_account_id,
            "IMPLAUSIBLE_BILL",
        )
        assert exception.reason.startswith(
            "The ENERGY line has 150,000.000 kWh, beyond the limit of 100,000 kWh a line"
        )
        assert not Invoice.objects.filter(billing_account=contract.billing_account).exists()

    def test_a_bill_far_beyond_the_accounts_history(self, settings) -> None:  # type: ignore[no-untyped-def]
        contract, register = manual_account(product=fixed_product())
        add_reading(register, Month(2026, 9), "1000")
        add_reading(register, OCTOBER, "1250")
        bill(OCTOBER)  # 250 kWh: net 49.99
        add_reading(register, Month(2026, 11), "4250")
        run = bill(Month(2026, 11))
        # 3000 kWh: 360.00 + 150.00 + 6.00 + 2.99 + 4.00 = 522.99 for 30 days, 17.43 a day;
        # October 49.99 for 31 days is 1.61 a day
        exception = BillRunException.objects.get(run=run)
        assert exception.code == "IMPLAUSIBLE_BILL"
        assert exception.reason == (
            "The bill comes to 522.99 EUR without VAT for 30 days, more than 5 times the "
            "account's largest bill of the last 12 months per day (49.99 EUR for 31 days)."
        )
        settings.VOOL_BILL_GUARD_HISTORY_FACTOR = "20"
        second = bill_run.run_billing(
            period=Month(2026, 11),
            today=dt.date(2026, 12, 5),
            forced_by=superuser("tester"),
            forced_reason="checked the reading with the customer",
        )
        assert second.invoice_count == 1
        assert invoice_of(contract.billing_account_id, Month(2026, 11)).net_amount == D("522.99")

    def test_negative_consumption_is_held(self) -> None:
        _, register = manual_account(product=fixed_product())
        # an estimate with no actual reading before it: nothing to true up against
        add_reading(register, Month(2026, 9), "1300", source=ESTIMATED)
        add_reading(register, OCTOBER, "1250")
        run = bill(OCTOBER)
        exception = BillRunException.objects.get(run=run)
        assert exception.code == "IMPLAUSIBLE_BILL"
        assert "negative consumption (-50.000 kWh)" in exception.reason

    def test_when_the_whole_step_fails_the_run_goes_on_and_says_why(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from vool.usecases import estimate_readings

        contract, register = manual_account(product=fixed_product())
        add_reading(register, Month(2026, 9), "1000")

        def broken(**kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("the metering tables are locked")

        monkeypatch.setattr(estimate_readings, "estimate_period", broken)
        run = bill(OCTOBER)
        assert run.report["estimation"]["error"] == "RuntimeError: the metering tables are locked"
        exception = BillRunException.objects.get(run=run)
        assert exception.billing_account_id == contract.billing_account_id
        assert exception.code == "ESTIMATION_FAILED"
        assert "estimating it failed: RuntimeError: the metering tables are locked" in (
            exception.reason
        )
