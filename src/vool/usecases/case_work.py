"""Customer requests (cases), the freeze and the work queues' actions, as the back office, the
portal and the CLI use them. Each action checks the permission itself (not only the page that
offers it), refuses while the freeze is on unless it only registers a request, calls the
domain operation and writes the audit row in the same transaction.

Permissions (the roles in ``vool.domain.cases.roles`` hold them):

- register a request: ``cases.add_case`` (also during the freeze);
- work one (note, attachment, status, assignment): ``cases.work_case``, on a request that is
  unassigned, assigned to the user or to one of the user's teams; ``cases.change_case``
  (supervisor) works any;
- switch the freeze: ``cases.switch_freeze`` (administrator);
- apply the readings queued during a freeze: ``metering.add_reading``;
- end a dunning hold: ``receivables.change_dunninghold``;
- bill an account whose run exception was mended: ``billing.add_invoice``;
- allocate a payment in suspense to a suggested account: ``receivables.change_payment``;
- retry failed deliveries (in bulk): ``documents.change_delivery``;
- explain network bill differences (in bulk): ``hub.change_networkbilldifference``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _

from vool.common.localtime import Month, local_date
from vool.domain.audit import operations as audit
from vool.domain.billing import queries as billing_queries
from vool.domain.billing.operations import UnableToRebill
from vool.domain.cases import operations as cases
from vool.domain.cases import queries as case_queries
from vool.domain.customers import queries as customer_queries
from vool.domain.documents import delivery
from vool.domain.documents import queries as document_queries
from vool.domain.hub import operations as hub_operations
from vool.domain.receivables import dunning
from vool.domain.receivables import operations as receivable_operations
from vool.domain.receivables import queries as receivable_queries
from vool.domain.receivables.operations import UnableToAllocate
from vool.domain.shown import shown_day
from vool.integrations.pdf.content_store import ContentStore
from vool.usecases import rebill
from vool.usecases.backoffice_actions import NotAllowed, user_name
from vool.usecases.freeze import check_not_frozen
from vool.usecases.submit_reading import UnableToSubmitReading, submit_meter_readings

if TYPE_CHECKING:
    from vool.domain.billing.models import Invoice
    from vool.domain.cases.models import Case, CaseAttachment, CaseNote, Freeze, QueuedReading
    from vool.domain.customers.models import BillingAccount
    from vool.domain.hub.models import NetworkBillDifference
    from vool.domain.receivables.models import DunningHold, Payment

ADD_CASE = "cases.add_case"
WORK_CASE = "cases.work_case"
WORK_ANY_CASE = "cases.change_case"
SWITCH_FREEZE = "cases.switch_freeze"
APPLY_QUEUED_READING = "metering.add_reading"
END_HOLD = "receivables.change_dunninghold"
BILL_ACCOUNT = "billing.add_invoice"
ALLOCATE_PAYMENT = "receivables.change_payment"
RETRY_DELIVERY = "documents.change_delivery"
EXPLAIN_BILL_DIFFERENCE = "hub.change_networkbilldifference"


def _require(user: Any, permission: str, refusal: str) -> None:
    """``refusal`` (translated, naming ``%(user)s``) unless ``user`` holds ``permission``."""
    if user is None or not user.has_perm(permission):
        raise NotAllowed(refusal % {"user": user_name(user)})


def may_work(user: Any, case: Case) -> bool:
    """The object-level rule: a request that is unassigned, the user's or their team's; a
    supervisor (``cases.change_case``) works any."""
    if user is None or not user.has_perm(WORK_CASE):
        return False
    if user.has_perm(WORK_ANY_CASE):
        return True
    if case.assigned_user_id is None and case.assigned_group_id is None:
        return True
    if case.assigned_user_id == user.pk:
        return True
    return (
        case.assigned_group_id is not None
        and user.groups.filter(pk=case.assigned_group_id).exists()
    )


def _case_for_work(user: Any, case_id: int) -> Case:
    case = case_queries.get_case(case_id=case_id)
    if case is None:
        raise cases.UnableToWorkCase(_("There is no request %(id)s.") % {"id": case_id})
    if not may_work(user, case):
        raise NotAllowed(
            _("%(user)s may not work request %(id)s: it is assigned to someone else.")
            % {"user": user_name(user), "id": case_id}
        )
    check_not_frozen()
    return case


def _record(
    *,
    user: Any,
    now: dt.datetime,
    action: str,
    case: Case,
    reason: str,
    request_id: str,
    before: Any = None,
    after: Any = None,
) -> None:
    audit.record(
        user=user,
        happened_at=now,
        action=action,
        object_type="cases.Case",
        object_id=case.pk,
        customer_id=case.customer_id,
        reason=reason,
        before=before,
        after=after,
        request_id=request_id,
    )


@dataclass(frozen=True)
class NewCase:
    customer_id: int
    channel: str
    case_type: str
    subject: str
    description: str = ""
    invoice_id: int | None = None
    reading_id: int | None = None
    contract_id: int | None = None


def register_case(
    *, user: Any, new: NewCase, now: dt.datetime, request_id: str = "", as_customer: bool = False
) -> Case:
    """Register a request (also while the freeze is on: it is worked afterwards). A clerk
    needs ``cases.add_case``; ``as_customer`` is the portal, where the user acts for the
    customer and the view has checked that."""
    if not as_customer:
        _require(user, ADD_CASE, _("%(user)s may not register customer requests."))
    freeze = case_queries.current_freeze()
    with transaction.atomic():
        case = cases.open_case(
            customer_id=new.customer_id,
            channel=new.channel,
            case_type=new.case_type,
            subject=new.subject,
            description=new.description,
            by=user_name(user),
            now=now,
            today=local_date(now),
            invoice_id=new.invoice_id,
            reading_id=new.reading_id,
            contract_id=new.contract_id,
            during_freeze=freeze is not None,
        )
        _record(
            user=user,
            now=now,
            action="cases.open_case",
            case=case,
            reason=new.subject,
            request_id=request_id,
            after={
                **cases.case_state(case),
                "type": case.case_type,
                "channel": case.channel,
                "invoice": case.invoice_id,
            },
        )
    return case


def add_note(
    *,
    user: Any,
    case_id: int,
    text: str,
    for_customer: bool,
    now: dt.datetime,
    request_id: str = "",
) -> CaseNote:
    case = _case_for_work(user, case_id)
    with transaction.atomic():
        note = cases.add_note(
            case_id=case_id, text=text, for_customer=for_customer, by=user_name(user), now=now
        )
        _record(
            user=user,
            now=now,
            action="cases.add_note",
            case=case,
            reason=text,
            request_id=request_id,
            after={"note": note.pk, "for_customer": for_customer},
        )
    return note


def attachments_store() -> ContentStore:
    return ContentStore(settings.VOOL_CASE_ATTACHMENTS_DIR, suffix=".bin")


def max_attachment_bytes() -> int:
    return int(settings.VOOL_CASE_ATTACHMENT_MAX_BYTES)


def add_attachment(
    *,
    user: Any,
    case_id: int,
    file_name: str,
    content_type: str,
    content: bytes,
    now: dt.datetime,
    request_id: str = "",
) -> CaseAttachment:
    """Store the file by its SHA-256 and record it on the request; a file above
    ``VOOL_CASE_ATTACHMENT_MAX_BYTES`` (or an empty one) is refused before anything is
    written."""
    case = _case_for_work(user, case_id)
    limit = max_attachment_bytes()
    if not content:
        raise cases.UnableToWorkCase(_("The file %(name)s is empty.") % {"name": file_name})
    if len(content) > limit:
        raise cases.UnableToWorkCase(
            _("The file %(name)s is %(size)s bytes; at most %(limit)s bytes are accepted.")
            % {"name": file_name, "size": len(content), "limit": limit}
        )
    stored = attachments_store().put(content)
    with transaction.atomic():
        attachment = cases.add_attachment(
            case_id=case_id,
            file_name=file_name,
            content_type=content_type,
            size_bytes=stored.size_bytes,
            sha256=stored.sha256,
            stored_path=stored.relative_path,
            by=user_name(user),
            now=now,
        )
        _record(
            user=user,
            now=now,
            action="cases.add_attachment",
            case=case,
            reason=_("File %(name)s attached.") % {"name": attachment.file_name},
            request_id=request_id,
            after={"attachment": attachment.pk, "sha256": stored.sha256, "size": stored.size_bytes},
        )
    return attachment


def attachment_content(attachment: CaseAttachment) -> bytes:
    return attachments_store().read(attachment.stored_path)


def check_assignee(*, assignee_id: int | None, group_id: int | None) -> None:
    """Work is assigned to an active staff user and/or an existing team."""
    if (
        assignee_id is not None
        and not get_user_model()
        .objects.filter(pk=assignee_id, is_active=True, is_staff=True)
        .exists()
    ):
        raise cases.UnableToWorkCase(
            _("There is no active staff user %(id)s.") % {"id": assignee_id}
        )
    if group_id is not None and not Group.objects.filter(pk=group_id).exists():
        raise cases.UnableToWorkCase(_("There is no team %(id)s.") % {"id": group_id})


def assign_case(
    *,
    user: Any,
    case_id: int,
    assignee_id: int | None,
    group_id: int | None,
    reason: str,
    now: dt.datetime,
    request_id: str = "",
) -> Case:
    case = _case_for_work(user, case_id)
    check_assignee(assignee_id=assignee_id, group_id=group_id)
    with transaction.atomic():
        before = cases.case_state(case)
        case = cases.assign(case_id=case_id, user_id=assignee_id, group_id=group_id)
        _record(
            user=user,
            now=now,
            action="cases.assign",
            case=case,
            reason=reason.strip() or _("Assigned."),
            request_id=request_id,
            before=before,
            after=cases.case_state(case),
        )
    return case


def change_status(
    *,
    user: Any,
    case_id: int,
    status: str,
    resolution: str,
    now: dt.datetime,
    request_id: str = "",
) -> Case:
    """Move a request on; resolving it ends a dispute's dunning hold."""
    case = _case_for_work(user, case_id)
    with transaction.atomic():
        before = cases.case_state(case)
        case = cases.set_status(
            case_id=case_id, status=status, resolution=resolution, now=now, today=local_date(now)
        )
        _record(
            user=user,
            now=now,
            action="cases.set_status",
            case=case,
            reason=resolution.strip() or _("Status changed to %(status)s.") % {"status": status},
            request_id=request_id,
            before=before,
            after=cases.case_state(case),
        )
    return case


