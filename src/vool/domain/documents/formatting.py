"""Numbers, quantities and dates as each language writes them (pure: no Django).

Estonian and Russian: ``1 234,56 €``, ``1 234,567 kWh``, ``05.11.2026``, ``24 %``; English:
``€1,234.56``, ``1,234.567 kWh``, ``5 Nov 2026``, ``24%``. Thousands are grouped with a
no-break space (U+00A0), like :func:`vool.common.money.format_money`, which this uses for
money.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Final

from vool.common.money import format_money

LANGUAGES: Final = ("et", "ru", "en")
_NBSP: Final = "\u00a0"
_EN_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def _check(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"Unsupported language {language!r}; use one of {', '.join(LANGUAGES)}")
    return language


def money(amount: Decimal, *, language: str) -> str:
    return format_money(amount, language=_check(language))


def number(value: Decimal, *, language: str, places: int | None = None) -> str:
    """``value`` grouped in thousands; ``places`` fixes the decimals, else trailing zeros
    after the point are dropped (``12.500`` -> ``12,5``). Never rounds unless ``places`` is
    given, and then only to show (the value is exact in the data)."""
    _check(language)
    if places is not None:
        shown = f"{value:.{places}f}"
    else:
        shown = f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"
        if "." in shown:
            shown = shown.rstrip("0").rstrip(".")
    negative = shown.startswith("-")
    integer, _, fraction = shown.lstrip("-").partition(".")
    grouped = f"{int(integer):,}"
    if language == "en":
        text = grouped + (f".{fraction}" if fraction else "")
    else:
        text = grouped.replace(",", _NBSP) + (f",{fraction}" if fraction else "")
    return f"-{text}" if negative else text


def kwh(value: Decimal, *, language: str) -> str:
    """Energy with three decimals and its unit (``1 234,567 kWh``)."""
    return f"{number(value, language=language, places=3)}{_NBSP}kWh"


def percent(rate: Decimal, *, language: str) -> str:
    """A rate as a percentage: ``Decimal("0.24")`` -> ``24 %`` (et, ru) or ``24%`` (en)."""
    shown = number(rate * 100, language=language)
    return f"{shown}%" if language == "en" else f"{shown}{_NBSP}%"


def date(day: dt.date, *, language: str) -> str:
    if _check(language) == "en":
        return f"{day.day}{_NBSP}{_EN_MONTHS[day.month - 1]}{_NBSP}{day.year}"
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def date_range(start: dt.date, end_exclusive: dt.date, *, language: str) -> str:
    """An inclusive range of days shown for a ``[start, end)`` period."""
    last = end_exclusive - dt.timedelta(days=1)
    return f"{date(start, language=language)}\u2013{date(last, language=language)}"
