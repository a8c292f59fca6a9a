"""Writes for tariffs: the default regulated data and market prices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _

from vool.common.ranges import DateRange, any_overlap
from vool.domain.tariffs import queries
from vool.domain.tariffs.models import (
    BandRule,
    BandScheme,
    DatedVersion,
    Levy,
    LevyRate,
    MarketPrice,
    NetworkMonthlyFee,
    NetworkPackage,
    NetworkPrice,
    VatRate,
)
from vool.domain.tariffs.tariff_data import DEFAULTS_PATH, load_defaults

__all__ = [
    "AmbiguousTariffData",
    "LoadResult",
    "StoredMarketPrices",
    "UnableToSaveVersion",
    "check_version",
    "load_default_tariffs",
    "load_tariff_data",
    "save_version",
    "store_market_prices",
]


# -- dated versions: never two of the same thing on one day ----------------------------------


class UnableToSaveVersion(ValidationError):
    """A dated version would overlap another version of the same thing (or ends before it
    starts); the message names the field and the other version."""


def check_version(version: DatedVersion) -> None:
    """Raise :class:`UnableToSaveVersion` (on ``valid_from``/``valid_to``) if ``version`` ends
    before it starts or overlaps a saved version of the same thing (its ``OVERLAP_SCOPE``)."""
    if version.valid_to is not None and version.valid_to <= version.valid_from:
        raise UnableToSaveVersion({"valid_to": _("A version ends after it starts.")})
    clash = queries.overlapping_version(
        type(version),
        scope=version.overlap_scope(),
        period=DateRange(version.valid_from, version.valid_to),
        exclude_pk=version.pk,
    )
    if clash is not None:
        raise UnableToSaveVersion({"valid_from": overlap_message(clash)})


def overlap_message(clash: DatedVersion) -> str:
    return _(
        "Overlaps %(what)s valid %(start)s to %(end)s: two versions of one price may not "
        "be valid on the same day. End that version first, or start this one later."
    ) % {
        "what": f"{clash._meta.verbose_name} {clash}",
        "start": clash.valid_from.isoformat(),
        "end": clash.valid_to.isoformat() if clash.valid_to else _("open end"),
    }


def save_version(version: DatedVersion) -> DatedVersion:
    """Check and save a dated version (a product price, network price or fee, levy rate, VAT
    rate or band rule) in one transaction; the PostgreSQL exclusion constraint backs the
    check against a concurrent writer."""
    with transaction.atomic():
        scope = version.overlap_scope()
        # lock the versions of the same thing so two writers cannot both pass the check
        list(type(version)._default_manager.select_for_update().filter(**scope).values_list("pk"))
        version.full_clean(validate_unique=True)
        check_version(version)
        try:
            with transaction.atomic():
                version.save()
        except IntegrityError as exc:  # the exclusion constraint (PostgreSQL)
            raise UnableToSaveVersion(
                {"valid_from": _("Overlaps another version of the same price.")}
            ) from exc
    return version


# -- the default data file --------------------------------------------------------------------


class AmbiguousTariffData(Exception):
    """Tariff data (the file, or the file together with the database) has two versions of one
    thing valid on the same day; nothing was written."""


class LoadResult(dict[str, int]):
    """Rows per outcome and kind, e.g. ``{"created levy rates": 2, "corrected VAT rates": 3}``:
    *created* (missing), *corrected* (still held an earlier shipped value, now the current
    one), *kept* (edited in the admin: left as it is), *withdrawn* (an earlier shipped row
    that is no longer shipped, removed while unedited)."""

    OUTCOMES = ("created", "corrected", "withdrawn", "kept")

    def count(self, outcome: str, kind: str, n: int = 1) -> None:
        key = f"{outcome} {kind}"
        self[key] = self.get(key, 0) + n

    def by_outcome(self) -> dict[str, list[tuple[str, int]]]:
        """``{"created": [("VAT rates", 3), ...], ...}``, outcomes with no rows left out."""
        out: dict[str, list[tuple[str, int]]] = {}
        for key, n in self.items():
            outcome, _, kind = key.partition(" ")
            if n:
                out.setdefault(outcome, []).append((kind, n))
        return {o: out[o] for o in self.OUTCOMES if o in out}


def _d(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _source(data: dict[str, Any], key: str) -> str:
    return str(data.get("sources", {}).get(key, key))


def _states(version: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A version entry and the earlier shipped states of its row (``replaces``: only the
    fields that differ)."""
    current = {k: v for k, v in version.items() if k != "replaces"}
    return current, [current | old for old in version.get("replaces", [])]


