"""Moving out in the portal, end to end (issue 13 §2): the customer ends the contract with
the final reading, the next bill run issues the final bill for the period up to the move-out
day, and the bill shows in the customer's invoice list. Runs on SQLite and PostgreSQL.

Tariffs: ``billing_factories.TEST_TARIFFS`` (network V1 0.05 EUR/kWh, excise 0.002, VAT 24 %);
the package 0.12 EUR/kWh and 2.99 EUR a month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from billing_factories import add_reading, fixed_product, load_test_tariffs, manual_account
from factories import BillingAccountFactory, PersonFactory
from vool.common.localtime import Month
from vool.domain.billing.models import Invoice, InvoiceLine
from vool.domain.contracts.models import SupplyContract
from vool.domain.metering.models import Register
from vool.usecases import bill_run

pytestmark = pytest.mark.django_db


@dataclass
class Mover:
    user: object
    contract: SupplyContract
    register: Register


@pytest.fixture
def mover(supplier) -> Mover:  # type: ignore[no-untyped-def]
    """A customer with one manual point on the 0.12 EUR/kWh package since 2025, no bills yet."""
    load_test_tariffs()
    user = get_user_model().objects.create_user("kalle", email="kalle@example.ee")
    customer = PersonFactory(
        first_name="Kalle", user=user, street_address="Rüütli 3", city="Pärnu", postal_code="80010"
    )
    account = BillingAccountFactory(customer=customer)
    contract, register = manual_account(product=fixed_product(code="FIXM"))
    SupplyContract.objects.filter(pk=contract.pk).update(customer=customer, billing_account=account)
    contract.refresh_from_db()
    return Mover(user, contract, register)


def test_move_out_then_the_final_bill_in_the_invoice_list(client, mover):
    today = timezone.localdate()
    # moving out on the 1st would end the contract with the month before: take the day before
    moving_on = today if today.day != 1 else today - dt.timedelta(days=1)
    period = Month.of(moving_on)
    add_reading(mover.register, period.previous(), "1000")  # the last month-end reading
    client.force_login(mover.user)
    done = client.post(
        f"/portal/contracts/{mover.contract.pk}/move-out/",
        {"move_out_on": moving_on.isoformat(), "value_SINGLE": "1100", "confirmed": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert done.status_code == 302

    # the next bill run: on the 5th of the month after
    run = bill_run.run_billing(period=period, today=period.next().first_day + dt.timedelta(days=4))
    assert run.status == run.Status.DONE
    final = Invoice.objects.get(
        billing_account=mover.contract.billing_account, status=Invoice.Status.ISSUED
    )
    assert final.period == str(period)
    energy = final.lines.get(component="ENERGY", unit=InvoiceLine.Unit.KWH)
    # from the first of the month up to (not including) the move-out day: 1100 - 1000 kWh
    assert (energy.period_start, energy.period_end) == (period.first_day, moving_on)
    assert (energy.quantity, energy.unit_price, energy.amount) == (
        Decimal("100.000"),
        Decimal("0.120000"),
        Decimal("12.00"),
    )
    assert not energy.is_estimated
    for line in final.lines.all():  # every line multiplies out
        if line.unit_price is not None:
            assert (line.quantity * line.unit_price).quantize(Decimal("0.01")) == line.amount

    page = client.get("/portal/invoices/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="/portal/invoices/{final.pk}/">{final.number}</a>' in page
    assert str(period) in page
