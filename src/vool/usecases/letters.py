"""Personal letters: one letter kind to many billing accounts, each in its customer's language,
through the same stages as invoices: rendered with Typst (``documents/typst/letter.typ``),
stored content-addressed, recorded as a :class:`~vool.domain.documents.models.Letter`, and
sent by the account's channel (e-mail with the PDF, portal, or one merged print file).

``vool letters send KIND --accounts FILTER [--campaign NAME]`` calls :func:`send_letters`.

**Kinds** (:data:`KINDS`): each names the accounts it concerns and builds its part of the
letter's data:

- ``new-reference-number``: to accounts that have a former reference number
  (``customers.FormerReferenceNumber``): the new number beside the old one(s), and that
  direct-debit and e-invoice standing-order agreements move over by themselves. Campaign by
  default ``new-reference-number``.
- ``dunning``: the dunning letters of one dunning run (``receivables.DunningLetter``), one
  letter per account listing its overdue invoices, the fee and (for a warning) the
  disconnection date. Campaign ``dunning-YYYY-MM-DD`` (the run's date; default: the latest run).

**Once**: a letter of a kind goes to an account once per campaign (a unique constraint); a
second ``send`` renders nothing new and sends only what is still due (a failed e-mail is
retried with the invoices' back-off).

**Bad input** (no name or address, no e-mail on the e-mail channel, a language without a
translation, a too-long line): the account is listed with the field and the batch goes on;
nothing is written for it.

**The filter** (:func:`parse_filter`): words separated by spaces, all of which must hold:
``all``; ``ref=R1,R2`` (reference numbers); ``file=PATH`` (a text file of reference numbers,
one a line, ``#`` starts a comment); ``channel=EMAIL|PORTAL|PAPER|E_INVOICE``;
``language=et|ru|en``.

**The letter's data** (schema ``vool.letter/1``, read by ``letter.typ``): ``language``,
``title``, ``date_text``, ``supplier`` (name, address_lines, registry_code, vat_number,
phone, email, website), ``customer`` (name, address_lines), ``account_reference``,
``labels``, ``greeting``, ``paragraphs`` (list), ``table`` (``header`` and ``rows`` of
texts, or null), ``after`` (paragraphs after the table), ``closing``, ``signature``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import smtplib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db.models import Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from vool.domain.customers import queries as customer_queries
from vool.domain.documents import TEMPLATES_DIR, delivery, formatting
from vool.domain.documents import operations as document_operations
from vool.domain.documents import queries as document_queries
from vool.domain.documents.invoice_data import MAX_ADDRESS_LINE, MAX_NAME
from vool.domain.documents.queries import SupplierDetails
from vool.domain.receivables import queries as receivable_queries
from vool.integrations.pdf.typst_compiler import TypstRenderer, UnableToRender
from vool.usecases import deliver_invoices, render_invoices

if TYPE_CHECKING:
    from vool.domain.customers.models import BillingAccount
    from vool.domain.documents.models import Letter
    from vool.domain.receivables.models import DunningLetter

LETTER_TEMPLATE = "letter.typ"
SCHEMA = "vool.letter/1"
Channel = customer_queries.InvoiceChannel
ProgressCallback = Callable[[str, int, int], None]
Only = Collection[int] | None  # the letters to send, when not every due one of the campaign


class InvalidLetter(ValueError):
    """The letter to an account cannot be made as the data is; names the account and field."""

    def __init__(self, reference_number: str, field: str, problem: str) -> None:
        super().__init__(f"Account {reference_number}: {field}: {problem}")
        self.reference_number = reference_number
        self.field = field


class InvalidFilter(ValueError):
    """The ``--accounts`` filter cannot be read; the message names the word (or file and line)."""


class UnknownKind(LookupError):
    pass


# -- the account filter -----------------------------------------------------------------------


def _reference_file(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InvalidFilter(f"file={path}: cannot read it: {exc.strerror}") from None
    numbers = []
    for line_number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if not text.isdigit():
            raise InvalidFilter(
                f"{path}, line {line_number}: reference number {text!r} is not digits only"
            )
        numbers.append(text)
    return numbers


def _term(word: str) -> Q:
    if word == "all":
        return Q()
    name, sep, value = word.partition("=")
    if not sep or not value:
        raise InvalidFilter(f"{word!r}: use all, ref=..., file=..., channel=... or language=...")
    if name == "ref":
        return Q(reference_number__in=[v.strip() for v in value.split(",") if v.strip()])
    if name == "file":
        return Q(reference_number__in=_reference_file(Path(value)))
    if name == "channel":
        if value.upper() not in Channel.values:
            raise InvalidFilter(f"{word!r}: the channel is one of {', '.join(Channel.values)}")
        return Q(invoice_channel=value.upper())
    if name == "language":
        if value not in formatting.LANGUAGES:
            raise InvalidFilter(f"{word!r}: the language is one of et, ru, en")
        return Q(customer__preferred_language=value)
    raise InvalidFilter(f"{word!r}: unknown filter {name!r} (all, ref, file, channel, language)")


def parse_filter(text: str) -> Q:
    """The accounts ``text`` names (see the module docstring): every word must hold."""
    words = text.split()
    if not words:
        raise InvalidFilter("an empty filter: say `all` to mean every account")
    condition = Q()
    for word in words:
        condition &= _term(word)
    return condition


# -- the kinds --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LetterKind:
    """A kind of letter: the accounts it concerns in a campaign, and its part of the data
    (title, paragraphs, table, after), built in the customer's language (already active)."""

    key: str
    description: str
    default_campaign: Callable[[], str]
    concerned: Callable[[QuerySet[BillingAccount], str], QuerySet[BillingAccount]]
    build: Callable[[BillingAccount, str, str], dict[str, Any]]  # (account, campaign, lang)


