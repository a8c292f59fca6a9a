"""The package calculator: every package on sale priced on the customer's own consumption.

:func:`compare_packages` takes the metering point's latest 12 whole months before ``as_of``:
interval data where a month is complete, otherwise the month's register consumption (SINGLE,
or DAY and NIGHT) spread over a simple household load profile (DAY and NIGHT each over their
own band). Each package is priced with the rating kernel at the prices in force on ``as_of``
(product, network package of the point, levies, VAT); exchange packages pay the market price
of each interval of each month plus the current margin. Packages are ranked by the yearly cost
incl. VAT; each shows its average month and the difference to the current package.

:func:`compare_consumption` is the same without the database (used by the benchmark and the
portal's "what if" with a made-up profile).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from vool.common.localtime import Month
from vool.common.money import RoundingMode, round_money
from vool.domain.contracts import queries as contract_queries
from vool.domain.metering import estimation
from vool.domain.metering import queries as metering_queries
from vool.domain.metering.intervals import MISSING
from vool.domain.tariffs import queries as tariff_queries
from vool.domain.tariffs import rating
from vool.domain.tariffs.bands import BandScheme

if TYPE_CHECKING:  # types only: the point comes from supply.queries, products from tariffs'
    from vool.domain.supply.models import MeteringPoint
    from vool.domain.tariffs.models import Product

__all__ = [
    "Candidate",
    "Comparison",
    "MonthConsumption",
    "PackageCost",
    "UnableToCompare",
    "compare_consumption",
    "compare_packages",
]

MONTHS: Final = 12
_EPOCH: Final = dt.date(2000, 1, 1)


class UnableToCompare(Exception):
    """The point has no usable consumption history, or no package can be priced."""


@dataclass(frozen=True)
class MonthConsumption:
    month: Month
    minutes: int
    energy_wh: npt.NDArray[np.int64]
    source: str  # "INTERVAL" or "REGISTER_PROFILE"


@dataclass(frozen=True)
class Candidate:
    code: str
    name: str
    kind: str
    tariff: rating.Tariff
    is_current: bool = False


@dataclass(frozen=True)
class PackageCost:
    code: str
    name: str
    kind: str
    is_current: bool
    yearly_amount: Decimal | None  # excl. VAT
    yearly_with_vat: Decimal | None
    monthly_average_with_vat: Decimal | None
    difference_to_current: Decimal | None  # yearly incl. VAT; negative = cheaper
    unavailable_reason: str | None = None


@dataclass(frozen=True)
class Comparison:
    eic: str
    as_of: dt.date
    months: tuple[Month, ...]
    consumption_kwh: Decimal
    sources: tuple[str, ...]
    packages: tuple[PackageCost, ...]
    notes: tuple[str, ...] = field(default=())


def _collapse(tariff: rating.Tariff, as_of: dt.date) -> rating.Tariff:
    """Each component at its version in force on ``as_of``, valid for all dates; components
    not in force on ``as_of`` are dropped."""
    comps: list[rating.EnergyComponent | rating.FeeComponent] = []
    for comp in tariff.components:
        if isinstance(comp, rating.FeeComponent):
            fee = rating.version_on(comp.versions, as_of)
            if fee is not None:
                comps.append(
                    rating.FeeComponent(
                        comp.code, (rating.FeeVersion(_EPOCH, None, fee.monthly_amount),)
                    )
                )
            continue
        price = rating.version_on(comp.versions, as_of)
        if price is None:
            continue
        if not comp.market and all(p == 0 for p in price.unit_prices.values()):
            continue  # a levy not yet in force
        comps.append(
            rating.EnergyComponent(
                comp.code,
                (rating.PriceVersion(_EPOCH, None, dict(price.unit_prices)),),
                scheme=comp.scheme,
                market=comp.market,
            )
        )
    return rating.Tariff(tariff.code, tuple(comps))


@dataclass
class _Sums:
    """The candidates' running sums over the months: cents excl. VAT, euro incl. VAT (VAT
    rounded per month, as a bill does), and the first failure of each that failed."""

    base: dict[str, int]
    with_vat: dict[str, Decimal]
    failed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, candidates: Sequence[Candidate]) -> _Sums:
        return cls({c.code: 0 for c in candidates}, {c.code: Decimal(0) for c in candidates})

    def add(
        self,
        month: Month,
        rated: rating.RatedMonth,
        candidates: Sequence[Candidate],
        vat_rate: Decimal,
    ) -> None:
        totals = rated.totals_cents()
        for i, cand in enumerate(candidates):
            if i in rated.failures:
                self.failed.setdefault(cand.code, f"{month}: {rated.failures[i]}")
                continue
            cents = int(totals[i])
            self.base[cand.code] += cents
            taxable = Decimal(cents).scaleb(-2)
            self.with_vat[cand.code] += taxable + round_money(
                taxable * vat_rate, mode=RoundingMode.HALF_UP
            )


def _rate_candidates(
    mc: MonthConsumption,
    tariffs: list[rating.Tariff],
    vat: Sequence[rating.VatVersion],
    market: rating.MarketPrices | None,
) -> rating.RatedMonth:
    """One month's consumption under every tariff: piece ``i`` is ``tariffs[i]``."""
    n = len(tariffs)
    return rating.rate_month(
        month=mc.month,
        minutes=mc.minutes,
        energy_wh=mc.energy_wh[None, :],
        piece_row=np.zeros(n, dtype=np.int64),
        piece_tariff=np.arange(n, dtype=np.int64),
        piece_first_day=np.zeros(n, dtype=np.int64),
        piece_end_day=np.full(n, mc.month.days, dtype=np.int64),
        tariffs=tariffs,
        vat=vat,
        market=market,
    )


