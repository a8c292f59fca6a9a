"""The letters sent to the customer (issue 11 §5 in the portal): the list and each PDF."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from vool.interfaces.portal.access import customer_page
from vool.usecases import portal, portal_letters

if TYPE_CHECKING:  # types only
    from vool.domain.customers.models import Customer


@customer_page
def letters(request: HttpRequest, customer: Customer) -> HttpResponse:
    rows = portal_letters.letters_of(customer)
    return render(request, "portal/letters.html", {"customer": customer, "rows": rows})


@customer_page
def letter_pdf(request: HttpRequest, customer: Customer, letter_id: int) -> HttpResponse:
    try:
        letter = portal_letters.letter_file(customer, letter_id=letter_id)
    except portal.NotTheirs:
        raise Http404 from None
    response = HttpResponse(letter.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{letter.filename}"'
    return response