def _new_reference_concerned(
    accounts: QuerySet[BillingAccount], campaign: str
) -> QuerySet[BillingAccount]:
    return accounts.filter(former_reference_numbers__isnull=False).distinct()


def _new_reference_letter(account: BillingAccount, campaign: str, language: str) -> dict[str, Any]:
    former = list(account.former_reference_numbers.order_by("replaced_on", "reference_number"))
    if not former:
        raise InvalidLetter(account.reference_number, "former_reference_numbers", "none")
    since = formatting.date(former[-1].replaced_on, language=language)
    values = {"new": account.reference_number, "date": since}
    return {
        "title": pgettext("letter", "Your new reference number"),
        "paragraphs": [
            pgettext(
                "letter",
                "From %(date)s your billing account has a new reference number: %(new)s. "
                "Please quote it with every payment from now on.",
            )
            % values,
            pgettext(
                "letter",
                "Payments that quote the former number still reach your account: nothing is lost.",
            ),
        ],
        "table": {
            "header": [
                pgettext("letter", "Former reference number"),
                pgettext("letter", "New reference number"),
            ],
            "rows": [[f.reference_number, account.reference_number] for f in former],
        },
        "after": [
            pgettext(
                "letter",
                "If you pay by direct debit or by e-invoice standing order, you need do nothing: "
                "your agreement moves over to the new reference number by itself.",
            ),
            pgettext(
                "letter",
                "If you pay by bank transfer, please change the reference number in your saved "
                "payment templates.",
            ),
        ],
    }


DUNNING_PREFIX = "dunning-"


def _latest_dunning_campaign() -> str:
    run_date = receivable_queries.latest_dunning_run_date()
    return f"{DUNNING_PREFIX}{run_date.isoformat()}" if run_date else f"{DUNNING_PREFIX}none"


def _dunning_letters(campaign: str) -> QuerySet[DunningLetter]:
    try:
        run_date = dt.date.fromisoformat(campaign.removeprefix(DUNNING_PREFIX))
    except ValueError:
        raise InvalidFilter(
            f"campaign {campaign!r}: a dunning campaign is dunning-YYYY-MM-DD (the run's date)"
        ) from None
    return receivable_queries.mailed_dunning_letters(run_date=run_date)


