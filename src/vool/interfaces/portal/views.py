"""The pages of the self-service portal (e-teenindus). Each page reads through
``vool.usecases.portal`` for the customer the user acts for (see ``access``)."""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING, Any, NamedTuple

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from vool.common.localtime import Month
from vool.domain.shown import shown_language
from vool.interfaces import charts
from vool.interfaces.portal.access import SESSION_CUSTOMER, customer_page, user_id_of
from vool.interfaces.portal.forms import ReadingForm, SignInForm, SwitchCustomerForm
from vool.interfaces.portal.security_views import needs_second_step
from vool.interfaces.portal.templatetags.portal import day, kwh
from vool.usecases import portal, render_invoices

if TYPE_CHECKING:  # types only
    from vool.domain.customers.models import Customer


class SignInView(auth_views.LoginView):
    """Sign-in (throttled by django-axes, like the admin's); the session lasts
    ``VOOL_PORTAL_SESSION_MINUTES`` from the last request that changed it."""

    form_class = SignInForm
    template_name = "portal/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = settings.VOOL_OIDC_ENABLED  # the eID broker (oidc.py)
        return context

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        second_step = needs_second_step(self.request, form.get_user(), self.get_success_url())
        if second_step is not None:  # two-step sign-in: the code first (security_views)
            return second_step
        response = super().form_valid(form)
        self.request.session.pop(SESSION_CUSTOMER, None)
        self.request.session.set_expiry(settings.VOOL_PORTAL_SESSION_MINUTES * 60)
        return response


sign_in = SignInView.as_view()
sign_out = auth_views.LogoutView.as_view(next_page=reverse_lazy("portal:login"))

