"""The portal's contract and profile pages: contracts and their terms, changing the package,
moving out and in, the profile (contact details, language, invoice channel, consents).

A sensitive change is posted twice: the first post shows what will happen (a confirmation
page carrying the same values), the second, with ``confirmed``, makes it through
``usecases.portal_contracts`` / ``portal_profile``, which record it in the audit log with the
user, the time and the address the request came from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vool.domain.customers import queries as customer_queries
from vool.interfaces.portal.access import customer_page
from vool.interfaces.portal.contract_forms import (
    ChannelForm,
    ConsentForm,
    ContactForm,
    MoveInForm,
    MoveOutForm,
    PackageForm,
    reading_values,
)
from vool.interfaces.portal.templatetags.portal import day, money
from vool.usecases import portal
from vool.usecases import portal_contracts as contracts
from vool.usecases import portal_profile as profiles

if TYPE_CHECKING:
    from vool.domain.customers.models import Customer


def actor_of(request: HttpRequest) -> contracts.Actor:
    language = (get_language() or "et")[:2]
    return contracts.Actor(
        user=request.user,
        now=timezone.now(),
        address=request.META.get("REMOTE_ADDR") or None,
        language=language if language in ("et", "ru", "en") else "et",
    )


def _confirm(
    request: HttpRequest, *, title: str, summary: list[str], back: str, button: str
) -> HttpResponse:
    """The confirmation page: what will happen, and the same values posted again."""
    hidden = [(k, v) for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken",)]
    context = {
        "title": title,
        "summary": summary,
        "hidden": hidden,
        "back": back,
        "button": button,
    }
    return render(request, "portal/confirm.html", context)


def _reading_lines(form: Any, text: str) -> list[str]:
    """One line per register value of the form, e.g. "Final reading %(register)s: ..."."""
    return [
        text % {"register": form.fields[f"value_{kind}"].label, "value": value}
        for kind, value in reading_values(form).items()
    ]


def _point_line(point: Any) -> str:
    return _("Metering point %(eic)s, %(address)s") % {
        "eic": point.eic,
        "address": point.street_address,
    }


def _refusal(form: Any, exc: contracts.UnableToChangeContract) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, _("Not possible: %(why)s") % {"why": exc})


# -- contracts ----------------------------------------------------------------------------


@customer_page
def contracts_page(request: HttpRequest, customer: Customer) -> HttpResponse:
    today = timezone.localdate()
    own = contracts.contracts_of(customer, today=today)
    hub = contracts.hub_states(own, today=today)
    rows = [(c, contracts.terms_of(c.product, on=today), hub.get(c.pk)) for c in own]
    return render(request, "portal/contracts.html", {"customer": customer, "rows": rows})


@customer_page
@require_POST
def withdraw(request: HttpRequest, customer: Customer, contract_id: int) -> HttpResponse:
    """Withdraw from a new contract (14 days): confirmed first, then cancelled in the hub."""
    try:
        contract = contracts.contract_of(customer, contract_id=contract_id)
    except portal.NotTheirs:
        raise Http404 from None
    if request.POST.get("confirmed") != "on":
        return _confirm(
            request,
            title=_("Confirm the withdrawal"),
            summary=[
                _point_line(contract.metering_point),
                _(
                    "The contract from %(day)s is cancelled and its supply agreement withdrawn "
                    "from the data hub."
                )
                % {"day": day(contract.valid_from)},
            ],
            back=reverse("portal:contracts"),
            button=_("Withdraw from the contract"),
        )
    try:
        contracts.withdraw(customer, contract_id=contract_id, actor=actor_of(request))
    except contracts.UnableToChangeContract as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("You withdrew from the contract; it is cancelled."))
    return redirect("portal:contracts")


@customer_page
def packages(request: HttpRequest, customer: Customer, contract_id: int) -> HttpResponse:
    """The packages ranked on the customer's own year; choosing one asks to confirm."""
    today = timezone.localdate()
    try:
        offers = contracts.package_offers(customer, contract_id=contract_id, today=today)
    except portal.NotTheirs:
        raise Http404 from None
    form = PackageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        chosen = next((o for o in offers.offers if o.code == form.cleaned_data["product"]), None)
        if chosen is None:
            form.add_error("product", _("Choose one of the packages listed."))
        elif chosen.is_current:
            form.add_error("product", _("Choose another package than the one you have."))
        elif not form.is_confirmed():
            return _confirm_package(request, offers, chosen)
        else:
            try:
                contracts.switch_package(
                    customer,
                    contract_id=contract_id,
                    product_code=chosen.code,
                    actor=actor_of(request),
                )
            except contracts.UnableToChangeContract as exc:
                _refusal(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "Your package is changed to %(name)s from %(day)s. "
                        "We sent you a confirmation."
                    )
                    % {"name": chosen.name, "day": day(offers.takes_effect_on)},
                )
                return redirect("portal:contracts")
    status = 400 if form.errors else 200
    context = {"customer": customer, "offers": offers, "form": form}
    return render(request, "portal/packages.html", context, status=status)


