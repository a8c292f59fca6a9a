"""Personal letters: the new reference number letter in et, ru and en (the PDF's text shows
the old and the new number), sent by channel to a real SMTP server, once per campaign; bad
input named by account and field while the batch goes on; the account filter."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from document_checks import keep_pngs, pdf_pages
from documents_factories import account_with_former
from factories import BillingAccountFactory, PersonFactory
from mail_server import Mailbox
from vool.domain.customers.models import BillingAccount
from vool.domain.documents.models import Letter
from vool.usecases import letters, render_invoices

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
KIND = "new-reference-number"


def send(accounts: str = "all") -> letters.LetterReport:
    return letters.send_letters(kind=KIND, accounts=accounts, today=TODAY, as_of=NOW)


def letter_text(letter: Letter, tmp_path: Path) -> str:
    return "\n".join(pdf_pages(render_invoices.store().read(letter.path), tmp_path))


def test_new_reference_letters_in_three_languages_sent_once(
    mailbox: Mailbox, supplier, tmp_path: Path
) -> None:
    et = account_with_former(1, language="et", channel="EMAIL", email="mari@example.ee")
    ru = account_with_former(2, language="ru", channel="PAPER")
    en = account_with_former(3, language="en", channel="PORTAL")
    BillingAccountFactory()  # no former number: not concerned

    report = send()

    assert (report.concerned, report.rendered, report.failures) == (3, 3, [])
    assert (report.emailed, report.printed, report.to_portal) == (1, 1, 1)
    expected = {
        et: ("Teie uus viitenumber", "Endine viitenumber", "01.11.2026"),
        ru: ("Ваш новый номер ссылки", "Прежний номер ссылки", "01.11.2026"),
        en: ("Your new reference number", "Former reference number", "1 Nov 2026"),
    }
    for account, (title, old_label, since) in expected.items():
        letter = Letter.objects.get(billing_account=account, kind=KIND)
        text = letter_text(letter, tmp_path)
        old = account.former_reference_numbers.get().reference_number
        assert title in text and old_label in text, text
        assert old in text and account.reference_number in text
        assert since in text.replace("\u00a0", " ")
        assert letter.language == account.customer.preferred_language
        assert letter.status == Letter.Status.SENT
        keep_pngs(render_invoices.store().read(letter.path), f"letter-{KIND}-{letter.language}")
    assert "püsimakse" in letter_text(Letter.objects.get(billing_account=et), tmp_path)

    ((recipients, message),) = mailbox.messages
    assert recipients == ["mari@example.ee"]
    assert "Teie uus viitenumber" in message["Subject"]
    (attachment,) = message.iter_attachments()
    pdf = attachment.get_content()
    assert pdf == render_invoices.store().read(Letter.objects.get(billing_account=et).path)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert report.print_file is not None and report.print_file.is_file()

    again = send()
    assert (again.already, again.rendered, again.emailed, again.printed) == (3, 0, 0, 0)
    assert len(mailbox.messages) == 1 and Letter.objects.count() == 3


def test_bad_input_is_named_and_the_batch_goes_on(mailbox: Mailbox, supplier) -> None:
    good = account_with_former(1, language="et", channel="EMAIL", email="mari@example.ee")
    no_street = account_with_former(2, language="ru", channel="PAPER", street="")
    no_email = account_with_former(3, language="en", channel="EMAIL")

    report = send()

    assert report.rendered == 1 and report.emailed == 1
    assert sorted(report.failures) == sorted(
        [
            (
                no_street.reference_number,
                f"Account {no_street.reference_number}: customer.street_address: is empty",
            ),
            (
                no_email.reference_number,
                f"Account {no_email.reference_number}: customer.email: is empty "
                "(the account's channel is e-mail)",
            ),
        ]
    )
    assert list(Letter.objects.values_list("billing_account", flat=True)) == [good.pk]

    no_email.customer.email = "john@example.ee"
    no_email.customer.save()
    fixed = send(f"ref={no_email.reference_number}")
    assert (fixed.rendered, fixed.emailed) == (1, 1)
    assert [r for r, _ in mailbox.messages] == [["mari@example.ee"], ["john@example.ee"]]


def test_a_refused_recipient_is_failed_and_retried_later(mailbox: Mailbox, supplier) -> None:
    account_with_former(1, language="et", channel="EMAIL", email="gone@example.ee")
    mailbox.refuse.add("gone@example.ee")

    report = send()
    (letter,) = Letter.objects.all()
    assert letter.status == Letter.Status.FAILED and "550" in letter.last_error
    assert report.failures and "gone@example.ee" in report.failures[0][1]

    mailbox.refuse.clear()
    assert send().emailed == 0  # not due yet: the back-off
    customer = letter.billing_account.customer
    customer.email = ""
    customer.save()
    emptied = letters.send_letters(
        kind=KIND, accounts="all", today=TODAY, as_of=NOW + dt.timedelta(minutes=20)
    )
    assert emptied.failures == [
        (
            letter.billing_account.reference_number,
            f"Account {letter.billing_account.reference_number}: customer.email: is empty",
        )
    ]
    customer.email = "gone@example.ee"
    customer.save()
    later = letters.send_letters(
        kind=KIND, accounts="all", today=TODAY, as_of=NOW + dt.timedelta(hours=2)
    )
    assert later.emailed == 1
    assert Letter.objects.get().status == Letter.Status.SENT


def test_the_account_filter(supplier, tmp_path: Path) -> None:
    et = account_with_former(1, language="et", channel="PORTAL")
    ru = account_with_former(2, language="ru", channel="PAPER")
    chosen = BillingAccount.objects.filter

    assert set(chosen(letters.parse_filter("language=ru"))) == {ru}
    assert set(chosen(letters.parse_filter("channel=portal"))) == {et}
    refs = f"ref={et.reference_number},{ru.reference_number} channel=PAPER"
    assert set(chosen(letters.parse_filter(refs))) == {ru}
    listing = tmp_path / "accounts.txt"
    listing.write_text(f"# the pilot\n{et.reference_number}\n\n", encoding="utf-8")
    assert set(chosen(letters.parse_filter(f"file={listing}"))) == {et}

    listing.write_text(f"{et.reference_number}\n12-34\n", encoding="utf-8")
    with pytest.raises(letters.InvalidFilter, match=r"accounts\.txt, line 2"):
        letters.parse_filter(f"file={listing}")
    for bad, named in [("", "empty"), ("colour=red", "colour"), ("channel=FAX", "FAX")]:
        with pytest.raises(letters.InvalidFilter, match=named):
            letters.parse_filter(bad)
    with pytest.raises(letters.UnknownKind, match="new-reference-number"):
        letters.send_letters(kind="nope", accounts="all", today=TODAY, as_of=NOW)


def test_a_rerender_gives_the_same_bytes(supplier) -> None:
    account = account_with_former(1, language="ru", channel="PORTAL")
    kind = letters.KINDS[KIND]
    data = letters.letter_data(
        kind=kind,
        account=account,
        campaign=KIND,
        today=TODAY,
        supplier=letters.document_queries.current_supplier(),
    )
    first = letters.letter_pdf(data, today=TODAY)
    letters._renderer.cache_clear()  # a new compiler: nothing memoised
    assert letters.letter_pdf(data, today=TODAY) == first


def test_dunning_letters_of_a_run(supplier, tmp_path: Path) -> None:
    from receivables_factories import issued_invoice
    from vool.domain.receivables.models import DunningLetter, DunningRun

    customer = PersonFactory(
        preferred_language="et", street_address="Pikk 3", postal_code="10123", city="Tallinn"
    )
    account = BillingAccountFactory(customer=customer, invoice_channel="PAPER")
    first = issued_invoice(account, number=501, gross="42.10", due=dt.date(2026, 9, 30))
    second = issued_invoice(account, number=502, gross="17.00", due=dt.date(2026, 11, 5))
    run = DunningRun.objects.create(run_date=dt.date(2026, 11, 20), created_at=NOW)
    for invoice, level, fee, cut_off in [
        (first, "WARNING", "5.00", dt.date(2026, 12, 4)),
        (second, "REMINDER", "0.00", None),
    ]:
        DunningLetter.objects.create(
            run=run,
            invoice=invoice,
            billing_account=account,
            level=level,
            open_amount=invoice.gross_amount,
            fee_amount=fee,
            disconnection_date=cut_off,
            created_at=NOW,
        )

    report = letters.send_letters(kind="dunning", accounts="all", today=TODAY, as_of=NOW)

    assert (report.campaign, report.rendered, report.printed) == ("dunning-2026-11-20", 1, 1)
    text = letter_text(Letter.objects.get(), tmp_path).replace("\u00a0", " ")
    assert "Hoiatus enne võrguühenduse katkestamist" in text
    assert "64,10 €" in text  # 42.10 + 5.00 + 17.00
    assert "04.12.2026" in text and "501" in text and "502" in text
    assert account.reference_number in text
