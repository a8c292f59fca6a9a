"""The interval data versions an invoice billed (InvoiceIntervalDays) and its true-up terms
(InvoiceIntervalTerm) have read-only back-office pages: list, search and change open, nothing
can be added, changed or deleted there."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from billing_factories import (
    add_intervals,
    fixed_product,
    import_day,
    load_test_tariffs,
    remote_account,
)
from vool.common.localtime import Month, local_midnight
from vool.domain.billing.models import Invoice, InvoiceIntervalDays, InvoiceIntervalTerm
from vool.usecases import bill_run

pytestmark = pytest.mark.django_db

OCTOBER, NOVEMBER = Month(2026, 10), Month(2026, 11)


@pytest.fixture
def staff() -> Client:
    """October billed, 10 October corrected, November billed with its true-up."""
    load_test_tariffs()
    contract = remote_account(product=fixed_product())
    for month in (OCTOBER, NOVEMBER):
        add_intervals(contract.metering_point, month, wh=100)
    bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 5))
    import_day(
        contract.metering_point,
        dt.date(2026, 10, 10),
        150,
        as_of=local_midnight(dt.date(2026, 11, 20)),
    )
    bill_run.run_billing(period=NOVEMBER, today=dt.date(2026, 12, 4))
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("admin", "a@example.com", "pw"))
    return client


@pytest.mark.parametrize("model", [InvoiceIntervalDays, InvoiceIntervalTerm])
def test_the_pages_open_and_are_read_only(staff: Client, model: type) -> None:
    name = model._meta.model_name
    row = model.objects.order_by("pk").first()
    assert row is not None
    number = Invoice.objects.get(pk=row.invoice_id).number
    listed = staff.get(reverse(f"admin:billing_{name}_changelist"))
    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list) == list(model.objects.order_by("-pk"))
    found = staff.get(reverse(f"admin:billing_{name}_changelist"), {"q": number})
    assert row in list(found.context["cl"].result_list)
    change = staff.get(reverse(f"admin:billing_{name}_change", args=[row.pk]))
    assert change.status_code == 200
    assert b'type="submit"' not in change.content.split(b'id="content-main"')[1]
    assert staff.get(reverse(f"admin:billing_{name}_add")).status_code == 403
    assert staff.post(reverse(f"admin:billing_{name}_delete", args=[row.pk])).status_code == 403
    assert model.objects.filter(pk=row.pk).exists()
