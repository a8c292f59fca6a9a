"""The portal's "Requests" pages: the customer's requests with their status, one request
with the notes meant for the customer, and a form to open one (a question, a bill dispute,
moving in or out, a reading problem). Reads and writes go through
``usecases.portal_requests`` for the customer the user acts for; another customer's request
is a 404."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vool.domain.cases import queries as case_queries
from vool.domain.cases.operations import UnableToOpenCase
from vool.interfaces.portal.access import customer_page
from vool.usecases import portal, portal_requests
from vool.usecases.freeze import FrozenNow

if TYPE_CHECKING:
    from vool.domain.customers.models import Customer


class RequestForm(forms.Form):
    case_type = forms.ChoiceField(
        label=gettext_lazy("What is it about?"),
        choices=[(t.value, t.label) for t in case_queries.PORTAL_TYPES],
    )
    invoice = forms.TypedChoiceField(
        label=gettext_lazy("Invoice"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=gettext_lazy("For a bill dispute: the invoice you dispute."),
    )
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Your message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
    )

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["invoice"].choices = [  # type: ignore[attr-defined]
            ("", "-"),
            *[
                (i.pk, f"{i.number} ({i.period}, {i.gross_amount} EUR)")
                for i in portal_requests.disputable_invoices(customer)[:24]
            ],
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("case_type") == case_queries.BILL_DISPUTE and not data.get("invoice"):
            self.add_error("invoice", _("Choose the invoice you dispute."))
        return data


@customer_page
def requests_list(request: HttpRequest, customer: Customer) -> HttpResponse:
    rows = portal_requests.requests_of(customer)
    return render(request, "portal/requests.html", {"customer": customer, "rows": rows})


@customer_page
def request_detail(request: HttpRequest, customer: Customer, case_id: int) -> HttpResponse:
    try:
        case = portal_requests.request_of(customer, case_id=case_id)
    except portal.NotTheirs:
        raise Http404 from None
    context = {
        "customer": customer,
        "case": case,
        "notes": portal_requests.notes_for_customer(case),
    }
    return render(request, "portal/request.html", context)


@customer_page
def request_new(request: HttpRequest, customer: Customer) -> HttpResponse:
    form = RequestForm(request.POST or None, customer=customer)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = portal_requests.open_request(
                    customer,
                    user=request.user,
                    case_type=data["case_type"],
                    subject=data["subject"],
                    description=data["description"],
                    invoice_id=data["invoice"],
                    now=timezone.now(),
                )
            except portal.NotTheirs:
                raise Http404 from None
            except (UnableToOpenCase, FrozenNow):
                form.add_error(None, _("The request could not be opened. Try again later."))
            else:
                messages.success(
                    request,
                    _("Thank you: your request %(id)s is registered; we answer by %(due)s.")
                    % {"id": case.pk, "due": case.due_date},
                )
                return redirect("portal:request", case_id=case.pk)
    return render(
        request, "portal/request_new.html", {"customer": customer, "form": form}, status=status
    )