def _dunning_concerned(
    accounts: QuerySet[BillingAccount], campaign: str
) -> QuerySet[BillingAccount]:
    ids = _dunning_letters(campaign).values("billing_account_id")
    return accounts.filter(pk__in=ids)


def _dunning_rows(letters: list[DunningLetter], language: str) -> list[list[str]]:
    return [
        [
            str(d.invoice.number),
            formatting.date(d.invoice.due_date, language=language) if d.invoice.due_date else "",
            formatting.money(d.open_amount, language=language),
            formatting.money(d.fee_amount, language=language),
        ]
        for d in letters
    ]


def _dunning_paragraphs(
    letters: list[DunningLetter], account: BillingAccount, language: str
) -> tuple[list[str], bool]:
    """What to pay (open amounts and fees) and, for a warning, by when; and whether it is a
    warning (a disconnection date is named)."""
    total = sum((d.open_amount + d.fee_amount for d in letters), start=Decimal("0.00"))
    cut_off = [
        d.disconnection_date
        for d in letters
        if receivable_queries.is_warning(d) and d.disconnection_date is not None
    ]
    values = {
        "total": formatting.money(total, language=language),
        "reference": account.reference_number,
    }
    paragraphs = [
        pgettext(
            "letter",
            "According to our records the invoices below are not yet paid. Please pay "
            "%(total)s to our account with the reference number %(reference)s.",
        )
        % values
    ]
    if cut_off:
        paragraphs.append(
            pgettext(
                "letter",
                "If the debt is not paid by %(date)s, the supply of electricity to your "
                "metering points may be disconnected.",
            )
            % {"date": formatting.date(min(cut_off), language=language)}
        )
    return paragraphs, bool(cut_off)


def _dunning_letter(account: BillingAccount, campaign: str, language: str) -> dict[str, Any]:
    letters = list(
        _dunning_letters(campaign)
        .filter(billing_account=account)
        .select_related("invoice")
        .order_by("invoice__number")
    )
    if not letters:
        raise InvalidLetter(account.reference_number, "dunning letters", f"none in {campaign}")
    paragraphs, warning = _dunning_paragraphs(letters, account, language)
    return {
        "title": pgettext("letter", "Warning before disconnection")
        if warning
        else pgettext("letter", "Payment reminder"),
        "paragraphs": paragraphs,
        "table": {
            "header": [
                pgettext("letter", "Invoice"),
                pgettext("letter", "Due date"),
                pgettext("letter", "Open amount"),
                pgettext("letter", "Fee"),
            ],
            "rows": _dunning_rows(letters, language),
        },
        "after": [
            pgettext(
                "letter",
                "If you have paid in the last few days, please disregard this letter.",
            )
        ],
    }


KINDS: dict[str, LetterKind] = {
    kind.key: kind
    for kind in (
        LetterKind(
            key="new-reference-number",
            description="the account's new reference number beside its former one(s)",
            default_campaign=lambda: "new-reference-number",
            concerned=_new_reference_concerned,
            build=_new_reference_letter,
        ),
        LetterKind(
            key="dunning",
            description="a dunning run's reminders and warnings, one letter per account",
            default_campaign=_latest_dunning_campaign,
            concerned=_dunning_concerned,
            build=_dunning_letter,
        ),
    )
}


def kind_of(key: str) -> LetterKind:
    if key not in KINDS:
        raise UnknownKind(f"No letter kind {key!r}; the kinds are: {', '.join(KINDS)}.")
    return KINDS[key]


# -- the data and the PDF ---------------------------------------------------------------------


def _check_account(account: BillingAccount) -> str:
    """The customer's language, after checking what every letter needs."""
    customer = account.customer
    reference = account.reference_number
    for name, value, limit in (
        ("customer.name", customer.name, MAX_NAME),
        ("customer.street_address", customer.street_address, MAX_ADDRESS_LINE),
        ("customer.city", customer.city, MAX_ADDRESS_LINE),
        ("customer.postal_code", customer.postal_code, MAX_ADDRESS_LINE),
    ):
        if not value.strip():
            raise InvalidLetter(reference, name, "is empty")
        if len(value) > limit:
            raise InvalidLetter(
                reference, name, f"has {len(value)} characters, at most {limit} fit on a letter"
            )
    if customer.preferred_language not in formatting.LANGUAGES:
        raise InvalidLetter(
            reference,
            "customer.preferred_language",
            f"no translation for {customer.preferred_language!r}",
        )
    return customer.preferred_language