def bulk_assign(
    *,
    user: Any,
    case_ids: list[int],
    assignee_id: int | None,
    group_id: int | None,
    reason: str,
    now: dt.datetime,
    request_id: str = "",
) -> int:
    """Assign several requests at once (each checked and audited); all or none."""
    with transaction.atomic():
        for case_id in case_ids:
            assign_case(
                user=user,
                case_id=case_id,
                assignee_id=assignee_id,
                group_id=group_id,
                reason=reason,
                now=now,
                request_id=request_id,
            )
    return len(case_ids)


# -- the freeze --------------------------------------------------------------------------------


def _freeze_audit(
    *, user: Any, now: dt.datetime, action: str, freeze: Freeze, reason: str, request_id: str
) -> None:
    audit.record(
        user=user,
        happened_at=now,
        action=action,
        object_type="cases.Freeze",
        object_id=freeze.pk,
        reason=reason,
        request_id=request_id,
        after={
            "message": freeze.message,
            "started_at": freeze.started_at,
            "ended_at": freeze.ended_at,
        },
    )


def switch_freeze_on(*, user: Any, message: str, now: dt.datetime, request_id: str = "") -> Freeze:
    _require(user, SWITCH_FREEZE, _("%(user)s may not switch the freeze."))
    with transaction.atomic():
        freeze = cases.freeze_on(message=message, by=user_name(user), now=now)
        _freeze_audit(
            user=user,
            now=now,
            action="cases.freeze_on",
            freeze=freeze,
            reason=message,
            request_id=request_id,
        )
    return freeze


