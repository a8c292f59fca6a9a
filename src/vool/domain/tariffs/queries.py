"""Reads for tariffs: the database's dated data as the rating kernel's plain values.

:func:`tariff_for` builds the :class:`~vool.domain.tariffs.rating.Tariff` of a product plus,
optionally, a network package (by fuse size or apartment) and the levies; :func:`vat_versions`
and :func:`market_prices` give the other two inputs of the kernel. Billing calls these once
per distinct (product, package, fuse) and batches the accounts.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.db.models import Q

from vool.common.localtime import Month
from vool.common.ranges import DateRange
from vool.domain.tariffs import rating
from vool.domain.tariffs.bands import BandRules, BandScheme
from vool.domain.tariffs.models import (
    BandScheme as BandSchemeModel,
)
from vool.domain.tariffs.models import (
    DatedVersion,
    Levy,
    MarketPrice,
    NetBillingRule,
    NetworkMonthlyFee,
    NetworkPackage,
    NetworkPrice,
    Product,
    ProductionPrice,
    ProductionProduct,
    ProductPrice,
    Segment,
    VatRate,
)
from vool.domain.tariffs.net_rules import PRODUCTION_COMPONENT, NetRule
from vool.domain.tariffs.tariff_data import micro_per_kwh, parse_windows

__all__ = [
    "EXCHANGE_KIND",
    "PRODUCT_DAY_NIGHT_SCHEME",
    "MissingTariffData",
    "band_scheme",
    "clear_market_price_cache",
    "first_overlap",
    "levy_components",
    "market_price_version",
    "market_prices",
    "net_billing_rules",
    "network_components",
    "overlapping_version",
    "product_components",
    "production_tariffs",
    "read_market_prices",
    "tariff_for",
    "vat_versions",
]

PRODUCT_DAY_NIGHT_SCHEME: Final = "EE_DAY_NIGHT"
EXCHANGE_KIND: Final = Product.Kind.EXCHANGE  # a package priced at the exchange price
_EPOCH: Final = dt.date(2000, 1, 1)


class MissingTariffData(Exception):
    """The database lacks data a tariff needs (a package, a fee for a fuse size, a price)."""


V = TypeVar("V", bound=DatedVersion)


def overlapping_version(
    model: type[V], *, scope: Mapping[str, Any], period: DateRange, exclude_pk: Any = None
) -> V | None:
    """A saved version of ``model`` with the same ``scope`` whose ``[from, to)`` overlaps
    ``period``, if any (the earliest)."""
    overlap = Q(valid_to__isnull=True) | Q(valid_to__gt=period.start)
    if period.end is not None:
        overlap &= Q(valid_from__lt=period.end)
    rows = model._default_manager.filter(**scope).filter(overlap)
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return rows.order_by("valid_from").first()


def first_overlap(model: type[V]) -> tuple[V, V] | None:
    """Two saved versions of one thing (same ``OVERLAP_SCOPE``) that overlap, if any."""
    groups: dict[tuple[Any, ...], list[V]] = defaultdict(list)
    for row in model._default_manager.order_by("valid_from"):
        groups[tuple(row.overlap_scope().values())].append(row)
    for rows in groups.values():
        for earlier, later in itertools.pairwise(rows):
            if earlier.valid_to is None or earlier.valid_to > later.valid_from:
                return earlier, later
    return None


def _first_gap(
    spans: Sequence[tuple[dt.date, dt.date | None]], start: dt.date, end: dt.date
) -> dt.date | None:
    """The first day of ``[start, end)`` that no span ``[from, to)`` covers, if any."""
    day = start
    for valid_from, valid_to in sorted(spans, key=lambda span: span[0]):
        if valid_from > day:
            break
        if valid_to is None:
            return None
        day = max(day, valid_to)
        if day >= end:
            return None
    return day if day < end else None


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


def _require_cover(
    spans: Sequence[tuple[dt.date, dt.date | None]],
    start: dt.date | None,
    end: dt.date | None,
    what: str,
    fix: str,
) -> None:
    if start is None or end is None:
        return
    gap = _first_gap(spans, start, end)
    if gap is not None:
        raise MissingTariffData(f"{what} has no version valid on {gap.isoformat()}; {fix}")


def _product_scheme(product: Product) -> BandScheme:
    code = product.band_scheme.code if product.band_scheme is not None else PRODUCT_DAY_NIGHT_SCHEME
    scheme = band_scheme(code)
    if set(scheme.bands) != {"DAY", "NIGHT"}:
        raise MissingTariffData(
            f"Product {product.code} is priced by day and night but its time bands {code} are "
            f"{', '.join(scheme.bands)}; choose a day/night scheme in the admin"
        )
    return scheme


def _fee_versions(prices: Sequence[ProductPrice]) -> tuple[rating.FeeVersion, ...]:
    """The monthly fee of each price version, consecutive versions with the same fee
    merged (a price change does not split the fee line)."""
    out: list[rating.FeeVersion] = []
    for p in prices:
        last = out[-1] if out else None
        if (
            last is not None
            and last.valid_to == p.valid_from
            and last.monthly_amount == p.monthly_fee_amount
        ):
            out[-1] = rating.FeeVersion(last.valid_from, p.valid_to, last.monthly_amount)
        else:
            out.append(rating.FeeVersion(p.valid_from, p.valid_to, p.monthly_fee_amount))
    return tuple(out)


def product_components(
    product: Product,
    *,
    green: bool = False,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> tuple[rating.EnergyComponent | rating.FeeComponent, ...]:
    """ENERGY (and MARGIN for exchange, GREEN when chosen) per kWh, and the PRODUCT_FEE, from
    the product's dated prices. With ``start``/``end``, every day of ``[start, end)`` from
    the product's first price on must have a price version (else :class:`MissingTariffData`
    names the first day without; before its first price nobody can have bought it)."""
    prices: list[ProductPrice] = list(product.prices.order_by("valid_from"))
    if not prices:
        raise MissingTariffData(f"Product {product.code} has no prices")
    _require_cover(
        [(p.valid_from, p.valid_to) for p in prices],
        max(start, prices[0].valid_from) if start is not None else None,
        end,
        f"Product {product.code}",
        "add its price from that day in the admin (the product's prices)",
    )

    def need(value: Decimal | None, what: str, price: ProductPrice) -> int:
        if value is None:
            raise MissingTariffData(
                f"Product {product.code} price from {price.valid_from} has no {what}"
            )
        return micro_per_kwh(value)

    def per_kwh(field: str, what: str) -> tuple[rating.PriceVersion, ...]:
        return tuple(
            rating.PriceVersion(p.valid_from, p.valid_to, {"ALL": need(getattr(p, field), what, p)})
            for p in prices
        )

    comps: list[rating.EnergyComponent | rating.FeeComponent] = []
    if product.kind == Product.Kind.FIXED:
        comps.append(rating.EnergyComponent("ENERGY", per_kwh("energy_price", "energy price")))
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
                scheme=_product_scheme(product),
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
        comps.append(rating.EnergyComponent("MARGIN", per_kwh("margin", "margin")))
    if green:
        comps.append(rating.EnergyComponent("GREEN", per_kwh("green_price", "green price")))
    comps.append(rating.FeeComponent("PRODUCT_FEE", _fee_versions(prices)))
    return tuple(comps)


def network_components(
    *,
    grid_operator_code: str,
    package_code: str,
    main_fuse_a: int,
    is_apartment: bool,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> tuple[rating.EnergyComponent, rating.FeeComponent]:
    """NETWORK_ENERGY (by the package's bands) and NETWORK_FEE (by fuse or apartment: on each
    day the apartment row, or the row with the smallest ``max_fuse_a`` at least the fuse).
    With ``start``/``end`` every day of ``[start, end)`` must have a price and a fee."""
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
    _require_cover(
        [(v.valid_from, v.valid_to) for v in versions],
        start,
        end,
        f"Network package {package} (kWh prices)",
        "add the price list's kWh prices from that day in the admin (Network prices)",
    )
    rows = list(NetworkMonthlyFee.objects.filter(package=package).order_by("valid_from"))
    fees = _fee_rows_for_point(package, rows, main_fuse_a=main_fuse_a, is_apartment=is_apartment)
    what = "apartments" if is_apartment else f"a {main_fuse_a} A main fuse"
    _require_cover(
        [(f.valid_from, f.valid_to) for f in fees],
        start,
        end,
        f"Network package {package} (monthly fee for {what})",
        "add the price list's monthly fees from that day in the admin (Network monthly fees)",
    )
    return (
        rating.EnergyComponent("NETWORK_ENERGY", tuple(versions), scheme=scheme),
        rating.FeeComponent("NETWORK_FEE", fees),
    )


def _fee_rows_for_point(
    package: NetworkPackage,
    rows: Sequence[NetworkMonthlyFee],
    *,
    main_fuse_a: int,
    is_apartment: bool,
) -> tuple[rating.FeeVersion, ...]:
    """The point's monthly fee on each stretch of days between the rows' start and end
    dates; a fuse above every row's size is refused (the price list's rows above it are not
    in the database), never billed at the largest row."""
    largest = max((r.max_fuse_a or 0 for r in rows if not r.is_apartment), default=0)
    if not is_apartment and rows and main_fuse_a > largest:
        raise MissingTariffData(
            f"Network package {package} has monthly fees for main fuses up to {largest} A "
            f"only; a {main_fuse_a} A connection pays the price list's rows above {largest} A "
            "(business connections), which are not in the database: add them in the admin "
            "(Network monthly fees) or move the point to the package its connection is on"
        )
    cuts = sorted({r.valid_from for r in rows} | {r.valid_to for r in rows if r.valid_to})
    fees: list[rating.FeeVersion] = []
    for i, day in enumerate(cuts):
        following = cuts[i + 1] if i + 1 < len(cuts) else None
        live = [r for r in rows if r.valid_from <= day and (r.valid_to is None or day < r.valid_to)]
        if is_apartment:
            match = next((r for r in live if r.is_apartment), None)
        else:
            sized = sorted(
                (r for r in live if not r.is_apartment and r.max_fuse_a is not None),
                key=lambda r: r.max_fuse_a or 0,
            )
            match = next((r for r in sized if (r.max_fuse_a or 0) >= main_fuse_a), None)
        if match is None:
            continue  # a gap: the cover check names it
        last = fees[-1] if fees else None
        if (
            last is not None
            and last.valid_to == day
            and last.monthly_amount == match.monthly_fee_amount
        ):
            fees[-1] = rating.FeeVersion(last.valid_from, following, last.monthly_amount)
        else:
            fees.append(rating.FeeVersion(day, following, match.monthly_fee_amount))
    return tuple(fees)


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
        _require_cover(
            [(v.valid_from, v.valid_to) for v in versions],
            start,
            end,
            f"Levy {levy.code}",
            "add its rate from that day in the admin (Levy rates) once it is published",
        )
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
    comps = list(product_components(product, green=green, start=start, end=end))
    code = product.code
    if package_code is not None:
        energy, fee = network_components(
            grid_operator_code=grid_operator_code or "",
            package_code=package_code,
            main_fuse_a=main_fuse_a,
            is_apartment=is_apartment,
            start=start,
            end=end,
        )
        comps += [energy, fee]
        code = f"{product.code}+{package_code}"
    comps += levy_components(start=start, end=end)
    return rating.Tariff(code, tuple(comps))


# -- market prices: set-based read, cached per (area, month) and data version ----------------

_QUARTER_US: Final = 15 * 60 * 1_000_000
_EPOCH_US_SQL: Final = {
    # µs since 1970 of ``start_at`` (stored in UTC), exact: PostgreSQL's epoch is numeric
    # with the fraction; SQLite keeps 'YYYY-MM-DD HH:MM:SS[.ffffff]' text (''  casts to 0).
    "postgresql": "(EXTRACT(EPOCH FROM start_at) * 1000000)::bigint",
    "sqlite": (
        "(CAST(strftime('%%s', start_at) AS INTEGER) * 1000000"
        " + CAST(substr(start_at, 21) AS INTEGER))"
    ),
}
_MICRO_SQL: Final = {
    # EUR/MWh x 1000 = µ€/kWh; the column has 3 decimals, so the product is a whole number
    # (SQLite holds it as a float: rounded to the nearest, as Django's converter does).
    "postgresql": "(price_eur_mwh * 1000)::bigint",
    "sqlite": "CAST(ROUND(price_eur_mwh * 1000) AS INTEGER)",
}
_MARKET_CACHE_SIZE: Final = 48  # (area, month) entries: four years of one area


class _CachedPrices(NamedTuple):
    version: tuple[Any, ...]  # the market_price_version the prices were read at
    prices: rating.MarketPrices


_market_cache: OrderedDict[tuple[str, Month], _CachedPrices] = OrderedDict()
_market_cache_lock = threading.Lock()


def _month_price_rows(month: Month, area: str) -> tuple[str, list[Any]]:
    """``FROM ... WHERE`` of the month's current price rows (an hourly row from an hour
    before the month's start on, like every reader of the month)."""
    start, end = month.bounds()
    table = connection.ops.quote_name(MarketPrice._meta.db_table)
    where = f"FROM {table} WHERE area = %s AND is_current AND start_at >= %s AND start_at < %s"
    field = MarketPrice._meta.get_field("start_at")
    bounds = [field.get_db_prep_value(t, connection) for t in (start - dt.timedelta(hours=1), end)]
    return where, [area, *bounds]


