"""The vectorised kernel and the Decimal reference give identical lines (property test)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import numpy as np
from hypothesis import event, given, settings
from hypothesis import strategies as st

from vool.common.localtime import Month
from vool.common.money import RoundingMode, round_money
from vool.domain.tariffs import rating_reference
from vool.domain.tariffs.rating import (
    EnergyComponent,
    FeeComponent,
    FeeVersion,
    Line,
    MarketPrices,
    MissingMarketPrice,
    PriceVersion,
    Tariff,
    VatVersion,
    month_grid,
    price_that_multiplies_out,
    rate_month,
)
from vool.domain.tariffs.tariff_data import default_band_schemes

SCHEMES = default_band_schemes()
# DST months (spring, autumn, both rules), a holiday month, the VAT change, the 2022 rule change
MONTHS = [
    Month(2021, 3),
    Month(2022, 3),
    Month(2024, 12),
    Month(2025, 3),
    Month(2025, 6),
    Month(2025, 7),
    Month(2025, 10),
    Month(2026, 2),
    Month(2026, 5),
]


@st.composite
def versions(
    draw: st.DrawFn, month: Month, bands: tuple[str, ...], lo: int, hi: int
) -> tuple[PriceVersion, ...]:
    """1-3 versions covering the month, with changes on random days."""
    cuts = sorted(set(draw(st.lists(st.integers(1, month.days - 1), max_size=2))))
    starts = [dt.date(2000, 1, 1)] + [month.first_day + dt.timedelta(days=c) for c in cuts]
    out = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else None
        out.append(PriceVersion(start, end, {b: draw(st.integers(lo, hi)) for b in bands}))
    return tuple(out)


@st.composite
def tariffs(draw: st.DrawFn, month: Month) -> Tariff:
    comps: list[EnergyComponent | FeeComponent] = []
    kind = draw(st.sampled_from(["FIXED", "DAY_NIGHT", "EXCHANGE"]))
    if kind == "FIXED":
        comps.append(EnergyComponent("ENERGY", draw(versions(month, ("ALL",), 0, 500_000))))
    elif kind == "DAY_NIGHT":
        comps.append(
            EnergyComponent(
                "ENERGY",
                draw(versions(month, ("DAY", "NIGHT"), 0, 500_000)),
                scheme=SCHEMES["EE_DAY_NIGHT"],
            )
        )
    else:
        comps.append(
            EnergyComponent("ENERGY", draw(versions(month, ("ALL",), -1000, 1000)), market=True)
        )
        comps.append(EnergyComponent("MARGIN", draw(versions(month, ("ALL",), 0, 20_000))))
    fee_cents = draw(st.integers(0, 5000))
    comps.append(
        FeeComponent(
            "PRODUCT_FEE", (FeeVersion(dt.date(2000, 1, 1), None, Decimal(fee_cents).scaleb(-2)),)
        )
    )
    if draw(st.booleans()) and month >= Month(2022, 3):
        comps.append(
            EnergyComponent(
                "NETWORK_ENERGY",
                draw(versions(month, SCHEMES["EE_V5"].bands, 0, 100_000)),
                scheme=SCHEMES["EE_V5"],
            )
        )
    comps.append(EnergyComponent("EXCISE", draw(versions(month, ("ALL",), 0, 5_000))))
    return Tariff("T", tuple(comps))


@st.composite
def scenarios(draw: st.DrawFn) -> dict:
    month = draw(st.sampled_from(MONTHS))
    minutes = draw(st.sampled_from([15, 60]))
    tariff = draw(tariffs(month))
    first = draw(st.integers(0, month.days - 1))
    end = draw(st.integers(first + 1, month.days))
    seed = draw(st.integers(0, 2**32 - 1))
    scale = draw(st.sampled_from([1, 10, 1000, 100_000]))
    negative = draw(st.booleans())
    vat_cut = draw(st.integers(0, month.days))
    return {
        "month": month,
        "minutes": minutes,
        "tariff": tariff,
        "first": first,
        "end": end,
        "seed": seed,
        "scale": scale,
        "negative": negative,
        "vat_cut": vat_cut,
        "missing": draw(st.integers(0, 3)),
    }


def assert_multiplies_out(line: Line) -> None:
    """quantity x unit price, rounded half-up to cents, is the amount (EN 16931 line net)."""
    if line.unit_price is None:
        assert line.quantity == 0 and line.amount == 0, line
        return
    product = round_money(line.quantity * line.unit_price, mode=RoundingMode.HALF_UP)
    assert product == line.amount, line
    assert -line.unit_price.as_tuple().exponent <= 9, line  # type: ignore[operator]


@settings(max_examples=60)
@given(scenarios())
def test_kernel_equals_reference(case: dict) -> None:
    month: Month = case["month"]
    minutes: int = case["minutes"]
    rng = np.random.default_rng(case["seed"])
    grid = month_grid(month, minutes)
    low = -case["scale"] if case["negative"] else 0
    energy = rng.integers(low, case["scale"] + 1, size=grid.count)
    quarters = month_grid(month, 15).count
    prices = rng.integers(-50_000, 4_000_000, size=quarters)
    missing = np.zeros(quarters, dtype=bool)
    if case["missing"]:
        missing[rng.integers(0, quarters, size=case["missing"])] = True
    market = MarketPrices(month, prices.astype(np.int64), missing)
    cut = month.first_day + dt.timedelta(days=case["vat_cut"])
    vat = (
        VatVersion(dt.date(2000, 1, 1), cut, Decimal("0.22")),
        VatVersion(cut, None, Decimal("0.24")),
    )
    first_day = month.first_day + dt.timedelta(days=case["first"])
    end_day = month.first_day + dt.timedelta(days=case["end"])

    rated = rate_month(
        month=month,
        minutes=minutes,
        energy_wh=energy[None, :].astype(np.int64),
        piece_row=np.array([0]),
        piece_tariff=np.array([0]),
        piece_first_day=np.array([case["first"]]),
        piece_end_day=np.array([case["end"]]),
        tariffs=[case["tariff"]],
        vat=vat,
        market=market,
        block_rows=1,
    )
    try:
        expected = rating_reference.rate_piece(
            month=month,
            minutes=minutes,
            energy_wh=energy.tolist(),
            first_day=first_day,
            end_day=end_day,
            tariff=case["tariff"],
            vat=vat,
            quarter_prices_micro=[
                None if m else int(p) for p, m in zip(prices, missing, strict=True)
            ],
        )
    except MissingMarketPrice as exc:
        assert isinstance(rated.failures.get(0), MissingMarketPrice)
        assert rated.failures[0].missing_starts == exc.missing_starts
        event("missing market price")
        return
    event(f"compared {len(expected)} lines")
    assert 0 not in rated.failures
    assert rated.lines(0) == expected
    for line in expected:
        assert_multiplies_out(line)
    assert int(rated.totals_cents()[0]) == sum(int(ln.amount * 100) for ln in expected)


def test_many_accounts_in_blocks_equal_one_by_one() -> None:
    month = Month(2025, 10)
    rng = np.random.default_rng(7)
    tariff = Tariff(
        "T",
        (
            EnergyComponent(
                "ENERGY", (PriceVersion(dt.date(2000, 1, 1), None, {"ALL": 0}),), market=True
            ),
            EnergyComponent(
                "NETWORK_ENERGY",
                (PriceVersion(dt.date(2000, 1, 1), None, {"DAY": 60_700, "NIGHT": 35_100}),),
                scheme=SCHEMES["EE_DAY_NIGHT"],
            ),
        ),
    )
    grid = month_grid(month, 15)
    energy = rng.integers(0, 2000, size=(37, grid.count)).astype(np.int64)
    market = MarketPrices(
        month,
        rng.integers(0, 400_000, size=grid.count).astype(np.int64),
        np.zeros(grid.count, dtype=bool),
    )
    vat = (VatVersion(dt.date(2000, 1, 1), None, Decimal("0.24")),)
    firsts = rng.integers(0, 15, size=37)
    args = {
        "month": month,
        "minutes": 15,
        "energy_wh": energy,
        "piece_row": np.arange(37),
        "piece_tariff": np.zeros(37, dtype=int),
        "piece_first_day": firsts,
        "piece_end_day": np.full(37, 31),
        "tariffs": [tariff],
        "vat": vat,
        "market": market,
    }
    big = rate_month(**args, block_rows=5)
    for i in range(37):
        expected = rating_reference.rate_piece(
            month=month,
            minutes=15,
            energy_wh=energy[i].tolist(),
            first_day=month.first_day + dt.timedelta(days=int(firsts[i])),
            end_day=month.next().first_day,
            tariff=tariff,
            vat=vat,
            quarter_prices_micro=market.values_micro.tolist(),
        )
        assert big.lines(i) == expected


@st.composite
def quantities(draw: st.DrawFn) -> tuple[int, int]:
    """Days of a fee line (1-31) or Wh of a kWh line (up to 10 GWh either way)."""
    if draw(st.booleans()):
        return draw(st.integers(1, 31)), 0
    return draw(st.integers(-(10**10), 10**10).filter(lambda q: q != 0)), 3


@settings(max_examples=300)
@given(
    quantity_and_decimals=quantities(),
    exact_num=st.integers(-(10**19), 10**19),
    exact_den=st.integers(1, 10**11),
)
def test_the_chosen_price_multiplies_out_and_is_nearest(
    quantity_and_decimals: tuple[int, int], exact_num: int, exact_den: int
) -> None:
    """For any quantity and exact price, the price multiplies out to the exact amount rounded
    half-up, and no price of the same number of decimals that also does is nearer."""
    quantity, decimals = quantity_and_decimals
    exact = Fraction(exact_num, exact_den)
    exact_cents = exact * quantity / 10 ** (decimals + 4)  # µ€ x quantity -> cents
    cents = _half_up(exact_cents)
    price = price_that_multiplies_out(
        quantity=quantity,
        quantity_decimals=decimals,
        amount_cents=cents,
        exact_num=exact_num,
        exact_den=exact_den,
    )
    product = round_money(Decimal(quantity).scaleb(-decimals) * price, mode=RoundingMode.HALF_UP)
    assert product == Decimal(cents).scaleb(-2)
    places = -price.as_tuple().exponent  # type: ignore[operator]
    assert 6 <= places <= 9
    step = Decimal(1).scaleb(-places)
    distance = abs(Fraction(price) - exact / 10**6)
    for other in (price - step, price + step):
        other_product = round_money(
            Decimal(quantity).scaleb(-decimals) * other, mode=RoundingMode.HALF_UP
        )
        if other_product == product:
            assert abs(Fraction(other) - exact / 10**6) >= distance


def _half_up(value: Fraction) -> int:
    whole = int(abs(value) + Fraction(1, 2))
    return whole if value >= 0 else -whole


class TestTheReferenceHasItsOwnTimeGrid:
    """The reference steps its own intervals; the kernel's month_grid must agree with it."""

    def test_the_reference_does_not_use_the_kernels_grid(self) -> None:
        assert not hasattr(rating_reference, "month_grid")

    def test_dst_months_have_the_hour_less_or_more(self) -> None:
        # spring forward on 29 March 2026 (23 hours), fall back on 25 October 2026 (25 hours)
        assert len(rating_reference.interval_starts(Month(2026, 3), 15)) == 31 * 96 - 4
        assert len(rating_reference.interval_starts(Month(2026, 10), 60)) == 31 * 24 + 1
        assert len(rating_reference.interval_starts(Month(2026, 6), 15)) == 30 * 96
        october = rating_reference.interval_starts(Month(2026, 10), 60)
        assert october[0] == dt.datetime(2026, 9, 30, 21, tzinfo=dt.UTC)  # 00:00 EEST
        assert october[-1] == dt.datetime(2026, 10, 31, 21, tzinfo=dt.UTC)  # 23:00 EET

    def test_both_grids_agree_on_every_month_and_resolution(self) -> None:
        for month in Month.range(Month(2019, 1), Month(2028, 1)):
            for minutes in (15, 60):
                assert list(month_grid(month, minutes).starts) == (
                    rating_reference.interval_starts(month, minutes)
                ), (month, minutes)