def _package_cost(
    cand: Candidate, sums: _Sums, scale: Decimal, current_yearly: Decimal | None
) -> PackageCost:
    """A candidate's yearly figures (its months scaled by ``scale`` to 12)."""
    if cand.code in sums.failed:
        return PackageCost(
            cand.code,
            cand.name,
            cand.kind,
            cand.is_current,
            None,
            None,
            None,
            None,
            unavailable_reason=sums.failed[cand.code],
        )
    yearly = round_money(sums.with_vat[cand.code] * scale, mode=RoundingMode.HALF_UP)
    return PackageCost(
        code=cand.code,
        name=cand.name,
        kind=cand.kind,
        is_current=cand.is_current,
        yearly_amount=round_money(
            Decimal(sums.base[cand.code]).scaleb(-2) * scale, mode=RoundingMode.HALF_UP
        ),
        yearly_with_vat=yearly,
        monthly_average_with_vat=round_money(yearly / MONTHS, mode=RoundingMode.HALF_UP),
        difference_to_current=(yearly - current_yearly if current_yearly is not None else None),
    )


def compare_consumption(
    *,
    consumption: Sequence[MonthConsumption],
    candidates: Sequence[Candidate],
    vat_rate: Decimal,
    markets: dict[Month, rating.MarketPrices],
) -> list[PackageCost]:
    """Price every candidate on the months of ``consumption`` and rank them (DB-free)."""
    vat = (rating.VatVersion(_EPOCH, None, vat_rate),)
    sums = _Sums.of(candidates)
    tariffs = [c.tariff for c in candidates]
    for mc in consumption:
        rated = _rate_candidates(mc, tariffs, vat, markets.get(mc.month))
        sums.add(mc.month, rated, candidates, vat_rate)
    months = len(consumption)
    scale = Decimal(MONTHS) / Decimal(months) if months else Decimal(0)
    current = next((c for c in candidates if c.is_current and c.code not in sums.failed), None)
    current_yearly = (
        round_money(sums.with_vat[current.code] * scale, mode=RoundingMode.HALF_UP)
        if current is not None
        else None
    )
    out = [_package_cost(cand, sums, scale, current_yearly) for cand in candidates]
    out.sort(key=lambda p: (p.yearly_with_vat is None, p.yearly_with_vat or 0, p.code))
    return out


def household_profile(grid: rating.MonthGrid) -> npt.NDArray[np.float64]:
    """Metering's standard hourly household load shape over a month's intervals."""
    return estimation.hourly_profile(grid.starts)


def _from_registers(
    month: Month, minutes: int, kwh: dict[str, Decimal], scheme: BandScheme
) -> npt.NDArray[np.int64]:
    grid = rating.month_grid(month, minutes)
    weights = household_profile(grid)
    if "SINGLE" in kwh:
        return rating.spread_wh(int(kwh["SINGLE"] * 1000), weights)
    bands = scheme.band_indices(grid.starts)
    day = bands == scheme.bands.index("DAY")
    out = rating.spread_wh(int(kwh.get("DAY", 0) * 1000), weights, day)
    return out + rating.spread_wh(int(kwh.get("NIGHT", 0) * 1000), weights, ~day)


