"""Money, numbers and dates as the current language writes them (the bill's own formatting)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone

from vool.domain.documents import formatting
from vool.domain.shown import shown_language

register = template.Library()


_language = shown_language


@register.filter
def money(amount: Decimal | None) -> str:
    return "" if amount is None else formatting.money(amount, language=_language())


@register.filter
def kwh(value: Decimal | None) -> str:
    if value is None:
        return ""
    return formatting.kwh(value, language=_language())


@register.filter
def day(value: dt.date | dt.datetime | None) -> str:
    """A date, or the local (Tallinn) day of an instant."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return formatting.date(value, language=_language())


@register.filter
def unit_price(value: Decimal | None) -> str:
    """A price per kWh in euros, with up to six decimals as the language writes them."""
    if value is None:
        return ""
    places = max(2, -value.normalize().as_tuple().exponent)  # type: ignore[operator]
    return formatting.number(value, language=_language(), places=min(places, 6))


@lru_cache(maxsize=256)
def _reversed(name: str, prefix: str, urlconf: str | None) -> str:
    return reverse(name, urlconf=urlconf)


@register.simple_tag
def fixed_url(name: str) -> str:
    """``{% url name %}`` for a URL without arguments, reversed once per process (for the
    script prefix and URL configuration in force): the base page's dozen links cost a
    reverse each on every page (RESULTS.md, h43)."""
    return _reversed(name, get_script_prefix(), get_urlconf())