def letter_data(
    *,
    kind: LetterKind,
    account: BillingAccount,
    campaign: str,
    today: dt.date,
    supplier: SupplierDetails,
) -> dict[str, Any]:
    """The letter's data (schema ``vool.letter/1``, see the module docstring)."""
    language = _check_account(account)
    customer = account.customer
    with translation.override(language):
        part = kind.build(account, campaign, language)
        return {
            "schema": SCHEMA,
            "kind": kind.key,
            "campaign": campaign,
            "language": language,
            "date_text": formatting.date(today, language=language),
            "supplier": {
                "name": supplier.name,
                "address_lines": [
                    supplier.street_address,
                    f"{supplier.postal_code} {supplier.city}".strip(),
                ],
                "registry_code": supplier.registry_code,
                "vat_number": supplier.vat_number,
                "phone": supplier.phone,
                "email": supplier.email,
                "website": supplier.website,
            },
            "customer": {
                "name": customer.name,
                "address_lines": [
                    customer.street_address,
                    f"{customer.postal_code} {customer.city}".strip(),
                ],
            },
            "account_reference": account.reference_number,
            "labels": {
                "billing_account": pgettext("bill", "Billing account"),
                "registry_code": pgettext("bill", "Registry code"),
                "vat_number": pgettext("bill", "VAT number"),
            },
            "greeting": pgettext("letter", "Dear customer,"),
            "table": None,
            "after": [],
            "closing": pgettext("letter", "Kind regards,"),
            "signature": supplier.name,
            **part,
        }


@cache
def _renderer() -> TypstRenderer:
    return TypstRenderer(TEMPLATES_DIR / LETTER_TEMPLATE)


def letter_pdf(data: dict[str, Any], *, today: dt.date) -> bytes:
    return _renderer().render(data, created_on=today)


def _channel(account: BillingAccount) -> str:
    """Letters go by the invoice channel; the bank's e-invoice channel carries invoices
    only, so an e-invoice account's letter goes by e-mail when it has an address, else paper."""
    email = account.customer.email.strip()
    if account.invoice_channel == Channel.E_INVOICE:
        return Channel.EMAIL if email else Channel.PAPER
    if account.invoice_channel == Channel.EMAIL and not email:
        raise InvalidLetter(
            account.reference_number, "customer.email", "is empty (the account's channel is e-mail)"
        )
    return str(account.invoice_channel)


# -- the batch --------------------------------------------------------------------------------


@dataclass
class LetterReport:
    kind: str
    campaign: str
    concerned: int = 0
    already: int = 0  # letters of this campaign made by an earlier run
    rendered: int = 0
    emailed: int = 0
    to_portal: int = 0
    printed: int = 0
    print_file: Path | None = None
    failures: list[tuple[str, str]] = field(default_factory=list)  # (reference number, why)
    made: list[int] = field(default_factory=list)  # the ids of the letters this run rendered


def _render_one(
    *,
    kind: LetterKind,
    account: BillingAccount,
    campaign: str,
    today: dt.date,
    as_of: dt.datetime,
    supplier: SupplierDetails,
) -> Letter | None:
    channel = _channel(account)
    data = letter_data(
        kind=kind, account=account, campaign=campaign, today=today, supplier=supplier
    )
    stored = render_invoices.store().put(letter_pdf(data, today=today))
    return document_operations.record_letter(
        kind=kind.key,
        campaign=campaign,
        billing_account_id=account.pk,
        language=data["language"],
        channel=channel,
        sha256=stored.sha256,
        path=stored.relative_path,
        size_bytes=stored.size_bytes,
        rendered_at=as_of,
    )


