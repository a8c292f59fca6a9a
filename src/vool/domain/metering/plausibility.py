"""Plausibility of a reading against what the history predicts. Pure: no Django.

The expected consumption is the average daily consumption of the history times the days since
the previous reading. A consumption above ``factor`` times the expectation, or below it
divided by ``factor``, is implausible; such a reading waits for review. Small expectations
(under ``min_expected_kwh``) are not judged: a few kWh either way mean nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["HistoryPeriod", "Verdict", "assess", "expected_daily_kwh"]

DEFAULT_FACTOR = Decimal(3)
DEFAULT_MIN_EXPECTED_KWH = Decimal(10)


@dataclass(frozen=True)
class HistoryPeriod:
    """Consumption ``kwh`` over ``days`` days between two earlier readings."""

    kwh: Decimal
    days: Decimal


@dataclass(frozen=True)
class Verdict:
    plausible: bool
    expected_kwh: Decimal | None
    reason: str = ""


def _shown(value: Decimal) -> str:
    return f"{value.normalize():f}"


def expected_daily_kwh(history: Sequence[HistoryPeriod]) -> Decimal | None:
    """Total kWh over total days of the history, or ``None`` without usable history."""
    days = sum((p.days for p in history), Decimal(0))
    if days <= 0:
        return None
    return sum((p.kwh for p in history), Decimal(0)) / days


def assess(
    *,
    consumption_kwh: Decimal,
    days: Decimal,
    daily_kwh: Decimal | None,
    factor: Decimal = DEFAULT_FACTOR,
    min_expected_kwh: Decimal = DEFAULT_MIN_EXPECTED_KWH,
) -> Verdict:
    """Judge ``consumption_kwh`` over ``days`` days against ``daily_kwh`` from history."""
    if factor <= 1:
        raise ValueError("The plausibility factor must be greater than 1")
    if daily_kwh is None or days <= 0:
        return Verdict(plausible=True, expected_kwh=None)
    expected = (daily_kwh * days).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    if expected < min_expected_kwh:
        return Verdict(plausible=True, expected_kwh=expected)
    if consumption_kwh > expected * factor:
        return Verdict(
            plausible=False,
            expected_kwh=expected,
            reason=(
                f"Consumption {_shown(consumption_kwh)} kWh is more than {_shown(factor)} times "
                f"the {_shown(expected)} kWh expected from the history. Please check the reading."
            ),
        )
    if consumption_kwh * factor < expected:
        return Verdict(
            plausible=False,
            expected_kwh=expected,
            reason=(
                f"Consumption {_shown(consumption_kwh)} kWh is less than 1/{_shown(factor)} of "
                f"the {_shown(expected)} kWh expected from the history. Please check the reading."
            ),
        )
    return Verdict(plausible=True, expected_kwh=expected)
