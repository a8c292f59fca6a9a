"""Every command that takes a date says what is wrong with a bad one in words (issue 8 §4),
not argparse's "invalid fromisoformat value"."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "argv",
    [
        ("calculator", "38ZEE-00000001-K", "--as-of", "2026-13-01"),
        ("demo", "seed", "--as-of", "2026-13-01"),
    ],
)
def test_a_bad_date_is_named_in_words(argv: tuple[str, ...]) -> None:
    with pytest.raises(CommandError) as refused:
        call_command(*argv)
    message = str(refused.value)
    assert "'2026-13-01' is not a date: write YYYY-MM-DD" in message
    assert "fromisoformat" not in message
