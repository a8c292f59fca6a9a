"""Back-office pages of the actions on one customer: move out, move in (the metering point found
by search), change the package (the calculator's ranking shown) and send a letter. Each write
goes through ``usecases.customer_actions``, which checks the permission, refuses during the
freeze and writes the audit row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import admin, messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vool.domain.customers import queries as customer_queries
from vool.interfaces.backoffice.customer_forms import (
    MoveInForm,
    MoveOutForm,
    PackageForm,
    letter_form,
)
from vool.interfaces.backoffice.views import request_id
from vool.interfaces.reading_fields import reading_values
from vool.usecases import contract_changes, customer_actions, freeze
from vool.usecases.backoffice_actions import NotAllowed
from vool.usecases.customer_actions import Actor, NoSuchThing, UnableToChangeContract

T = TypeVar("T")


def _actor(request: HttpRequest) -> Actor:
    return Actor(
        user=request.user,
        now=timezone.now(),
        address=request.META.get("REMOTE_ADDR") or None,
        language=get_language() or "et",
        request_id=request_id(request),
    )


def _context(request: HttpRequest, title: str, customer: Any, **extra: Any) -> dict[str, Any]:
    return {
        **admin.site.each_context(request),
        "title": title,
        "customer": customer,
        "freeze": freeze.current(),
        **extra,
    }


def _refused(request: HttpRequest, exc: Exception) -> HttpResponse:
    context = {**admin.site.each_context(request), "title": _("Not allowed"), "message": exc}
    return render(request, "backoffice/refused.html", context, status=403)


def _customer(customer_id: int) -> Any:
    customer = customer_queries.get_customer(customer_id=customer_id)
    if customer is None:
        raise Http404(_("There is no customer %(id)s.") % {"id": customer_id})
    return customer


def _back(customer_id: int, anchor: str = "contracts") -> str:
    return reverse("backoffice:customer", args=[customer_id]) + f"#{anchor}"


def _add_error(form: Any, exc: UnableToChangeContract) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


def _change(
    request: HttpRequest,
    form: Any,
    change: Callable[[], T],
    said: Callable[[T], str],
    back: str,
) -> HttpResponse | None:
    """Make a contract change the form asked for: a refusal for want of permission is the 403
    page; one the clerk can act on goes on the form (its field when it names one), and None
    says show the form again; else the success message and back to ``back``."""
    try:
        result = change()
    except NotAllowed as exc:
        return _refused(request, exc)
    except UnableToChangeContract as exc:
        _add_error(form, exc)
    except (NoSuchThing, freeze.FrozenNow) as exc:
        form.add_error(None, str(exc))
    else:
        messages.success(request, said(result))
        return redirect(back)
    return None


@permission_required(customer_actions.CHANGE_CONTRACT_PERMISSION, raise_exception=True)
def move_out(request: HttpRequest, customer_id: int, contract_id: int) -> HttpResponse:
    customer = _customer(customer_id)
    today = timezone.localdate()
    try:
        registers = customer_actions.registers_of_contract(
            customer_id=customer_id, contract_id=contract_id, today=today
        )
    except NoSuchThing as exc:
        raise Http404(str(exc)) from exc
    form = MoveOutForm(request.POST or None, registers=registers, initial={"move_out_on": today})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = _change(
            request,
            form,
            lambda: customer_actions.move_out(
                actor=_actor(request),
                customer_id=customer_id,
                contract_id=contract_id,
                move_out_on=data["move_out_on"],
                values_kwh=reading_values(form),
                reason=data["reason"],
            ),
            lambda ended: (
                _(
                    "The contract at %(eic)s ends on %(day)s; the final bill comes with the "
                    "next run."
                )
                % {"eic": ended.metering_point.eic, "day": ended.valid_to}
            ),
            _back(customer_id),
        )
        if done is not None:
            return done
    context = _context(
        request,
        _("Move out: %(name)s") % {"name": customer.name},
        customer,
        form=form,
        submit=_("End the contract"),
    )
    return render(request, "backoffice/move_out.html", context)


def _move_in_form(
    request: HttpRequest, customer: Any, found: customer_actions.PointFound, today: Any
) -> MoveInForm:
    accounts = customer_queries.billing_accounts_of(customer_id=customer.pk)
    products = contract_changes.products_open_to(customer, on=today)
    return MoveInForm(
        request.POST or None,
        accounts=[(a.pk, a.reference_number) for a in accounts],
        products=[(p.code, f"{p.name} ({p.code})") for p in products],
        registers=found.registers,
        initial={"eic": found.point.eic, "move_in_on": today},
    )


@permission_required(customer_actions.ADD_CONTRACT_PERMISSION, raise_exception=True)
def move_in(request: HttpRequest, customer_id: int) -> HttpResponse:
    """GET ``q``: the points found; GET/POST ``eic``: the move-in form for that point."""
    customer = _customer(customer_id)
    today = timezone.localdate()
    query = request.GET.get("q", "").strip()
    eic = (request.POST.get("eic") or request.GET.get("eic", "")).strip()
    found = customer_actions.find_points(text=query, today=today) if query else []
    form = None
    chosen = None
    if eic:
        try:
            chosen = customer_actions.point_for_move_in(eic=eic, today=today)
        except UnableToChangeContract as exc:
            messages.error(request, str(exc))
        else:
            form = _move_in_form(request, customer, chosen, today)
    if form is not None and request.method == "POST" and form.is_valid():
        data, filled = form.cleaned_data, form
        done = _change(
            request,
            form,
            lambda: customer_actions.move_in(
                actor=_actor(request),
                new=customer_actions.NewContract(
                    customer_id=customer_id,
                    account_id=data["account"],
                    eic=data["eic"],
                    product_code=data["product"],
                    move_in_on=data["move_in_on"],
                ),
                values_kwh=reading_values(filled),
                reason=data["reason"],
            ),
            lambda contract: (
                _("Contract for %(eic)s from %(day)s made.")
                % {"eic": contract.metering_point.eic, "day": contract.valid_from}
            ),
            _back(customer_id),
        )
        if done is not None:
            return done
    context = _context(
        request,
        _("Move in: %(name)s") % {"name": customer.name},
        customer,
        query=query,
        found=found,
        chosen=chosen,
        form=form,
    )
    return render(request, "backoffice/move_in.html", context)


@permission_required(customer_actions.CHANGE_CONTRACT_PERMISSION, raise_exception=True)
def change_package(request: HttpRequest, customer_id: int, contract_id: int) -> HttpResponse:
    customer = _customer(customer_id)
    try:
        offers = customer_actions.package_offers(
            customer_id=customer_id, contract_id=contract_id, today=timezone.localdate()
        )
    except NoSuchThing as exc:
        raise Http404(str(exc)) from exc
    form = PackageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = _change(
            request,
            form,
            lambda: customer_actions.change_package(
                actor=_actor(request),
                customer_id=customer_id,
                contract_id=contract_id,
                product_code=data["product"],
                reason=data["reason"],
            ),
            lambda new: (
                _("The package changes to %(name)s from %(day)s.")
                % {"name": new.product.name, "day": new.valid_from}
            ),
            _back(customer_id),
        )
        if done is not None:
            return done
    context = _context(
        request,
        _("Change the package: %(name)s") % {"name": customer.name},
        customer,
        offers=offers,
        form=form,
    )
    return render(request, "backoffice/change_package.html", context)


@require_POST
@permission_required(customer_actions.SEND_LETTER_PERMISSION, raise_exception=True)
def send_letter(request: HttpRequest, customer_id: int) -> HttpResponse:
    _customer(customer_id)
    form = letter_form(customer_id, request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the account and the letter, and say why."))
        return redirect(_back(customer_id, "letters"))
    data = form.cleaned_data
    try:
        report = customer_actions.send_letter(
            actor=_actor(request),
            customer_id=customer_id,
            account_id=data["account"],
            kind=data["kind"],
            reason=data["reason"],
        )
    except NotAllowed as exc:
        return _refused(request, exc)
    except (customer_actions.UnableToSendLetter, NoSuchThing, freeze.FrozenNow) as exc:
        messages.error(request, str(exc))
    else:
        said = _(
            "The letter is made and sent (e-mail %(emailed)s, portal %(portal)s, "
            "print %(printed)s)."
        )
        messages.success(
            request,
            said
            % {"emailed": report.emailed, "portal": report.to_portal, "printed": report.printed},
        )
        for _ref, why in report.failures:
            messages.warning(request, why)
    return redirect(_back(customer_id, "letters"))
