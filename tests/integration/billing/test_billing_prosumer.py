"""A prosumer's month through the real bill run (issue 15): from 1 August 2026 (the dated net
billing rule) a point with net data is billed on net OUT per quarter hour, and its net IN is
credited on the same invoice at the customer's production terms, without VAT (a private
producer who is not VAT-registered); before that date the same data is billed on gross OUT.

The data (``billing_factories.import_prosumer_days``, stored through the data hub import's
``store_intervals`` with its net channel): 100 Wh gross OUT in every quarter of a day; net OUT
100 Wh in each of the day's first 48 quarters (00:00-12:00) and net IN 200 Wh in each of the
last 48 (12:00-24:00, no DST change in July/August). Contracts start on the 29th: 3 days,
288 quarters.

    gross OUT  288 x 100 Wh = 28.8 kWh
    net OUT    3 x 48 x 100 = 14.4 kWh
    net IN     3 x 48 x 200 = 28.8 kWh

Tariffs (``billing_factories.TEST_TARIFFS``): product 0.12 EUR/kWh + 2.99 EUR a month,
network 0.05 EUR/kWh + 4.00 EUR a month, excise 0.002 EUR/kWh, VAT 24 %. Fees for 3 of 31
days: 2.99 x 3/31 = 0.2894 -> 0.29 (0.096452 a day), 4.00 x 3/31 = 0.3871 -> 0.39
(0.129032 a day)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing_factories import (
    add_market_prices,
    fixed_product,
    import_prosumer_days,
    net_billing_from_august_2026,
    production_product,
    remote_account,
)
from vool.common.localtime import Month
from vool.domain.billing.models import BillRunException, Invoice
from vool.domain.ledger import queries as ledger_queries
from vool.domain.ledger.models import LedgerAccount, Posting
from vool.usecases import bill_run

pytestmark = pytest.mark.django_db

JULY = Month(2026, 7)
AUGUST = Month(2026, 8)
D = Decimal


def lines_of(invoice: Invoice) -> list[tuple[str, Decimal, Decimal | None, Decimal, Decimal]]:
    return [
        (line.component, line.quantity, line.unit_price, line.amount, line.vat_rate)
        for line in invoice.lines.order_by("position")
    ]


def prosumer(month: Month, *, production=None):  # type: ignore[no-untyped-def]
    """A prosumer supplied from the 29th of ``month``, with the month's last 3 days of data."""
    net_billing_from_august_2026()
    first = dt.date(month.year, month.month, 29)
    contract = remote_account(product=fixed_product(), valid_from=first)
    if production is not None:
        contract.production_product = production
        contract.save()
    known = dt.datetime.combine(month.next().first_day, dt.time(6), tzinfo=dt.UTC)
    import_prosumer_days(contract.metering_point, first, month.next().first_day, as_of=known)
    return contract


def bill(month: Month) -> Invoice | None:
    bill_run.run_billing(period=month, today=month.next().first_day + dt.timedelta(days=4))
    return Invoice.objects.filter(period=str(month), kind="INVOICE", status="ISSUED").first()


def assert_reconciles(invoice: Invoice) -> None:
    """Invoice total = sum of its lines + VAT = what the ledger posted for it."""
    lines = list(invoice.lines.all())
    assert invoice.net_amount == sum((ln.amount for ln in lines), D(0))
    assert invoice.gross_amount == invoice.net_amount + invoice.vat_amount
    for line in lines:  # every shown line multiplies out
        assert (line.quantity * line.unit_price).quantize(D("0.01"), "ROUND_HALF_UP") == (
            line.amount
        )
    posted = Posting.objects.filter(
        transaction__document_type="billing.Invoice", transaction__document_id=invoice.pk
    )
    assert sum((p.amount for p in posted), D(0)) == 0
    receivable = sum((p.amount for p in posted if p.account == LedgerAccount.RECEIVABLE), D(0))
    assert receivable == invoice.gross_amount
    production = sum((p.amount for p in posted if p.account == LedgerAccount.PRODUCTION_COST), D(0))
    credit = sum((ln.amount for ln in lines if ln.component == "PRODUCTION"), D(0))
    assert production == -credit  # the surplus bought is a cost (debit), not less revenue


