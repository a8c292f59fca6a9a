"""The admin actions on a payment in suspense: allocate/split and refund, with who and why."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from receivables_factories import (
    AS_OF,
    STRANGER_IBAN,
    account,
    credit,
    our_bank_account,
    statement_file,
)
from vool.domain.receivables.models import Allocation, Payment
from vool.usecases import import_bank_statement

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:receivables_payment_changelist")


@pytest.fixture
def staff(client):  # type: ignore[no-untyped-def]
    user = get_user_model().objects.create_superuser("anu", "anu@example.com", "pw")
    client.force_login(user)
    return client


@pytest.fixture
def payment(tmp_path: Path) -> Payment:
    our_bank_account()
    path = statement_file(
        tmp_path / "s.xml", credit("S1", "40.00", text="arve", iban=STRANGER_IBAN, name="Kati")
    )
    import_bank_statement.import_bank_file(path=path, as_of=AS_OF)
    return Payment.objects.get()


def test_split_through_the_admin_records_who_and_why(staff, payment: Payment) -> None:  # type: ignore[no-untyped-def]
    first, second = account("10000016"), account("10000029")
    action = {"action": "allocate_or_split", "_selected_action": [payment.pk]}
    page = staff.post(CHANGELIST, action)
    assert page.status_code == 200
    assert "40.00" in page.content.decode()
    done = staff.post(
        CHANGELIST,
        {**action, "apply": "1", "parts": "10000016 25.00\n10000029=15,00", "reason": "by phone"},
    )
    assert done.status_code == 302
    rows = sorted(
        Allocation.objects.values_list("billing_account_id", "amount", "created_by", "reason")
    )
    assert rows == [
        (first.pk, Decimal("25.00"), "anu", "by phone"),
        (second.pk, Decimal("15.00"), "anu", "by phone"),
    ]
    payment.refresh_from_db()
    assert payment.status == Payment.Status.ALLOCATED


def test_refund_needs_a_reason(staff, payment: Payment) -> None:  # type: ignore[no-untyped-def]
    action = {"action": "refund_to_payer", "_selected_action": [payment.pk], "apply": "1"}
    again = staff.post(CHANGELIST, {**action, "reason": ""})
    assert again.status_code == 200  # the form again, with the error
    assert not Allocation.objects.exists()
    staff.post(CHANGELIST, {**action, "reason": "not our customer"})
    refund = Allocation.objects.get()
    assert (refund.kind, refund.amount, refund.refund_iban) == (
        "REFUND",
        Decimal("40.00"),
        STRANGER_IBAN,
    )
