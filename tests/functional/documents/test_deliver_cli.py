"""``vool invoices deliver --period``: what it sends and what it reports, and that running it
again sends nothing."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from billing_factories import add_intervals, fixed_product, load_test_tariffs, remote_account
from documents_factories import make_supplier
from mail_server import Mailbox
from vool.common.localtime import Month
from vool.domain.customers.models import BillingAccount, Customer
from vool.domain.documents.models import Delivery
from vool.usecases import bill_run

pytestmark = pytest.mark.django_db

OCTOBER = Month(2026, 10)


def vool(*args: str) -> str:
    out = StringIO()
    call_command("invoices", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def billed(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.VOOL_DOCUMENTS_DIR = tmp_path / "documents"
    load_test_tariffs()
    make_supplier()
    product = fixed_product()
    for i, (channel, address) in enumerate(
        [("EMAIL", "mari@example.ee"), ("EMAIL", ""), ("PAPER", ""), ("PORTAL", "")]
    ):
        contract = remote_account(product=product)
        account = contract.billing_account
        BillingAccount.objects.filter(pk=account.pk).update(invoice_channel=channel)
        Customer.objects.filter(pk=account.customer_id).update(
            street_address=f"Lai {i + 1}", postal_code="10133", city="Tallinn", email=address
        )
        add_intervals(contract.metering_point, OCTOBER, wh=100)
    bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 5))
    vool("render", "--period", "2026-10", "--no-progress")


def test_deliver_sends_reports_failures_and_sends_nothing_twice(mailbox: Mailbox) -> None:
    with pytest.raises(CommandError, match="1 invoice\\(s\\) could not be delivered") as failed:
        vool("deliver", "--period", "2026-10")
    assert len(mailbox.messages) == 1
    no_address = Delivery.objects.get(status="FAILED")
    assert "customer.email: is empty" in no_address.last_error
    assert str(failed.value)

    Customer.objects.filter(pk=no_address.invoice.billing_account.customer_id).update(
        email="jaan@example.ee"
    )
    Delivery.objects.filter(pk=no_address.pk).update(
        next_attempt_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    )
    output = vool("deliver", "--period", "2026-10")
    assert "0 queued; 1 e-mailed, 0 to the portal, 0 printed" in output
    assert sorted(r[0] for r, _ in mailbox.messages) == ["jaan@example.ee", "mari@example.ee"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"SENT"}

    again = vool("deliver", "--period", "2026-10")
    assert "0 e-mailed, 0 to the portal, 0 printed" in again and len(mailbox.messages) == 2


def test_a_bad_period_is_named() -> None:
    with pytest.raises(CommandError, match="2026-13"):
        vool("deliver", "--period", "2026-13")