class TestNetBillingFromAugust2026:
    def test_fixed_buy_back_price(self) -> None:
        contract = prosumer(AUGUST, production=production_product(buyback="0.080000"))
        invoice = bill(AUGUST)
        assert invoice is not None
        # net OUT 14.4 kWh: energy x 0.12 = 1.728 -> 1.73, network x 0.05 = 0.72, excise
        # x 0.002 = 0.0288 -> 0.03; the surplus 28.8 kWh x 0.08 = 2.304 -> credit -2.30, no VAT
        assert lines_of(invoice) == [
            ("ENERGY", D("14.400"), D("0.120000"), D("1.73"), D("0.24")),
            ("PRODUCT_FEE", D("3.000"), D("0.096452"), D("0.29"), D("0.24")),
            ("NETWORK_ENERGY", D("14.400"), D("0.050000"), D("0.72"), D("0.24")),
            ("NETWORK_FEE", D("3.000"), D("0.129032"), D("0.39"), D("0.24")),
            ("EXCISE", D("14.400"), D("0.002000"), D("0.03"), D("0.24")),
            ("PRODUCTION", D("-28.800"), D("0.080000"), D("-2.30"), D("0")),
        ]
        # 24 % of 3.16 = 0.7584 -> 0.76; net 3.16 - 2.30 = 0.86; gross 1.62
        assert (invoice.net_amount, invoice.vat_amount, invoice.gross_amount) == (
            D("0.86"), D("0.76"), D("1.62"),
        )  # fmt: skip
        assert invoice.vat_summary == [
            {"rate": "0", "base": "-2.30", "vat": "0.00"},
            {"rate": "0.24", "base": "3.16", "vat": "0.76"},
        ]
        energy = invoice.lines.get(component="ENERGY")
        assert energy.basis["total_wh"] == 14_400 and energy.basis["gross_wh"] == 28_800
        assert energy.basis["surplus_wh"] == 28_800 and energy.basis["net_days"] == 3
        credit = invoice.lines.get(component="PRODUCTION")
        assert credit.metering_point_id == contract.metering_point_id
        assert credit.ledger_account == LedgerAccount.PRODUCTION_COST
        assert_reconciles(invoice)

    def test_exchange_price_minus_a_margin_per_quarter_hour(self) -> None:
        prosumer(AUGUST, production=production_product(margin="0.010000"))
        # quarters of each hour at 80, 100, 120, 100 EUR/MWh; the surplus, 200 Wh in each
        # quarter from 12:00, earns 0.2 kWh x (0.07 + 0.09 + 0.11 + 0.09) = 0.072 EUR an hour,
        # x 36 hours = 2.592 -> -2.59 for 28.8 kWh: the weighted mean price 0.09
        add_market_prices(AUGUST, ("80", "100", "120", "100"))
        invoice = bill(AUGUST)
        assert invoice is not None
        assert lines_of(invoice)[-1] == (
            "PRODUCTION",
            D("-28.800"),
            D("0.090000"),
            D("-2.59"),
            D("0"),
        )
        # 3.16 - 2.59 = 0.57 net; VAT 0.76 on the consumption only
        assert (invoice.net_amount, invoice.vat_amount, invoice.gross_amount) == (
            D("0.57"), D("0.76"), D("1.33"),
        )  # fmt: skip
        assert_reconciles(invoice)

    def test_a_surplus_without_production_terms_is_an_exception(self) -> None:
        contract = prosumer(AUGUST)
        assert bill(AUGUST) is None
        exception = BillRunException.objects.get(billing_account=contract.billing_account)
        assert exception.code == "MISSING_PRICE"
        assert "28.800 kWh into the grid" in exception.reason
        assert "production terms" in exception.reason

    def test_a_credit_larger_than_the_consumption_gives_a_negative_bill(self) -> None:
        prosumer(AUGUST, production=production_product(buyback="0.200000"))
        invoice = bill(AUGUST)
        assert invoice is not None
        # 28.8 x 0.20 = 5.76 credited; 3.16 - 5.76 = -2.60 net, VAT 0.76: -1.84 owed to them
        assert invoice.lines.get(component="PRODUCTION").amount == D("-5.76")
        assert (invoice.net_amount, invoice.gross_amount) == (D("-2.60"), D("-1.84"))
        assert_reconciles(invoice)
        balance = ledger_queries.receivable_balance(billing_account_id=invoice.billing_account_id)
        assert balance == D("-1.84")


class TestBeforeAugust2026:
    def test_july_is_billed_on_gross_out_without_a_credit(self) -> None:
        prosumer(JULY, production=production_product(buyback="0.080000"))
        invoice = bill(JULY)
        assert invoice is not None
        # gross 28.8 kWh: x 0.12 = 3.456 -> 3.46, x 0.05 = 1.44, x 0.002 = 0.0576 -> 0.06
        assert lines_of(invoice) == [
            ("ENERGY", D("28.800"), D("0.120000"), D("3.46"), D("0.24")),
            ("PRODUCT_FEE", D("3.000"), D("0.096452"), D("0.29"), D("0.24")),
            ("NETWORK_ENERGY", D("28.800"), D("0.050000"), D("1.44"), D("0.24")),
            ("NETWORK_FEE", D("3.000"), D("0.129032"), D("0.39"), D("0.24")),
            ("EXCISE", D("28.800"), D("0.002000"), D("0.06"), D("0.24")),
        ]
        # net 5.64, 24 % = 1.3536 -> 1.35
        assert (invoice.net_amount, invoice.vat_amount, invoice.gross_amount) == (
            D("5.64"), D("1.35"), D("6.99"),
        )  # fmt: skip
        assert "surplus_wh" not in invoice.lines.get(component="ENERGY").basis
        assert_reconciles(invoice)
