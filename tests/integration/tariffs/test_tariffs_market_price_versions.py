"""A changed market price is a new version that names the issued invoices it affects; the
invoices stay as issued and a rebill is a separate, deliberate step (issue 9 §1)."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from billing_factories import (
    add_intervals,
    add_market_prices,
    exchange_product,
    fixed_product,
    load_test_tariffs,
    remote_account,
)
from vool.common.localtime import Month
from vool.domain.billing.models import Invoice
from vool.domain.tariffs import queries as tariff_queries
from vool.domain.tariffs.models import MarketPrice
from vool.usecases import bill_run

pytestmark = pytest.mark.django_db

OCTOBER = Month(2026, 10)
# 15 October 2026 10:00 UTC, a quarter-hour in the billed month
CHANGED_AT = dt.datetime(2026, 10, 15, 10, 0, tzinfo=dt.UTC)


def price_file(tmp_path: Path, rows: list[tuple[dt.datetime, str]]) -> str:
    path = tmp_path / "prices.json"
    data = ",".join(f'{{"timestamp": {int(t.timestamp())}, "price": {p}}}' for t, p in rows)
    path.write_text(f'{{"success": true, "data": {{"ee": [{data}]}}}}')
    json.loads(path.read_text())  # the test writes valid JSON
    return str(path)


def import_prices(path: str) -> str:
    out = io.StringIO()
    call_command("prices", "import", path, stdout=out)
    return out.getvalue()


@pytest.fixture
def billed_october():
    load_test_tariffs()
    exchange = remote_account(product=exchange_product())
    add_intervals(exchange.metering_point, OCTOBER)
    fixed = remote_account(product=fixed_product())
    add_intervals(fixed.metering_point, OCTOBER)
    add_market_prices(OCTOBER, ("38.59",))
    bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 5))
    return exchange, fixed


def issued(contract) -> Invoice:  # type: ignore[no-untyped-def]
    return Invoice.objects.get(
        billing_account=contract.billing_account, period="2026-10", status="ISSUED"
    )


class TestChangedMarketPrice:
    def test_a_new_version_names_the_issued_invoices_and_changes_none(
        self, billed_october, tmp_path
    ):
        exchange, fixed = billed_october
        invoice = issued(exchange)
        total = invoice.gross_amount
        out = import_prices(price_file(tmp_path, [(CHANGED_AT, "9999")]))

        assert "0 new, 1 changed (new versions; the old prices are kept), 0 unchanged." in out
        reference = exchange.billing_account.reference_number
        assert (
            f"The changed prices were used by 1 issued invoice(s): {invoice.number} "
            f"(2026-10, account {reference})." in out
        )
        assert (
            "Those invoices are not changed. To bill the new prices, rebill each on purpose" in out
        )
        assert f"account {fixed.billing_account.reference_number}" not in out
        # the old price is kept as version 1; version 2 is current and what bills read
        assert list(
            MarketPrice.objects.filter(start_at=CHANGED_AT)
            .order_by("version")
            .values_list("version", "is_current", "price_eur_mwh")
        ) == [(1, False, Decimal("38.590")), (2, True, Decimal("9999.000"))]
        assert MarketPrice.objects.get(start_at=CHANGED_AT, version=1).superseded_at is not None
        market = tariff_queries.market_prices(OCTOBER)
        assert sorted(set(market.values_micro.tolist())) == [38_590, 9_999_000]
        # nothing was rebilled: the invoice is as issued
        invoice.refresh_from_db()
        assert (invoice.status, invoice.gross_amount) == ("ISSUED", total)
        assert Invoice.objects.count() == 2

    def test_the_same_file_again_changes_nothing(self, billed_october, tmp_path):
        path = price_file(tmp_path, [(CHANGED_AT, "9999")])
        import_prices(path)
        again = import_prices(path)
        assert "0 new, 0 changed, 1 unchanged." in again
        assert "issued invoice" not in again
        assert MarketPrice.objects.filter(start_at=CHANGED_AT).count() == 2

    def test_changing_it_back_is_a_third_version(self, billed_october, tmp_path):
        import_prices(price_file(tmp_path, [(CHANGED_AT, "9999")]))
        import_prices(price_file(tmp_path, [(CHANGED_AT, "38.59")]))
        assert list(
            MarketPrice.objects.filter(start_at=CHANGED_AT, is_current=True).values_list(
                "version", "price_eur_mwh"
            )
        ) == [(3, Decimal("38.590"))]

    def test_a_month_without_issued_invoices_names_none(self, billed_october, tmp_path):
        november = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)
        import_prices(price_file(tmp_path, [(november, "10")]))
        out = import_prices(price_file(tmp_path, [(november, "11")]))
        assert "1 changed" in out and "issued invoice" not in out


def test_an_hourly_price_supersedes_the_quarters_and_keeps_them(tmp_path):
    t0 = dt.datetime(2025, 11, 3, 10, 0, tzinfo=dt.UTC)
    quarters = [(t0 + dt.timedelta(minutes=15 * i), str(10 + i)) for i in range(4)]
    import_prices(price_file(tmp_path, quarters))
    out = import_prices(price_file(tmp_path, [(t0, "20"), (t0 + dt.timedelta(hours=1), "21")]))
    assert "1 new, 4 changed" in out
    assert list(
        MarketPrice.objects.filter(is_current=True)
        .order_by("start_at")
        .values_list("resolution_minutes", "price_eur_mwh")
    ) == [(60, Decimal("20")), (60, Decimal("21"))]
    assert MarketPrice.objects.filter(is_current=False).count() == 4
    # and quarters again: new versions even where only a superseded row was
    out = import_prices(price_file(tmp_path, quarters))
    assert MarketPrice.objects.filter(is_current=True, resolution_minutes=15).count() == 4