def switch_freeze_off(*, user: Any, now: dt.datetime, request_id: str = "") -> Freeze:
    _require(user, SWITCH_FREEZE, _("%(user)s may not switch the freeze."))
    with transaction.atomic():
        freeze = cases.freeze_off(by=user_name(user), now=now)
        _freeze_audit(
            user=user,
            now=now,
            action="cases.freeze_off",
            freeze=freeze,
            reason=_("Freeze switched off."),
            request_id=request_id,
        )
    return freeze


def apply_queued_reading(
    *, user: Any, queued_id: int, now: dt.datetime, request_id: str = ""
) -> QueuedReading:
    """Take a reading queued during the freeze in through the reading rules, read when the
    customer gave it, known now, by the customer's user; a reading the rules refuse is marked
    refused with why (the clerk then contacts the customer)."""
    _require(user, APPLY_QUEUED_READING, _("%(user)s may not apply queued readings."))
    check_not_frozen()
    queued = case_queries.get_queued_reading(queued_id=queued_id)
    values = {kind: Decimal(value) for kind, value in queued.values_kwh.items()}
    with transaction.atomic():
        try:
            with transaction.atomic():
                submitted = submit_meter_readings(
                    metering_point=queued.metering_point,
                    values_kwh=values,
                    read_at=queued.read_at,
                    source="PORTAL",
                    as_of=now,
                    created_by=queued.given_by_user or user,
                )
        except UnableToSubmitReading as exc:
            applied, outcome = False, str(exc)
        else:
            applied = True
            outcome = ", ".join(f"{s.reading.pk}:{s.reading.status}" for s in submitted)
        queued = cases.mark_worked(
            queued_id=queued_id, applied=applied, outcome=outcome, by=user_name(user), now=now
        )
        audit.record(
            user=user,
            happened_at=now,
            action="cases.apply_queued_reading",
            object_type="cases.QueuedReading",
            object_id=queued.pk,
            customer_id=queued.customer_id,
            reason=_("Reading queued during the freeze worked."),
            request_id=request_id,
            before={"status": case_queries.QUEUED, "values_kwh": queued.values_kwh},
            after={"status": queued.status, "outcome": outcome},
        )
    return queued


