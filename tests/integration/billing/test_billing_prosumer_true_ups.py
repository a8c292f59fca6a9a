"""Corrections of days billed on net quantities (issue 15, prosumers) are trued up on the next
bill: the net OUT delta at the corrected day's tariffs (energy, network kWh fee, excise), the
surplus-credit delta (net IN) at its production terms with the net rule's VAT (0 %).

Data and tariffs as in ``test_billing_prosumer``: a prosumer supplied from 29 August 2026
(3 days of data, ``import_prosumer_days``: 96 quarters a day, net OUT 100 Wh in the first 48,
net IN 200 Wh in the last 48, gross OUT 100 Wh in all), product 0.12 EUR/kWh, network
0.05 EUR/kWh, excise 0.002 EUR/kWh, VAT 24 %, a fixed buy-back price of 0.08 EUR/kWh.

The hub corrects 30 August (known 20 September): net OUT 400 Wh in each morning quarter
(was 100), net IN 50 Wh in each afternoon quarter (was 200):

    net OUT delta   48 x (400 - 100) = +14,400 Wh = +14.400 kWh
    net IN delta    48 x (50 - 200)  =  -7,200 Wh =  -7.200 kWh

True-up lines of August on the September bill (one rounding each, half-up):

    ENERGY          14.400 x 0.12  = 1.728   -> 1.73   VAT 24 %
    NETWORK_ENERGY  14.400 x 0.05  = 0.72    -> 0.72   VAT 24 %
    EXCISE          14.400 x 0.002 = 0.0288  -> 0.03   VAT 24 %
    PRODUCTION       7.200 x 0.08  = 0.576   -> 0.58   VAT 0 % (credit taken back: positive)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing_factories import (
    add_market_prices,
    fixed_product,
    import_day,
    import_prosumer_days,
    net_billing_from_august_2026,
    production_product,
    remote_account,
)
from vool.common.localtime import Month
from vool.domain.billing.models import BillRunException, Invoice
from vool.domain.contracts.models import SupplyContract
from vool.domain.integrity import operations as integrity
from vool.domain.metering.models import IntervalCorrection, IntervalDay
from vool.domain.tariffs.models import ProductionProduct
from vool.usecases import bill_run

from .test_billing_prosumer import assert_reconciles, bill, lines_of

pytestmark = pytest.mark.django_db

JULY = Month(2026, 7)
AUGUST = Month(2026, 8)
SEPTEMBER = Month(2026, 9)
OCTOBER = Month(2026, 10)
THIRTIETH = dt.date(2026, 8, 30)
CORRECTED = dt.datetime(2026, 9, 20, tzinfo=dt.UTC)
D = Decimal


def prosumer_from_29th(
    month: Month,
    *,
    net: bool = True,
    next_net_in_wh: int = 200,
    production: ProductionProduct | None = None,
) -> SupplyContract:
    """Supplied from the 29th of ``month`` with production terms (0.08 EUR/kWh); the month's
    last 3 days of data (with net data, or gross OUT 100 Wh a quarter only) and the whole
    next month with net data (net IN ``next_net_in_wh`` a quarter in the afternoons), each
    known when its month is over. ``production``: other production terms."""
    net_billing_from_august_2026()
    first = dt.date(month.year, month.month, 29)
    contract = remote_account(product=fixed_product(), valid_from=first)
    contract.production_product = production or production_product(buyback="0.080000")
    contract.save()
    point = contract.metering_point
    known = dt.datetime.combine(month.next().first_day, dt.time(6), tzinfo=dt.UTC)
    day = first
    while day < month.next().first_day:
        if net:
            import_prosumer_days(point, day, day + dt.timedelta(days=1), as_of=known)
        else:
            import_day(point, day, 100, as_of=known)
        day += dt.timedelta(days=1)
    after = month.next()
    known = dt.datetime.combine(after.next().first_day, dt.time(6), tzinfo=dt.UTC)
    import_prosumer_days(
        point,
        after.first_day,
        after.next().first_day,
        as_of=known,
        afternoon_net_in_wh=next_net_in_wh,
    )
    return contract


def correct_30th(contract: SupplyContract, day: dt.date = THIRTIETH) -> None:
    import_prosumer_days(
        contract.metering_point,
        day,
        day + dt.timedelta(days=1),
        as_of=dt.datetime.combine(day + dt.timedelta(days=21), dt.time(), tzinfo=dt.UTC),
        morning_net_out_wh=400,
        afternoon_net_in_wh=50,
    )


def true_up_lines(invoice: Invoice) -> list[tuple[str, Decimal, Decimal | None, Decimal, Decimal]]:
    return [
        (line.component, line.quantity, line.unit_price, line.amount, line.vat_rate)
        for line in invoice.lines.filter(is_true_up=True).order_by("position")
    ]


def live_invoices(contract: SupplyContract) -> list[Invoice]:
    return list(
        Invoice.objects.filter(
            billing_account=contract.billing_account, kind="INVOICE", status="ISSUED"
        )
    )


def billed_of(contract: SupplyContract, month: Month, component: str) -> Decimal:
    """kWh of ``component`` lines billing days of ``month`` on the account's live invoices
    (the month's bill and every true-up of it)."""
    return sum(
        (
            line.quantity
            for invoice in live_invoices(contract)
            for line in invoice.lines.filter(
                component=component,
                period_start__gte=month.first_day,
                period_start__lt=month.next().first_day,
            )
        ),
        D("0.000"),
    )


class TestNetDayCorrections:
    def test_the_next_bill_trues_up_net_out_and_the_surplus_credit(self) -> None:
        contract = prosumer_from_29th(AUGUST)
        assert bill(AUGUST) is not None
        correct_30th(contract)
        september = bill(SEPTEMBER)
        assert september is not None
        assert true_up_lines(september) == [
            ("ENERGY", D("14.400"), D("0.120000"), D("1.73"), D("0.24")),
            ("NETWORK_ENERGY", D("14.400"), D("0.050000"), D("0.72"), D("0.24")),
            ("EXCISE", D("14.400"), D("0.002000"), D("0.03"), D("0.24")),
            ("PRODUCTION", D("7.200"), D("0.080000"), D("0.58"), D("0")),
        ]
        for line in september.lines.filter(is_true_up=True):  # named with the day it trues up
            assert (line.period_start, line.period_end) == (THIRTIETH, dt.date(2026, 8, 31))
            assert line.basis["period"] == "2026-08" and line.basis["days"]["2026-08-30"]["net"]
            assert (line.basis["delta_wh"], line.basis["surplus_delta_wh"]) == (14_400, -7_200)
        credit = september.lines.get(component="PRODUCTION", is_true_up=True)
        assert credit.ledger_account == "PRODUCTION_COST"
        # September itself: net OUT 30 x 4.8 = 144 kWh: 17.28 + 7.20 + 0.29 (144 x 0.002 =
        # 0.288) + fees 2.99 + 4.00 = 31.76; surplus 288 kWh x 0.08 = -23.04.
        # 24 % base 31.76 + 2.48 = 34.24, VAT 8.2176 -> 8.22; 0 % base -23.04 + 0.58 = -22.46;
        # net 34.24 - 22.46 = 11.78, gross 20.00
        assert (september.net_amount, september.vat_amount, september.gross_amount) == (
            D("11.78"), D("8.22"), D("20.00"),
        )  # fmt: skip
        assert september.vat_summary == [
            {"rate": "0", "base": "-22.46", "vat": "0.00"},
            {"rate": "0.24", "base": "34.24", "vat": "8.22"},
        ]
        assert_reconciles(september)
        assert IntervalCorrection.objects.get(day=THIRTIETH).settled_at is not None
        # what the live bills hold of August is now the corrected data: net OUT 9.6 + 19.2,
        # net IN 9.6 + 9.6 + 2.4 (per day: 48 x 200 Wh, corrected 48 x 50 Wh)
        assert billed_of(contract, AUGUST, "ENERGY") == D("28.800")
        assert billed_of(contract, AUGUST, "PRODUCTION") == D("-21.600")

    def test_an_exchange_priced_credit_is_trued_up_at_the_corrected_days_prices(self) -> None:
        """Production terms: the exchange price minus 0.01 EUR/kWh; quarters of each hour at
        80, 100, 120, 100 EUR/MWh, so each hour of surplus earns the mean 0.09 EUR/kWh. The
        surplus of 30 August goes down by 150 Wh in each afternoon quarter: per hour
        -0.15 x (0.07 + 0.09 + 0.11 + 0.09) = -0.054 EUR, x 12 hours = -0.648: the credit
        taken back is +7.200 kWh x 0.09 = 0.648 -> 0.65 (no VAT)."""
        contract = prosumer_from_29th(AUGUST, production=production_product(margin="0.010000"))
        for month in (AUGUST, SEPTEMBER):
            add_market_prices(month, ("80", "100", "120", "100"))
        assert bill(AUGUST) is not None
        correct_30th(contract)
        september = bill(SEPTEMBER)
        assert september is not None
        assert true_up_lines(september)[-1] == (
            "PRODUCTION",
            D("7.200"),
            D("0.090000"),
            D("0.65"),
            D("0"),
        )
        assert_reconciles(september)

    def test_a_rerun_and_the_next_bill_do_not_true_up_twice(self) -> None:
        contract = prosumer_from_29th(AUGUST)
        assert bill(AUGUST) is not None
        correct_30th(contract)
        assert bill(SEPTEMBER) is not None
        assert bill(SEPTEMBER) is not None  # a second run of September bills nobody again
        assert Invoice.objects.filter(period="2026-09").count() == 1
        known = dt.datetime(2026, 11, 1, 6, tzinfo=dt.UTC)
        import_prosumer_days(
            contract.metering_point, OCTOBER.first_day, OCTOBER.next().first_day, as_of=known
        )
        october = bill(OCTOBER)
        assert october is not None
        assert true_up_lines(october) == []
        assert billed_of(contract, AUGUST, "ENERGY") == D("28.800")
        assert billed_of(contract, AUGUST, "PRODUCTION") == D("-21.600")

    def test_a_rebill_offsets_the_net_true_up_and_its_credit(self) -> None:
        contract = prosumer_from_29th(AUGUST)
        assert bill(AUGUST) is not None
        correct_30th(contract)
        assert bill(SEPTEMBER) is not None
        again = bill_run.rebill_account(
            reference_or_id=contract.billing_account.reference_number,
            period=AUGUST,
            today=dt.date(2026, 10, 12),
            as_of=dt.datetime(2026, 10, 12, tzinfo=dt.UTC),
        )
        # August on the corrected data: net OUT 28.8 kWh x 0.12 = 3.456 -> 3.46, surplus
        # 21.6 kWh x 0.08 = 1.728 -> -1.73; and the September true-up taken back
        assert ("ENERGY", D("28.800"), D("0.120000"), D("3.46"), D("0.24")) in lines_of(again)
        assert ("PRODUCTION", D("-21.600"), D("0.080000"), D("-1.73"), D("0")) in lines_of(again)
        assert true_up_lines(again) == [
            ("ENERGY", D("-14.400"), D("0.120000"), D("-1.73"), D("0.24")),
            ("NETWORK_ENERGY", D("-14.400"), D("0.050000"), D("-0.72"), D("0.24")),
            ("EXCISE", D("-14.400"), D("0.002000"), D("-0.03"), D("0.24")),
            ("PRODUCTION", D("-7.200"), D("0.080000"), D("-0.58"), D("0")),
        ]
        assert_reconciles(again)
        assert billed_of(contract, AUGUST, "ENERGY") == D("28.800")
        assert billed_of(contract, AUGUST, "PRODUCTION") == D("-21.600")


class TestTheBasisOfADay:
    def test_a_day_billed_gross_whose_correction_brings_net_data_is_trued_up_on_net(
        self,
    ) -> None:
        """August billed on gross OUT (the data had no net quantities): 3 x 9.6 = 28.8 kWh, no
        credit. The correction of 30 August brings net data, and the rule bills that day on
        net: consumption delta = net OUT 48 x 400 = 19,200 Wh - gross billed 96 x 100 =
        9,600 Wh = +9.6 kWh; the surplus 48 x 50 = 2.4 kWh is credited:

            ENERGY          9.600 x 0.12  = 1.152  -> 1.15
            NETWORK_ENERGY  9.600 x 0.05  = 0.48
            EXCISE          9.600 x 0.002 = 0.0192 -> 0.02
            PRODUCTION     -2.400 x 0.08  = -0.192 -> -0.19 (VAT 0)
        """
        contract = prosumer_from_29th(AUGUST, net=False)
        august = bill(AUGUST)
        assert august is not None
        assert "PRODUCTION" not in [line[0] for line in lines_of(august)]
        correct_30th(contract)
        september = bill(SEPTEMBER)
        assert september is not None
        assert true_up_lines(september) == [
            ("ENERGY", D("9.600"), D("0.120000"), D("1.15"), D("0.24")),
            ("NETWORK_ENERGY", D("9.600"), D("0.050000"), D("0.48"), D("0.24")),
            ("EXCISE", D("9.600"), D("0.002000"), D("0.02"), D("0.24")),
            ("PRODUCTION", D("-2.400"), D("0.080000"), D("-0.19"), D("0")),
        ]
        assert_reconciles(september)

    def test_a_day_before_the_rule_is_trued_up_on_gross_without_a_credit(self) -> None:
        """July (no net billing rule yet) billed on gross OUT although the data carry net
        quantities; the hub corrects 30 July: gross 150 Wh in every quarter (was 100) and
        other net values. Gross delta 96 x 50 = 4.8 kWh: 0.576 -> 0.58, 0.24, 0.0096 ->
        0.01; the net values do not matter for July, no credit line."""
        contract = prosumer_from_29th(JULY)
        assert bill(JULY) is not None
        import_prosumer_days(
            contract.metering_point,
            dt.date(2026, 7, 30),
            dt.date(2026, 7, 31),
            as_of=dt.datetime(2026, 8, 20, tzinfo=dt.UTC),
            out_wh=150,
            morning_net_out_wh=400,
            afternoon_net_in_wh=50,
        )
        august = bill(AUGUST)
        assert august is not None
        assert true_up_lines(august) == [
            ("ENERGY", D("4.800"), D("0.120000"), D("0.58"), D("0.24")),
            ("NETWORK_ENERGY", D("4.800"), D("0.050000"), D("0.24"), D("0.24")),
            ("EXCISE", D("4.800"), D("0.002000"), D("0.01"), D("0.24")),
        ]
        assert_reconciles(august)

    def test_a_net_day_whose_correction_lost_its_net_data_goes_to_a_person(self) -> None:
        contract = prosumer_from_29th(AUGUST)
        assert bill(AUGUST) is not None
        import_day(contract.metering_point, THIRTIETH, 150, as_of=CORRECTED)
        # an import keeps the day's net values it does not resend; a version without them
        # (written around the importer) must not fall back to gross
        corrected = IntervalDay.objects.get(
            metering_point=contract.metering_point, day=THIRTIETH, version=2
        )
        with integrity.maintenance(reason="test: a corrected version without its net values"):
            IntervalDay.objects.filter(pk=corrected.pk).update(net_wh=b"")
        assert bill(SEPTEMBER) is None
        exception = BillRunException.objects.get(billing_account=contract.billing_account)
        assert exception.code == "NO_CONSUMPTION_DATA"
        assert "2026-08-30 was billed on net quantities" in exception.reason
        assert IntervalCorrection.objects.get(day=THIRTIETH).settled_at is None

    def test_a_gross_only_correction_of_a_net_day_trues_up_nothing_and_settles(self) -> None:
        """The hub resends 30 August with another gross OUT (150 Wh a quarter) and the same
        net values: the day is billed on net, so nothing changes on the bill (no zero lines),
        and the correction is settled by the September bill."""
        contract = prosumer_from_29th(AUGUST)
        assert bill(AUGUST) is not None
        import_day(contract.metering_point, THIRTIETH, 150, as_of=CORRECTED)
        september = bill(SEPTEMBER)
        assert september is not None
        assert true_up_lines(september) == []
        assert IntervalCorrection.objects.get(day=THIRTIETH).settled_at is not None

    def test_a_surplus_change_without_production_terms_goes_to_a_person(self) -> None:
        contract = prosumer_from_29th(AUGUST, next_net_in_wh=0)  # no surplus in September
        assert bill(AUGUST) is not None
        contract.production_product = None
        contract.save()
        correct_30th(contract)
        assert bill(SEPTEMBER) is None
        exception = BillRunException.objects.get(billing_account=contract.billing_account)
        assert exception.code == "MISSING_PRICE"
        assert "surplus fed into the grid on 2026-08-30 changed by -7.200 kWh" in exception.reason
        assert IntervalCorrection.objects.get(day=THIRTIETH).settled_at is None