def _render(
    kind: LetterKind,
    accounts: QuerySet[BillingAccount],
    campaign: str,
    today: dt.date,
    as_of: dt.datetime,
    report: LetterReport,
    progress: ProgressCallback,
) -> None:
    concerned = kind.concerned(accounts, campaign)
    report.concerned = concerned.count()
    done = document_queries.letters_of_campaign(kind=kind.key, campaign=campaign)
    report.already = concerned.filter(pk__in=done.values("billing_account_id")).count()
    todo = list(
        concerned.exclude(pk__in=done.values("billing_account_id"))
        .select_related("customer")
        .order_by("reference_number")
    )
    supplier = document_queries.current_supplier()
    for i, account in enumerate(todo, start=1):
        try:
            made = _render_one(
                kind=kind,
                account=account,
                campaign=campaign,
                today=today,
                as_of=as_of,
                supplier=supplier,
            )
        except (InvalidLetter, UnableToRender) as exc:
            report.failures.append((account.reference_number, str(exc)))
        else:
            if made is not None:
                report.rendered += 1
                report.made.append(made.pk)
        progress("letters", i, len(todo))


def _load(letter_id: int) -> Letter:
    return document_queries.get_letter(letter_id=letter_id)


def letter_email(letter: Letter) -> EmailMessage:
    """The e-mail of a letter: its PDF attached, a short text in the customer's language."""
    account = letter.billing_account
    if not account.customer.email.strip():
        raise InvalidLetter(account.reference_number, "customer.email", "is empty")
    supplier = document_queries.current_supplier()
    kind = kind_of(letter.kind)
    with translation.override(letter.language):
        title = kind.build(account, letter.campaign, letter.language)["title"]
        body = "\n".join(
            [
                _("Hello,"),
                "",
                pgettext("letter", "Attached is our letter: %(title)s.") % {"title": title},
                "",
                supplier.name,
            ]
        )
    message = EmailMessage(
        subject=f"{title}, {supplier.name}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[account.customer.email],
    )
    pdf = render_invoices.store().read(letter.path)
    message.attach(f"{letter.kind}-{account.reference_number}.pdf", pdf, "application/pdf")
    return message


def _due(kind: str, campaign: str, channel: str, at: dt.datetime, only: Only) -> list[int]:
    """The campaign's letters by ``channel`` due at ``at`` (of ``only``, when given)."""
    ids = delivery.due_letters(kind=kind, campaign=campaign, channel=channel, at=at)
    return ids if only is None else [i for i in ids if i in only]


def _email(
    kind: str,
    campaign: str,
    at: dt.datetime,
    report: LetterReport,
    progress: ProgressCallback,
    only: Only = None,
) -> None:
    ids = _due(kind, campaign, Channel.EMAIL, at, only)
    if not ids:
        return
    mail: BaseEmailBackend = get_connection(fail_silently=False)
    with contextlib.suppress(smtplib.SMTPException, OSError):
        mail.open()  # if it fails, each send tries again and records why it failed
    try:
        for i, letter_id in enumerate(ids, start=1):
            progress("e-mails", i, len(ids))
            if not delivery.claim(delivery_id=letter_id, at=at, model=delivery.LETTERS):
                continue
            letter = _load(letter_id)
            try:
                message = letter_email(letter)
                if mail.send_messages([message]) != 1:
                    raise smtplib.SMTPException("the mail backend sent nothing")
            except (InvalidLetter, smtplib.SMTPException, OSError, ValueError) as exc:
                reason = (
                    str(exc)
                    if isinstance(exc, InvalidLetter)
                    else deliver_invoices.smtp_reason(exc)
                )
                delivery.mark_failed(
                    delivery_id=letter_id, at=at, error=reason, model=delivery.LETTERS
                )
                report.failures.append((letter.billing_account.reference_number, reason))
                continue
            delivery.mark_sent(
                delivery_id=letter_id, at=at, destination=message.to[0], model=delivery.LETTERS
            )
            report.emailed += 1
    finally:
        mail.close()


def _portal(
    kind: str, campaign: str, at: dt.datetime, report: LetterReport, only: Only = None
) -> None:
    for letter_id in _due(kind, campaign, Channel.PORTAL, at, only):
        if delivery.claim(delivery_id=letter_id, at=at, model=delivery.LETTERS):
            delivery.mark_sent(
                delivery_id=letter_id, at=at, destination="portal", model=delivery.LETTERS
            )
            report.to_portal += 1


