"""Package calculator: 12 months of 15-minute data priced on every package (must < 200 ms,
aim < 50 ms).

Generated in memory (not timed): December 2025 - November 2026 of one household's 15-minute
consumption (random, about 4,000 kWh a year), quarter-hour market prices for each month, and
five packages (two FIXED, one DAY_NIGHT, two EXCHANGE) each with Elektrilevi Võrk 2 (25 A),
the four levies and VAT 24 %. Timed: :func:`vool.usecases.calculator.compare_consumption`
(the calculation behind ``compare_packages``: the kernel over 12 months x 5 packages, VAT,
ranking), best and median of 20 runs. Not timed: reading the point's year of interval data
and the tariffs from the database (``compare_packages`` does that first).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from decimal import Decimal

import numpy as np


def run(full: bool) -> list[str]:
    import django

    django.setup()
    from vool.common.localtime import Month
    from vool.domain.tariffs.rating import (
        EnergyComponent,
        FeeComponent,
        FeeVersion,
        MarketPrices,
        PriceVersion,
        Tariff,
        month_grid,
    )
    from vool.domain.tariffs.tariff_data import default_band_schemes, load_defaults
    from vool.usecases.calculator import Candidate, MonthConsumption, compare_consumption

    start = dt.date(2000, 1, 1)
    schemes = default_band_schemes()
    data = load_defaults()
    rng = np.random.default_rng(3)
    months = Month.range(Month(2025, 12), Month(2026, 12))
    consumption = []
    markets = {}
    for month in months:
        n = month_grid(month, 15).count
        consumption.append(
            MonthConsumption(month, 15, rng.integers(0, 230, size=n).astype(np.int64), "INTERVAL")
        )
        markets[month] = MarketPrices(
            month, rng.integers(-5_000, 300_000, size=n).astype(np.int64), np.zeros(n, bool)
        )

    def flat(code: str, micro: int) -> EnergyComponent:
        return EnergyComponent(code, (PriceVersion(start, None, {"ALL": micro}),))

    v2 = next(v for v in data["network_packages"][1]["versions"] if v.get("monthly_fees"))
    common = (
        EnergyComponent(
            "NETWORK_ENERGY",
            (
                PriceVersion(
                    start,
                    None,
                    {b: int(Decimal(p).scaleb(6)) for b, p in v2["prices"].items()},
                ),
            ),
            scheme=schemes["EE_DAY_NIGHT"],
        ),
        FeeComponent("NETWORK_FEE", (FeeVersion(start, None, Decimal(v2["monthly_fees"]["25"])),)),
        *(
            flat(lv["code"], int(Decimal(lv["versions"][-1]["price"]).scaleb(6)))
            for lv in data["levies"]
        ),
    )

    def fee(amount: str) -> FeeComponent:
        return FeeComponent("PRODUCT_FEE", (FeeVersion(start, None, Decimal(amount)),))

    market = EnergyComponent("ENERGY", (PriceVersion(start, None, {"ALL": 0}),), market=True)
    products = {
        "KODU-FIX": ("FIXED", (flat("ENERGY", 129_000), fee("2.99"))),
        "ARI-FIX": ("FIXED", (flat("ENERGY", 119_000), fee("9.90"))),
        "KODU-PN": (
            "DAY_NIGHT",
            (
                EnergyComponent(
                    "ENERGY",
                    (PriceVersion(start, None, {"DAY": 149_000, "NIGHT": 99_000}),),
                    scheme=schemes["EE_DAY_NIGHT"],
                ),
                fee("2.99"),
            ),
        ),
        "KODU-BORS": ("EXCHANGE", (market, flat("MARGIN", 6_900), fee("1.99"))),
        "ARI-BORS": ("EXCHANGE", (market, flat("MARGIN", 4_900), fee("9.90"))),
    }
    candidates = [
        Candidate(code, code, kind, Tariff(code, (*comps, *common)), is_current=i == 0)
        for i, (code, (kind, comps)) in enumerate(products.items())
    ]
    intervals = sum(mc.energy_wh.size for mc in consumption)
    lines = [
        f"generated {len(months)} months ({intervals:,} quarter-hours, "
        f"{sum(int(mc.energy_wh.sum()) for mc in consumption) / 1000:,.0f} kWh) and "
        f"{len(candidates)} packages (not timed)"
    ]
    started = time.perf_counter()
    compare_consumption(
        consumption=consumption, candidates=candidates, vat_rate=Decimal("0.24"), markets=markets
    )  # warms the grid and band caches, as a running portal has them
    lines.append(f"first call (cold caches): {(time.perf_counter() - started) * 1000:.0f} ms")
    times = []
    for _ in range(20):
        started = time.perf_counter()
        ranked = compare_consumption(
            consumption=consumption,
            candidates=candidates,
            vat_rate=Decimal("0.24"),
            markets=markets,
        )
        times.append(time.perf_counter() - started)
    lines.append(
        f"compare_consumption: best {min(times) * 1000:.1f} ms, median "
        f"{statistics.median(times) * 1000:.1f} ms (20 runs, warm caches)"
    )
    lines.append(
        "ranking: "
        + ", ".join(f"{p.code} {p.yearly_with_vat}" for p in ranked if p.yearly_with_vat)
    )
    return lines
