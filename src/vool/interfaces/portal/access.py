"""Who is signed in and for which customer they act: the one door every portal page goes
through. A page of the portal is a function ``(request, customer, ...)``; it never sees a
customer the user may not act for."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from vool.usecases import portal

if TYPE_CHECKING:  # types only
    from vool.domain.customers.models import Customer

SESSION_CUSTOMER = "portal_customer_id"

CustomerPage = Callable[..., HttpResponse]


def user_id_of(request: HttpRequest) -> int:
    return int(request.user.pk)  # type: ignore[arg-type]  # signed in: never None


def _chosen_of(request: HttpRequest, customers: list[Customer]) -> Customer | None:
    """Of the user's ``customers``: the one chosen in this session, else the first."""
    chosen = request.session.get(SESSION_CUSTOMER)
    try:
        return portal.choose_customer(customers, customer_id=chosen)
    except portal.NotTheirs:
        request.session.pop(SESSION_CUSTOMER, None)
    try:
        return portal.choose_customer(customers, customer_id=None)
    except portal.NotTheirs:
        return None


def customer_page(view: CustomerPage) -> Callable[..., HttpResponse]:
    """Signed in, acting for a customer: ``view(request, customer, **kwargs)``."""

    @login_required
    @wraps(view)
    def page(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        customers = portal.customers_for(user_id=user_id_of(request))  # one read a request
        customer = _chosen_of(request, customers)
        if customer is None:
            return render(request, "portal/no_customer.html", status=403)
        request.portal_customer = customer  # type: ignore[attr-defined]
        request.portal_customers = customers  # type: ignore[attr-defined]
        return view(request, customer, *args, **kwargs)

    return page
