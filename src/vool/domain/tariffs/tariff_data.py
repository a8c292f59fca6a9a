"""Reading the default tariff data file and band windows from plain JSON. Pure: no Django.

``data/defaults.json`` holds the dated Estonian values (band windows, Elektrilevi network
packages, levies, VAT), each with its ``source`` and ``verified`` flag. The database copy
(loaded by ``operations.load_default_tariffs``) is what billing uses and what the admin edits;
this module only parses.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, cast

from vool.domain.tariffs.bands import BandRules, BandScheme, BandWindow, DayType, Season

__all__ = [
    "DEFAULTS_PATH",
    "band_scheme_from_data",
    "default_band_schemes",
    "load_defaults",
    "micro_per_kwh",
    "parse_windows",
    "windows_to_data",
]

DEFAULTS_PATH: Final = Path(__file__).resolve().parent / "data" / "defaults.json"


def load_defaults(path: Path = DEFAULTS_PATH) -> dict[str, Any]:
    return cast(dict[str, Any], json.loads(path.read_text(encoding="utf-8")))


def _minute(text: str) -> int:
    hours, _, minutes = text.partition(":")
    value = int(hours) * 60 + int(minutes or 0)
    if not 0 <= value <= 1440:
        raise ValueError(f"Time {text!r} is not between 00:00 and 24:00")
    return value


def parse_windows(windows: Sequence[Mapping[str, Any]]) -> tuple[BandWindow, ...]:
    """``[{"band": "DAY", "start": "07:00", "end": "22:00", "day_type": "WORKDAY",
    "months": [11, 12], "season": "ANY"}, ...]`` -> windows (first match wins)."""
    out: list[BandWindow] = []
    for i, w in enumerate(windows):
        try:
            day_type = w.get("day_type", "ANY")
            season = w.get("season", "ANY")
            if day_type not in ("ANY", "WORKDAY", "REST_DAY", "WEEKDAY"):
                raise ValueError(f"day_type {day_type!r} is not ANY, WORKDAY, REST_DAY or WEEKDAY")
            if season not in ("ANY", "SUMMER_TIME", "STANDARD_TIME"):
                raise ValueError(f"season {season!r} is not ANY, SUMMER_TIME or STANDARD_TIME")
            months = w.get("months")
            out.append(
                BandWindow(
                    band=str(w["band"]),
                    start_minute=_minute(str(w["start"])),
                    end_minute=_minute(str(w["end"])),
                    day_type=cast(DayType, day_type),
                    months=frozenset(int(m) for m in months) if months else None,
                    season=cast(Season, season),
                )
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"Band window {i + 1}: {exc}") from exc
    return tuple(out)


def windows_to_data(windows: Sequence[BandWindow]) -> list[dict[str, Any]]:
    def hhmm(minute: int) -> str:
        return f"{minute // 60:02d}:{minute % 60:02d}"

    return [
        {
            "band": w.band,
            "start": hhmm(w.start_minute),
            "end": hhmm(w.end_minute),
            "day_type": w.day_type,
            **({"months": sorted(w.months)} if w.months else {}),
            "season": w.season,
        }
        for w in windows
    ]


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def band_scheme_from_data(data: Mapping[str, Any]) -> BandScheme:
    rules = []
    for r in data["rules"]:
        start = _date(r["valid_from"])
        assert start is not None
        rules.append(
            BandRules(
                valid_from=start,
                valid_to=_date(r.get("valid_to")),
                default_band=str(r["default_band"]),
                windows=parse_windows(r.get("windows", [])),
            )
        )
    return BandScheme(code=str(data["code"]), bands=tuple(data["bands"]), rules=tuple(rules))


def default_band_schemes() -> dict[str, BandScheme]:
    """The band schemes of the default data file, by code."""
    return {s["code"]: band_scheme_from_data(s) for s in load_defaults()["band_schemes"]}


def micro_per_kwh(eur_per_kwh: Decimal) -> int:
    """EUR/kWh -> integer µ€/kWh; raises if finer than 6 decimals."""
    scaled = eur_per_kwh.scaleb(6)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"Price {eur_per_kwh} EUR/kWh has more than 6 decimals")
    return int(scaled)
