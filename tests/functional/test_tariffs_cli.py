"""`vool prices import/fetch`, `vool tariffs load-defaults` and `vool calculator`, in-process."""

from __future__ import annotations

import datetime as dt
import io
import json
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from vool.common.localtime import Month
from vool.domain.tariffs import queries
from vool.domain.tariffs.models import MarketPrice, VatRate
from vool.integrations.elering import prices as elering

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def november_2025_quarters(price: float = 100.0) -> str:
    """Elering JSON for November 2025 (2880 quarters) at ``price`` EUR/MWh."""
    start, end = Month(2025, 11).bounds()
    rows = []
    t = start
    while t < end:
        rows.append({"timestamp": int(t.timestamp()), "price": price})
        t += dt.timedelta(minutes=15)
    return json.dumps({"success": True, "data": {"ee": rows}})


class TestPricesImport:
    def test_json_import_is_idempotent(self, tmp_path: Path) -> None:
        path = tmp_path / "nov.json"
        path.write_text(november_2025_quarters())
        first = run("prices", "import", str(path))
        assert "2880 ee prices (15 min)" in first
        assert "2880 new, 0 changed, 0 unchanged" in first
        assert "0 new, 0 changed, 2880 unchanged" in run("prices", "import", str(path))
        assert MarketPrice.objects.count() == 2880
        market = queries.market_prices(Month(2025, 11))
        assert not market.missing.any()
        assert set(market.values_micro.tolist()) == {100_000}  # 100 EUR/MWh = 0.1 EUR/kWh

    def test_csv_hourly_fills_four_quarters_and_a_changed_price_updates(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "prices.csv"
        header = '"Ajatempel (UTC)";"Kuupäev (Eesti aeg)";"NPS Eesti"'
        path.write_text(
            f'{header}\n"1704060000";"01.01.2024 00:00";"40,01"\n'
            '"1704063600";"01.01.2024 01:00";"41,5"\n'
        )
        assert "2 new" in run("prices", "import", str(path))
        path.write_text(f'{header}\n"1704060000";"01.01.2024 00:00";"40,02"\n')
        assert "0 new, 1 changed" in run("prices", "import", str(path))
        market = queries.market_prices(Month(2024, 1))
        assert market.values_micro[:8].tolist() == [40_020] * 4 + [41_500] * 4
        assert market.missing[:8].tolist() == [False] * 8
        assert market.missing[8:].all()

    def test_bad_file_is_rejected_whole(self, tmp_path: Path) -> None:
        path = tmp_path / "bad.csv"
        header = '"Ajatempel (UTC)";"Kuupäev (Eesti aeg)";"NPS Eesti"'
        path.write_text(
            f'{header}\n"1704060000";"01.01.2024 00:00";"40,01"\n'
            '"1704063600";"01.01.2024 01:00";"x"\n'
        )
        with pytest.raises(CommandError, match="line 3, field 'NPS Eesti': 'x' is not a number"):
            run("prices", "import", str(path))
        assert MarketPrice.objects.count() == 0

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(CommandError, match="Cannot read"):
            run("prices", "import", str(tmp_path / "nope.json"))


class TestPricesFetch:
    def test_no_network_is_a_clear_message(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def offline(*args: object, **kwargs: object) -> str:
            raise elering.PriceFetchFailed("Could not reach dashboard.elering.ee (offline).")

        monkeypatch.setattr(elering, "fetch_json", offline)
        with pytest.raises(CommandError, match=r"Could not reach dashboard\.elering\.ee"):
            run("prices", "fetch", "--from", "2025-11-01", "--to", "2025-11-02")

    def test_fetched_json_is_stored(self, monkeypatch: pytest.MonkeyPatch) -> None:
        seen: list[tuple[dt.datetime, dt.datetime]] = []

        def fake(start: dt.datetime, end: dt.datetime, **kwargs: object) -> str:
            seen.append((start, end))
            return json.dumps(
                {
                    "success": True,
                    "data": {"ee": [{"timestamp": int(start.timestamp()), "price": 12.5}]},
                }
            )

        monkeypatch.setattr(elering, "fetch_json", fake)
        assert "1 new" in run("prices", "fetch", "--from", "2025-11-01", "--to", "2025-11-02")
        assert seen == [
            (dt.datetime(2025, 10, 31, 22, tzinfo=UTC), dt.datetime(2025, 11, 1, 22, tzinfo=UTC))
        ]
        assert MarketPrice.objects.get().price_eur_mwh == Decimal("12.5")


class TestLoadDefaults:
    def test_twice(self) -> None:
        assert "3 VAT rates" in run("tariffs", "load-defaults")
        assert "nothing new" in run("tariffs", "load-defaults")
        assert VatRate.objects.count() == 3


def test_fetch_url_asks_for_the_last_millisecond(monkeypatch: pytest.MonkeyPatch) -> None:
    captured: dict[str, str] = {}

    class Response:
        def __enter__(self) -> Response:
            return self

        def __exit__(self, *args: object) -> None:
            return None

        def read(self, size: int = -1) -> bytes:
            return b"{}"

    def fake_urlopen(request: object, timeout: float) -> Response:
        captured["url"] = request.full_url  # type: ignore[attr-defined]
        return Response()

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    elering.fetch_json(
        dt.datetime(2025, 10, 31, 22, tzinfo=UTC), dt.datetime(2025, 11, 1, 22, tzinfo=UTC)
    )
    assert captured["url"] == (
        "https://dashboard.elering.ee/api/nps/price?start=2025-10-31T22%3A00%3A00.000Z"
        "&end=2025-11-01T21%3A59%3A59.999Z"
    )


def test_a_fetched_answer_that_is_not_text_or_too_large_is_refused_in_words(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    answer = {"body": b"\xff\xfe{}"}

    class Response:
        def __enter__(self) -> Response:
            return self

        def __exit__(self, *args: object) -> None:
            return None

        def read(self, size: int = -1) -> bytes:
            return answer["body"][:size] if size >= 0 else answer["body"]

    monkeypatch.setattr(urllib.request, "urlopen", lambda request, timeout: Response())
    with pytest.raises(CommandError, match="Elering's answer is not UTF-8 text"):
        run("prices", "fetch", "--from", "2025-11-01", "--to", "2025-11-02")
    settings.VOOL_IMPORT_MAX_FILE_BYTES = 100
    answer["body"] = b'{"success": true, "data": {"ee": []}}' + b" " * 200
    with pytest.raises(CommandError, match="larger than the limit of 100 bytes"):
        run("prices", "fetch", "--from", "2025-11-01", "--to", "2025-11-02")


def test_an_hourly_price_replaces_the_quarters_inside_its_hour(tmp_path: Path) -> None:
    t0 = int(dt.datetime(2025, 11, 3, 10, 0, tzinfo=UTC).timestamp())
    quarters = tmp_path / "q.json"
    quarters.write_text(
        json.dumps(
            {
                "success": True,
                "data": {"ee": [{"timestamp": t0 + 900 * i, "price": 10 + i} for i in range(4)]},
            }
        )
    )
    run("prices", "import", str(quarters))
    hourly = tmp_path / "h.json"
    hourly.write_text(
        json.dumps(
            {
                "success": True,
                "data": {
                    "ee": [{"timestamp": t0, "price": 20}, {"timestamp": t0 + 3600, "price": 21}]
                },
            }
        )
    )
    run("prices", "import", str(hourly))
    assert list(
        MarketPrice.objects.filter(is_current=True)
        .order_by("start_at")
        .values_list("resolution_minutes", "price_eur_mwh")
    ) == [(60, Decimal("20")), (60, Decimal("21"))]