def _confirm_package(
    request: HttpRequest, offers: contracts.Offers, chosen: contracts.Offer
) -> HttpResponse:
    current = offers.contract
    summary = [
        _point_line(current.metering_point),
        _("From %(old)s to %(new)s") % {"old": current.product.name, "new": chosen.name},
        _("The new package applies from %(day)s; the current contract ends the day before.")
        % {"day": day(offers.takes_effect_on)},
    ]
    if chosen.difference_to_current is not None:
        summary.append(
            _("On your last year's consumption: %(amount)s a year incl. VAT (%(diff)s)")
            % {
                "amount": money(chosen.yearly_with_vat),
                "diff": money(chosen.difference_to_current),
            }
        )
    if chosen.terms.fixed_term_months:
        summary.append(
            _("Fixed term: %(months)s months") % {"months": chosen.terms.fixed_term_months}
        )
    if offers.early_termination_fee_amount:
        summary.append(
            _("Leaving your fixed-term package early costs %(fee)s.")
            % {"fee": money(offers.early_termination_fee_amount)}
        )
    return _confirm(
        request,
        title=_("Confirm the package change"),
        summary=summary,
        back=request.path,
        button=_("Change the package"),
    )


@customer_page
def move_out(request: HttpRequest, customer: Customer, contract_id: int) -> HttpResponse:
    """End a contract: the move-out date and the final reading; confirmed before it is done."""
    try:
        contract = contracts.contract_of(customer, contract_id=contract_id)
    except portal.NotTheirs:
        raise Http404 from None
    today = timezone.localdate()
    registers = contracts.registers_of(contract.metering_point, on=today)
    form = MoveOutForm(request.POST or None, registers=registers, initial={"move_out_on": today})
    if request.method == "POST" and form.is_valid():
        moving_on = form.cleaned_data["move_out_on"]
        if not form.is_confirmed():
            summary = [
                _point_line(contract.metering_point),
                _("The contract ends on %(day)s.") % {"day": day(moving_on)},
                *_reading_lines(form, _("Final reading %(register)s: %(value)s kWh")),
                _("The final bill comes with the next monthly bills."),
            ]
            return _confirm(
                request,
                title=_("Confirm moving out"),
                summary=summary,
                back=request.path,
                button=_("End the contract"),
            )
        try:
            contracts.move_out(
                customer,
                contract_id=contract_id,
                move_out_on=moving_on,
                values_kwh=reading_values(form),
                actor=actor_of(request),
            )
        except contracts.UnableToChangeContract as exc:
            _refusal(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Your contract ends on %(day)s. "
                    "The final bill comes with the next monthly bills."
                )
                % {"day": day(moving_on)},
            )
            return redirect("portal:contracts")
    status = 400 if form.errors else 200
    context = {"customer": customer, "contract": contract, "form": form}
    return render(request, "portal/move_out.html", context, status=status)


