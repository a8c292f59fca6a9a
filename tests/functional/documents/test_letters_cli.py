"""``vool letters send KIND --accounts FILTER``: what it makes, sends and reports, that bad
input is named while the others are sent, and that a second run sends nothing."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from documents_factories import make_supplier
from factories import BillingAccountFactory, PersonFactory
from mail_server import Mailbox
from vool.common import identifiers
from vool.domain.customers.models import FormerReferenceNumber
from vool.domain.documents.models import Letter

pytestmark = pytest.mark.django_db


def vool(*args: str) -> str:
    out = StringIO()
    call_command("letters", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def accounts(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.VOOL_DOCUMENTS_DIR = tmp_path / "documents"
    make_supplier()
    for i, (language, email) in enumerate(
        [("et", "mari@example.ee"), ("ru", ""), ("en", "a@b.ee")]
    ):
        customer = PersonFactory(
            preferred_language=language,
            email=email,
            street_address="Lai 1",
            postal_code="10133",
            city="Tallinn",
        )
        account = BillingAccountFactory(
            customer=customer,
            reference_number=identifiers.make_reference_number(8800 + i),
            invoice_channel="EMAIL",
        )
        FormerReferenceNumber.objects.create(
            account=account,
            reference_number=identifiers.make_reference_number(6600 + i),
            replaced_on=dt.date(2026, 11, 1),
            source="legacy",
        )


def test_send_reports_failures_and_sends_nothing_twice(mailbox: Mailbox) -> None:
    no_email = identifiers.make_reference_number(8801)
    with pytest.raises(CommandError, match=r"1 letter\(s\) could not be made or sent") as failed:
        vool("send", "new-reference-number", "--accounts", "all", "--no-progress")
    assert len(mailbox.messages) == 2 and Letter.objects.count() == 2
    assert str(failed.value)

    output = vool(
        "send", "new-reference-number", "--accounts", "channel=EMAIL language=et", "--no-progress"
    )
    assert "1 accounts concerned, 1 made before, 0 made now; 0 e-mailed" in output
    assert len(mailbox.messages) == 2

    with pytest.raises(CommandError) as again:
        out = StringIO()
        call_command(
            "letters",
            "send",
            "new-reference-number",
            "--accounts",
            "all",
            "--no-progress",
            stdout=out,
        )
    assert f"Account {no_email}: customer.email: is empty" in out.getvalue()
    assert "1 letter(s)" in str(again.value) and len(mailbox.messages) == 2


def test_kinds_and_bad_arguments_are_named() -> None:
    assert "new-reference-number" in vool("kinds") and "dunning" in vool("kinds")
    with pytest.raises(CommandError, match="colour"):
        vool("send", "new-reference-number", "--accounts", "colour=red")
    with pytest.raises(CommandError, match="No letter kind 'nope'"):
        vool("send", "nope", "--accounts", "all")


def test_the_admin_lists_letters_downloads_and_retries(mailbox: Mailbox, client) -> None:  # type: ignore[no-untyped-def]
    mailbox.refuse.add("a@b.ee")
    with pytest.raises(CommandError):
        vool("send", "new-reference-number", "--accounts", "language=en", "--no-progress")
    letter = Letter.objects.get()
    assert letter.status == "FAILED" and letter.next_attempt_at is not None
    client.force_login(get_user_model().objects.create_superuser("admin", "a@example.ee", "pw"))
    listing = client.get(reverse("admin:documents_letter_changelist") + "?status__exact=FAILED")
    url = reverse("admin:documents_letter_pdf", args=[letter.pk])
    assert url in listing.content.decode() and "550" in listing.content.decode()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert len(b"".join(response.streaming_content)) == letter.size_bytes

    before = letter.next_attempt_at
    client.post(
        reverse("admin:documents_letter_changelist"),
        {"action": "retry_now", "_selected_action": [letter.pk]},
    )
    letter.refresh_from_db()
    assert letter.next_attempt_at is not None and letter.next_attempt_at < before