def _vendor_sql(table: Mapping[str, str]) -> str:
    try:
        return table[connection.vendor]
    except KeyError:
        raise NotImplementedError(
            f"market_prices reads PostgreSQL or SQLite, not {connection.vendor}"
        ) from None


def market_price_version(month: Month, *, area: str = "ee") -> tuple[Any, ...]:
    """A fingerprint of the month's current price rows, read by one aggregate over them:
    how many, the largest and the sum of their ids (an import adds rows with new, larger
    ids and takes superseded ones out of the current set), and what shows an edit in place
    (the guard allows one in a month not yet invoiced) or another set of rows with the same
    ids (after a rolled-back transaction). On PostgreSQL that is the sum of the rows'
    ``xmin`` and ``cmin`` (an updated row is a new tuple, written by a later transaction or,
    in the same one, a later command); on SQLite sums of the rows' quarter positions,
    prices and resolutions, the latter two also weighted by position."""
    where, params = _month_price_rows(month, area)
    if connection.vendor == "postgresql":
        changes = "SUM(xmin::text::bigint), SUM(cmin::text::bigint)"
    else:
        t0_us = _epoch_us(month.bounds()[0])
        quarter = f"(({_vendor_sql(_EPOCH_US_SQL)} - {t0_us}) / {_QUARTER_US})"
        changes = (
            f"SUM({quarter}), SUM(price_eur_mwh), SUM(price_eur_mwh * {quarter}), "
            f"SUM(resolution_minutes * {quarter})"
        )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), MAX(id), SUM(id), {changes} {where}", params)
        row = cursor.fetchone()
    return (area, str(month), *row)


