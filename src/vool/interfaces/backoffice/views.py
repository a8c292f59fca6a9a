"""Back-office pages that go beyond the admin: search, the 360° customer view, an invoice with
its lines, and the actions (credit an invoice, review a reading, start a bill run), each
through ``usecases.backoffice_actions``, which checks the permission and writes the audit
row."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any, NamedTuple

from django.contrib import admin, messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vool.common.localtime import Month
from vool.domain.billing import queries as billing_queries
from vool.domain.billing.operations import (
    OutsideBillingWindow,
    UnableToCreditInvoice,
    UnableToStartRun,
)
from vool.domain.documents import formatting
from vool.domain.metering import queries as metering_queries
from vool.domain.metering.operations import (
    REVIEW_PERMISSION,
    NotAllowedToReviewReading,
    UnableToSubmitReading,
)
from vool.domain.shown import shown_language
from vool.interfaces import charts
from vool.interfaces.backoffice.customer_forms import letter_form
from vool.interfaces.backoffice.forms import (
    CreditInvoiceForm,
    ReviewReadingForm,
    StartBillRunForm,
)
from vool.usecases import (
    backoffice_actions,
    backoffice_contracts,
    bill_run,
    customer_actions,
    customer_search,
    customer_view,
    hub_agreements,
    portal,
    render_invoices,
    work_queues,
)

if TYPE_CHECKING:  # types only: invoices are read through billing.queries
    from vool.domain.billing.models import Invoice
    from vool.domain.customers.models import Customer
    from vool.domain.supply.models import MeteringPoint


@permission_required("billing.add_billrun", raise_exception=True)
def start_bill_run(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    if request.method == "POST":
        form = StartBillRunForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                run = backoffice_actions.start_bill_run(
                    user=request.user,
                    period=data["period"],
                    today=today,
                    now=timezone.now(),
                    force_reason=data["reason"].strip() if data["force"] else "",
                    workers=data["workers"],
                    request_id=request_id(request),
                )
            except bill_run.RunAlreadyStarted as exc:
                # a double submit, or a colleague was quicker: show the run that is going
                messages.warning(request, str(exc))
                return redirect(reverse("admin:billing_billrun_change", args=[exc.run.pk]))
            except (OutsideBillingWindow, UnableToStartRun) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("Bill run %(id)s of %(period)s started; it finishes in the background.")
                    % {"id": run.pk, "period": run.period},
                )
                return redirect(reverse("admin:billing_billrun_change", args=[run.pk]))
    else:
        form = StartBillRunForm(initial={"period": str(Month.of(today).previous())})
    context = {
        **admin.site.each_context(request),
        "title": _("Start a bill run"),
        "form": form,
        "today": today,
    }
    return render(request, "backoffice/start_bill_run.html", context)


PAGE_SIZE = 20


def request_id(request: HttpRequest) -> str:
    """The request's id for the audit log: the proxy's ``X-Request-ID``, else a new one."""
    given = request.headers.get("X-Request-ID", "")[:64]
    return given or uuid.uuid4().hex


def _page(request: HttpRequest, rows: Any, name: str) -> Any:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get(name))


@permission_required("customers.view_customer", raise_exception=True)
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    result = customer_search.search(query=query) if query.strip() else None
    if result is not None and result.jump_to is not None:
        return redirect(reverse("backoffice:customer", args=[result.jump_to]))
    context = {
        **admin.site.each_context(request),
        "title": _("Find a customer"),
        "query": query,
        "result": result,
    }
    return render(request, "backoffice/search.html", context)


@permission_required("customers.view_customer", raise_exception=True)
def customer(request: HttpRequest, customer_id: int) -> HttpResponse:
    try:
        view = customer_view.customer_view(customer_id=customer_id, today=timezone.localdate())
    except customer_view.NoSuchCustomer as exc:
        raise Http404(str(exc)) from exc
    audit = _page(request, view.audit, "audit")
    for entry in audit:
        entry.action_label = customer_view.action_label(entry.action)
    every = [*view.contracts.current, *view.contracts.future, *view.contracts.past]
    hub = hub_agreements.states_of(every, today=timezone.localdate())
    for contract in every:
        contract.hub = hub.get(contract.pk)  # type: ignore[attr-defined]
    letters = _page(
        request, customer_actions.letters_of_customer(customer_id=customer_id), "letters"
    )
    for letter in letters:
        letter.kind_label = customer_actions.letter_kind_label(letter.kind)
    deliveries = _page(
        request,
        customer_actions.invoice_deliveries_of_customer(customer_id=customer_id),
        "deliveries",
    )
    emails = _page(request, customer_actions.emails_of_customer(customer_id=customer_id), "emails")
    context = {
        **admin.site.each_context(request),
        "title": view.customer.name,
        "view": view,
        "invoices": _page(request, view.invoices, "invoices"),
        "allocations": _page(request, view.allocations, "payments"),
        "audit": audit,
        "may_review": request.user.has_perm(REVIEW_PERMISSION),
        "pending": metering_queries.PENDING_REVIEW,
        "cases": work_queues.cases_of_customer(customer_id=customer_id)[:50],
        "may_conclude": request.user.has_perm(backoffice_contracts.CONCLUDE_PERMISSION),
        "may_withdraw": request.user.has_perm(backoffice_contracts.WITHDRAW_PERMISSION),
        "letters": letters,
        "deliveries": deliveries,
        "emails": emails,
        "consumption": _consumption_charts(view.customer, today=timezone.localdate()),
        "letter_form": letter_form(customer_id)
        if request.user.has_perm(customer_actions.SEND_LETTER_PERMISSION)
        else None,
    }
    return render(request, "backoffice/customer.html", context)


class _MonthFigure(NamedTuple):
    text: str  # the month as the language writes it
    figure: str  # the kWh as the language writes them, or — when not known
    estimated: bool


class _PointConsumption(NamedTuple):
    point: MeteringPoint
    chart: str  # inline SVG
    figures: list[_MonthFigure]  # the chart's figures, for the table beside it


def _consumption_charts(customer: Customer, *, today: dt.date) -> list[_PointConsumption]:
    """Each point supplied today: its consumption by month over twelve months, as the
    customer sees it in the portal (``usecases.portal.consumption``)."""
    language = shown_language()
    month = Month.of(today)
    title = _("Consumption by month over 12 months up to %(month)s, kWh") % {
        "month": date_format(month.first_day, "F Y")
    }
    shown = []
    for point in portal.metering_points_of(customer, today=today):
        data = portal.consumption(
            customer, point_id=point.pk, step=portal.ConsumptionStep.MONTH, month=month, today=today
        )
        figures = [
            _MonthFigure(
                text=date_format(row.start, "M Y"),
                figure="—" if row.kwh is None else formatting.kwh(row.kwh, language=language),
                estimated=row.estimated,
            )
            for row in data.rows
        ]
        bars = [
            charts.Bar(
                label=date_format(row.start, "M"),
                title=f"{figure.text}: {figure.figure}",
                value=row.kwh,
                estimated=row.estimated,
            )
            for row, figure in zip(data.rows, figures, strict=True)
        ]
        description = _("The same figures are in the table below the chart.")
        chart = charts.bar_chart(bars, title=title, description=description, unit="kWh")
        shown.append(_PointConsumption(point=point, chart=chart, figures=figures))
    return shown


def _invoice_or_404(number: int) -> Invoice:
    invoice = billing_queries.invoice_by_number(number=number)
    if invoice is None:
        raise Http404(_("There is no invoice number %(number)s.") % {"number": number})
    return invoice


@permission_required("billing.view_invoice", raise_exception=True)
def invoice(request: HttpRequest, number: int) -> HttpResponse:
    shown = _invoice_or_404(number)
    form = CreditInvoiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            note = backoffice_actions.credit_invoice(
                user=request.user,
                number=number,
                reason=form.cleaned_data["reason"],
                today=timezone.localdate(),
                now=timezone.now(),
                request_id=request_id(request),
            )
        except backoffice_actions.NotAllowed as exc:
            return render(
                request,
                "backoffice/refused.html",
                {**admin.site.each_context(request), "title": _("Not allowed"), "message": exc},
                status=403,
            )
        except UnableToCreditInvoice as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Invoice %(number)s credited by credit note %(note)s.")
                % {"number": number, "note": note.number},
            )
            return redirect(
                reverse("backoffice:customer", args=[shown.billing_account.customer_id])
            )
    context = {
        **admin.site.each_context(request),
        "title": _("Invoice %(number)s") % {"number": number},
        "invoice": shown,
        "lines": customer_view.invoice_lines(invoice=shown),
        "form": form,
        "may_credit": shown.kind == shown.Kind.INVOICE
        and shown.status == shown.Status.ISSUED
        and request.user.has_perm(backoffice_actions.CREDIT_PERMISSION),
    }
    return render(request, "backoffice/invoice.html", context)


@permission_required("billing.view_invoice", raise_exception=True)
def invoice_pdf(request: HttpRequest, number: int) -> HttpResponse:
    try:
        data = render_invoices.invoice_pdf(number=number, as_of=timezone.now())
    except render_invoices.NoSuchInvoice as exc:
        raise Http404(str(exc)) from exc
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="invoice-{number}.pdf"'
    return response


@require_POST
def review_reading(request: HttpRequest, reading_id: int) -> HttpResponse:
    form = ReviewReadingForm(request.POST)
    back = request.POST.get("customer", "")
    target = (
        reverse("backoffice:customer", args=[int(back)])
        if back.isdigit()
        else reverse("backoffice:search")
    )
    if not form.is_valid():
        messages.error(request, _("Say why the reading is accepted or rejected."))
        return redirect(target)
    try:
        backoffice_actions.review_reading(
            user=request.user,
            reading_id=reading_id,
            accept=form.cleaned_data["decision"] == "accept",
            reason=form.cleaned_data["reason"],
            now=timezone.now(),
            request_id=request_id(request),
        )
    except NotAllowedToReviewReading as exc:
        return render(
            request,
            "backoffice/refused.html",
            {**admin.site.each_context(request), "title": _("Not allowed"), "message": exc},
            status=403,
        )
    except UnableToSubmitReading as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The reading was reviewed."))
    return redirect(target)