# -- other queues' actions ---------------------------------------------------------------------


def _end_hold(
    user: Any, hold_id: int, reason: str, now: dt.datetime, request_id: str
) -> DunningHold:
    hold = dunning.end_hold(hold_id=hold_id, on=local_date(now))
    account = hold.billing_account or (hold.invoice.billing_account if hold.invoice else None)
    audit.record(
        user=user,
        happened_at=now,
        action="receivables.end_hold",
        object_type="receivables.DunningHold",
        object_id=hold.pk,
        customer_id=account.customer_id if account is not None else None,
        reason=reason,
        request_id=request_id,
        before={"valid_to": None},
        after={"valid_to": hold.valid_to},
    )
    return hold


def _held_by_a_request(hold_id: int, case: Case) -> str:
    return _(
        "hold %(id)s is the dunning hold of the open request #%(case)s (%(subject)s): it ends "
        "when the request is resolved"
    ) % {"id": hold_id, "case": case.pk, "subject": case.subject}


def end_dunning_hold(
    *, user: Any, hold_id: int, reason: str, now: dt.datetime, request_id: str = ""
) -> DunningHold:
    """Lift the hold from today, with the reason in the audit log. The hold a bill dispute put
    on its invoice is refused while the request is open: it ends when the request is resolved
    (``cases.set_status``)."""
    _require(user, END_HOLD, _("%(user)s may not end dunning holds."))
    check_not_frozen()
    if not reason.strip():
        raise dunning.UnableToHold(_("Say why the hold ends."))
    with transaction.atomic():
        holding = case_queries.open_cases_holding(hold_ids=[hold_id])
        if hold_id in holding:
            raise dunning.UnableToHold(
                _("The hold was not ended: %(why)s.")
                % {"why": _held_by_a_request(hold_id, holding[hold_id])}
            )
        return _end_hold(user, hold_id, reason, now, request_id)


