"""The rating kernel on hand-computed bills (every expected amount worked out by hand)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from vool.common.localtime import Month
from vool.domain.tariffs import rating_reference
from vool.domain.tariffs.rating import (
    AccountMonth,
    EnergyComponent,
    FeeComponent,
    FeeVersion,
    Line,
    MarketPrices,
    MissingMarketPrice,
    MissingPrice,
    Piece,
    PriceVersion,
    Tariff,
    VatVersion,
    half_up_div,
    month_grid,
    price_that_multiplies_out,
    rate_accounts,
    vat_by_rate,
)
from vool.domain.tariffs.tariff_data import default_band_schemes

D = Decimal
SCHEMES = default_band_schemes()
VAT = (
    VatVersion(dt.date(2024, 1, 1), dt.date(2025, 7, 1), D("0.22")),
    VatVersion(dt.date(2025, 7, 1), None, D("0.24")),
)
START = dt.date(2024, 1, 1)


def flat(code: str, *versions: tuple[dt.date, dt.date | None, int]) -> EnergyComponent:
    return EnergyComponent(code, tuple(PriceVersion(f, t, {"ALL": p}) for f, t, p in versions))


def fee(code: str, amount: str) -> FeeComponent:
    return FeeComponent(code, (FeeVersion(START, None, D(amount)),))


def rate_one(
    month: Month,
    tariff: Tariff,
    energy: np.ndarray,
    *,
    minutes: int,
    market: MarketPrices | None = None,
    first: dt.date | None = None,
    end: dt.date | None = None,
) -> list[Line]:
    piece = Piece(tariff, first or month.first_day, end or month.next().first_day)
    lines, failed = rate_accounts(
        month=month,
        accounts=[AccountMonth("A", minutes, energy, (piece,))],
        vat=VAT,
        market=market,
    )
    if failed:
        raise failed["A"]
    return lines["A"]


def summary(lines: list[Line]) -> list[tuple[str, str, str, str, str | None]]:
    return [
        (
            ln.component,
            ln.band,
            str(ln.quantity),
            str(ln.amount),
            None if ln.unit_price is None else str(ln.unit_price),
        )
        for ln in lines
    ]


class TestFixedPrice:
    def test_dst_month_has_2972_quarters(self) -> None:
        # March 2026: clocks go forward on Sunday 29 March, 31 x 96 - 4 = 2972 quarters.
        month = Month(2026, 3)
        assert month_grid(month, 15).count == 2972
        tariff = Tariff("FIX", (flat("ENERGY", (START, None, 129_000)), fee("PRODUCT_FEE", "2.99")))
        lines = rate_one(month, tariff, np.full(2972, 100), minutes=15)
        # 2972 x 100 Wh = 297.2 kWh x 0.129 = 38.3388 -> 38.34
        assert summary(lines) == [
            ("ENERGY", "ALL", "297.200", "38.34", "0.129000"),
            ("PRODUCT_FEE", "ALL", "31", "2.99", "0.096452"),  # 2.99 / 31 a day
        ]

    def test_autumn_dst_month_hourly_has_745_hours(self) -> None:
        month = Month(2025, 10)
        tariff = Tariff("FIX", (flat("ENERGY", (START, None, 100_000)),))
        lines = rate_one(month, tariff, np.full(745, 1000), minutes=60)
        assert summary(lines) == [("ENERGY", "ALL", "745.000", "74.50", "0.100000")]

    def test_price_change_mid_month_splits_the_line(self) -> None:
        # January 2026, 0.139 until the 14th, 0.129 from the 15th; 50 Wh a quarter.
        month = Month(2026, 1)
        tariff = Tariff(
            "FIX",
            (
                flat(
                    "ENERGY",
                    (START, dt.date(2026, 1, 15), 139_000),
                    (dt.date(2026, 1, 15), None, 129_000),
                ),
            ),
        )
        lines = rate_one(month, tariff, np.full(2976, 50), minutes=15)
        # 14 x 96 x 50 = 67.2 kWh x 0.139 = 9.3408; 17 x 96 x 50 = 81.6 kWh x 0.129 = 10.5264
        assert summary(lines) == [
            ("ENERGY", "ALL", "67.200", "9.34", "0.139000"),
            ("ENERGY", "ALL", "81.600", "10.53", "0.129000"),
        ]
        assert (lines[0].period_start, lines[0].period_end) == (
            dt.date(2026, 1, 1),
            dt.date(2026, 1, 15),
        )
        assert (lines[1].period_start, lines[1].period_end) == (
            dt.date(2026, 1, 15),
            dt.date(2026, 2, 1),
        )

    def test_fee_on_half_a_cent_gets_a_daily_price_that_multiplies_out(self) -> None:
        # 0.01 EUR a month, 14 of February's 28 days: exactly 0.005 -> 0.01. The daily price
        # 0.000357142.. rounds to 0.000357, and 14 x 0.000357 = 0.004998 -> 0.00; the nearest
        # daily price that gives 0.01 is 0.000358 (14 x 0.000358 = 0.005012).
        month = Month(2026, 2)
        tariff = Tariff("FIX", (fee("PRODUCT_FEE", "0.01"),))
        lines = rate_one(month, tariff, np.zeros(672), minutes=60, first=dt.date(2026, 2, 15))
        assert summary(lines) == [("PRODUCT_FEE", "ALL", "14", "0.01", "0.000358")]
        assert lines[0].unit == "DAY" and lines[0].monthly_amount == D("0.01")

    def test_part_month_prorates_the_fee(self) -> None:
        # Supply from 21 April 2026: 10 of 30 days; 2.99 x 10 / 30 = 0.99666 -> 1.00
        month = Month(2026, 4)
        tariff = Tariff("FIX", (flat("ENERGY", (START, None, 129_000)), fee("PRODUCT_FEE", "2.99")))
        energy = np.full(720, 1000)
        lines = rate_one(month, tariff, energy, minutes=60, first=dt.date(2026, 4, 21))
        assert summary(lines) == [
            ("ENERGY", "ALL", "240.000", "30.96", "0.129000"),
            ("PRODUCT_FEE", "ALL", "10", "1.00", "0.099667"),  # 10 x 2.99 / 30
        ]

    def test_missing_price_version_is_an_error(self) -> None:
        tariff = Tariff("FIX", (flat("ENERGY", (dt.date(2026, 1, 10), None, 129_000)),))
        with pytest.raises(MissingPrice, match="ENERGY has no price valid on 2026-01-01"):
            rate_one(Month(2026, 1), tariff, np.full(2976, 1), minutes=15)


class TestDayNight:
    def test_holiday_on_a_weekday_is_night(self) -> None:
        # May 2026: 21 weekdays, Friday 1 May is a holiday -> 20 working days x 15 h = 300
        # day hours; 744 - 300 = 444 night hours; 1 kWh an hour.
        month = Month(2026, 5)
        tariff = Tariff(
            "PN",
            (
                EnergyComponent(
                    "ENERGY",
                    (PriceVersion(START, None, {"DAY": 149_000, "NIGHT": 99_000}),),
                    scheme=SCHEMES["EE_DAY_NIGHT"],
                ),
            ),
        )
        lines = rate_one(month, tariff, np.full(744, 1000), minutes=60)
        # 300 x 0.149 = 44.70; 444 x 0.099 = 43.956 -> 43.96
        assert summary(lines) == [
            ("ENERGY", "DAY", "300.000", "44.70", "0.149000"),
            ("ENERGY", "NIGHT", "444.000", "43.96", "0.099000"),
        ]

    def test_complete_bill_with_network_levies_and_vat(self) -> None:
        # February 2026, Võrk 2, 25 A. 19 working days (Tuesday 24 Feb is a holiday):
        # 285 day kWh, 672 - 285 = 387 night kWh at 1 kWh an hour.
        month = Month(2026, 2)
        dn = SCHEMES["EE_DAY_NIGHT"]
        tariff = Tariff(
            "FIX+V2",
            (
                flat("ENERGY", (START, None, 129_000)),
                fee("PRODUCT_FEE", "2.99"),
                EnergyComponent(
                    "NETWORK_ENERGY",
                    (PriceVersion(START, None, {"DAY": 60_700, "NIGHT": 35_100}),),
                    scheme=dn,
                ),
                fee("NETWORK_FEE", "8.57"),
                flat("RENEWABLE_FEE", (START, None, 8_400)),
                flat("BALANCING_CAPACITY_FEE", (START, None, 3_730)),
                flat("SECURITY_OF_SUPPLY_FEE", (START, None, 7_580)),
                flat("EXCISE", (START, None, 2_100)),
            ),
        )
        lines = rate_one(month, tariff, np.full(672, 1000), minutes=60)
        assert summary(lines) == [
            ("ENERGY", "ALL", "672.000", "86.69", "0.129000"),  # 86.688
            ("PRODUCT_FEE", "ALL", "28", "2.99", "0.106786"),
            ("NETWORK_ENERGY", "DAY", "285.000", "17.30", "0.060700"),  # 17.2995
            ("NETWORK_ENERGY", "NIGHT", "387.000", "13.58", "0.035100"),  # 13.5837
            ("NETWORK_FEE", "ALL", "28", "8.57", "0.306071"),  # 8.569988
            ("RENEWABLE_FEE", "ALL", "672.000", "5.64", "0.008400"),  # 5.6448
            ("BALANCING_CAPACITY_FEE", "ALL", "672.000", "2.51", "0.003730"),  # 2.50656
            ("SECURITY_OF_SUPPLY_FEE", "ALL", "672.000", "5.09", "0.007580"),  # 5.09376
            ("EXCISE", "ALL", "672.000", "1.41", "0.002100"),  # 1.4112
        ]
        assert sum(ln.amount for ln in lines) == D("143.78")
        assert vat_by_rate(lines) == {D("0.24"): (D("143.78"), D("34.51"))}  # 34.5072


class TestVatChange:
    def test_june_and_july_2025_carry_22_and_24_percent(self) -> None:
        tariff = Tariff("FIX", (flat("ENERGY", (START, None, 100_000)),))
        june = rate_one(Month(2025, 6), tariff, np.full(720, 1000), minutes=60)
        july = rate_one(Month(2025, 7), tariff, np.full(744, 1000), minutes=60)
        assert [(ln.amount, ln.vat_rate) for ln in june] == [(D("72.00"), D("0.22"))]
        assert [(ln.amount, ln.vat_rate) for ln in july] == [(D("74.40"), D("0.24"))]
        assert vat_by_rate(june + july) == {
            D("0.22"): (D("72.00"), D("15.84")),
            D("0.24"): (D("74.40"), D("17.86")),  # 17.856
        }

    def test_a_vat_change_inside_a_period_splits_every_line(self) -> None:
        vat = (
            VatVersion(START, dt.date(2025, 6, 16), D("0.22")),
            VatVersion(dt.date(2025, 6, 16), None, D("0.24")),
        )
        tariff = Tariff("FIX", (flat("ENERGY", (START, None, 100_000)), fee("PRODUCT_FEE", "3.00")))
        piece = Piece(tariff, dt.date(2025, 6, 1), dt.date(2025, 7, 1))
        lines, _ = rate_accounts(
            month=Month(2025, 6),
            vat=vat,
            accounts=[AccountMonth("A", 60, np.full(720, 1000), (piece,))],
        )
        assert [
            (ln.component, str(ln.quantity), str(ln.amount), str(ln.vat_rate)) for ln in lines["A"]
        ] == [
            ("ENERGY", "360.000", "36.00", "0.22"),
            ("ENERGY", "360.000", "36.00", "0.24"),
            ("PRODUCT_FEE", "15", "1.50", "0.22"),
            ("PRODUCT_FEE", "15", "1.50", "0.24"),
        ]


def quarter_prices(month: Month, pattern: list[int]) -> MarketPrices:
    n = month_grid(month, 15).count
    values = np.array([pattern[i % len(pattern)] for i in range(n)], dtype=np.int64)
    return MarketPrices(month, values, np.zeros(n, dtype=bool))


class TestExchange:
    tariff = Tariff(
        "BORS",
        (
            EnergyComponent("ENERGY", (PriceVersion(START, None, {"ALL": 0}),), market=True),
            flat("MARGIN", (START, None, 6_900)),
        ),
    )

    def test_15_minute_month(self) -> None:
        # October 2025 (first 15-min month, 2980 quarters with the autumn DST change);
        # prices alternate 0.10 / 0.05 EUR/kWh by quarter; 100 Wh each quarter.
        month = Month(2025, 10)
        market = quarter_prices(month, [100_000, 50_000])
        lines = rate_one(month, self.tariff, np.full(2980, 100), minutes=15, market=market)
        # 1490 x 0.1 x 0.10 + 1490 x 0.1 x 0.05 = 14.90 + 7.45 = 22.35; margin 298 x 0.0069
        assert summary(lines) == [
            ("ENERGY", "ALL", "298.000", "22.35", "0.075000"),
            ("MARGIN", "ALL", "298.000", "2.06", "0.006900"),  # 2.0562
        ]

    def test_hourly_point_pays_the_mean_of_four_quarters(self) -> None:
        # Quarters 0.10, 0.20, 0.30, 0.41 -> hour 0.2525; 1 kWh an hour, 745 hours
        month = Month(2025, 10)
        market = quarter_prices(month, [100_000, 200_000, 300_000, 410_000])
        lines = rate_one(month, self.tariff, np.full(745, 1000), minutes=60, market=market)
        # 745 x 0.2525 = 188.1125 -> 188.11; margin 745 x 0.0069 = 5.1405 -> 5.14
        assert summary(lines) == [
            ("ENERGY", "ALL", "745.000", "188.11", "0.252500"),
            ("MARGIN", "ALL", "745.000", "5.14", "0.006900"),
        ]

    def test_half_a_cent_rounds_up_only_at_the_line(self) -> None:
        # 10 Wh in one hour whose quarters mean 0.5 EUR/kWh: exactly 0.005 EUR -> 0.01
        month = Month(2025, 11)
        market = quarter_prices(month, [500_000, 400_000, 600_000, 500_000])
        energy = np.zeros(720, dtype=np.int64)
        energy[0] = 10
        lines = rate_one(
            month, Tariff("B", self.tariff.components[:1]), energy, minutes=60, market=market
        )
        assert summary(lines) == [("ENERGY", "ALL", "0.010", "0.01", "0.500000")]

    def test_weighted_mean_is_the_nearest_price_that_multiplies_out(self) -> None:
        # 373.263 kWh at 0.100000 + 1360.494 kWh at 0.390762 = 568.955656428 -> 568.96.
        # The mean 0.3281634372 rounds to 0.328163, but 1733.757 x 0.328163 = 568.954898
        # -> 568.95; the nearest price that gives 568.96 is 0.328164 (568.956632).
        month = Month(2025, 11)
        prices = np.zeros(month_grid(month, 15).count, dtype=np.int64)
        prices[:2] = [100_000, 390_762]
        market = MarketPrices(month, prices, np.zeros(prices.size, dtype=bool))
        energy = np.zeros(prices.size, dtype=np.int64)
        energy[:2] = [373_263, 1_360_494]
        lines = rate_one(
            month, Tariff("B", self.tariff.components[:1]), energy, minutes=15, market=market
        )
        assert summary(lines) == [("ENERGY", "ALL", "1733.757", "568.96", "0.328164")]

    def test_removed_consumption_is_a_line_of_its_own(self) -> None:
        # A true-up moves 1 kWh from a 0.20 quarter to a 0.10 quarter: 0 kWh in total but
        # -0.10 EUR, which no price can multiply out; the added and the removed kWh are shown
        # apart, each at its own price.
        month = Month(2025, 11)
        prices = np.zeros(month_grid(month, 15).count, dtype=np.int64)
        prices[:2] = [100_000, 200_000]
        market = MarketPrices(month, prices, np.zeros(prices.size, dtype=bool))
        energy = np.zeros(prices.size, dtype=np.int64)
        energy[:2] = [1000, -1000]
        lines = rate_one(month, self.tariff, energy, minutes=15, market=market)
        assert summary(lines) == [
            ("ENERGY", "ALL", "1.000", "0.10", "0.100000"),
            ("ENERGY", "ALL", "-1.000", "-0.20", "0.200000"),
            ("MARGIN", "ALL", "0.000", "0.00", "0.006900"),
        ]
        assert lines == rating_reference.rate_piece(
            month=month,
            minutes=15,
            energy_wh=energy.tolist(),
            first_day=month.first_day,
            end_day=month.next().first_day,
            tariff=self.tariff,
            vat=VAT,
            quarter_prices_micro=prices.tolist(),
        )

    def test_a_line_above_10_mwh_carries_a_7th_decimal_when_it_must(self) -> None:
        # 20,000 kWh at a mean of 0.10000025: 20,000 x 6-decimal prices are whole even cents,
        # but the amount is 2000.005 -> 2000.01 (odd); 0.1000003 x 20,000 = 2000.006 -> 2000.01
        price = price_that_multiplies_out(
            quantity=20_000_000,
            quantity_decimals=3,
            amount_cents=200_001,
            exact_num=20_000_000 * 100_000_25,
            exact_den=20_000_000 * 100,
        )
        assert price == D("0.1000003")

    def test_missing_market_price_names_the_interval(self) -> None:
        month = Month(2025, 11)
        market = quarter_prices(month, [100_000])
        missing = market.missing.copy()
        missing[4 * 24 * 3 + 2] = True  # 4 Nov 2025 00:30 local (quarter 2 of day 4)
        market = MarketPrices(month, market.values_micro, missing)
        with pytest.raises(
            MissingMarketPrice,
            match=r"1 15-minute interval\(s\) starting "
            r"2025-11-04 00:30 \(Tallinn time\)",
        ):
            rate_one(month, self.tariff, np.full(720, 1000), minutes=60, market=market)
        # before the gap, a piece ending on 4 November is fine
        lines = rate_one(
            month,
            self.tariff,
            np.full(720, 1000),
            minutes=60,
            market=market,
            end=dt.date(2025, 11, 4),
        )
        assert lines[0].quantity == D("72.000")

    def test_missing_price_stops_only_that_account(self) -> None:
        month = Month(2025, 11)
        fixed = Tariff("FIX", (flat("ENERGY", (START, None, 100_000)),))
        accounts = [
            AccountMonth(
                "exchange",
                60,
                np.full(720, 1000),
                (Piece(self.tariff, month.first_day, month.next().first_day),),
            ),
            AccountMonth(
                "fixed",
                60,
                np.full(720, 1000),
                (Piece(fixed, month.first_day, month.next().first_day),),
            ),
        ]
        lines, failed = rate_accounts(month=month, accounts=accounts, vat=VAT, market=None)
        assert list(failed) == ["exchange"]
        assert isinstance(failed["exchange"], MissingMarketPrice)
        assert [ln.amount for ln in lines["fixed"]] == [D("72.00")]


class TestProductChangeMidMonth:
    def test_two_pieces_of_one_account(self) -> None:
        month = Month(2026, 4)
        a = Tariff("A", (flat("ENERGY", (START, None, 100_000)), fee("PRODUCT_FEE", "3.00")))
        b = Tariff("B", (flat("ENERGY", (START, None, 200_000)), fee("PRODUCT_FEE", "6.00")))
        account = AccountMonth(
            "X",
            60,
            np.full(720, 1000),
            (
                Piece(a, dt.date(2026, 4, 1), dt.date(2026, 4, 11)),
                Piece(b, dt.date(2026, 4, 11), dt.date(2026, 5, 1)),
            ),
        )
        lines, _ = rate_accounts(month=month, accounts=[account], vat=VAT)
        assert [(ln.component, str(ln.quantity), str(ln.amount)) for ln in lines["X"]] == [
            ("ENERGY", "240.000", "24.00"),
            ("PRODUCT_FEE", "10", "1.00"),
            ("ENERGY", "480.000", "96.00"),
            ("PRODUCT_FEE", "20", "4.00"),
        ]


def test_reference_agrees_on_the_complete_bill() -> None:
    month = Month(2026, 2)
    dn = SCHEMES["EE_DAY_NIGHT"]
    tariff = Tariff(
        "T",
        (
            EnergyComponent(
                "ENERGY", (PriceVersion(START, None, {"DAY": 149_000, "NIGHT": 99_000}),), scheme=dn
            ),
            fee("PRODUCT_FEE", "2.99"),
        ),
    )
    energy = np.arange(672) % 7 * 300
    kernel = rate_one(month, tariff, energy, minutes=60)
    reference = rating_reference.rate_piece(
        month=month,
        minutes=60,
        energy_wh=energy.tolist(),
        first_day=month.first_day,
        end_day=month.next().first_day,
        tariff=tariff,
        vat=VAT,
    )
    assert kernel == reference


class TestHelpers:
    def test_half_up_division_ties_away_from_zero(self) -> None:
        x = np.array([5, 15, -5, -15, 4, -4, 6], dtype=np.int64)
        assert half_up_div(x, 10).tolist() == [1, 2, -1, -2, 0, 0, 1]
