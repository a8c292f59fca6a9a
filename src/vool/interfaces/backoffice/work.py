"""Back-office pages for customer requests (cases), the work queues and the freeze. Each
write goes through ``usecases.case_work`` or ``usecases.backoffice_actions``, which check the
permission, refuse during the freeze (all but registering a request) and write the audit row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vool.domain.billing.operations import UnableToRebill
from vool.domain.cases import operations as case_operations
from vool.domain.cases import queries as case_queries
from vool.domain.customers import queries as customer_queries
from vool.domain.metering.operations import NotAllowedToReviewReading
from vool.domain.receivables.dunning import UnableToHold
from vool.domain.receivables.operations import UnableToAllocate
from vool.domain.shown import shown_day, shown_money
from vool.interfaces.backoffice.case_forms import (
    AssignForm,
    AttachmentForm,
    CaseFilterForm,
    FreezeForm,
    NoteForm,
    ReasonForm,
    RegisterCaseForm,
    StatusForm,
)
from vool.interfaces.backoffice.views import request_id
from vool.usecases import (
    backoffice_actions,
    case_work,
    freeze,
    queue_assignment,
    rebill,
    work_queues,
)
from vool.usecases.backoffice_actions import NotAllowed
from vool.usecases.submit_reading import UnableToSubmitReading

if TYPE_CHECKING:
    from vool.domain.cases.models import Case
    from vool.domain.customers.models import Customer

PAGE_SIZE = 25

#: refusals a person can act on: shown as a message on the page the action came from
ACTION_ERRORS = (
    case_operations.UnableToOpenCase,
    case_operations.UnableToWorkCase,
    case_operations.UnableToSwitchFreeze,
    freeze.FrozenNow,
    UnableToRebill,
    UnableToHold,
    UnableToAllocate,
    UnableToSubmitReading,
)


def _context(request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
    return {
        **admin.site.each_context(request),
        "title": title,
        "freeze": freeze.current(),
        **extra,
    }


def _refused(request: HttpRequest, exc: Exception) -> HttpResponse:
    context = {**admin.site.each_context(request), "title": _("Not allowed"), "message": exc}
    return render(request, "backoffice/refused.html", context, status=403)


def _act(
    request: HttpRequest, action: Callable[[], Any], success: Callable[[Any], str], back: str
) -> HttpResponse:
    """Run ``action``; a refusal for want of permission is a 403 page, one a person can act
    on a message; then back to ``back``."""
    try:
        result = action()
    except (NotAllowed, NotAllowedToReviewReading) as exc:
        return _refused(request, exc)
    except ACTION_ERRORS as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success(result))
    return redirect(back)


def _act_with_reason(
    request: HttpRequest,
    back: str,
    *,
    names: tuple[str, ...],
    missing: str,
    action: Callable[[str, dict[str, int]], Any],
    success: Callable[[Any], str],
) -> HttpResponse:
    """A queue's one-row action: the row ids posted as ``names`` and a reason, else ``missing``
    as the message; then :func:`_act`."""
    form = ReasonForm(request.POST)
    posted = {name: request.POST.get(name, "") for name in names}
    if not form.is_valid() or not all(value.isdigit() for value in posted.values()):
        messages.error(request, missing)
        return redirect(back)
    ids = {name: int(value) for name, value in posted.items()}
    return _act(request, lambda: action(form.cleaned_data["reason"], ids), success, back)


def _ids(request: HttpRequest) -> list[int]:
    return [int(v) for v in request.POST.getlist("selected") if v.isdigit()]


def _page(request: HttpRequest, rows: Any) -> Any:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


#: the assignment fields on a queue page share the form with the queue's own (``reason``)
ASSIGN_PREFIX = "assign"


def _assign_items(request: HttpRequest, queue: str, back: str) -> HttpResponse:
    """A queue's assignment post: ``assign=me`` takes the chosen items, ``assign=bulk`` gives
    them to the person and/or team of the form."""
    ids, now, rid = _ids(request), timezone.now(), request_id(request)
    if request.POST.get("assign") == "me":
        return _act(
            request,
            lambda: queue_assignment.assign_to_me(
                user=request.user, queue=queue, item_ids=ids, now=now, request_id=rid
            ),
            lambda n: ngettext("%(n)s item assigned.", "%(n)s items assigned.", n) % {"n": n},
            back,
        )
    form = AssignForm(request.POST, prefix=ASSIGN_PREFIX)
    if not form.is_valid():
        messages.error(request, _("Choose the items and whom to assign them to."))
        return redirect(back)
    assignee, team = form.cleaned_data["assignee"], form.cleaned_data["team"]
    return _act(
        request,
        lambda: queue_assignment.assign_items(
            user=request.user,
            queue=queue,
            item_ids=ids,
            assignee_id=assignee.pk if assignee else None,
            group_id=team.pk if team else None,
            reason=form.cleaned_data["reason"],
            now=now,
            request_id=rid,
        ),
        lambda n: ngettext("%(n)s item assigned.", "%(n)s items assigned.", n) % {"n": n},
        back,
    )


def _assignable(
    request: HttpRequest,
    queue: str,
    rows: Any,
    *,
    key: Callable[[Any], int] = lambda row: int(row.pk),
    holder: Callable[[Any], Any] = lambda row: row,
) -> dict[str, Any]:
    """The context of an assignable queue page: the rows of the chosen ``assigned`` filter
    (``me``, ``team``, ``none``, or all) paged, each row's item (``holder``) with its
    ``assignment``; the filter's counts, the assignment form and the query for the pager."""
    assigned = request.GET.get("assigned", "")
    user_id = request.user.pk or 0
    counts = queue_assignment.filter_counts(rows, queue=queue, user_id=user_id, key=key)
    shown = queue_assignment.only(rows, queue=queue, assigned=assigned, user_id=user_id, key=key)
    page = _page(request, shown)
    queue_assignment.attach(list(page), queue=queue, holder=holder)
    query = request.GET.copy()
    query.pop("page", None)
    others = query.copy()
    others.pop("assigned", None)
    return {
        "page": page,
        "other_filters": others.urlencode(),
        "assigned": assigned,
        "assigned_counts": counts,
        "assign_form": AssignForm(prefix=ASSIGN_PREFIX),
        "query": query.urlencode(),
    }