def _unliftable(hold_ids: list[int]) -> list[str]:
    """Why each of the holds that cannot be lifted cannot (unknown, ended already, or held by
    an open bill dispute)."""
    found = receivable_queries.holds_by_id(hold_ids=hold_ids)
    holding = case_queries.open_cases_holding(hold_ids=hold_ids)
    why = []
    for hold_id in sorted(set(hold_ids)):
        hold = found.get(hold_id)
        if hold is None:
            why.append(_("there is no hold %(id)s") % {"id": hold_id})
        elif hold.valid_to is not None:
            why.append(
                _("hold %(id)s ended on %(day)s") % {"id": hold_id, "day": shown_day(hold.valid_to)}
            )
        elif hold_id in holding:
            why.append(_held_by_a_request(hold_id, holding[hold_id]))
    return why


def end_dunning_holds(
    *, user: Any, hold_ids: list[int], reason: str, now: dt.datetime, request_id: str = ""
) -> list[DunningHold]:
    """Lift the chosen holds from today, each as :func:`end_dunning_hold` (the permission, the
    freeze, one audit row per hold with the reason). All or none: if one cannot be lifted
    (unknown, or ended already, by a colleague meanwhile, or a bill dispute's hold while its
    request is open), none is, and the refusal names each and why, so the clerk chooses again
    from the queue as it is now."""
    _require(user, END_HOLD, _("%(user)s may not end dunning holds."))
    check_not_frozen()
    if not hold_ids:
        raise dunning.UnableToHold(_("Choose the holds to end."))
    if not reason.strip():
        raise dunning.UnableToHold(_("Say why the hold ends."))
    with transaction.atomic():
        refused = _unliftable(hold_ids)
        if refused:
            raise dunning.UnableToHold(
                _("No hold was ended: %(why)s.") % {"why": "; ".join(refused)}
            )
        return [
            _end_hold(user, hold_id, reason, now, request_id) for hold_id in sorted(set(hold_ids))
        ]


def bill_mended_account(
    *, user: Any, exception_id: int, reason: str, now: dt.datetime, request_id: str = ""
) -> Invoice:
    """Bill the account of a run exception once its cause is mended: the run's period,
    through billing's rebill (priced on the data known now, dated today). If it is still not
    billable, ``UnableToRebill`` names why (the rule again)."""
    _require(user, BILL_ACCOUNT, _("%(user)s may not bill accounts."))
    check_not_frozen()
    if not reason.strip():
        raise UnableToRebill(_("Say what was mended."))
    exception = billing_queries.get_run_exception(exception_id=exception_id)
    account = exception.billing_account
    with transaction.atomic():
        invoice = rebill.bill_now(
            reference_number=account.reference_number,
            period=Month.parse(exception.run.period),
            user=user,
            reason=reason,
            now=now,
        )
        audit.record(
            user=user,
            happened_at=now,
            action="billing.bill_mended_account",
            object_type="billing.BillRunException",
            object_id=exception.pk,
            customer_id=account.customer_id,
            reason=reason,
            request_id=request_id,
            before={"code": exception.code, "reason": exception.reason},
            after={"invoice": invoice.number, "gross_amount": invoice.gross_amount},
        )
    return invoice


def _allocate_all(
    user: Any,
    payment: Payment,
    account: BillingAccount,
    reason: str,
    now: dt.datetime,
    request_id: str,
    how: str = "",
) -> Decimal:
    """All the payment has in suspense onto the account (the receivables operation), and its
    audit row on the account's customer; ``how`` the account was found, when in bulk."""
    left = receivable_queries.unallocated_amount(payment=payment)
    receivable_operations.allocate_from_suspense(
        payment_id=payment.pk,
        parts=[receivable_operations.Part(account.pk, left)],
        by=user_name(user),
        reason=reason,
        as_of=now,
    )
    after: dict[str, Any] = {"billing_account": account.reference_number, "allocated": left}
    if how:
        after["found_by"] = how
    audit.record(
        user=user,
        happened_at=now,
        action="receivables.allocate_suspense",
        object_type="receivables.Payment",
        object_id=payment.pk,
        customer_id=account.customer_id,
        reason=reason,
        request_id=request_id,
        before={"in_suspense": left},
        after=after,
    )
    return left


