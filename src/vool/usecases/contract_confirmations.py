"""The e-mail that confirms a contract change to the customer (the package changed, a move out,
a move in), in the reader's language, whether the change was made in the self-service portal
(``usecases.portal_contracts``, sent at once) or by customer service in the back office
(``usecases.customer_actions``, sent after the commit). Each is recorded
(``documents.SentEmail``: sent, or refused with the mail server's error, or not sent for want
of an address) for the 360° page's "Letters and e-mails sent"; a failure to send is recorded and
logged, never raised: the change is made and shown either way."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vool.domain.documents import formatting
from vool.domain.documents import operations as document_operations
from vool.usecases.deliver_invoices import smtp_reason

log = logging.getLogger(__name__)

# the kinds, as documents.SentEmail.Kind records them
PACKAGE_CHANGED = "PACKAGE_CHANGED"
MOVED_OUT = "MOVED_OUT"
MOVED_IN = "MOVED_IN"
PORTAL_SIGNATURE = gettext_lazy("Vool self-service")
BACKOFFICE_SIGNATURE = gettext_lazy("Vool customer service")


def email_lines(kind: str, context: dict[str, Any], language: str) -> tuple[str, list[str]]:
    """Subject and body lines of a confirmation, in the active language: ``context`` has
    ``old`` and ``new`` (package changed) or ``contract`` (moved out, moved in)."""
    day = partial(formatting.date, language=language)
    if kind == PACKAGE_CHANGED:
        old, new = context["old"], context["new"]
        values = {
            "old": old.product.name,
            "new": new.product.name,
            "eic": new.metering_point.eic,
            "day": day(new.valid_from),
        }
        return _("Your package is changed"), [
            _("Your package at metering point %(eic)s changes from %(old)s to %(new)s.") % values,
            _("The new package applies from %(day)s.") % values,
        ]
    contract = context["contract"]
    values = {
        "eic": contract.metering_point.eic,
        "address": contract.metering_point.street_address,
        "day": day(contract.valid_to if kind == MOVED_OUT else contract.valid_from),
        "package": contract.product.name,
    }
    if kind == MOVED_OUT:
        return _("Your contract ends"), [
            _("Your contract for %(address)s (metering point %(eic)s) ends on %(day)s.") % values,
            _("The final bill comes with the next monthly bills."),
        ]
    return _("Your new contract"), [
        _(
            "Your contract for %(address)s (metering point %(eic)s) starts on %(day)s with the "
            "package %(package)s."
        )
        % values,
    ]


def send(
    *,
    to: str,
    language: str,
    kind: str,
    context: dict[str, Any],
    customer_id: int,
    signature: Promise,
    now: dt.datetime,
) -> bool:
    """Send the confirmation ``kind`` to ``to`` in ``language``, signed ``signature``, and
    record it as sent at ``now``; False (recorded with why) when there is no address or the
    mail server refused it."""
    with translation.override(language):
        subject, lines = email_lines(kind, context, language)
        body = "\n".join([_("Hello,"), "", *lines, "", str(signature)])
        subject = f"Vool: {subject}"
    error = ""
    if not to:
        error = _("The customer has no e-mail address.")
    else:
        try:
            send_mail(subject, body + "\n", settings.DEFAULT_FROM_EMAIL, [to])
        except (smtplib.SMTPException, OSError) as exc:
            error = smtp_reason(exc)
            log.warning(
                "confirmation e-mail %s to customer %s not sent: %s", kind, customer_id, exc
            )
    confirmed = context.get("new") or context["contract"]
    document_operations.record_email(
        attempt=document_operations.EmailAttempt(
            customer_id=customer_id,
            kind=kind,
            subject=subject,
            recipient=to,
            language=language,
            error=error,
            billing_account_id=confirmed.billing_account_id,
            contract_id=confirmed.pk,
        ),
        sent_at=now,
    )
    return not error