# -- requests ---------------------------------------------------------------------------------


@permission_required("cases.view_case", raise_exception=True)
def cases_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    if request.method == "POST" and request.POST.get("assign") == "me":
        return _act(
            request,
            lambda: case_work.bulk_assign(
                user=request.user,
                case_ids=_ids(request),
                assignee_id=request.user.pk,
                group_id=None,
                reason=_("Taken to work on."),
                now=timezone.now(),
                request_id=request_id(request),
            ),
            lambda n: ngettext("%(n)s request assigned.", "%(n)s requests assigned.", n) % {"n": n},
            request.get_full_path(),
        )
    if request.method == "POST":  # bulk assignment
        form = AssignForm(request.POST)
        if not form.is_valid() or not _ids(request):
            messages.error(request, _("Choose requests and whom to assign them to."))
            return redirect(request.get_full_path())
        assignee, team = form.cleaned_data["assignee"], form.cleaned_data["team"]
        return _act(
            request,
            lambda: case_work.bulk_assign(
                user=request.user,
                case_ids=_ids(request),
                assignee_id=assignee.pk if assignee else None,
                group_id=team.pk if team else None,
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
                request_id=request_id(request),
            ),
            lambda n: ngettext("%(n)s request assigned.", "%(n)s requests assigned.", n) % {"n": n},
            request.get_full_path(),
        )
    filters = CaseFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    rows = work_queues.filtered_cases(
        today=today,
        user_id=request.user.pk,
        status=chosen.get("status", ""),
        case_type=chosen.get("case_type", ""),
        assigned=chosen.get("assigned", ""),
        overdue=bool(chosen.get("overdue")),
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = _context(
        request,
        _("Customer requests"),
        filters=filters,
        page=_page(request, rows),
        assign_form=AssignForm(),
        today=today,
        query=query.urlencode(),
    )
    return render(request, "backoffice/cases.html", context)


def _customer_or_404(customer_id: int) -> Customer:
    customer = customer_queries.get_customer(customer_id=customer_id)
    if customer is None:
        raise Http404(_("There is no customer %(id)s.") % {"id": customer_id})
    return customer


@permission_required("cases.add_case", raise_exception=True)
def case_new(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(customer_id)
    form = RegisterCaseForm(request.POST or None, initial={"channel": "PHONE"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = case_work.register_case(
                user=request.user,
                new=case_work.NewCase(
                    customer_id=customer.pk,
                    channel=data["channel"],
                    case_type=data["case_type"],
                    subject=data["subject"],
                    description=data["description"],
                    invoice_id=data["invoice_number"],  # cleaned to the invoice's id
                    reading_id=data["reading_id"],
                    contract_id=data["contract_id"],
                ),
                now=timezone.now(),
                request_id=request_id(request),
            )
        except NotAllowed as exc:
            return _refused(request, exc)
        except case_operations.UnableToOpenCase as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Request %(id)s registered, due %(due)s.")
                % {"id": case.pk, "due": case.due_date},
            )
            return redirect(reverse("backoffice:case", args=[case.pk]))
    context = _context(
        request,
        _("New request for %(name)s") % {"name": customer.name},
        form=form,
        customer=customer,
    )
    return render(request, "backoffice/case_new.html", context)


def _case_or_404(case_id: int) -> Case:
    case = case_queries.case_with_links(case_id=case_id)
    if case is None:
        raise Http404(_("There is no request %(id)s.") % {"id": case_id})
    return case


@permission_required("cases.view_case", raise_exception=True)
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(case_id)
    if request.method == "POST":
        return _work_case(request, case)
    context = _context(
        request,
        _("Request %(id)s: %(subject)s") % {"id": case.pk, "subject": case.subject},
        case=case,
        notes=case.notes.all(),
        attachments=case.attachments.all(),
        note_form=NoteForm(),
        attachment_form=AttachmentForm(),
        status_form=StatusForm(initial={"status": case.status}),
        assign_form=AssignForm(
            initial={"assignee": case.assigned_user_id, "team": case.assigned_group_id}
        ),
        may_work=case_work.may_work(request.user, case) and case.status != case_queries.RESOLVED,
        max_bytes=case_work.max_attachment_bytes(),
        today=timezone.localdate(),
    )
    return render(request, "backoffice/case.html", context)


def _work_case(request: HttpRequest, case: Case) -> HttpResponse:
    back = reverse("backoffice:case", args=[case.pk])
    what = request.POST.get("action", "")
    common: dict[str, Any] = {
        "user": request.user,
        "case_id": case.pk,
        "now": timezone.now(),
        "request_id": request_id(request),
    }
    action: Callable[[], Any]
    if what == "note" and (note := NoteForm(request.POST)).is_valid():
        data = note.cleaned_data
        action = lambda: case_work.add_note(  # noqa: E731
            **common, text=data["text"], for_customer=data["for_customer"]
        )
        said = _("Note added.")
    elif what == "attach" and (upload := AttachmentForm(request.POST, request.FILES)).is_valid():
        file = upload.cleaned_data["file"]
        if file.size > case_work.max_attachment_bytes():
            messages.error(
                request,
                _("The file %(name)s is %(size)s bytes; at most %(limit)s bytes are accepted.")
                % {"name": file.name, "size": file.size, "limit": case_work.max_attachment_bytes()},
            )
            return redirect(back)
        content = file.read()
        action = lambda: case_work.add_attachment(  # noqa: E731
            **common, file_name=file.name, content_type=file.content_type or "", content=content
        )
        said = _("File attached.")
    elif what == "status" and (status := StatusForm(request.POST)).is_valid():
        data = status.cleaned_data
        action = lambda: case_work.change_status(  # noqa: E731
            **common, status=data["status"], resolution=data["resolution"]
        )
        said = _("Status changed.")
    elif what == "assign" and (assign := AssignForm(request.POST)).is_valid():
        data = assign.cleaned_data
        action = lambda: case_work.assign_case(  # noqa: E731
            **common,
            assignee_id=data["assignee"].pk if data["assignee"] else None,
            group_id=data["team"].pk if data["team"] else None,
            reason=data["reason"],
        )
        said = _("Request assigned.")
    else:
        messages.error(request, _("Fill in the form completely."))
        return redirect(back)
    return _act(request, action, lambda _result: said, back)


@permission_required("cases.view_case", raise_exception=True)
def case_attachment(request: HttpRequest, case_id: int, attachment_id: int) -> HttpResponse:
    attachment = case_queries.get_attachment(case_id=case_id, attachment_id=attachment_id)
    if attachment is None:
        raise Http404(_("There is no such attachment."))
    response = HttpResponse(
        case_work.attachment_content(attachment), content_type="application/octet-stream"
    )
    response["Content-Disposition"] = f'attachment; filename="{attachment.pk}.bin"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# -- work queues -------------------------------------------------------------------------------


@permission_required("customers.view_customer", raise_exception=True)
def queues(request: HttpRequest) -> HttpResponse:
    counts = work_queues.counts(today=timezone.localdate(), user_id=request.user.pk or 0)
    return render(
        request, "backoffice/queues.html", _context(request, _("Work queues"), counts=counts)
    )


@permission_required("metering.view_reading", raise_exception=True)
def queue_readings(request: HttpRequest) -> HttpResponse:
    back = request.get_full_path()  # the same filter and page
    if request.method == "POST" and request.POST.get("assign"):
        return _assign_items(request, queue_assignment.READINGS, back)
    if request.method == "POST":
        form = ReasonForm(request.POST)
        decision = request.POST.get("decision")
        if not form.is_valid() or decision not in ("accept", "reject") or not _ids(request):
            messages.error(request, _("Choose readings, accept or reject, and say why."))
            return redirect(back)
        reason, ids = form.cleaned_data["reason"], _ids(request)
        now = timezone.now()

        def review_all() -> int:
            for reading_id in ids:  # each its own operation and audit row
                backoffice_actions.review_reading(
                    user=request.user,
                    reading_id=reading_id,
                    accept=decision == "accept",
                    reason=reason,
                    now=now,
                    request_id=request_id(request),
                )
            return len(ids)

        return _act(
            request,
            review_all,
            lambda n: ngettext("%(n)s reading reviewed.", "%(n)s readings reviewed.", n) % {"n": n},
            back,
        )
    rows = work_queues.pending_readings()
    return render(
        request,
        "backoffice/queue_readings.html",
        _context(
            request,
            _("Readings pending review"),
            **_assignable(request, queue_assignment.READINGS, rows),
        ),
    )


@permission_required("billing.view_billrun", raise_exception=True)
def queue_exceptions(request: HttpRequest) -> HttpResponse:
    back = request.get_full_path()  # the same filter and page
    if request.method == "POST" and request.POST.get("assign"):
        return _assign_items(request, queue_assignment.EXCEPTIONS, back)
    if request.method == "POST":
        return _act_with_reason(
            request,
            back,
            names=("exception",),
            missing=_("Say what was mended."),
            action=lambda reason, ids: case_work.bill_mended_account(
                user=request.user,
                exception_id=ids["exception"],
                reason=reason,
                now=timezone.now(),
                request_id=request_id(request),
            ),
            success=lambda invoice: _("Invoice %(number)s issued.") % {"number": invoice.number},
        )
    code = request.GET.get("code", "")
    rows = work_queues.open_exceptions(code=code)
    shown = _assignable(request, queue_assignment.EXCEPTIONS, rows)
    for row in shown["page"]:
        row.rule = work_queues.exception_rule(row.code)
    return render(
        request,
        "backoffice/queue_exceptions.html",
        _context(request, _("Bill-run exceptions"), code=code, **shown),
    )


def _allocate_chosen(request: HttpRequest, back: str) -> HttpResponse:
    """The suspense queue's bulk allocation: each chosen payment wholly to the account named
    (``bulk_allocate=NAMED_ACCOUNT`` and a reference number) or to the one whose reference
    number it carries (``REFERENCE_IN_TEXT``)."""
    ids, how, rid = _ids(request), request.POST.get("bulk_allocate", ""), request_id(request)

    def allocated(done: list[case_work.Allocated]) -> str:
        total = sum((row.amount for row in done), Decimal(0))
        return ngettext(
            "%(n)s payment allocated, %(amount)s in all.",
            "%(n)s payments allocated, %(amount)s in all.",
            len(done),
        ) % {
            "n": len(done),
            "amount": shown_money(total),
        }

    return _act(
        request,
        lambda: case_work.allocate_suspense_in_bulk(
            user=request.user,
            payment_ids=ids,
            how=how,
            reason=request.POST.get("reason", ""),
            reference_number=request.POST.get("reference_number", ""),
            now=timezone.now(),
            request_id=rid,
        ),
        allocated,
        back,
    )


@permission_required("receivables.view_payment", raise_exception=True)
def queue_suspense(request: HttpRequest) -> HttpResponse:
    back = request.get_full_path()  # the same filter and page
    if request.method == "POST" and request.POST.get("assign"):
        return _assign_items(request, queue_assignment.SUSPENSE, back)
    if request.method == "POST" and request.POST.get("bulk_allocate"):
        return _allocate_chosen(request, back)
    if request.method == "POST":
        return _act_with_reason(
            request,
            back,
            names=("payment", "account"),
            missing=_("Choose the account and say why."),
            action=lambda reason, ids: case_work.allocate_suspense(
                user=request.user,
                payment_id=ids["payment"],
                billing_account_id=ids["account"],
                reason=reason,
                now=timezone.now(),
                request_id=request_id(request),
            ),
            success=lambda amount: _("%(amount)s allocated.") % {"amount": shown_money(amount)},
        )
    shown = _assignable(
        request,
        queue_assignment.SUSPENSE,
        work_queues.suspense_items(),
        key=lambda item: int(item.payment.pk),
        holder=lambda item: item.payment,
    )
    return render(
        request,
        "backoffice/queue_suspense.html",
        _context(request, _("Payments in suspense"), total=work_queues.suspense_count(), **shown),
    )


@permission_required("documents.view_delivery", raise_exception=True)
def queue_deliveries(request: HttpRequest) -> HttpResponse:
    back = request.get_full_path()  # the same filter and page
    if request.method == "POST" and request.POST.get("assign"):
        return _assign_items(request, queue_assignment.DELIVERIES, back)
    if request.method == "POST":  # retry the chosen ones
        ids, reason = _ids(request), request.POST.get("reason", "")
        return _act(
            request,
            lambda: case_work.retry_deliveries(
                user=request.user,
                delivery_ids=ids,
                reason=reason,
                now=timezone.now(),
                request_id=request_id(request),
            ),
            lambda n: (
                ngettext(
                    "%(n)s delivery will be sent again by the next delivery run.",
                    "%(n)s deliveries will be sent again by the next delivery run.",
                    n,
                )
                % {"n": n}
            ),
            back,
        )
    rows = work_queues.failed_deliveries()
    return render(
        request,
        "backoffice/queue_deliveries.html",
        _context(
            request,
            _("Failed deliveries"),
            may_retry=request.user.has_perm(case_work.RETRY_DELIVERY),
            **_assignable(request, queue_assignment.DELIVERIES, rows),
        ),
    )


@permission_required("receivables.view_dunninghold", raise_exception=True)
def queue_holds(request: HttpRequest) -> HttpResponse:
    back = request.get_full_path()  # the same filter and page
    if request.method == "POST" and request.POST.get("assign"):
        return _assign_items(request, queue_assignment.HOLDS, back)
    if request.method == "POST" and request.POST.get("end_chosen"):
        ids, reason = _ids(request), request.POST.get("reason", "")
        return _act(
            request,
            lambda: case_work.end_dunning_holds(
                user=request.user,
                hold_ids=ids,
                reason=reason,
                now=timezone.now(),
                request_id=request_id(request),
            ),
            lambda ended: (
                ngettext("%(n)s hold ended.", "%(n)s holds ended.", len(ended)) % {"n": len(ended)}
            ),
            back,
        )
    if request.method == "POST":
        return _act_with_reason(
            request,
            back,
            names=("hold",),
            missing=_("Say why the hold ends."),
            action=lambda reason, ids: case_work.end_dunning_hold(
                user=request.user,
                hold_id=ids["hold"],
                reason=reason,
                now=timezone.now(),
                request_id=request_id(request),
            ),
            success=lambda ended: (
                _("The hold ends on %(day)s.") % {"day": shown_day(ended.valid_to)}
            ),
        )
    kind = request.GET.get("kind", "")
    rows = work_queues.active_holds(today=timezone.localdate(), kind=kind)
    shown = _assignable(request, queue_assignment.HOLDS, rows)
    holding = work_queues.open_cases_holding(hold_ids=[hold.pk for hold in shown["page"]])
    for hold in shown["page"]:
        hold.open_case = holding.get(hold.pk)  # a dispute's hold ends with its request
    return render(
        request,
        "backoffice/queue_holds.html",
        _context(request, _("Dunning holds"), kind=kind, **shown),
    )


@permission_required("metering.view_reading", raise_exception=True)
def queue_frozen_readings(request: HttpRequest) -> HttpResponse:
    back = request.get_full_path()  # the same filter and page
    if request.method == "POST" and request.POST.get("assign"):
        return _assign_items(request, queue_assignment.FROZEN_READINGS, back)
    if request.method == "POST":
        ids, now = _ids(request), timezone.now()
        if not ids:
            messages.error(request, _("Choose readings."))
            return redirect(back)

        def apply_all() -> int:
            for queued_id in ids:
                case_work.apply_queued_reading(
                    user=request.user,
                    queued_id=queued_id,
                    now=now,
                    request_id=request_id(request),
                )
            return len(ids)

        return _act(
            request,
            apply_all,
            lambda n: ngettext("%(n)s reading worked.", "%(n)s readings worked.", n) % {"n": n},
            back,
        )
    rows = work_queues.queued_readings()
    return render(
        request,
        "backoffice/queue_frozen_readings.html",
        _context(
            request,
            _("Readings queued during the freeze"),
            **_assignable(request, queue_assignment.FROZEN_READINGS, rows),
        ),
    )


def _month(text: str) -> dt.date | None:
    """The first day of a ``YYYY-MM`` month filter, or ``None`` (all months, or not a month)."""
    try:
        return dt.date.fromisoformat(f"{text}-01") if text else None
    except ValueError:
        return None


@permission_required("hub.view_networkbilldifference", raise_exception=True)
def queue_network_bills(request: HttpRequest) -> HttpResponse:
    back = request.get_full_path()  # the same filter and page
    if request.method == "POST" and request.POST.get("assign"):
        return _assign_items(request, queue_assignment.NETWORK_BILLS, back)
    if request.method == "POST":  # explain the chosen ones
        ids, reason = _ids(request), request.POST.get("reason", "")
        return _act(
            request,
            lambda: case_work.explain_bill_differences(
                user=request.user,
                difference_ids=ids,
                reason=reason,
                now=timezone.now(),
                request_id=request_id(request),
            ),
            lambda done: (
                ngettext("%(n)s difference explained.", "%(n)s differences explained.", len(done))
                % {"n": len(done)}
            ),
            back,
        )
    kind, month = request.GET.get("kind", ""), request.GET.get("month", "")
    kind_counts = work_queues.bill_difference_counts()
    rows = work_queues.bill_differences(kind=kind, period=_month(month))
    return render(
        request,
        "backoffice/queue_network_bills.html",
        _context(
            request,
            _("Network bill differences"),
            kind=kind,
            month=month,
            kinds=[
                (value, label, kind_counts.get(value, 0))
                for value, label in work_queues.BILL_DIFFERENCE_KINDS
            ],
            months=[f"{m:%Y-%m}" for m in work_queues.bill_difference_months()],
            may_explain=request.user.has_perm(case_work.EXPLAIN_BILL_DIFFERENCE),
            **_assignable(request, queue_assignment.NETWORK_BILLS, rows),
        ),
    )


# -- the freeze --------------------------------------------------------------------------------


def freeze_page(request: HttpRequest) -> HttpResponse:
    if not (request.user.is_superuser or request.user.has_perm(case_work.SWITCH_FREEZE)):
        return _refused(request, NotAllowed(_("Only an administrator switches the freeze.")))
    back = reverse("backoffice:freeze")
    form = FreezeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        now, rid = timezone.now(), request_id(request)
        if request.POST.get("switch") == "on":
            return _act(
                request,
                lambda: case_work.switch_freeze_on(
                    user=request.user, message=form.cleaned_data["message"], now=now, request_id=rid
                ),
                lambda _f: _("The freeze is on."),
                back,
            )
        return _act(
            request,
            lambda: case_work.switch_freeze_off(user=request.user, now=now, request_id=rid),
            lambda _f: _("The freeze is off."),
            back,
        )
    return render(
        request, "backoffice/freeze.html", _context(request, _("Service freeze"), form=form)
    )


# -- rebill with preview -----------------------------------------------------------------------


@permission_required("billing.view_invoice", raise_exception=True)
def rebill_page(request: HttpRequest, number: int) -> HttpResponse:
    """GET: the reason; POST ``preview``: the new invoice beside the old; POST ``confirm``:
    the rebill, if the new invoice is still the previewed one."""
    form = ReasonForm(request.POST or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        reason, now = form.cleaned_data["reason"], timezone.now()
        try:
            if request.POST.get("step") == "confirm":
                new = rebill.rebill(
                    user=request.user,
                    number=number,
                    reason=reason,
                    expected_gross=Decimal(request.POST.get("expected_gross", "")),
                    now=now,
                    request_id=request_id(request),
                )
                messages.success(
                    request,
                    _("Invoice %(old)s rebilled: new invoice %(new)s.")
                    % {"old": number, "new": new.number},
                )
                return redirect(reverse("backoffice:invoice", args=[new.number]))
            preview = rebill.preview_rebill(
                user=request.user, number=number, reason=reason, now=now
            )
        except NotAllowed as exc:
            return _refused(request, exc)
        except (UnableToRebill, freeze.FrozenNow, InvalidOperation) as exc:
            form.add_error(None, str(exc))
    context = _context(
        request,
        _("Rebill invoice %(number)s") % {"number": number},
        form=form,
        number=number,
        preview=preview,
    )
    return render(request, "backoffice/rebill.html", context)