def allocate_suspense(
    *,
    user: Any,
    payment_id: int,
    billing_account_id: int,
    reason: str,
    now: dt.datetime,
    request_id: str = "",
) -> Decimal:
    """Allocate all a payment has in suspense to one billing account (a suggestion the queue
    shows); a split is the admin's suspense page. Returns the amount allocated."""
    _require(user, ALLOCATE_PAYMENT, _("%(user)s may not allocate payments."))
    check_not_frozen()
    payment = receivable_queries.get_payment(payment_id=payment_id)
    if payment is None:
        raise UnableToAllocate(_("There is no payment %(id)s.") % {"id": payment_id})
    account = customer_queries.get_billing_account(billing_account_id=billing_account_id)
    if account is None:
        raise UnableToAllocate(
            _("There is no billing account %(id)s.") % {"id": billing_account_id}
        )
    with transaction.atomic():
        return _allocate_all(user, payment, account, reason, now, request_id)


#: how a bulk allocation finds each payment's account (the audit row says which)
NAMED_ACCOUNT = "NAMED_ACCOUNT"  # the account whose reference number the clerk gives
REFERENCE_IN_TEXT = "REFERENCE_IN_TEXT"  # the one account whose number the payment carries


@dataclass(frozen=True)
class Allocated:
    """One payment of a bulk allocation: where all its suspense went."""

    payment_id: int
    reference_number: str
    amount: Decimal


def _named_account(reference_number: str) -> BillingAccount:
    """The account of the reference number the clerk gives (new or former)."""
    reference = reference_number.strip()
    if not reference:
        raise UnableToAllocate(_("Give the reference number of the account."))
    account_id = receivable_queries.accounts_by_reference(references=[reference]).get(reference)
    account = (
        customer_queries.get_billing_account(billing_account_id=account_id)
        if account_id is not None
        else None
    )
    if account is None:
        raise UnableToAllocate(
            _("No billing account has the reference number %(ref)s.") % {"ref": reference}
        )
    return account


def _bulk_targets(
    payment_ids: list[int], how: str, reference_number: str
) -> tuple[list[tuple[Payment, int]], list[str]]:
    """Each chosen payment with its account id, or why it cannot be allocated so."""
    payments = receivable_queries.payments_by_id(payment_ids=payment_ids)
    named = _named_account(reference_number).pk if how == NAMED_ACCOUNT else None
    in_text = receivable_queries.referenced_accounts(payments=list(payments.values()))
    targets, refused = [], []
    for payment_id in sorted(set(payment_ids)):
        payment = payments.get(payment_id)
        accounts = {named} if named is not None else in_text.get(payment_id, set())
        if payment is None or payment.status != receivable_queries.SUSPENSE:
            refused.append(_("payment %(id)s is not in suspense") % {"id": payment_id})
        elif len(accounts) != 1:
            refused.append(
                _("payment %(id)s names no account's reference number") % {"id": payment_id}
                if not accounts
                else _("payment %(id)s names %(n)s accounts' reference numbers")
                % {"id": payment_id, "n": len(accounts)}
            )
        else:
            targets.append((payment, next(iter(accounts))))
    return targets, refused