password_reset = auth_views.PasswordResetView.as_view(
    template_name="portal/registration/password_reset_form.html",
    email_template_name="portal/registration/password_reset_email.txt",
    subject_template_name="portal/registration/password_reset_subject.txt",
    success_url=reverse_lazy("portal:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="portal/registration/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="portal/registration/password_reset_confirm.html",
    success_url=reverse_lazy("portal:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="portal/registration/password_reset_complete.html"
)


@require_POST
@customer_page
def switch_customer(request: HttpRequest, customer: Customer) -> HttpResponse:
    form = SwitchCustomerForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        chosen = portal.customer_for(
            user_id=user_id_of(request), customer_id=form.cleaned_data["customer"]
        )
    except portal.NotTheirs:
        raise Http404 from None
    request.session[SESSION_CUSTOMER] = chosen.pk
    return redirect("portal:overview")


@customer_page
def overview(request: HttpRequest, customer: Customer) -> HttpResponse:
    data = portal.overview(customer, as_of=timezone.now())
    return render(request, "portal/overview.html", {"customer": customer, "overview": data})


@customer_page
def invoice_pdf(request: HttpRequest, customer: Customer, invoice_id: int) -> HttpResponse:
    """The invoice's PDF, rendered on demand the first time (then the stored one)."""
    try:
        invoice = portal.invoice_of(customer, invoice_id=invoice_id)
    except portal.NotTheirs:
        raise Http404 from None
    assert invoice.number is not None
    pdf = render_invoices.invoice_pdf(number=invoice.number, as_of=timezone.now())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="vool-{invoice.number}.pdf"'
    return response


_language = shown_language


@customer_page
def invoices(request: HttpRequest, customer: Customer) -> HttpResponse:
    rows = portal.invoice_rows(customer, today=timezone.localdate())
    return render(request, "portal/invoices.html", {"customer": customer, "rows": rows})


@customer_page
def invoice(request: HttpRequest, customer: Customer, invoice_id: int) -> HttpResponse:
    try:
        data = portal.invoice_detail(customer, invoice_id=invoice_id, language=_language())
    except portal.NotTheirs:
        raise Http404 from None
    return render(
        request, "portal/invoice.html", {"customer": customer, "data": data, "id": invoice_id}
    )


_READING_SAID = {
    portal.ReadingOutcome.MONTH_END: (
        messages.SUCCESS,
        _("Thank you: your reading is the month-end reading of %(period)s."),
    ),
    portal.ReadingOutcome.INTERIM: (
        messages.SUCCESS,
        _(
            "Thank you: your reading is saved. It came outside the reading window, so it is "
            "an interim reading; the next bill uses it."
        ),
    ),
    portal.ReadingOutcome.FOR_REVIEW: (
        messages.WARNING,
        _(
            "Your reading is saved, but the consumption it gives is unusually high or low for "
            "this meter: customer service checks it before the bill uses it."
        ),
    ),
    portal.ReadingOutcome.ALREADY_GIVEN: (
        messages.INFO,
        _("You gave this reading today already; nothing changed."),
    ),
    portal.ReadingOutcome.QUEUED: (
        messages.INFO,
        _(
            "Thank you: your reading is kept. The service is paused for maintenance; the "
            "reading is taken in as soon as the pause ends, dated when you gave it."
        ),
    ),
}


@customer_page
def readings(request: HttpRequest, customer: Customer) -> HttpResponse:
    return _readings_page(request, customer)


def _readings_page(
    request: HttpRequest,
    customer: Customer,
    bound: tuple[int, ReadingForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    points = portal.manual_points(customer, today=timezone.localdate(now))
    forms = [
        (p, bound[1] if bound and bound[0] == p.point.pk else ReadingForm(registers=p.registers))
        for p in points
    ]
    window = portal.reading_window_state(customer, as_of=now)
    context = {"customer": customer, "points": forms, "window": window}
    return render(request, "portal/readings.html", context, status=status)


@require_POST
@customer_page
def submit_reading(request: HttpRequest, customer: Customer, point_id: int) -> HttpResponse:
    now = timezone.now()
    try:
        portal.manual_point_of(customer, point_id=point_id, today=timezone.localdate(now))
    except portal.NotTheirs:
        raise Http404 from None
    (point,) = [
        p
        for p in portal.manual_points(customer, today=timezone.localdate(now))
        if p.point.pk == point_id
    ]
    form = ReadingForm(request.POST, registers=point.registers)
    if not form.is_valid():
        return _readings_page(request, customer, bound=(point_id, form), status=400)
    try:
        result = portal.submit_portal_reading(
            customer, point_id=point_id, values_kwh=form.values_kwh(), as_of=now, user=request.user
        )
    except portal.UnableToSubmitReading as exc:
        form.add_error(None, _("The reading was not accepted: %(why)s") % {"why": exc})
        return _readings_page(request, customer, bound=(point_id, form), status=400)
    if result.outcome == portal.ReadingOutcome.BELOW_PREVIOUS:
        form.add_error(
            None,
            _(
                "The reading is lower than the previous one. Check the numbers on the meter; if "
                "the meter has gone round past zero or was replaced, contact customer service."
            ),
        )
        return _readings_page(request, customer, bound=(point_id, form), status=400)
    level, text = _READING_SAID[result.outcome]
    messages.add_message(request, level, text % {"period": result.period})
    return redirect("portal:readings")


def _consumption_request(
    request: HttpRequest, customer: Customer, point_id: int
) -> portal.Consumption:
    """The consumption the query string asks for (``step=day|month``, ``month=YYYY-MM``);
    Http404 for another customer's point or a month that is not one."""
    today = timezone.localdate()
    step = (
        portal.ConsumptionStep.DAY
        if request.GET.get("step") == "day"
        else portal.ConsumptionStep.MONTH
    )
    try:
        month = Month.parse(request.GET["month"]) if "month" in request.GET else Month.of(today)
        return portal.consumption(customer, point_id=point_id, step=step, month=month, today=today)
    except (portal.NotTheirs, ValueError):
        raise Http404 from None


def _row_label(row: portal.ConsumptionRow, step: portal.ConsumptionStep) -> str:
    if step == portal.ConsumptionStep.DAY:
        return str(row.start.day)
    return date_format(row.start, "M Y")


def _figure(row: portal.ConsumptionRow) -> str:
    return "—" if row.kwh is None else kwh(row.kwh)


class _TableRow(NamedTuple):
    """A row of the consumption table, its texts made once (the chart's titles use them)."""

    link: str  # the day's page (by day), else empty
    text: str  # the day or the month
    figure: str  # the kWh as the language writes them, or — when not known
    estimated: bool


@customer_page
def consumption_points(request: HttpRequest, customer: Customer) -> HttpResponse:
    points = portal.metering_points_of(customer, today=timezone.localdate())
    if len(points) == 1:
        return redirect("portal:consumption", point_id=points[0].pk)
    return render(request, "portal/consumption_points.html", {"points": points})


@customer_page
def consumption(request: HttpRequest, customer: Customer, point_id: int) -> HttpResponse:
    data = _consumption_request(request, customer, point_id)
    by_day = data.step == portal.ConsumptionStep.DAY
    title = (
        _("Consumption by day in %(month)s, kWh")
        if by_day
        else _("Consumption by month over 12 months up to %(month)s, kWh")
    ) % {"month": date_format(data.month.first_day, "F Y")}
    rows = [(row, _row_label(row, data.step), _figure(row)) for row in data.rows]
    bars = [
        charts.Bar(
            label=label if by_day else date_format(row.start, "M"),
            title=f"{label}: {figure}",
            value=row.kwh,
            estimated=row.estimated,
        )
        for row, label, figure in rows
    ]
    day_url = reverse("portal:consumption_day", args=[data.point.pk])
    table = [
        _TableRow(
            link=f"{day_url}?day={row.start:%Y-%m-%d}" if by_day else "",
            text=day(row.start) if by_day else label,
            figure=figure,
            estimated=row.estimated,
        )
        for row, label, figure in rows
    ]
    chart = charts.bar_chart(
        bars,
        title=title,
        description=str(_("The same figures are in the table below the chart.")),
        unit="kWh",
    )
    context = {
        "customer": customer,
        "data": data,
        "title": title,
        "chart": chart,
        "rows": table,
        "previous": data.month.previous(),
        "next": data.month.next(),
        "step": data.step.value,
    }
    return render(request, "portal/consumption.html", context)


@customer_page
def consumption_csv(request: HttpRequest, customer: Customer, point_id: int) -> HttpResponse:
    """The figures of the page as CSV (ISO dates, kWh with a point: for spreadsheets)."""
    data = _consumption_request(request, customer, point_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"vool-{data.point.eic}-{data.step.value}-{data.month}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(["metering_point", "start", "kwh", "estimated"])
    for row in data.rows:
        writer.writerow(
            [
                data.point.eic,
                row.start.isoformat() if data.step == "day" else row.start.strftime("%Y-%m"),
                "" if row.kwh is None else f"{row.kwh:f}",
                "yes" if row.estimated else "no",
            ]
        )
    return response
