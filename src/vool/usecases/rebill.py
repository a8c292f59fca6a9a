"""Rebilling an invoice's account and month from the back office, with a preview: the new
invoice is priced by billing's own rebill (the same engine, on the data known now) inside a
transaction that is then rolled back, so the clerk sees the new invoice beside the old one
before anything is written. Confirming rebills for real, and only if the new invoice is still
the one previewed (else the data changed meanwhile: preview again).

Who may: ``billing.add_invoice`` (the billing specialist) and the right to credit the old
invoice (``backoffice_actions.check_may_credit``: above the credit limit, a supervisor). Refused
during the freeze. The confirmation writes the audit row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from vool.common.localtime import Month, local_date
from vool.domain.audit import operations as audit
from vool.domain.billing import queries as billing_queries
from vool.domain.billing.operations import UnableToRebill
from vool.usecases import bill_run
from vool.usecases.backoffice_actions import NotAllowed, check_may_credit, user_name
from vool.usecases.customer_view import LineRow, invoice_lines
from vool.usecases.freeze import check_not_frozen

if TYPE_CHECKING:
    from vool.domain.billing.models import Invoice

REBILL_PERMISSION = "billing.add_invoice"


@dataclass(frozen=True)
class RebillPreview:
    old: Invoice
    old_lines: list[LineRow]
    new_net_amount: Decimal
    new_vat_amount: Decimal
    new_gross_amount: Decimal
    new_lines: list[LineRow]

    @property
    def difference(self) -> Decimal:
        return self.new_gross_amount - self.old.gross_amount


class _RolledBack(Exception):
    def __init__(self, preview: RebillPreview) -> None:
        self.preview = preview


def _checked_invoice(user: Any, number: int) -> Invoice:
    invoice = billing_queries.issued_invoice_by_number(number=number)
    if invoice is None:
        raise UnableToRebill(
            _("There is no issued invoice number %(number)s.") % {"number": number}
        )
    if user is None or not user.has_perm(REBILL_PERMISSION):
        raise NotAllowed(_("%(user)s may not bill accounts.") % {"user": user_name(user)})
    check_may_credit(user=user, invoice=invoice)
    check_not_frozen()
    return invoice


def bill_now(
    *, reference_number: str, period: Month, user: Any, reason: str, now: dt.datetime
) -> Invoice:
    """Bill the account's month again on the data known ``now``, dated today: billing's rebill
    (credits a live invoice of the month first, if any)."""
    if not reason.strip():
        raise UnableToRebill(_("Say why the account is billed again."))
    return bill_run.rebill_account(
        reference_or_id=reference_number,
        period=period,
        today=local_date(now),
        as_of=now,
        reason=reason,
        user=user_name(user),
        clock=lambda: now,
    )


def _rebill(invoice: Invoice, *, user: Any, reason: str, now: dt.datetime) -> Invoice:
    return bill_now(
        reference_number=invoice.billing_account.reference_number,
        period=Month.parse(invoice.period),
        user=user,
        reason=reason,
        now=now,
    )


def preview_rebill(*, user: Any, number: int, reason: str, now: dt.datetime) -> RebillPreview:
    """The invoice a rebill of invoice ``number``'s account and month would issue now, beside
    the old one; nothing is kept."""
    invoice = _checked_invoice(user, number)
    old_lines = invoice_lines(invoice=invoice)
    try:
        with transaction.atomic():
            new = _rebill(invoice, user=user, reason=reason, now=now)
            raise _RolledBack(
                RebillPreview(
                    old=invoice,
                    old_lines=old_lines,
                    new_net_amount=new.net_amount,
                    new_vat_amount=new.vat_amount,
                    new_gross_amount=new.gross_amount,
                    new_lines=invoice_lines(invoice=new),
                )
            )
    except _RolledBack as done:
        return done.preview


def rebill(
    *,
    user: Any,
    number: int,
    reason: str,
    expected_gross: Decimal,
    now: dt.datetime,
    request_id: str = "",
) -> Invoice:
    """Credit invoice ``number`` and issue the new one, if it is still the previewed one."""
    invoice = _checked_invoice(user, number)
    with transaction.atomic():
        new = _rebill(invoice, user=user, reason=reason, now=now)
        if new.gross_amount != expected_gross:
            raise UnableToRebill(
                _(
                    "The new invoice would now be %(now)s EUR, not the %(seen)s EUR previewed: "
                    "the data changed. Preview again."
                )
                % {"now": new.gross_amount, "seen": expected_gross}
            )
        audit.record(
            user=user,
            happened_at=now,
            action="billing.rebill",
            object_type="billing.Invoice",
            object_id=number,
            customer_id=invoice.billing_account.customer_id,
            reason=reason,
            before={"number": number, "gross_amount": invoice.gross_amount},
            after={"number": new.number, "gross_amount": new.gross_amount},
            request_id=request_id,
        )
    return new