def allocate_suspense_in_bulk(
    *,
    user: Any,
    payment_ids: list[int],
    how: str,
    reason: str,
    now: dt.datetime,
    reference_number: str = "",
    request_id: str = "",
) -> list[Allocated]:
    """Allocate all each chosen payment has in suspense, through the same operation and with
    the same audit row per payment as :func:`allocate_suspense`, to the account ``how`` finds:
    :data:`NAMED_ACCOUNT` (by ``reference_number``, new or former) or
    :data:`REFERENCE_IN_TEXT` (the account whose reference number, new or former, the payment
    carries in its text or reference; only when exactly one account is named). All or none: a
    payment not in suspense any more or naming no account, or several, refuses them all,
    each named with why."""
    _require(user, ALLOCATE_PAYMENT, _("%(user)s may not allocate payments."))
    check_not_frozen()
    if how not in (NAMED_ACCOUNT, REFERENCE_IN_TEXT) or not payment_ids:
        raise UnableToAllocate(_("Choose the payments and how to find their account."))
    if not reason.strip():
        raise UnableToAllocate(_("Say why the payments are allocated."))
    with transaction.atomic():
        targets, refused = _bulk_targets(payment_ids, how, reference_number)
        if refused:
            raise UnableToAllocate(
                _("No payment was allocated: %(why)s.") % {"why": "; ".join(refused)}
            )
        accounts = customer_queries.billing_accounts_with_ids(
            billing_account_ids={account_id for _payment, account_id in targets}
        )
        done = []
        for payment, account_id in targets:
            account = accounts[account_id]
            amount = _allocate_all(user, payment, account, reason, now, request_id, how)
            done.append(Allocated(payment.pk, account.reference_number, amount))
    return done


def retry_deliveries(
    *, user: Any, delivery_ids: list[int], reason: str, now: dt.datetime, request_id: str = ""
) -> int:
    """Make the chosen failed deliveries due now (the next delivery run sends them, whatever
    their back-off or used-up attempts), once the cause (an address, the mail server) is
    mended; one audit row per delivery, on its customer. Returns how many were failed."""
    _require(user, RETRY_DELIVERY, _("%(user)s may not retry deliveries."))
    check_not_frozen()
    if not delivery_ids:
        raise cases.UnableToWorkCase(_("Choose the deliveries to retry."))
    why = reason.strip() or _("Retried after the cause was mended.")
    with transaction.atomic():
        failed = list(document_queries.failed_deliveries().filter(pk__in=delivery_ids))
        delivery.retry_now(delivery_ids=[d.pk for d in failed], at=now)
        for item in failed:
            audit.record(
                user=user,
                happened_at=now,
                action="documents.retry_delivery",
                object_type="documents.Delivery",
                object_id=item.pk,
                customer_id=item.invoice.billing_account.customer_id,
                reason=why,
                request_id=request_id,
                before={"attempts": item.attempts, "last_error": item.last_error},
                after={"next_attempt_at": now},
            )
    return len(failed)


def explain_bill_differences(
    *, user: Any, difference_ids: list[int], reason: str, now: dt.datetime, request_id: str = ""
) -> list[NetworkBillDifference]:
    """Close the chosen network bill differences as explained (the grid operator's bill is
    wrong, a rebill is on its way...): the reason is required and goes to one audit row per
    difference. All or none: one that is not open any more (explained by a colleague, or gone
    by a later check) refuses them all, named."""
    _require(user, EXPLAIN_BILL_DIFFERENCE, _("%(user)s may not explain network bill differences."))
    check_not_frozen()
    if not difference_ids:
        raise cases.UnableToWorkCase(_("Choose the differences to explain."))
    if not reason.strip():
        raise cases.UnableToWorkCase(_("Say why the network bill differs."))
    with transaction.atomic():
        try:
            done = hub_operations.explain_differences(ids=difference_ids, now=now)
        except hub_operations.UnableToExplain as exc:
            raise cases.UnableToWorkCase(
                _("Nothing was explained: %(ids)s is not open any more.")
                % {"ids": ", ".join(map(str, exc.args[0]))}
            ) from exc
        for row in done:
            audit.record(
                user=user,
                happened_at=now,
                action="hub.explain_bill_difference",
                object_type="hub.NetworkBillDifference",
                object_id=row.pk,
                customer_id=None,
                reason=reason.strip(),
                request_id=request_id,
                before={"status": "OPEN"},
                after={
                    "status": row.status,
                    "eic": row.metering_point.eic,
                    "month": row.period,
                    "kind": row.kind,
                    "band": row.band,
                },
            )
    return done