def _same(row: models.Model, values: dict[str, Any]) -> bool:
    return all(getattr(row, name) == value for name, value in values.items())


def _upsert(
    model: type[DatedVersion],
    key: dict[str, Any],
    values: dict[str, Any],
    earlier: list[dict[str, Any]],
    kind: str,
    result: LoadResult,
) -> None:
    """Create the row ``key`` with ``values``; correct it if it holds one of the ``earlier``
    shipped states; otherwise (an admin edit) keep it."""
    row = model._default_manager.filter(**key).first()
    if row is not None and _same(row, values):
        return
    if row is not None and not any(_same(row, state) for state in earlier):
        result.count("kept", kind)
        return
    probe = model(**key, **values)
    clash = queries.overlapping_version(
        model,
        scope=probe.overlap_scope(),
        period=DateRange(probe.valid_from, probe.valid_to),
        exclude_pk=row.pk if row is not None else None,
    )
    if clash is not None:
        raise AmbiguousTariffData(_overlap_text(probe, clash))
    if row is None:
        model._default_manager.create(**key, **values)
        result.count("created", kind)
    else:
        model._default_manager.filter(pk=row.pk).update(**values)
        result.count("corrected", kind)


def _overlap_text(a: DatedVersion, b: DatedVersion) -> str:
    with translation.override("en"):
        kind = str(a._meta.verbose_name)
    return (
        f"{kind} {a} ({a.valid_from} to {a.valid_to or 'open end'}) overlaps {b} "
        f"({b.valid_from} to {b.valid_to or 'open end'}) in the database (an admin edit?); "
        "nothing was loaded. End one of them in the admin and load again."
    )


def _withdraw(
    model: type[DatedVersion],
    key: dict[str, Any],
    values: dict[str, Any],
    kind: str,
    result: LoadResult,
) -> None:
    row = model._default_manager.filter(**key).first()
    if row is not None and _same(row, values):
        row.delete()
        result.count("withdrawn", kind)


def _check_file(data: dict[str, Any], where: str) -> None:
    """Refuse a data file whose versions of one thing overlap (before anything is written)."""

    def check(section: str, versions: list[dict[str, Any]]) -> None:
        ranges = []
        for v in versions:
            start = dt.date.fromisoformat(v["valid_from"])
            try:
                ranges.append(DateRange(start, _d(v.get("valid_to"))))
            except ValueError as exc:
                raise AmbiguousTariffData(f"{where}: {section}: {exc}") from exc
        clash = any_overlap(ranges)
        if clash is not None:
            raise AmbiguousTariffData(
                f"{where}: {section}: the versions {clash[0]} and {clash[1]} overlap; "
                "end the earlier one where the later one starts"
            )

    for s in data["band_schemes"]:
        check(f"band scheme {s['code']} rules", s["rules"])
    for p in data["network_packages"]:
        name = f"network package {p['operator']} {p['code']}"
        check(f"{name} prices", [v for v in p["versions"] if v.get("prices")])
        sizes = {size for v in p["versions"] for size in v.get("monthly_fees") or {}}
        for size in sorted(sizes):
            check(
                f"{name} monthly fees ({size})",
                [v for v in p["versions"] if size in (v.get("monthly_fees") or {})],
            )
    for lv in data["levies"]:
        check(f"levy {lv['code']} rates", lv["versions"])
    check("VAT rates", data["vat"])


def _check_database() -> None:
    """Refuse (and roll back) when the loaded data and the database's own rows overlap."""
    for model in (BandRule, NetworkPrice, NetworkMonthlyFee, LevyRate, VatRate):
        pair = queries.first_overlap(model)
        if pair is not None:
            raise AmbiguousTariffData(_overlap_text(*pair))


def load_tariff_data(data: dict[str, Any], *, where: str = "tariff data") -> LoadResult:
    """Bring the band schemes, network packages, levies and VAT rates of ``data`` into the
    database (rows matched by code and ``valid_from``), in one transaction. Idempotent: a
    second run changes nothing. A row is created when missing and corrected only while it
    still holds an earlier shipped value (``replaces``); a row edited in the admin is kept.
    Overlapping versions, in the file or in the result, raise :class:`AmbiguousTariffData`
    naming ``where`` and the versions, and nothing is written."""
    _check_file(data, where)
    loader = _Loader(data)
    try:
        with transaction.atomic():
            schemes = {s["code"]: loader.band_scheme(s) for s in data["band_schemes"]}
            for p in data["network_packages"]:
                loader.network_package(p, schemes)
            for position, lv in enumerate(data["levies"], start=1):
                loader.levy(lv, position)
            for v in data["vat"]:
                current, earlier = _states(v)
                _upsert(
                    VatRate,
                    {"valid_from": dt.date.fromisoformat(v["valid_from"])},
                    loader.vat(current),
                    [loader.vat(e) for e in earlier],
                    "VAT rates",
                    loader.result,
                )
            _check_database()
    except AmbiguousTariffData as exc:
        raise AmbiguousTariffData(f"{where}: {exc}") from exc
    return loader.result


