"""Rating kernel: N accounts x one month of 15-minute data, in memory (no database).

Full: N = 500,000 (must < 30 s, aim < 2 s); quick: N = 50,000. Month: March 2026 (2972
quarter-hours: the spring DST change, Võrk 5 winter peaks). Generated in memory (not timed):
an int32 matrix N x 2972 (about 5.9 GB at full size) of random Wh 0..799, a product mix of
35 % FIXED, 25 % DAY_NIGHT and 40 % EXCHANGE (quarter-hour market prices), Elektrilevi Võrk
1/2/4/5 with three fuse sizes, the four levies and VAT, and 5 % of accounts starting mid-month.
Timed: :func:`vool.domain.tariffs.rating.rate_month` over all accounts (flat line arrays and
per-account totals), then materialising :class:`Line` objects for 10,000 accounts.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from vool.domain.tariffs.rating import Tariff

MONTH = (2026, 3)


def _tariffs() -> list[Tariff]:
    from vool.domain.tariffs.rating import (
        EnergyComponent,
        FeeComponent,
        FeeVersion,
        PriceVersion,
        Tariff,
    )
    from vool.domain.tariffs.tariff_data import default_band_schemes, load_defaults

    start = dt.date(2024, 1, 1)
    schemes = default_band_schemes()
    data = load_defaults()

    def flat(code: str, micro: int) -> EnergyComponent:
        return EnergyComponent(code, (PriceVersion(start, None, {"ALL": micro}),))

    products = {
        "FIXED": [flat("ENERGY", 129_000)],
        "DAY_NIGHT": [
            EnergyComponent(
                "ENERGY",
                (PriceVersion(start, None, {"DAY": 149_000, "NIGHT": 99_000}),),
                scheme=schemes["EE_DAY_NIGHT"],
            )
        ],
        "EXCHANGE": [
            EnergyComponent("ENERGY", (PriceVersion(start, None, {"ALL": 0}),), market=True),
            flat("MARGIN", 6_900),
        ],
    }
    levies = [
        flat(lv["code"], int(Decimal(lv["versions"][-1]["price"]).scaleb(6)))
        for lv in data["levies"]
    ]
    tariffs = []
    for kind, comps in products.items():
        for package in data["network_packages"]:
            version = next(v for v in package["versions"] if v.get("monthly_fees"))
            scheme = schemes[package["scheme"]] if package["scheme"] else None
            prices = {b: int(Decimal(p).scaleb(6)) for b, p in version["prices"].items()}
            network = EnergyComponent(
                "NETWORK_ENERGY", (PriceVersion(start, None, prices),), scheme=scheme
            )
            for fuse in ("16", "25", "63"):
                fee = Decimal(version["monthly_fees"][fuse])
                tariffs.append(
                    Tariff(
                        f"{kind}+{package['code']}+{fuse}",
                        (
                            *comps,
                            FeeComponent(
                                "PRODUCT_FEE", (FeeVersion(start, None, Decimal("2.99")),)
                            ),
                            network,
                            FeeComponent("NETWORK_FEE", (FeeVersion(start, None, fee),)),
                            *levies,
                        ),
                    )
                )
    return tariffs


def run(full: bool) -> list[str]:
    from vool.common.localtime import Month
    from vool.domain.tariffs.rating import (
        MarketPrices,
        RatedMonth,
        VatVersion,
        month_grid,
        rate_month,
    )

    n = 500_000 if full else 50_000
    month = Month(*MONTH)
    grid = month_grid(month, 15)
    rng = np.random.default_rng(42)
    started = time.perf_counter()
    energy = np.empty((n, grid.count), dtype=np.int32)
    for lo in range(0, n, 20_000):
        hi = min(lo + 20_000, n)
        energy[lo:hi] = rng.integers(0, 800, size=(hi - lo, grid.count), dtype=np.int32)
    tariffs = _tariffs()
    kinds = rng.choice(3, size=n, p=[0.35, 0.25, 0.40])
    network = rng.integers(0, 12, size=n)  # 4 packages x 3 fuse sizes
    piece_tariff = kinds * 12 + network
    first = np.where(rng.random(n) < 0.05, rng.integers(1, 28, size=n), 0)
    market = MarketPrices(
        month,
        rng.integers(-5_000, 400_000, size=grid.count).astype(np.int64),
        np.zeros(grid.count, dtype=bool),
    )
    vat = (VatVersion(dt.date(2025, 7, 1), None, Decimal("0.24")),)
    generated = time.perf_counter() - started
    lines = [
        f"generated {n:,} accounts x {grid.count} quarter-hours int32 "
        f"({energy.nbytes / 1e9:.2f} GB) and {len(tariffs)} tariffs in {generated:.1f} s "
        "(not timed)"
    ]

    def rate(rows: int) -> RatedMonth:
        return rate_month(
            month=month,
            minutes=15,
            energy_wh=energy[:rows],
            piece_row=np.arange(rows),
            piece_tariff=piece_tariff[:rows],
            piece_first_day=first[:rows],
            piece_end_day=np.full(rows, month.days),
            tariffs=tariffs,
            vat=vat,
            market=market,
        )

    started = time.perf_counter()
    rate(1000)  # first use: holiday calendar, band and grid caches
    lines.append(
        f"warm-up (1,000 accounts, first use of the caches): {time.perf_counter() - started:.2f} s"
    )
    started = time.perf_counter()
    cpu_started = time.process_time()
    rated = rate(n)
    totals = rated.totals_cents()
    kernel = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    lines.append(
        f"kernel: {n:,} accounts rated in {kernel:.2f} s wall, {cpu:.2f} s CPU (all threads) "
        f"({n / kernel:,.0f} accounts/s, "
        f"{n * grid.count / kernel / 1e6:,.0f} M intervals/s, {os.cpu_count()} threads); "
        f"{rated.line_count:,} lines, "
        f"total {int(totals.sum()) / 100:,.2f} EUR excl. VAT; "
        f"failures {len(rated.failures)}"
    )
    sample = min(10_000, n)
    started = time.perf_counter()
    count = sum(len(rated.lines(i)) for i in range(sample))
    materialise = time.perf_counter() - started
    lines.append(
        f"Line objects: {count:,} lines of {sample:,} accounts in {materialise:.2f} s "
        f"({count / materialise:,.0f} lines/s)"
    )
    return lines