def _epoch_us(moment: dt.datetime) -> int:
    return (moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


def read_market_prices(month: Month, *, area: str = "ee") -> rating.MarketPrices:
    """The month's prices from the database (no cache): one query returning integers (µs
    since 1970, minutes, µ€/kWh) in start order, placed into the month's quarter grid."""
    where, params = _month_price_rows(month, area)
    sql = (
        f"SELECT {_vendor_sql(_EPOCH_US_SQL)}, resolution_minutes, {_vendor_sql(_MICRO_SQL)} "
        f"{where} ORDER BY start_at"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 3)
    t0_us = _epoch_us(month.bounds()[0])
    return _place_prices(month, rows[:, 0] - t0_us, rows[:, 1], rows[:, 2])


def _place_prices(
    month: Month,
    offset_us: npt.NDArray[np.int64],
    minutes: npt.NDArray[np.int64],
    micro: npt.NDArray[np.int64],
) -> rating.MarketPrices:
    """Each row's price into its quarters of the month (an hourly row fills four; a start
    off the quarter grid fills none). Rows come in start order and a later row's quarter
    wins, as if they were written one by one."""
    count = rating.month_grid(month, 15).count
    quarters = np.where(offset_us % _QUARTER_US == 0, minutes // 15, 0)
    ends = np.cumsum(quarters)
    within = np.arange(int(ends[-1]) if ends.size else 0) - np.repeat(ends - quarters, quarters)
    index = np.repeat(offset_us // _QUARTER_US, quarters) + within
    value = np.repeat(micro, quarters)
    keep = (index >= 0) & (index < count)
    index, value = index[keep], value[keep]
    # The last write of each quarter: its first occurrence in the reversed order.
    placed, first_reversed = np.unique(index[::-1], return_index=True)
    values = np.zeros(count, dtype=np.int64)
    missing = np.ones(count, dtype=np.bool_)
    values[placed] = value[index.size - 1 - first_reversed]
    missing[placed] = False
    values.flags.writeable = False
    missing.flags.writeable = False
    return rating.MarketPrices(month, values, missing)


def market_prices(month: Month, *, area: str = "ee") -> rating.MarketPrices:
    """The month's quarter-hour prices in µ€/kWh (hourly rows fill their four quarters), the
    current version of each.

    Kept in the process per (area, month) with the :func:`market_price_version` of the
    rows they were read from; every call reads that fingerprint (one aggregate) and
    re-reads the prices when it changed, so a re-import, by this process or another, is
    seen at once. The fingerprint is read before the prices, so a cached array is never
    older than its fingerprint. The arrays are read-only (shared between callers)."""
    key = (area, month)
    version = market_price_version(month, area=area)
    with _market_cache_lock:
        hit = _market_cache.get(key)
        if hit is not None and hit.version == version:
            _market_cache.move_to_end(key)
            return hit.prices
    prices = read_market_prices(month, area=area)
    with _market_cache_lock:
        _market_cache[key] = _CachedPrices(version, prices)
        _market_cache.move_to_end(key)
        while len(_market_cache) > _MARKET_CACHE_SIZE:
            _market_cache.popitem(last=False)
    return prices


def clear_market_price_cache() -> None:
    """Forget every cached month (the fingerprint makes this unnecessary for correctness)."""
    with _market_cache_lock:
        _market_cache.clear()


def count_products() -> int:
    return Product.objects.count()


def products_by_id(*, product_ids: Collection[int]) -> dict[int, Product]:
    """The products of ``product_ids``, by id."""
    return {p.pk: p for p in Product.objects.filter(pk__in=list(product_ids))}


def price_on(*, product_id: int, on: dt.date) -> ProductPrice | None:
    """The product's price version valid on ``on``, if any."""
    return (
        ProductPrice.objects.filter(product_id=product_id, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .order_by("-valid_from")
        .first()
    )


def products_on_sale(*, on: dt.date, business: bool) -> list[Product]:
    """The packages on sale on ``on`` in the business or the household segment, by code."""
    segment = Segment.BUSINESS if business else Segment.HOUSEHOLD
    return products_on_sale_in(on=on, segment=segment)


def products_on_sale_in(*, on: dt.date, segment: str | None) -> list[Product]:
    """The packages on sale on ``on`` in ``segment`` (None: in every segment), by code."""
    rows = Product.objects.filter(on_sale_from__lte=on).filter(
        Q(on_sale_to__isnull=True) | Q(on_sale_to__gt=on)
    )
    return list((rows.filter(segment=segment) if segment is not None else rows).order_by("code"))


# -- prosumers (issue 15) ----------------------------------------------------------------------


def net_billing_rules() -> tuple[NetRule, ...]:
    """Every net billing rule, by date."""
    return tuple(
        NetRule(r.valid_from, r.valid_to, r.bills_net, r.surplus_vat_rate)
        for r in NetBillingRule.objects.order_by("valid_from")
    )


def _production_tariff(
    product: ProductionProduct, prices: Sequence[ProductionPrice], start: dt.date, end: dt.date
) -> rating.Tariff:
    """One PRODUCTION component: the market price of each interval minus the margin, or the
    fixed buy-back price; every day of ``[start, end)`` needs a price version."""
    if not prices:
        raise MissingTariffData(f"Production product {product.code} has no prices")
    _require_cover(
        [(p.valid_from, p.valid_to) for p in prices],
        start,
        end,
        f"Production product {product.code}",
        "add its price from that day in the admin (the production product's prices)",
    )
    market = product.kind == ProductionProduct.Kind.EXCHANGE
    versions = []
    for price in prices:
        value = price.margin if market else price.buyback_price
        if value is None:
            what = "margin" if market else "buy-back price"
            raise MissingTariffData(
                f"Production product {product.code} price from {price.valid_from} has no {what}"
            )
        micro = -micro_per_kwh(value) if market else micro_per_kwh(value)
        versions.append(rating.PriceVersion(price.valid_from, price.valid_to, {"ALL": micro}))
    component = rating.EnergyComponent(PRODUCTION_COMPONENT, tuple(versions), market=market)
    return rating.Tariff(f"PRODUCTION:{product.code}", (component,))


def production_tariffs(
    *, production_product_ids: Collection[int], start: dt.date, end: dt.date
) -> dict[int, rating.Tariff | str]:
    """The tariff of each production product over ``[start, end)`` (two queries), or why it
    cannot be built."""
    products = ProductionProduct.objects.in_bulk(list(production_product_ids))
    prices: dict[int, list[ProductionPrice]] = defaultdict(list)
    for price in ProductionPrice.objects.filter(production_product_id__in=list(products)).order_by(
        "valid_from"
    ):
        prices[price.production_product_id].append(price)
    found: dict[int, rating.Tariff | str] = {}
    for product_id, product in products.items():
        try:
            found[product_id] = _production_tariff(product, prices[product_id], start, end)
        except (MissingTariffData, ValueError) as exc:
            found[product_id] = str(exc)
    return found