@customer_page
def move_in(request: HttpRequest, customer: Customer) -> HttpResponse:
    """A contract for a new metering point, with the move-in reading; confirmed first."""
    today = timezone.localdate()
    products = [(p.code, p.name) for p in contracts.products_open_to(customer, on=today)]
    accounts = list(customer.billing_accounts.order_by("reference_number"))
    form = MoveInForm(
        request.POST or None,
        accounts=accounts,
        products=products,
        initial={"move_in_on": today},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not form.is_confirmed():
            names = dict(products)
            summary = [
                _("Metering point %(eic)s") % {"eic": data["eic"].upper()},
                _("The contract starts on %(day)s with the package %(package)s.")
                % {"day": day(data["move_in_on"]), "package": names[data["product"]]},
                *_reading_lines(form, _("Move-in reading %(register)s: %(value)s kWh")),
            ]
            return _confirm(
                request,
                title=_("Confirm moving in"),
                summary=summary,
                back=request.path,
                button=_("Conclude the contract"),
            )
        try:
            contract = contracts.move_in(
                customer,
                eic=data["eic"],
                account_id=data["account"],
                product_code=data["product"],
                move_in_on=data["move_in_on"],
                values_kwh=reading_values(form),
                actor=actor_of(request),
            )
        except portal.NotTheirs:
            raise Http404 from None
        except contracts.UnableToChangeContract as exc:
            _refusal(form, exc)
        else:
            messages.success(
                request,
                _("Your contract for %(address)s starts on %(day)s.")
                % {
                    "address": contract.metering_point.street_address,
                    "day": day(contract.valid_from),
                },
            )
            return redirect("portal:contracts")
    status = 400 if form.errors else 200
    return render(request, "portal/move_in.html", {"form": form}, status=status)


# -- profile ------------------------------------------------------------------------------


@customer_page
def profile(request: HttpRequest, customer: Customer) -> HttpResponse:
    data = profiles.profile(customer)
    contact = ContactForm(request.POST or None, customer=customer)
    if request.method == "POST" and contact.is_valid():
        profiles.update_contact_details(customer, values=contact.values(), actor=actor_of(request))
        messages.success(request, _("Your contact details are saved."))
        return redirect("portal:profile")
    consents = ConsentForm(initial={c.kind: c.granted for c in data.consents})
    channels = [
        (account, ChannelForm(initial={"invoice_channel": account.invoice_channel}))
        for account in data.accounts
    ]
    context = {
        "customer": customer,
        "profile": data,
        "contact": contact,
        "consents": consents,
        "channels": channels,
        "two_step_on": profiles.second_factor_on(user_id=int(request.user.pk)),  # type: ignore[arg-type]
    }
    return render(request, "portal/profile.html", context, status=400 if contact.errors else 200)


@require_POST
@customer_page
def invoice_channel(request: HttpRequest, customer: Customer, account_id: int) -> HttpResponse:
    try:
        account = profiles.account_of(customer, account_id=account_id)
    except portal.NotTheirs:
        raise Http404 from None
    form = ChannelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how your invoices are sent."))
        return redirect("portal:profile")
    channel = form.cleaned_data["invoice_channel"]
    label = customer_queries.invoice_channel_label(channel)
    if not form.is_confirmed():
        return _confirm(
            request,
            title=_("Confirm the invoice channel"),
            summary=[
                _("Account %(reference)s") % {"reference": account.reference_number},
                _("From the next invoice: %(channel)s") % {"channel": label},
            ],
            back=reverse("portal:profile"),
            button=_("Change the invoice channel"),
        )
    profiles.change_invoice_channel(
        customer, account_id=account.pk, channel=channel, actor=actor_of(request)
    )
    messages.success(
        request,
        _("Invoices of account %(reference)s are sent by %(channel)s from the next invoice.")
        % {"reference": account.reference_number, "channel": label},
    )
    return redirect("portal:profile")


@require_POST
@customer_page
def consents(request: HttpRequest, customer: Customer) -> HttpResponse:
    form = ConsentForm(request.POST)
    form.is_valid()  # checkboxes: every answer is valid
    profiles.save_consents(customer, granted=form.answers(), actor=actor_of(request))
    messages.success(request, _("Your consents are saved."))
    return redirect("portal:profile")
