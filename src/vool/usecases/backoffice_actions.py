"""Back-office actions: each calls the existing operation and records who, when and why in the
audit log, in the same transaction (no write without its audit row, no audit row without its
write). Permissions are checked here, not only on the page that offers the action.

- Crediting an invoice needs ``billing.change_invoice``; an invoice above
  ``VOOL_BACKOFFICE_CREDIT_LIMIT`` (gross) also needs the supervisor permission
  ``audit.credit_above_limit``.
- Accepting or rejecting a pending reading: ``metering.operations.review_reading`` checks
  ``metering.change_reading``.
- Starting a bill run: ``billing.add_billrun`` (forcing: an active superuser, as before).

While the service freeze is on (``usecases.freeze``) each refuses with ``FrozenNow``: the back
office only registers requests then.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from vool.common.localtime import Month
from vool.domain.audit import operations as audit
from vool.domain.billing import operations as billing_operations
from vool.domain.billing import queries as billing_queries
from vool.domain.contracts import lookups as contract_lookups
from vool.domain.metering import operations as metering_operations
from vool.domain.metering import queries as metering_queries
from vool.usecases import bill_run
from vool.usecases.freeze import check_not_frozen

if TYPE_CHECKING:  # types only
    from vool.domain.billing.models import BillRun, Invoice
    from vool.domain.metering.models import Reading

CREDIT_PERMISSION = "billing.change_invoice"
CREDIT_ABOVE_LIMIT_PERMISSION = "audit.credit_above_limit"
START_RUN_PERMISSION = "billing.add_billrun"


class NotAllowed(Exception):
    """The user lacks the permission the action needs; the message names it."""


def credit_limit() -> Decimal:
    return Decimal(settings.VOOL_BACKOFFICE_CREDIT_LIMIT)


def user_name(user: Any) -> str:
    return str(getattr(user, "username", "") or _("An unknown user"))


def check_may_credit(*, user: Any, invoice: Invoice) -> None:
    """Raise :class:`NotAllowed` unless ``user`` may credit ``invoice``."""
    if user is None or not user.has_perm(CREDIT_PERMISSION):
        raise NotAllowed(
            _("%(user)s may not credit invoices: that needs the permission to change invoices.")
            % {"user": user_name(user)}
        )
    limit = credit_limit()
    if abs(invoice.gross_amount) > limit and not user.has_perm(CREDIT_ABOVE_LIMIT_PERMISSION):
        raise NotAllowed(
            _(
                "Invoice %(number)s is %(amount)s EUR, above the credit limit of %(limit)s EUR: "
                "a supervisor must credit it."
            )
            % {"number": invoice.number, "amount": invoice.gross_amount, "limit": limit}
        )


def _invoice_state(invoice: Invoice) -> dict[str, Any]:
    return {
        "number": invoice.number,
        "status": invoice.status,
        "gross_amount": invoice.gross_amount,
        "amount_due": invoice.amount_due,
    }


def credit_invoice(
    *, user: Any, number: int, reason: str, today: dt.date, now: dt.datetime, request_id: str = ""
) -> Invoice:
    """Credit invoice ``number`` (a credit note) as ``user``, with the audit row."""
    invoice = billing_queries.invoice_by_number(number=number)
    if invoice is None:
        raise billing_operations.UnableToCreditInvoice(f"There is no invoice number {number}.")
    check_may_credit(user=user, invoice=invoice)
    check_not_frozen()
    with transaction.atomic():
        before = _invoice_state(invoice)
        note = billing_operations.credit_invoice(
            number=number, reason=reason, today=today, now=now, created_by=user.get_username()
        )
        invoice.refresh_from_db()
        audit.record(
            user=user,
            happened_at=now,
            action="billing.credit_invoice",
            object_type="billing.Invoice",
            object_id=number,
            customer_id=invoice.billing_account.customer_id,
            reason=reason,
            before=before,
            after={**_invoice_state(invoice), "credit_note": note.number},
            request_id=request_id,
        )
    return note


def review_reading(
    *,
    user: Any,
    reading_id: int,
    accept: bool,
    reason: str,
    now: dt.datetime,
    request_id: str = "",
) -> Reading:
    """Accept or reject a pending reading as ``user`` (who needs the permission to change
    readings), with the audit row."""
    if not reason.strip():
        raise metering_operations.UnableToSubmitReading(_("Say why the reading is reviewed."))
    reading = metering_queries.get_reading(reading_id=reading_id)
    point = reading.register.meter.metering_point
    contract = contract_lookups.latest_contract(metering_point_id=point.pk)
    check_not_frozen()
    with transaction.atomic():
        decision = metering_operations.review_reading(
            reading=reading, accept=accept, reason=reason, created_by=user, as_of=now
        )
        audit.record(
            user=user,
            happened_at=now,
            action="metering.accept_reading" if accept else "metering.reject_reading",
            object_type="metering.Reading",
            object_id=reading.pk,
            customer_id=contract.customer_id if contract is not None else None,
            reason=reason,
            before={"status": reading.status, "value_kwh": reading.value_kwh},
            after={"status": decision.status, "reading": decision.pk},
            request_id=request_id,
        )
    return decision


def start_bill_run(
    *,
    user: Any,
    period: Month,
    today: dt.date,
    now: dt.datetime,
    force_reason: str = "",
    workers: int = 1,
    request_id: str = "",
) -> BillRun:
    """Start the bill run of ``period`` as ``user``, with the audit row (the reason is the
    forcing reason, or that the run was started from the back office)."""
    if user is None or not user.has_perm(START_RUN_PERMISSION):
        raise NotAllowed(_("%(user)s may not start bill runs.") % {"user": user_name(user)})
    check_not_frozen()
    with transaction.atomic():
        run = bill_run.start_run(
            period=period,
            today=today,
            started_by=user.get_username(),
            force_reason=force_reason,
            workers=workers,
        )
        audit.record(
            user=user,
            happened_at=now,
            action="billing.start_bill_run",
            object_type="billing.BillRun",
            object_id=run.pk,
            reason=force_reason or _("Monthly bill run started from the back office."),
            after={"period": str(period), "issue_date": today, "forced": bool(force_reason)},
            request_id=request_id,
        )
    return run
