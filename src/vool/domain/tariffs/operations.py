"""Writes for tariffs: the default regulated data and market prices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Max

from vool.domain.tariffs.models import (
    BandRule,
    BandScheme,
    Levy,
    LevyRate,
    MarketPrice,
    NetworkMonthlyFee,
    NetworkPackage,
    NetworkPrice,
    VatRate,
)
from vool.domain.tariffs.tariff_data import load_defaults

__all__ = [
    "LoadResult",
    "StoredMarketPrices",
    "load_default_tariffs",
    "load_tariff_data",
    "store_market_prices",
]


def _d(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


class LoadResult(dict[str, int]):
    """Rows created per kind (existing rows are left as they are)."""


def _source(data: dict[str, Any], key: str) -> str:
    return str(data["sources"].get(key, key))


def load_tariff_data(data: dict[str, Any]) -> LoadResult:
    """Add the band schemes, network packages, levies and VAT rates of ``data`` that are not
    in the database yet (matched by code and ``valid_from``). Idempotent: a second run adds
    nothing and never overwrites a value edited in the admin."""
    created = LoadResult()

    def count(kind: str, was_created: bool) -> None:
        created[kind] = created.get(kind, 0) + int(was_created)

    with transaction.atomic():
        schemes: dict[str, BandScheme] = {}
        for s in data["band_schemes"]:
            scheme, new = BandScheme.objects.get_or_create(
                code=s["code"], defaults={"name": s["name"], "bands": s["bands"]}
            )
            count("band schemes", new)
            schemes[scheme.code] = scheme
            for r in s["rules"]:
                _, new = BandRule.objects.get_or_create(
                    scheme=scheme,
                    valid_from=dt.date.fromisoformat(r["valid_from"]),
                    defaults={
                        "valid_to": _d(r.get("valid_to")),
                        "default_band": r["default_band"],
                        "windows": r.get("windows", []),
                        "source": _source(data, r["source"]),
                        "verified": bool(r["verified"]),
                    },
                )
                count("band rules", new)
        for p in data["network_packages"]:
            scheme_code = p.get("scheme")
            package, new = NetworkPackage.objects.get_or_create(
                grid_operator_code=p["operator"],
                code=p["code"],
                defaults={
                    "name": p["name"],
                    "band_scheme": schemes[scheme_code] if scheme_code else None,
                },
            )
            count("network packages", new)
            for v in p["versions"]:
                common = {
                    "valid_to": _d(v.get("valid_to")),
                    "source": _source(data, v["source"]),
                    "verified": bool(v["verified"]),
                }
                prices = {
                    NetworkPrice.BAND_FIELDS[band]: Decimal(value)
                    for band, value in v["prices"].items()
                }
                _, new = NetworkPrice.objects.get_or_create(
                    package=package,
                    valid_from=dt.date.fromisoformat(v["valid_from"]),
                    defaults=common | prices,
                )
                count("network prices", new)
                for size, amount in v["monthly_fees"].items():
                    apartment = size == "APARTMENT"
                    _, new = NetworkMonthlyFee.objects.get_or_create(
                        package=package,
                        valid_from=dt.date.fromisoformat(v["valid_from"]),
                        is_apartment=apartment,
                        max_fuse_a=None if apartment else int(size),
                        defaults=common | {"monthly_fee_amount": Decimal(amount)},
                    )
                    count("network monthly fees", new)
        for position, lv in enumerate(data["levies"], start=1):
            levy, new = Levy.objects.get_or_create(
                code=lv["code"],
                defaults={"name_et": lv["name_et"], "name_en": lv["name_en"], "position": position},
            )
            count("levies", new)
            for v in lv["versions"]:
                _, new = LevyRate.objects.get_or_create(
                    levy=levy,
                    valid_from=dt.date.fromisoformat(v["valid_from"]),
                    defaults={
                        "valid_to": _d(v.get("valid_to")),
                        "unit_price": Decimal(v["price"]),
                        "source": _source(data, v["source"]),
                        "verified": bool(v["verified"]),
                    },
                )
                count("levy rates", new)
        for v in data["vat"]:
            _, new = VatRate.objects.get_or_create(
                valid_from=dt.date.fromisoformat(v["valid_from"]),
                defaults={
                    "valid_to": _d(v.get("valid_to")),
                    "rate": Decimal(v["rate"]),
                    "source": _source(data, v["source"]),
                    "verified": bool(v["verified"]),
                },
            )
            count("VAT rates", new)
    return created


def load_default_tariffs() -> None:
    """Load ``data/defaults.json`` (idempotent); the demo seeder calls this."""
    load_tariff_data(load_defaults())


class StoredMarketPrices(NamedTuple):
    """What :func:`store_market_prices` did; ``changed`` are the ``(start, minutes)`` of the
    prices that a new version replaced."""

    created: int
    updated: int
    unchanged: int
    changed: tuple[tuple[dt.datetime, int], ...] = ()


def store_market_prices(
    *,
    area: str,
    prices: Sequence[tuple[dt.datetime, int, Decimal]],
    source: str,
    imported_at: dt.datetime,
) -> StoredMarketPrices:
    """Store ``(start UTC, resolution minutes, EUR/MWh)`` rows of one area in one transaction.
    A new interval is version 1; a changed price (or resolution) is a new current version and
    the old row is kept, no longer current (an hourly price supersedes the quarter-hour
    prices inside its hour). Running an import twice changes nothing."""
    if not prices:
        return StoredMarketPrices(0, 0, 0)
    with transaction.atomic():
        starts = [p[0] for p in prices]
        window = MarketPrice.objects.filter(
            area=area,
            start_at__gte=min(starts),
            start_at__lte=max(starts) + dt.timedelta(minutes=45),
        )
        current = {
            m.start_at: m for m in window.filter(is_current=True).select_for_update().order_by()
        }
        last_version = dict(
            window.order_by()
            .values("start_at")
            .annotate(last=Max("version"))
            .values_list("start_at", "last")
        )
        new_rows: list[MarketPrice] = []
        superseded: list[MarketPrice] = []
        unchanged = 0
        for start, minutes, price in prices:
            row = current.get(start)
            if row is not None and row.price_eur_mwh == price and row.resolution_minutes == minutes:
                unchanged += 1
                continue
            if row is not None:
                superseded.append(row)
            new_rows.append(
                MarketPrice(
                    area=area,
                    start_at=start,
                    resolution_minutes=minutes,
                    price_eur_mwh=price,
                    source=source,
                    imported_at=imported_at,
                    version=last_version.get(start, 0) + 1,
                )
            )
        # An hourly price supersedes any quarter-hour prices inside its hour.
        superseded += [
            current[start + dt.timedelta(minutes=m)]
            for start, minutes, _ in prices
            if minutes == 60
            for m in (15, 30, 45)
            if start + dt.timedelta(minutes=m) in current
        ]
        MarketPrice.objects.filter(pk__in=[r.pk for r in superseded]).update(
            is_current=False, superseded_at=imported_at
        )
        MarketPrice.objects.bulk_create(new_rows, batch_size=2000)
    given = set(starts)
    replaced = sum(1 for r in superseded if r.start_at in given)  # a new version in new_rows
    return StoredMarketPrices(
        created=len(new_rows) - replaced,
        updated=len(superseded),
        unchanged=unchanged,
        changed=tuple(sorted((r.start_at, r.resolution_minutes) for r in superseded)),
    )
