"""Rebill with a preview: the new invoice beside the old one, nothing written until the clerk
confirms; confirming credits the old invoice and issues the new one, with the audit row; a
change of the data between preview and confirmation is refused; the roles apply."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from billing_factories import add_reading, fixed_product, load_test_tariffs, manual_account
from cases_factories import in_role
from vool.common.localtime import Month
from vool.domain.audit.models import AuditEntry
from vool.domain.billing.models import Invoice
from vool.domain.billing.operations import UnableToRebill
from vool.domain.cases import roles
from vool.domain.contracts.models import SupplyContract
from vool.usecases import bill_run, rebill
from vool.usecases.backoffice_actions import NotAllowed

pytestmark = pytest.mark.django_db

OCTOBER = Month(2026, 10)
NOW = dt.datetime(2026, 11, 9, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def corrected() -> Invoice:
    """October billed on 150 kWh; the October reading then corrected to 1100 (100 kWh)."""
    load_test_tariffs()
    _, register = manual_account(product=fixed_product())
    add_reading(register, Month(2026, 9), "1000.000")
    wrong = add_reading(register, OCTOBER, "1150.000")
    bill_run.run_billing(
        period=OCTOBER, today=dt.date(2026, 11, 5), as_of=dt.datetime(2026, 11, 5, tzinfo=dt.UTC)
    )
    add_reading(
        register,
        OCTOBER,
        "1100.000",
        supersedes=wrong,
        known_at=dt.datetime(2026, 11, 8, tzinfo=dt.UTC),
    )
    return Invoice.objects.get(kind=Invoice.Kind.INVOICE)


def test_the_preview_shows_the_new_invoice_and_writes_nothing(corrected: Invoice) -> None:
    specialist = in_role("tiit", roles.BILLING_SPECIALIST)
    assert corrected.number is not None
    preview = rebill.preview_rebill(
        user=specialist, number=corrected.number, reason="Reading corrected", now=NOW
    )
    energy_old = [r.line for r in preview.old_lines if r.line.component == "ENERGY"]
    energy_new = [r.line for r in preview.new_lines if r.line.component == "ENERGY"]
    assert sum(line.quantity for line in energy_old) == Decimal("150.000")
    assert sum(line.quantity for line in energy_new) == Decimal("100.000")
    assert preview.new_gross_amount < corrected.gross_amount
    assert preview.difference == preview.new_gross_amount - corrected.gross_amount
    assert Invoice.objects.count() == 1 and not AuditEntry.objects.exists()
    corrected.refresh_from_db()
    assert corrected.status == Invoice.Status.ISSUED


def test_confirming_rebills_and_audits(corrected: Invoice) -> None:
    specialist = in_role("tiit", roles.BILLING_SPECIALIST)
    assert corrected.number is not None
    client = Client()
    client.force_login(specialist)
    url = f"/backoffice/invoices/{corrected.number}/rebill/"
    page = client.post(url, {"step": "preview", "reason": "Reading corrected"})
    preview = page.context["preview"]
    assert 'id="new-lines"' in page.content.decode() and 'id="old-lines"' in page.content.decode()
    done = client.post(
        url,
        {
            "step": "confirm",
            "reason": "Reading corrected",
            "expected_gross": str(preview.new_gross_amount),
        },
    )
    new = Invoice.objects.get(kind=Invoice.Kind.INVOICE, status=Invoice.Status.ISSUED)
    assert done.status_code == 302 and done["Location"] == f"/backoffice/invoices/{new.number}/"
    assert new.gross_amount == preview.new_gross_amount
    assert Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE).credited_invoice == corrected
    entry = AuditEntry.objects.get()
    assert entry.action == "billing.rebill" and entry.after["number"] == new.number


def test_a_stale_preview_is_refused(corrected: Invoice) -> None:
    assert corrected.number is not None
    with pytest.raises(UnableToRebill, match="Preview again"):
        rebill.rebill(
            user=in_role("tiit", roles.BILLING_SPECIALIST),
            number=corrected.number,
            reason="x",
            expected_gross=Decimal("1.00"),
            now=NOW,
        )
    assert Invoice.objects.count() == 1 and not AuditEntry.objects.exists()


def test_an_agent_may_not_rebill(corrected: Invoice) -> None:
    assert corrected.number is not None
    with pytest.raises(NotAllowed, match="may not bill accounts"):
        rebill.preview_rebill(
            user=in_role("kati", roles.AGENT), number=corrected.number, reason="x", now=NOW
        )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "The account cannot be billed for 2026-10: no supply contract in the month"),
        ("et", "Arvelduskontole ei saa perioodi 2026-10 eest arvet teha: kuus puudub müügileping"),
        (
            "ru",
            "По расчётному счёту нельзя выставить счёт за 2026-10: "
            "в этом месяце нет договора поставки",
        ),
    ],
)
def test_a_pricing_exception_is_refused_in_the_readers_language(
    corrected: Invoice, language: str, expected: str
) -> None:
    """What pricing found (the run's exception) is passed through by the rebill in the
    reader's words: the rule translated, then the finding as the exceptions queue shows it."""
    assert corrected.number is not None
    SupplyContract.objects.update(status=SupplyContract.Status.CANCELLED)
    with translation.override(language), pytest.raises(UnableToRebill) as refused:
        rebill.preview_rebill(
            user=in_role("tiit", roles.BILLING_SPECIALIST),
            number=corrected.number,
            reason="Reading corrected",
            now=NOW,
        )
    assert str(refused.value) == f"{expected} (No supply contract in 2026-10)."
    assert Invoice.objects.count() == 1 and not AuditEntry.objects.exists()


def test_the_rebill_page_shows_the_refusal_translated(corrected: Invoice) -> None:
    assert corrected.number is not None
    SupplyContract.objects.update(status=SupplyContract.Status.CANCELLED)
    client = Client()
    client.force_login(in_role("tiit", roles.BILLING_SPECIALIST))
    page = client.post(
        f"/backoffice/invoices/{corrected.number}/rebill/",
        {"reason": "Reading corrected"},
        HTTP_ACCEPT_LANGUAGE="et",
        follow=True,
    ).content.decode()
    assert (
        "Arvelduskontole ei saa perioodi 2026-10 eest arvet teha: kuus puudub müügileping" in page
    )