def _consumption(point: MeteringPoint, months: Sequence[Month]) -> list[MonthConsumption]:
    minutes = point.interval_minutes
    series = metering_queries.interval_series(
        metering_point=point, start=months[0].first_day, end=months[-1].next().first_day
    )
    out: list[MonthConsumption] = []
    offset = 0
    scheme: BandScheme | None = None
    by_month: dict[Month, dict[str, metering_queries.RegisterConsumption]] | None = None
    for month in months:
        count = rating.month_grid(month, minutes).count
        values = series.values_wh[offset : offset + count]
        flags = series.quality[offset : offset + count]
        offset += count
        if values.size == count and not (flags == MISSING).any():
            out.append(MonthConsumption(month, minutes, values.astype(np.int64), "INTERVAL"))
            continue
        if by_month is None:  # one read of the point's readings for all the months
            by_month = metering_queries.consumption_for_months(metering_point=point, months=months)
        registers = by_month[month]
        kwh = {k: r.kwh for k, r in registers.items() if r.kwh is not None}
        if not kwh:
            continue
        if scheme is None:
            scheme = tariff_queries.band_scheme(tariff_queries.PRODUCT_DAY_NIGHT_SCHEME)
        out.append(
            MonthConsumption(month, 60, _from_registers(month, 60, kwh, scheme), "REGISTER_PROFILE")
        )
    return out


def _products_to_compare(
    metering_point: MeteringPoint, as_of: dt.date
) -> tuple[Product | None, list[Product]]:
    """The point's current product (if it has a contract on ``as_of``) and, by code, the
    products on sale in its segment with the current one among them."""
    contract = contract_queries.live_contract_on(metering_point_id=metering_point.pk, day=as_of)
    current = contract.product if contract else None
    on_sale = tariff_queries.products_on_sale_in(
        on=as_of, segment=current.segment if current is not None else None
    )
    products = {p.pk: p for p in on_sale}
    if current is not None:
        products[current.pk] = current
    return current, sorted(products.values(), key=lambda p: p.code)


def _candidates(
    metering_point: MeteringPoint,
    as_of: dt.date,
    current: Product | None,
    products: list[Product],
    notes: list[str],
) -> list[Candidate]:
    """Each product's tariff as on ``as_of`` (its data must cover that day, see
    :func:`_collapse`); without the point's network data every package goes without network
    fees, and a product with no tariff data is left out (``notes`` say so)."""
    first, stop = as_of, as_of + dt.timedelta(days=1)
    network = True
    candidates: list[Candidate] = []
    for product in products:
        try:
            try:
                tariff = tariff_queries.tariff_for(
                    product=product,
                    start=first,
                    end=stop,
                    grid_operator_code=metering_point.grid_operator.code,
                    package_code=metering_point.network_package_code,
                    main_fuse_a=metering_point.main_fuse_a,
                    is_apartment=metering_point.is_apartment,
                )
            except tariff_queries.MissingTariffData as exc:
                if network:
                    notes.append(f"Network fees not included: {exc}")
                network = False
                tariff = tariff_queries.tariff_for(product=product, start=first, end=stop)
        except tariff_queries.MissingTariffData as exc:
            notes.append(f"{product.code} left out: {exc}")
            continue
        candidates.append(
            Candidate(
                product.code,
                product.name,
                product.kind,
                _collapse(tariff, as_of),
                is_current=current is not None and product.pk == current.pk,
            )
        )
    return candidates


def compare_packages(*, metering_point: MeteringPoint, as_of: dt.date) -> Comparison:
    """Rank the packages on sale on ``as_of`` on the point's latest 12 whole months."""
    end = Month.of(as_of)
    months = Month.range(Month(end.year - 1, end.month), end)
    consumption = _consumption(metering_point, months)
    if not consumption:
        raise UnableToCompare(
            f"{metering_point.eic} has no interval data or month-end readings in "
            f"{months[0]}..{months[-1]}; the calculator needs at least one month."
        )
    current, products = _products_to_compare(metering_point, as_of)
    notes: list[str] = [
        f"Prices in force on {as_of.isoformat()}; exchange packages at each month's market prices."
    ]
    candidates = _candidates(metering_point, as_of, current, products, notes)
    vat = rating.version_on(tariff_queries.vat_versions(), as_of)
    if vat is None:
        raise UnableToCompare(f"No VAT rate in force on {as_of}; run `vool tariffs load-defaults`")
    markets = {}
    if any(c.kind == tariff_queries.EXCHANGE_KIND for c in candidates):
        markets = {mc.month: tariff_queries.market_prices(mc.month) for mc in consumption}
    ranked = compare_consumption(
        consumption=consumption, candidates=candidates, vat_rate=vat.rate, markets=markets
    )
    if len(consumption) < MONTHS:
        notes.append(
            f"Only {len(consumption)} months of consumption: yearly figures are scaled "
            f"to 12 months."
        )
    total_wh = sum(int(mc.energy_wh.sum()) for mc in consumption)
    return Comparison(
        eic=metering_point.eic,
        as_of=as_of,
        months=tuple(mc.month for mc in consumption),
        consumption_kwh=Decimal(total_wh).scaleb(-3),
        sources=tuple(sorted({mc.source for mc in consumption})),
        packages=tuple(ranked),
        notes=tuple(notes),
    )
