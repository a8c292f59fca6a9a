"""Back-office contract pages: conclude a new contract for the customer (submitted to the data
hub) and withdraw one within 14 days, each through ``usecases.backoffice_contracts``, which
checks the permission and writes the audit row."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vool.interfaces.backoffice.views import request_id
from vool.usecases import backoffice_contracts, customer_view, datahub
from vool.usecases.backoffice_actions import NotAllowed
from vool.usecases.freeze import FrozenNow


class ConcludeForm(forms.Form):
    account = forms.TypedChoiceField(label=gettext_lazy("Billing account"), coerce=int)
    eic = forms.CharField(label=gettext_lazy("Metering point (EIC)"), max_length=16)
    product = forms.ChoiceField(label=gettext_lazy("Package"))
    valid_from = forms.DateField(
        label=gettext_lazy("Supply from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    open_supply_elsewhere = forms.BooleanField(
        label=gettext_lazy("The customer has an open supply agreement with another supplier"),
        required=False,
        help_text=gettext_lazy(
            "Then the agreement is submitted at least 14 days before the supply starts; "
            "from general service, 1 day."
        ),
    )

    def __init__(
        self,
        *args: object,
        accounts: list[tuple[int, str]],
        products: list[tuple[str, str]],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["account"].choices = accounts  # type: ignore[attr-defined]
        self.fields["product"].choices = products  # type: ignore[attr-defined]


def _refused(request: HttpRequest, exc: Exception) -> HttpResponse:
    context = {**admin.site.each_context(request), "title": _("Not allowed"), "message": exc}
    return render(request, "backoffice/refused.html", context, status=403)


@permission_required("customers.view_customer", raise_exception=True)
def conclude(request: HttpRequest, customer_id: int) -> HttpResponse:
    today = timezone.localdate()
    try:
        view = customer_view.customer_view(customer_id=customer_id, today=today)
    except customer_view.NoSuchCustomer as exc:
        raise Http404(str(exc)) from exc
    accounts = [(a.account.pk, a.account.reference_number) for a in view.accounts]
    products = [
        (p.code, p.name)
        for p in backoffice_contracts.products_for(customer_id=customer_id, on=today)
    ]
    form = ConcludeForm(request.POST or None, accounts=accounts, products=products)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contract = backoffice_contracts.conclude_contract(
                user=request.user,
                customer_id=customer_id,
                account_id=data["account"],
                eic=data["eic"],
                product_code=data["product"],
                valid_from=data["valid_from"],
                open_supply_elsewhere=data["open_supply_elsewhere"],
                now=timezone.now(),
                request_id=request_id(request),
            )
        except (NotAllowed, FrozenNow) as exc:
            return _refused(request, exc)
        except backoffice_contracts.UnableToConclude as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(
                request,
                _("Contract %(id)s concluded; its supply agreement goes to the data hub.")
                % {"id": contract.pk},
            )
            return redirect(reverse("backoffice:customer", args=[customer_id]) + "#contracts")
    context = {
        **admin.site.each_context(request),
        "title": _("New contract for %(name)s") % {"name": view.customer.name},
        "customer": view.customer,
        "form": form,
    }
    return render(
        request, "backoffice/contract_new.html", context, status=400 if form.errors else 200
    )


@require_POST
def withdraw(request: HttpRequest, customer_id: int, contract_id: int) -> HttpResponse:
    back = reverse("backoffice:customer", args=[customer_id]) + "#contracts"
    try:
        backoffice_contracts.withdraw(
            user=request.user,
            customer_id=customer_id,
            contract_id=contract_id,
            reason=request.POST.get("reason", ""),
            now=timezone.now(),
            request_id=request_id(request),
        )
    except (NotAllowed, FrozenNow) as exc:
        return _refused(request, exc)
    except LookupError as exc:
        raise Http404(str(exc)) from exc
    except datahub.UnableToWithdraw as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The contract was withdrawn and cancelled."))
    return redirect(back)
