"""Numbers, rates and dates on a bill as each language writes them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from vool.domain.documents import formatting

NBSP = "\u00a0"


class TestNumbers:
    @pytest.mark.parametrize(
        ("language", "expected"),
        [("et", f"1{NBSP}234,56{NBSP}€"), ("ru", f"1{NBSP}234,56{NBSP}€"), ("en", "€1,234.56")],
    )
    def test_money(self, language: str, expected: str) -> None:
        assert formatting.money(Decimal("1234.56"), language=language) == expected

    def test_quantities_keep_their_decimals_or_a_fixed_number(self) -> None:
        assert formatting.number(Decimal("1234.500"), language="et") == f"1{NBSP}234,5"
        assert formatting.number(Decimal("298.000"), language="et", places=3) == "298,000"
        assert formatting.number(Decimal("31"), language="en") == "31"
        assert formatting.number(Decimal("-54.098"), language="en") == "-54.098"
        assert formatting.number(Decimal("1200.000"), language="ru", places=0) == f"1{NBSP}200"

    def test_rates(self) -> None:
        assert formatting.percent(Decimal("0.24"), language="et") == f"24{NBSP}%"
        assert formatting.percent(Decimal("0.055"), language="en") == "5.5%"


class TestDates:
    def test_estonian_and_russian_write_day_month_year(self) -> None:
        assert formatting.date(dt.date(2026, 11, 5), language="et") == "05.11.2026"
        assert formatting.date(dt.date(2026, 11, 5), language="ru") == "05.11.2026"

    def test_english_names_the_month(self) -> None:
        assert formatting.date(dt.date(2026, 11, 5), language="en") == f"5{NBSP}Nov{NBSP}2026"

    def test_a_period_shows_its_last_day(self) -> None:
        shown = formatting.date_range(dt.date(2026, 10, 1), dt.date(2026, 11, 1), language="et")
        assert shown == "01.10.2026\u201331.10.2026"

    def test_an_unknown_language_is_refused(self) -> None:
        with pytest.raises(ValueError, match="Unsupported language 'fi'"):
            formatting.date(dt.date(2026, 1, 1), language="fi")
