"""Reads for tariffs: the database's dated data as the rating kernel's plain values.

:func:`tariff_for` builds the :class:`~vool.domain.tariffs.rating.Tariff` of a product plus,
optionally, a network package (by fuse size or apartment) and the levies; :func:`vat_versions`
and :func:`market_prices` give the other two inputs of the kernel. Billing calls these once
per distinct (product, package, fuse) and batches the accounts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Final

import numpy as np

from vool.common.localtime import Month
from vool.domain.tariffs import rating
from vool.domain.tariffs.bands import BandRules, BandScheme
from vool.domain.tariffs.models import (
    BandScheme as BandSchemeModel,
)
from vool.domain.tariffs.models import (
    Levy,
    MarketPrice,
    NetworkMonthlyFee,
    NetworkPackage,
    NetworkPrice,
    Product,
    ProductPrice,
    VatRate,
)
from vool.domain.tariffs.tariff_data import micro_per_kwh, parse_windows

__all__ = [
    "PRODUCT_DAY_NIGHT_SCHEME",
    "MissingTariffData",
    "band_scheme",
    "levy_components",
    "market_prices",
    "network_components",
    "product_components",
    "tariff_for",
    "vat_versions",
]

PRODUCT_DAY_NIGHT_SCHEME: Final = "EE_DAY_NIGHT"
_EPOCH: Final = dt.date(2000, 1, 1)


class MissingTariffData(Exception):
    """The database lacks data a tariff needs (a package, a fee for a fuse size, a price)."""


def band_scheme(code: str) -> BandScheme:
    scheme = BandSchemeModel.objects.filter(code=code).first()
    if scheme is None:
        raise MissingTariffData(
            f"Time-band scheme {code} is not in the database; run `vool tariffs load-defaults`"
        )
    rules = tuple(
        BandRules(
            valid_from=r.valid_from,
            valid_to=r.valid_to,
            default_band=r.default_band,
            windows=parse_windows(r.windows or []),
        )
        for r in scheme.rules.order_by("valid_from")
    )
    return BandScheme(code=scheme.code, bands=tuple(scheme.bands), rules=rules)


def vat_versions() -> tuple[rating.VatVersion, ...]:
    return tuple(
        rating.VatVersion(v.valid_from, v.valid_to, v.rate)
        for v in VatRate.objects.order_by("valid_from")
    )


def product_components(
    product: Product, *, green: bool = False
) -> tuple[rating.EnergyComponent | rating.FeeComponent, ...]:
    """ENERGY (and MARGIN for exchange, GREEN when chosen) per kWh, and the PRODUCT_FEE."""
    prices: list[ProductPrice] = list(product.prices.order_by("valid_from"))
    if not prices:
        raise MissingTariffData(f"Product {product.code} has no prices")

    def need(value: Decimal | None, what: str, price: ProductPrice) -> int:
        if value is None:
            raise MissingTariffData(
                f"Product {product.code} price from {price.valid_from} has no {what}"
            )
        return micro_per_kwh(value)

    comps: list[rating.EnergyComponent | rating.FeeComponent] = []
    if product.kind == Product.Kind.FIXED:
        comps.append(
            rating.EnergyComponent(
                "ENERGY",
                tuple(
                    rating.PriceVersion(
                        p.valid_from, p.valid_to, {"ALL": need(p.energy_price, "energy price", p)}
                    )
                    for p in prices
                ),
            )
        )
    elif product.kind == Product.Kind.DAY_NIGHT:
        comps.append(
            rating.EnergyComponent(
                "ENERGY",
                tuple(
                    rating.PriceVersion(
                        p.valid_from,
                        p.valid_to,
                        {
                            "DAY": need(p.day_price, "day price", p),
                            "NIGHT": need(p.night_price, "night price", p),
                        },
                    )
                    for p in prices
                ),
                scheme=band_scheme(PRODUCT_DAY_NIGHT_SCHEME),
            )
        )
    else:
        comps.append(
            rating.EnergyComponent(
                "ENERGY",
                tuple(rating.PriceVersion(p.valid_from, p.valid_to, {"ALL": 0}) for p in prices),
                market=True,
            )
        )
        comps.append(
            rating.EnergyComponent(
                "MARGIN",
                tuple(
                    rating.PriceVersion(
                        p.valid_from, p.valid_to, {"ALL": need(p.margin, "margin", p)}
                    )
                    for p in prices
                ),
            )
        )
    if green:
        comps.append(
            rating.EnergyComponent(
                "GREEN",
                tuple(
                    rating.PriceVersion(
                        p.valid_from, p.valid_to, {"ALL": need(p.green_price, "green price", p)}
                    )
                    for p in prices
                ),
            )
        )
    comps.append(
        rating.FeeComponent(
            "PRODUCT_FEE", (rating.FeeVersion(_EPOCH, None, product.monthly_fee_amount),)
        )
    )
    return tuple(comps)


def network_components(
    *, grid_operator_code: str, package_code: str, main_fuse_a: int, is_apartment: bool
) -> tuple[rating.EnergyComponent, rating.FeeComponent]:
    """NETWORK_ENERGY (by the package's bands) and NETWORK_FEE (by fuse or apartment)."""
    package = (
        NetworkPackage.objects.select_related("band_scheme")
        .filter(grid_operator_code=grid_operator_code, code=package_code)
        .first()
    )
    if package is None:
        raise MissingTariffData(f"Network package {grid_operator_code} {package_code} is unknown")
    scheme = band_scheme(package.band_scheme.code) if package.band_scheme else None
    bands = scheme.bands if scheme else ("ALL",)
    versions = []
    for price in NetworkPrice.objects.filter(package=package).order_by("valid_from"):
        unit: dict[str, int] = {}
        for band in bands:
            value = getattr(price, NetworkPrice.BAND_FIELDS[band])
            if value is None:
                raise MissingTariffData(f"{package} from {price.valid_from} has no {band} price")
            unit[band] = micro_per_kwh(value)
        versions.append(rating.PriceVersion(price.valid_from, price.valid_to, unit))
    fees: list[rating.FeeVersion] = []
    rows = list(NetworkMonthlyFee.objects.filter(package=package).order_by("valid_from"))
    for start in sorted({r.valid_from for r in rows}):
        same = [r for r in rows if r.valid_from == start]
        if is_apartment:
            match = next((r for r in same if r.is_apartment), None)
        else:
            sized = sorted(
                (r for r in same if not r.is_apartment and r.max_fuse_a is not None),
                key=lambda r: r.max_fuse_a or 0,
            )
            match = next((r for r in sized if (r.max_fuse_a or 0) >= main_fuse_a), None)
        if match is None:
            what = "apartments" if is_apartment else f"a {main_fuse_a} A main fuse"
            raise MissingTariffData(
                f"{package} has no monthly fee for {what} from {start}; add it in the admin"
            )
        fees.append(rating.FeeVersion(start, match.valid_to, match.monthly_fee_amount))
    return (
        rating.EnergyComponent("NETWORK_ENERGY", tuple(versions), scheme=scheme),
        rating.FeeComponent("NETWORK_FEE", tuple(fees)),
    )


def levy_components(*, start: dt.date, end: dt.date) -> tuple[rating.EnergyComponent, ...]:
    """The levies in force at some time in ``[start, end)``. Before a levy's first rate it is
    not charged (an explicit zero version); a gap later is missing data (the kernel stops)."""
    comps = []
    for levy in Levy.objects.prefetch_related("rates").order_by("position", "code"):
        rates = sorted(levy.rates.all(), key=lambda r: r.valid_from)
        if not rates or rates[0].valid_from >= end:
            continue
        versions = [
            rating.PriceVersion(r.valid_from, r.valid_to, {"ALL": micro_per_kwh(r.unit_price)})
            for r in rates
        ]
        if rates[0].valid_from > _EPOCH:
            versions.insert(0, rating.PriceVersion(_EPOCH, rates[0].valid_from, {"ALL": 0}))
        comps.append(rating.EnergyComponent(levy.code, tuple(versions)))
    return tuple(comps)


def tariff_for(
    *,
    product: Product,
    start: dt.date,
    end: dt.date,
    grid_operator_code: str | None = None,
    package_code: str | None = None,
    main_fuse_a: int = 0,
    is_apartment: bool = False,
    green: bool = False,
) -> rating.Tariff:
    """The product, then (if a package is given) the network components, then the levies."""
    comps = list(product_components(product, green=green))
    code = product.code
    if package_code is not None:
        energy, fee = network_components(
            grid_operator_code=grid_operator_code or "",
            package_code=package_code,
            main_fuse_a=main_fuse_a,
            is_apartment=is_apartment,
        )
        comps += [energy, fee]
        code = f"{product.code}+{package_code}"
    comps += levy_components(start=start, end=end)
    return rating.Tariff(code, tuple(comps))


def market_prices(month: Month, *, area: str = "ee") -> rating.MarketPrices:
    """The month's quarter-hour prices in µ€/kWh (hourly rows fill their four quarters), the
    current version of each."""
    grid = rating.month_grid(month, 15)
    start, end = month.bounds()
    values = np.zeros(grid.count, dtype=np.int64)
    missing = np.ones(grid.count, dtype=np.bool_)
    index = {t: i for i, t in enumerate(grid.starts)}
    step = dt.timedelta(minutes=15)
    rows = MarketPrice.objects.filter(
        area=area, is_current=True, start_at__gte=start - dt.timedelta(hours=1), start_at__lt=end
    ).values_list("start_at", "resolution_minutes", "price_eur_mwh")
    for start_at, minutes, price in rows:
        micro = int(price.scaleb(3))  # EUR/MWh x 1000 = µ€/kWh (3 decimals at most)
        for k in range(minutes // 15):
            i = index.get((start_at + k * step).astimezone(dt.UTC))
            if i is not None:
                values[i] = micro
                missing[i] = False
    return rating.MarketPrices(month, values, missing)
