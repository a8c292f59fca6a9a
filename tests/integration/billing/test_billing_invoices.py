"""Hand-computed invoices of the bill run (October 2026: 31 days, DST ends on the 25th, so
2,980 quarter hours and 745 hours; 22 working days, no public holiday; VAT 24 %).

Tariff data (``billing_factories.TEST_TARIFFS``): network package V1 0.05 EUR/kWh and 4.00 EUR
a month, excise 0.002 EUR/kWh. Every line is rounded half-up to cents once; totals are sums of
lines; VAT is 24 % of the net, rounded once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing_factories import (
    add_intervals,
    add_market_prices,
    add_reading,
    day_night_product,
    exchange_product,
    fixed_product,
    import_day,
    manual_account,
    remote_account,
)
from factories import MeteringPointFactory
from vool.common.localtime import Month
from vool.domain.billing.models import BillRunException, Invoice
from vool.domain.ledger import operations as ledger_operations
from vool.domain.ledger import queries as ledger_queries
from vool.domain.metering.models import IntervalCorrection, IntervalDay, Reading
from vool.usecases import bill_run

pytestmark = pytest.mark.django_db

OCTOBER = Month(2026, 10)
NOVEMBER = Month(2026, 11)
BILL_DAY = dt.date(2026, 11, 5)
D = Decimal


def bill(period: Month = OCTOBER, today: dt.date = BILL_DAY):  # type: ignore[no-untyped-def]
    return bill_run.run_billing(period=period, today=today)


def lines_of(invoice: Invoice) -> list[tuple[str, str, Decimal, Decimal | None, Decimal]]:
    return [
        (line.component, line.band, line.quantity, line.unit_price, line.amount)
        for line in invoice.lines.order_by("position")
    ]


def invoice_of(contract, period: Month = OCTOBER) -> Invoice:  # type: ignore[no-untyped-def]
    return Invoice.objects.get(
        billing_account=contract.billing_account,
        period=str(period),
        kind="INVOICE",
        status="ISSUED",
    )


class TestRemotePoints:
    def test_fixed_price_month_with_the_dst_change(self) -> None:
        contract = remote_account(product=fixed_product())
        add_intervals(contract.metering_point, OCTOBER, wh=100)
        run = bill()
        invoice = invoice_of(contract)
        # 2,980 quarters x 100 Wh = 298 kWh: energy x 0.12 = 35.76, network x 0.05 = 14.90,
        # excise x 0.002 = 0.596; fees 2.99 + 4.00; net 58.25, VAT 24 % = 13.98
        assert lines_of(invoice) == [
            ("ENERGY", "ALL", D("298.000"), D("0.120000"), D("35.76")),
            ("PRODUCT_FEE", "ALL", D("31.000"), D("2.990000"), D("2.99")),
            ("NETWORK_ENERGY", "ALL", D("298.000"), D("0.050000"), D("14.90")),
            ("NETWORK_FEE", "ALL", D("31.000"), D("4.000000"), D("4.00")),
            ("EXCISE", "ALL", D("298.000"), D("0.002000"), D("0.60")),
        ]
        assert (invoice.net_amount, invoice.vat_amount, invoice.gross_amount) == (
            D("58.25"), D("13.98"), D("72.23"),
        )  # fmt: skip
        assert invoice.amount_due == D("72.23")
        assert invoice.vat_summary == [{"rate": "0.24", "base": "58.25", "vat": "13.98"}]
        assert invoice.number == 1 and invoice.issue_date == BILL_DAY
        assert invoice.due_date == BILL_DAY + dt.timedelta(days=14)
        assert run.status == "DONE" and run.invoice_count == 1 and run.gross_amount == D("72.23")
        line = invoice.lines.get(component="ENERGY")
        assert line.basis["total_wh"] == 298_000 and not line.is_estimated

    def test_day_night(self) -> None:
        contract = remote_account(product=day_night_product())
        add_intervals(contract.metering_point, OCTOBER, wh=100)
        bill()
        invoice = invoice_of(contract)
        # day: 22 working days x 15 h x 4 = 1,320 quarters = 132 kWh x 0.149 = 19.668
        # night: 2,980 - 1,320 = 1,660 quarters = 166 kWh x 0.099 = 16.434
        assert lines_of(invoice) == [
            ("ENERGY", "DAY", D("132.000"), D("0.149000"), D("19.67")),
            ("ENERGY", "NIGHT", D("166.000"), D("0.099000"), D("16.43")),
            ("PRODUCT_FEE", "ALL", D("31.000"), D("2.990000"), D("2.99")),
            ("NETWORK_ENERGY", "ALL", D("298.000"), D("0.050000"), D("14.90")),
            ("NETWORK_FEE", "ALL", D("31.000"), D("4.000000"), D("4.00")),
            ("EXCISE", "ALL", D("298.000"), D("0.002000"), D("0.60")),
        ]
        # net 58.59, VAT 24 % = 14.0616
        assert (invoice.net_amount, invoice.vat_amount, invoice.gross_amount) == (
            D("58.59"),
            D("14.06"),
            D("72.65"),
        )

    def test_exchange_without_market_prices_is_an_exception_and_the_run_goes_on(self) -> None:
        exchange = remote_account(product=exchange_product())
        add_intervals(exchange.metering_point, OCTOBER)
        fixed = remote_account(product=fixed_product())
        add_intervals(fixed.metering_point, OCTOBER)
        run = bill()
        (exception,) = BillRunException.objects.filter(run=run)
        assert exception.billing_account_id == exchange.billing_account_id
        assert exception.code == "MISSING_PRICE"
        assert "No market price" in exception.reason
        assert invoice_of(fixed).gross_amount == D("72.23")
        assert run.exception_count == 1 and run.invoice_count == 1

    @pytest.mark.parametrize("minutes", [15, 60])
    def test_exchange_with_quarter_hour_market_prices(self, minutes: int) -> None:
        contract = remote_account(product=exchange_product())
        point = contract.metering_point
        point.resolution = "PT15M" if minutes == 15 else "PT60M"
        point.save()
        add_intervals(point, OCTOBER, wh=100 if minutes == 15 else 400, minutes=minutes)
        # quarters of each hour at 80, 100, 120, 100 EUR/MWh: a 15-minute point with 100 Wh a
        # quarter pays 0.1 kWh x (0.08 + 0.10 + 0.12 + 0.10) = 0.04 EUR an hour; an hourly
        # point with 400 Wh pays the mean of the quarters, 0.4 kWh x 0.10: the same.
        add_market_prices(OCTOBER, ("80", "100", "120", "100"))
        bill()
        invoice = invoice_of(contract)
        # 745 hours x 0.04 = 29.80 for 298 kWh (mean 0.1 EUR/kWh); margin 298 x 0.0069 =
        # 2.0562; network 14.90, excise 0.596; fees 1.99 + 4.00; net 53.35, VAT 12.804
        assert lines_of(invoice) == [
            ("ENERGY", "ALL", D("298.000"), D("0.100000"), D("29.80")),
            ("MARGIN", "ALL", D("298.000"), D("0.006900"), D("2.06")),
            ("PRODUCT_FEE", "ALL", D("31.000"), D("1.990000"), D("1.99")),
            ("NETWORK_ENERGY", "ALL", D("298.000"), D("0.050000"), D("14.90")),
            ("NETWORK_FEE", "ALL", D("31.000"), D("4.000000"), D("4.00")),
            ("EXCISE", "ALL", D("298.000"), D("0.002000"), D("0.60")),
        ]
        assert (invoice.net_amount, invoice.vat_amount, invoice.gross_amount) == (
            D("53.35"),
            D("12.80"),
            D("66.15"),
        )

    def test_contract_starting_mid_month(self) -> None:
        contract = remote_account(product=fixed_product(), valid_from=dt.date(2026, 10, 16))
        add_intervals(contract.metering_point, OCTOBER, wh=100)
        bill()
        invoice = invoice_of(contract)
        # 16-31 Oct: 15 days x 96 + 100 (the 25th) = 1,540 quarters = 154 kWh: x 0.12 = 18.48,
        # x 0.05 = 7.70, x 0.002 = 0.308; fees 2.99 x 16/31 = 1.5432 and 4.00 x 16/31 = 2.0645
        assert lines_of(invoice) == [
            ("ENERGY", "ALL", D("154.000"), D("0.120000"), D("18.48")),
            ("PRODUCT_FEE", "ALL", D("16.000"), D("2.990000"), D("1.54")),
            ("NETWORK_ENERGY", "ALL", D("154.000"), D("0.050000"), D("7.70")),
            ("NETWORK_FEE", "ALL", D("16.000"), D("4.000000"), D("2.06")),
            ("EXCISE", "ALL", D("154.000"), D("0.002000"), D("0.31")),
        ]
        # net 30.09, VAT 24 % = 7.2216
        assert (invoice.net_amount, invoice.vat_amount, invoice.gross_amount) == (
            D("30.09"),
            D("7.22"),
            D("37.31"),
        )

    def test_product_change_mid_month(self) -> None:
        first = remote_account(product=fixed_product(), valid_to=dt.date(2026, 10, 16))
        point = first.metering_point
        remote_account(
            product=day_night_product(),
            valid_from=dt.date(2026, 10, 16),
            account=first.billing_account,
        ).__class__.objects.filter(billing_account=first.billing_account).exclude(
            pk=first.pk
        ).update(metering_point=point)
        add_intervals(point, OCTOBER, wh=100)
        bill()
        invoice = invoice_of(first)
        # 1-15 Oct fixed: 1,440 quarters = 144 kWh: x 0.12 = 17.28, x 0.05 = 7.20,
        # x 0.002 = 0.288; fees 2.99 x 15/31 = 1.4468 and 4.00 x 15/31 = 1.9355
        # 16-31 Oct day/night: 11 working days -> 660 day quarters = 66 kWh x 0.149 = 9.834,
        # 880 night quarters = 88 kWh x 0.099 = 8.712; 154 kWh x 0.05 = 7.70, x 0.002 = 0.308;
        # fees 2.99 x 16/31 = 1.5432 and 4.00 x 16/31 = 2.0645
        assert lines_of(invoice) == [
            ("ENERGY", "ALL", D("144.000"), D("0.120000"), D("17.28")),
            ("PRODUCT_FEE", "ALL", D("15.000"), D("2.990000"), D("1.45")),
            ("NETWORK_ENERGY", "ALL", D("144.000"), D("0.050000"), D("7.20")),
            ("NETWORK_FEE", "ALL", D("15.000"), D("4.000000"), D("1.94")),
            ("EXCISE", "ALL", D("144.000"), D("0.002000"), D("0.29")),
            ("ENERGY", "DAY", D("66.000"), D("0.149000"), D("9.83")),
            ("ENERGY", "NIGHT", D("88.000"), D("0.099000"), D("8.71")),
            ("PRODUCT_FEE", "ALL", D("16.000"), D("2.990000"), D("1.54")),
            ("NETWORK_ENERGY", "ALL", D("154.000"), D("0.050000"), D("7.70")),
            ("NETWORK_FEE", "ALL", D("16.000"), D("4.000000"), D("2.06")),
            ("EXCISE", "ALL", D("154.000"), D("0.002000"), D("0.31")),
        ]
        # net 28.16 + 30.15 = 58.31, VAT 24 % = 13.9944
        assert (invoice.net_amount, invoice.vat_amount, invoice.gross_amount) == (
            D("58.31"),
            D("13.99"),
            D("72.30"),
        )

    def test_missing_interval_days_are_an_exception(self) -> None:
        contract = remote_account(product=fixed_product())
        run = bill()
        exception = BillRunException.objects.get(run=run)
        assert exception.code == "NO_CONSUMPTION_DATA"
        assert "No interval data for 31 day(s) of 2026-10" in exception.reason
        assert not Invoice.objects.filter(billing_account=contract.billing_account).exists()


class TestManualPoints:
    def test_actual_month_end_reading(self) -> None:
        contract, register = manual_account(product=fixed_product())
        add_reading(register, Month(2026, 9), "1000")
        add_reading(register, OCTOBER, "1250")
        bill()
        invoice = invoice_of(contract)
        # 1250 - 1000 = 250 kWh: x 0.12 = 30.00, x 0.05 = 12.50, x 0.002 = 0.50; fees 2.99 +
        # 4.00; net 49.99, VAT 24 % = 11.9976
        assert lines_of(invoice) == [
            ("ENERGY", "ALL", D("250.000"), D("0.120000"), D("30.00")),
            ("PRODUCT_FEE", "ALL", D("31.000"), D("2.990000"), D("2.99")),
            ("NETWORK_ENERGY", "ALL", D("250.000"), D("0.050000"), D("12.50")),
            ("NETWORK_FEE", "ALL", D("31.000"), D("4.000000"), D("4.00")),
            ("EXCISE", "ALL", D("250.000"), D("0.002000"), D("0.50")),
        ]
        assert invoice.gross_amount == D("61.99")
        energy = invoice.lines.get(component="ENERGY")
        assert not energy.is_estimated
        assert energy.basis["registers"][0]["start_kwh"] == "1000.000"
        assert energy.basis["registers"][0]["end_kwh"] == "1250.000"

    def test_rollover(self) -> None:
        contract, register = manual_account(product=fixed_product(), digits=5)
        add_reading(register, Month(2026, 9), "99900")
        add_reading(register, OCTOBER, "150")
        bill()
        # 100000 - 99900 + 150 = 250 kWh
        assert invoice_of(contract).lines.get(component="ENERGY").quantity == D("250.000")

    def test_estimate_then_true_up(self) -> None:
        contract, register = manual_account(product=fixed_product())
        add_reading(register, Month(2026, 9), "1000")
        add_reading(register, OCTOBER, "1200", source=Reading.Source.ESTIMATED)
        bill()
        october = invoice_of(contract)
        # estimated 200 kWh: 24.00 + 10.00 + 0.40; fees 2.99 + 4.00; net 41.39, VAT 9.9336
        assert lines_of(october)[0] == ("ENERGY", "ALL", D("200.000"), D("0.120000"), D("24.00"))
        assert october.gross_amount == D("51.32")
        assert october.lines.get(component="ENERGY").is_estimated

        add_reading(register, NOVEMBER, "1500")
        bill(NOVEMBER, dt.date(2026, 12, 4))
        november = invoice_of(contract, NOVEMBER)
        # actual since the last actual reading (Sep 1000 -> Nov 1500) = 500 kWh, apportioned
        # by days: Oct 31/61 = 254.098, Nov 30/61 = 245.902 (largest remainder). November
        # bills its share (x 0.12 = 29.50824, x 0.05 = 12.2951, x 0.002 = 0.491804, fees 2.99 +
        # 4.00) and the true-up of October's estimate, 254.098 - 200 = 54.098 kWh, per kWh only
        # (x 0.12 = 6.49176, x 0.05 = 2.7049, x 0.002 = 0.108196); net 58.59, VAT 14.0616
        assert lines_of(november) == [
            ("ENERGY", "ALL", D("245.902"), D("0.120000"), D("29.51")),
            ("PRODUCT_FEE", "ALL", D("30.000"), D("2.990000"), D("2.99")),
            ("NETWORK_ENERGY", "ALL", D("245.902"), D("0.050000"), D("12.30")),
            ("NETWORK_FEE", "ALL", D("30.000"), D("4.000000"), D("4.00")),
            ("EXCISE", "ALL", D("245.902"), D("0.002000"), D("0.49")),
            ("ENERGY", "ALL", D("54.098"), D("0.120000"), D("6.49")),
            ("NETWORK_ENERGY", "ALL", D("54.098"), D("0.050000"), D("2.70")),
            ("EXCISE", "ALL", D("54.098"), D("0.002000"), D("0.11")),
        ]
        true_up = november.lines.get(is_true_up=True, component="ENERGY")
        assert true_up.basis["registers"][0]["billed_on_estimates_kwh"] == "200.000"
        assert not true_up.is_estimated
        assert november.gross_amount == D("72.65")

    def test_reading_pending_review_is_an_exception(self) -> None:
        contract, register = manual_account(product=fixed_product())
        add_reading(register, Month(2026, 9), "1000")
        add_reading(register, OCTOBER, "9000", status=Reading.Status.PENDING_REVIEW)
        run = bill()
        exception = BillRunException.objects.get(run=run)
        assert exception.code == "PENDING_REVIEW"
        assert exception.billing_account_id == contract.billing_account_id

    def test_without_a_reading_the_run_estimates_one_and_bills_it(self) -> None:
        contract, register = manual_account(product=fixed_product())
        add_reading(register, Month(2026, 9), "1000")
        bill()
        estimate = Reading.objects.get(register=register, period="2026-10")
        assert estimate.source == Reading.Source.ESTIMATED
        energy = invoice_of(contract).lines.get(component="ENERGY")
        assert energy.quantity == Decimal(estimate.details["advance_kwh"])
        assert energy.quantity == estimate.value_kwh - D("1000")
        assert energy.is_estimated
        assert energy.basis["registers"][0]["end_source"] == "ESTIMATED"

    def test_no_reading_and_no_basis_to_estimate_is_an_exception(self) -> None:
        manual_account(product=fixed_product())
        run = bill()
        exception = BillRunException.objects.get(run=run)
        assert exception.code == "NO_CONSUMPTION_DATA"
        assert "vool readings estimate --period 2026-10" in exception.reason

    def test_without_estimating_a_missing_reading_is_an_exception(self) -> None:
        _, register = manual_account(product=fixed_product())
        add_reading(register, Month(2026, 9), "1000")
        run = bill_run.run_billing(period=OCTOBER, today=BILL_DAY, estimate=False)
        assert BillRunException.objects.get(run=run).code == "NO_CONSUMPTION_DATA"

    def test_manual_points_wait_for_the_reading_window_to_close(self) -> None:
        contract, register = manual_account(product=fixed_product())
        add_reading(register, Month(2026, 9), "1000")
        add_reading(register, OCTOBER, "1250")
        run = bill(today=dt.date(2026, 11, 2))
        assert BillRunException.objects.get(run=run).code == "READING_WINDOW_OPEN"
        # a second run after the window bills what the first could not
        second = bill(today=dt.date(2026, 11, 4))
        assert second.invoice_count == 1
        assert invoice_of(contract).gross_amount == D("61.99")


class TestCreditBalance:
    def test_a_credit_balance_reduces_the_amount_due(self) -> None:
        contract = remote_account(product=fixed_product())
        add_intervals(contract.metering_point, OCTOBER, wh=100)
        ledger_operations.record_payment(
            billing_account_id=contract.billing_account_id,
            amount=D("20.00"),
            received_date=dt.date(2026, 10, 20),
            as_of=dt.datetime(2026, 10, 20, tzinfo=dt.UTC),
        )
        bill()
        invoice = invoice_of(contract)
        assert invoice.gross_amount == D("72.23")
        assert invoice.credit_applied_amount == D("20.00")
        assert invoice.amount_due == D("52.23")
        balance = ledger_queries.receivable_balance(billing_account_id=contract.billing_account_id)
        assert balance == D("52.23")

    def test_a_credit_larger_than_the_bill_leaves_nothing_due(self) -> None:
        contract = remote_account(product=fixed_product())
        add_intervals(contract.metering_point, OCTOBER, wh=100)
        ledger_operations.record_payment(
            billing_account_id=contract.billing_account_id,
            amount=D("100.00"),
            received_date=dt.date(2026, 10, 20),
            as_of=dt.datetime(2026, 10, 20, tzinfo=dt.UTC),
        )
        bill()
        invoice = invoice_of(contract)
        assert (invoice.credit_applied_amount, invoice.amount_due) == (D("72.23"), D("0.00"))
        balance = ledger_queries.receivable_balance(billing_account_id=contract.billing_account_id)
        assert balance == D("-27.77")


class TestMeteringPointsOfOneAccount:
    def test_two_points_on_one_invoice(self) -> None:
        first = remote_account(product=fixed_product())
        second = remote_account(product=fixed_product(), account=first.billing_account)
        second.metering_point = MeteringPointFactory()
        second.save()
        add_intervals(first.metering_point, OCTOBER, wh=100)
        add_intervals(second.metering_point, OCTOBER, wh=200)
        bill()
        invoice = invoice_of(first)
        # 298 kWh: 35.76, 2.99, 14.90, 4.00, 0.60 and 596 kWh: 71.52, 2.99, 29.80, 4.00, 1.192;
        # net 58.25 + 109.50 = 167.75, VAT 24 % = 40.26
        assert [line[4] for line in lines_of(invoice)] == [
            D("35.76"), D("2.99"), D("14.90"), D("4.00"), D("0.60"),
            D("71.52"), D("2.99"), D("29.80"), D("4.00"), D("1.19"),
        ]  # fmt: skip
        assert (invoice.net_amount, invoice.vat_amount) == (D("167.75"), D("40.26"))


class TestIntervalCorrections:
    def correct_day(self, point, day: dt.date, wh: int) -> IntervalCorrection:  # type: ignore[no-untyped-def]
        """The data hub corrects a day after October was billed."""
        import_day(point, day, wh, as_of=dt.datetime(2026, 11, 20, tzinfo=dt.UTC))
        return IntervalCorrection.objects.get(metering_point=point, day=day)

    def test_a_correction_of_a_billed_month_is_trued_up_on_the_next_bill(self) -> None:
        contract = remote_account(product=fixed_product())
        point = contract.metering_point
        add_intervals(point, OCTOBER, wh=100)
        add_intervals(point, NOVEMBER, wh=100)
        bill()
        assert invoice_of(contract).gross_amount == D("72.23")
        correction = self.correct_day(point, dt.date(2026, 10, 10), wh=150)

        bill(NOVEMBER, dt.date(2026, 12, 4))
        november = invoice_of(contract, NOVEMBER)
        # November: 2,880 quarters = 288 kWh: 34.56, 14.40, 0.576; fees 2.99 + 4.00.
        # 10 October: 96 quarters x 50 Wh more = 4.8 kWh at October's prices, per kWh only:
        # 0.576, 0.24, 0.0096; net 57.36, VAT 24 % = 13.7664
        assert [
            (line.component, line.period_start, line.quantity, line.amount, line.is_true_up)
            for line in november.lines.order_by("position")
        ] == [
            ("ENERGY", NOVEMBER.first_day, D("288.000"), D("34.56"), False),
            ("PRODUCT_FEE", NOVEMBER.first_day, D("30.000"), D("2.99"), False),
            ("NETWORK_ENERGY", NOVEMBER.first_day, D("288.000"), D("14.40"), False),
            ("NETWORK_FEE", NOVEMBER.first_day, D("30.000"), D("4.00"), False),
            ("EXCISE", NOVEMBER.first_day, D("288.000"), D("0.58"), False),
            ("ENERGY", dt.date(2026, 10, 10), D("4.800"), D("0.58"), True),
            ("NETWORK_ENERGY", dt.date(2026, 10, 10), D("4.800"), D("0.24"), True),
            ("EXCISE", dt.date(2026, 10, 10), D("4.800"), D("0.01"), True),
        ]
        assert (november.net_amount, november.vat_amount, november.gross_amount) == (
            D("57.36"),
            D("13.77"),
            D("71.13"),
        )
        correction.refresh_from_db()
        assert correction.settled_at is not None
        true_up = november.lines.get(is_true_up=True, component="ENERGY")
        # chosen by version: version 2 of 10 October replaces the billed version 1
        version_1, version_2 = IntervalDay.objects.filter(
            metering_point=point, day=dt.date(2026, 10, 10)
        ).order_by("version")
        assert true_up.basis["days"] == {
            "2026-10-10": {"version": 2, "terms": [[version_1.pk, -1], [version_2.pk, 1]]}
        }
        assert true_up.basis["delta_wh"] == 4800

    def test_a_credit_note_opens_the_correction_again(self) -> None:
        contract = remote_account(product=fixed_product())
        point = contract.metering_point
        add_intervals(point, OCTOBER, wh=100)
        add_intervals(point, NOVEMBER, wh=100)
        bill()
        correction = self.correct_day(point, dt.date(2026, 10, 10), wh=150)
        bill(NOVEMBER, dt.date(2026, 12, 4))
        november = invoice_of(contract, NOVEMBER)
        assert november.number is not None
        bill_run.credit_invoice(number=november.number, reason="x", today=dt.date(2026, 12, 10))
        correction.refresh_from_db()
        assert correction.settled_at is None
        again = bill_run.rebill_account(
            reference_or_id=contract.billing_account.reference_number,
            period=NOVEMBER,
            today=dt.date(2026, 12, 10),
        )
        assert again.gross_amount == D("71.13")
        correction.refresh_from_db()
        assert correction.settled_at is not None