class _Loader:
    """The rows of one data file: each ``*(v)`` method gives a row's field values."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.result = LoadResult()

    def sourced(self, v: dict[str, Any]) -> dict[str, Any]:
        return {
            "valid_to": _d(v.get("valid_to")),
            "source": _source(self.data, v["source"]),
            "verified": bool(v["verified"]),
        }

    def rule(self, v: dict[str, Any]) -> dict[str, Any]:
        return self.sourced(v) | {
            "default_band": v["default_band"],
            "windows": v.get("windows", []),
        }

    def prices(self, v: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = dict.fromkeys(NetworkPrice.BAND_FIELDS.values())
        fields |= {
            NetworkPrice.BAND_FIELDS[band]: Decimal(value) for band, value in v["prices"].items()
        }
        return self.sourced(v) | fields

    def fee(self, v: dict[str, Any], size: str) -> dict[str, Any]:
        return self.sourced(v) | {"monthly_fee_amount": Decimal(v["monthly_fees"][size])}

    def rate(self, v: dict[str, Any]) -> dict[str, Any]:
        return self.sourced(v) | {"unit_price": Decimal(v["price"])}

    def vat(self, v: dict[str, Any]) -> dict[str, Any]:
        return self.sourced(v) | {"rate": Decimal(v["rate"])}

    def band_scheme(self, s: dict[str, Any]) -> BandScheme:
        scheme, new = BandScheme.objects.get_or_create(
            code=s["code"], defaults={"name": s["name"], "bands": s["bands"]}
        )
        self.result.count("created", "band schemes", int(new))
        for r in s["rules"]:
            current, earlier = _states(r)
            _upsert(
                BandRule,
                {"scheme": scheme, "valid_from": dt.date.fromisoformat(r["valid_from"])},
                self.rule(current),
                [self.rule(e) for e in earlier],
                "band rules",
                self.result,
            )
        return scheme

    def network_package(self, p: dict[str, Any], schemes: dict[str, BandScheme]) -> None:
        scheme_code = p.get("scheme")
        package, new = NetworkPackage.objects.get_or_create(
            grid_operator_code=p["operator"],
            code=p["code"],
            defaults={
                "name": p["name"],
                "band_scheme": schemes[scheme_code] if scheme_code else None,
            },
        )
        self.result.count("created", "network packages", int(new))
        for v in p["versions"]:
            current, earlier = _states(v)
            start = dt.date.fromisoformat(v["valid_from"])
            if current.get("prices"):
                _upsert(
                    NetworkPrice,
                    {"package": package, "valid_from": start},
                    self.prices(current),
                    [self.prices(e) for e in earlier],
                    "network prices",
                    self.result,
                )
            for size in current.get("monthly_fees") or {}:
                apartment = size == "APARTMENT"
                _upsert(
                    NetworkMonthlyFee,
                    {
                        "package": package,
                        "valid_from": start,
                        "is_apartment": apartment,
                        "max_fuse_a": None if apartment else int(size),
                    },
                    self.fee(current, size),
                    [self.fee(e, size) for e in earlier if size in (e.get("monthly_fees") or {})],
                    "network monthly fees",
                    self.result,
                )

    def levy(self, lv: dict[str, Any], position: int) -> None:
        levy, new = Levy.objects.get_or_create(
            code=lv["code"],
            defaults={"name_et": lv["name_et"], "name_en": lv["name_en"], "position": position},
        )
        self.result.count("created", "levies", int(new))
        for v in lv.get("withdrawn", []):
            key = {"levy": levy, "valid_from": dt.date.fromisoformat(v["valid_from"])}
            _withdraw(LevyRate, key, self.rate(v), "levy rates", self.result)
        for v in lv["versions"]:
            current, earlier = _states(v)
            _upsert(
                LevyRate,
                {"levy": levy, "valid_from": dt.date.fromisoformat(v["valid_from"])},
                self.rate(current),
                [self.rate(e) for e in earlier],
                "levy rates",
                self.result,
            )


def load_default_tariffs() -> LoadResult:
    """Load ``data/defaults.json`` (idempotent); the demo seeder calls this."""
    return load_tariff_data(load_defaults(), where=str(DEFAULTS_PATH))


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
