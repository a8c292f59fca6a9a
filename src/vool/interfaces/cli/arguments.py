"""Command-line argument types that say what is wrong in words, and the report of a rejected
import. ``argparse`` names the type function otherwise ("invalid _month value")."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentTypeError
from collections.abc import Sequence
from typing import Final

from django.core.management.base import CommandError, OutputWrapper
from django.utils import timezone

from vool.common.localtime import Month
from vool.integrations.safe_input import check_year, cut, shown

__all__ = ["MAX_LISTED", "aware_datetime", "day", "month", "rejected"]

MAX_LISTED: Final = 200


def aware_datetime(text: str) -> dt.datetime:
    """An ISO 8601 date and time; without a zone, the current time zone's."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
        check_year(value.year, text)
    except ValueError:
        raise ArgumentTypeError(
            f"{shown(text)} is not a date and time such as 2026-11-02T09:00+02:00"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.get_current_timezone())
    return value


def day(text: str) -> dt.date:
    """A date, YYYY-MM-DD."""
    try:
        value = dt.date.fromisoformat(text.strip())
        check_year(value.year, text)
    except ValueError:
        raise ArgumentTypeError(
            f"{shown(text)} is not a date: write YYYY-MM-DD, e.g. 2026-11-02"
        ) from None
    return value


def month(text: str) -> Month:
    """A month, YYYY-MM."""
    try:
        value = Month.parse(text)
        check_year(value.year, text)
    except ValueError:
        raise ArgumentTypeError(
            f"{shown(text)} is not a month: write YYYY-MM, e.g. 2026-10"
        ) from None
    return value


def rejected(stderr: OutputWrapper, problems: Sequence[object], total: int) -> CommandError:
    """Write the first :data:`MAX_LISTED` problems to ``stderr``; the error that says how
    many there were and that nothing was imported."""
    listed = problems[:MAX_LISTED]
    for problem in listed:
        stderr.write(cut(str(problem), 600))
    total = max(total, len(problems))
    if total > len(listed):
        return CommandError(
            f"Rejected: {total} problem(s), the first {len(listed)} listed above; "
            "nothing was imported."
        )
    return CommandError(f"Rejected: {total} problem(s) listed above; nothing was imported.")