def _paper(
    kind: str, campaign: str, at: dt.datetime, report: LetterReport, only: Only = None
) -> None:
    """One print file of the due paper letters, in print order (postcode, reference)."""
    ids = _due(kind, campaign, Channel.PAPER, at, only)
    claimed = [i for i in ids if delivery.claim(delivery_id=i, at=at, model=delivery.LETTERS)]
    if not claimed:
        return
    letters = sorted(
        (_load(i) for i in claimed),
        key=lambda x: (x.billing_account.customer.postal_code, x.billing_account.reference_number),
    )
    try:
        destination = deliver_invoices.print_file([x.path for x in letters])
    except (OSError, ValueError) as exc:
        for x in letters:
            delivery.mark_failed(
                delivery_id=x.pk, at=at, error=f"print file: {exc}", model=delivery.LETTERS
            )
            report.failures.append((x.billing_account.reference_number, f"print file: {exc}"))
        return
    delivery.mark_many_sent(
        delivery_ids=[x.pk for x in letters], at=at, destination=destination, model=delivery.LETTERS
    )
    report.printed += len(letters)
    report.print_file = Path(settings.VOOL_DOCUMENTS_DIR) / destination


def make_letters(
    *,
    kind: str,
    accounts: str,
    today: dt.date,
    as_of: dt.datetime,
    campaign: str = "",
    on_progress: ProgressCallback | None = None,
) -> LetterReport:
    """Render and record (nothing sent) the letters of ``kind`` in ``campaign`` (default: the
    kind's) for the accounts the filter ``accounts`` names that the kind concerns and that
    have none yet; ``report.made`` lists them. :func:`send_made` sends them."""
    letter_kind = kind_of(kind)
    condition = parse_filter(accounts)
    campaign = campaign or letter_kind.default_campaign()
    progress = on_progress or (lambda step, done, total: None)
    report = LetterReport(kind=kind, campaign=campaign)
    chosen = customer_queries.billing_accounts_where(condition=condition)
    _render(letter_kind, chosen, campaign, today, as_of, report, progress)
    return report


def _send_due(
    report: LetterReport, *, as_of: dt.datetime, progress: ProgressCallback, only: Only
) -> None:
    _portal(report.kind, report.campaign, as_of, report, only)
    _email(report.kind, report.campaign, as_of, report, progress, only)
    _paper(report.kind, report.campaign, as_of, report, only)


def send_made(report: LetterReport, *, as_of: dt.datetime) -> LetterReport:
    """Send the letters ``report`` made (only those) by their channels, counted in the report;
    a failed e-mail is a FAILED letter, retried with the others by a later ``send``. Called
    after the commit that recorded them (``transaction.on_commit``), so a rollback never
    leaves a letter sent that was not recorded."""
    _send_due(report, as_of=as_of, progress=lambda step, done, total: None, only=set(report.made))
    return report


def send_letters(
    *,
    kind: str,
    accounts: str,
    today: dt.date,
    as_of: dt.datetime,
    campaign: str = "",
    on_progress: ProgressCallback | None = None,
) -> LetterReport:
    """Make and send the letters of ``kind`` in ``campaign`` (default: the kind's) to the
    accounts the filter ``accounts`` names that the kind concerns (see the module docstring),
    and send every letter of the campaign still due (a retry). ``today`` is the letter's date;
    ``as_of`` the real time of the run (recorded, and what decides a retry)."""
    report = make_letters(
        kind=kind,
        accounts=accounts,
        today=today,
        as_of=as_of,
        campaign=campaign,
        on_progress=on_progress,
    )
    progress = on_progress or (lambda step, done, total: None)
    _send_due(report, as_of=as_of, progress=progress, only=None)
    return report


__all__ = [
    "KINDS",
    "InvalidFilter",
    "InvalidLetter",
    "UnknownKind",
    "letter_data",
    "make_letters",
    "send_letters",
    "send_made",
]
