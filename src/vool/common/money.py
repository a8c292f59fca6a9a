"""Money as :class:`~decimal.Decimal` euros: parsing, the one rounding helper, formatting, cents.

Floats never enter: every function here raises :class:`TypeError` when given one, because a
float cannot hold most cent amounts exactly (``2.675`` is really ``2.67499999…``).
"""

from __future__ import annotations

import decimal
import enum
import re
from decimal import Decimal
from typing import Final

__all__ = [
    "CENT",
    "CURRENCY",
    "RoundingMode",
    "cents",
    "format_money",
    "from_cents",
    "round_money",
    "to_decimal",
]

CURRENCY: Final = "EUR"
CENT: Final = Decimal("0.01")

_NBSP: Final = "\u00a0"
# What people and spreadsheets put between thousands: space, no-break space, narrow no-break
# space, thin space.
_GROUP_SEPARATORS: Final = (" ", "\u00a0", "\u202f", "\u2009")
_NUMBER_RE: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


class RoundingMode(enum.Enum):
    """How :func:`round_money` breaks ties and drops digits; always chosen explicitly."""

    HALF_UP = decimal.ROUND_HALF_UP
    HALF_EVEN = decimal.ROUND_HALF_EVEN
    DOWN = decimal.ROUND_DOWN
    UP = decimal.ROUND_UP


def _require_decimal(amount: object, what: str) -> Decimal:
    """Return ``amount`` as a finite Decimal; ints are accepted, floats and bools are not."""
    if isinstance(amount, Decimal):
        value = amount
    elif isinstance(amount, int) and not isinstance(amount, bool):
        value = Decimal(amount)
    else:
        raise TypeError(
            f"{what} must be a Decimal (or int), not {type(amount).__name__}; "
            "convert text with to_decimal() and never use float for money"
        )
    if not value.is_finite():
        raise ValueError(f"{what} must be a finite number, not {value}")
    return value


def round_money(amount: Decimal, *, mode: RoundingMode, places: int = 2) -> Decimal:
    """Round ``amount`` to ``places`` decimals with the explicitly chosen ``mode``.

    The result always has exactly ``places`` decimals (``Decimal("1")`` -> ``Decimal("1.00")``).
    A result of zero is returned without a sign (``-0.001`` -> ``0.00``, never ``-0.00``).
    """
    value = _require_decimal(amount, "amount")
    if not isinstance(mode, RoundingMode):
        raise TypeError(f"mode must be a RoundingMode, not {type(mode).__name__}")
    if isinstance(places, bool) or not isinstance(places, int) or places < 0:
        raise ValueError(f"places must be a non-negative int, not {places!r}")
    exponent = Decimal(1).scaleb(-places)
    with decimal.localcontext() as ctx:
        # Enough precision for any finite input, so quantize never raises InvalidOperation.
        ctx.prec = max(ctx.prec, value.adjusted() + places + 2)
        result = value.quantize(exponent, rounding=mode.value)
    if result.is_zero():
        result = abs(result)
    return result


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Parse ``value`` into a finite Decimal.

    Text may use a decimal comma (``"12,34"``) or point (``"12.34"``) and spaces or no-break
    spaces between thousands (``"1 234,56"``). Text with both a comma and a point, exponents,
    or anything else is rejected with :class:`ValueError`; floats with :class:`TypeError`.
    """
    if isinstance(value, str):
        text = value.strip()
        for separator in _GROUP_SEPARATORS:
            text = text.replace(separator, "")
        text = text.replace("\u2212", "-")  # the typographic minus sign
        if "," in text and "." in text:
            raise ValueError(
                f"Amount {value!r} is ambiguous: use either a decimal comma or a decimal point, "
                "and spaces between thousands"
            )
        if text.count(",") > 1:
            raise ValueError(f"Amount {value!r} has more than one decimal comma")
        text = text.replace(",", ".")
        if not _NUMBER_RE.fullmatch(text):
            raise ValueError(f"Amount {value!r} is not a number (expected e.g. 1234,56 or 1234.56)")
        return Decimal(text)
    return _require_decimal(value, "value")


def format_money(amount: Decimal, *, language: str = "et") -> str:
    """Format euros for people: ``et``/``ru`` ``"1 234,56 €"``, ``en`` ``"€1,234.56"``.

    The Estonian/Russian form uses a no-break space (U+00A0) between thousands and before the
    euro sign. Negative amounts get a leading ``-``. The amount is shown with at least two
    decimals and is never rounded here: round first with :func:`round_money` (extra non-zero
    decimals, e.g. of a unit price, are shown as they are).
    """
    value = _require_decimal(amount, "amount")
    lang = language.split("-")[0].split("_")[0].lower()
    if lang not in ("et", "ru", "en"):
        raise ValueError(f"Unsupported language {language!r}; use 'et', 'ru' or 'en'")
    negative = value < 0
    magnitude = _at_least_cents(abs(value))
    integer_part, _, fraction = f"{magnitude:f}".partition(".")
    grouped = f"{int(integer_part):,}"
    sign = "-" if negative else ""
    if lang == "en":
        return f"{sign}€{grouped}.{fraction}"
    grouped = grouped.replace(",", _NBSP)
    return f"{sign}{grouped},{fraction}{_NBSP}€"


def _at_least_cents(value: Decimal) -> Decimal:
    """``value`` with at least two decimals and no trailing zeros beyond them (exact)."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # value is finite
    if exponent >= -2:
        target = -2
    else:
        trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
        target = min(exponent + trailing_zeros, -2)
    with decimal.localcontext() as ctx:
        ctx.prec = max(ctx.prec, len(digits) + abs(exponent) + 2)
        return value.quantize(Decimal(1).scaleb(target))


def cents(amount: Decimal) -> int:
    """Exact number of cents in ``amount``; :class:`ValueError` if it has finer fractions."""
    value = _require_decimal(amount, "amount")
    with decimal.localcontext() as ctx:
        ctx.prec = max(ctx.prec, value.adjusted() + 5)
        scaled = value.scaleb(2)
        whole = scaled == scaled.to_integral_value()
    if not whole:
        raise ValueError(f"Amount {value} has fractions of a cent; round it with round_money()")
    return int(scaled)


def from_cents(value: int) -> Decimal:
    """Euros with two decimals from a whole number of cents (``1234`` -> ``Decimal("12.34")``)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"cents must be an int, not {type(value).__name__}")
    return Decimal(f"{value}E-2")  # exact, whatever the size
