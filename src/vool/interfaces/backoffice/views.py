"""Back-office pages that go beyond the admin: starting a bill run."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from vool.common.localtime import Month
from vool.domain.billing.operations import OutsideBillingWindow, UnableToStartRun
from vool.interfaces.backoffice.forms import StartBillRunForm
from vool.usecases import bill_run


@permission_required("billing.add_billrun", raise_exception=True)
def start_bill_run(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    may_force = bill_run.may_force_runs(request.user)
    if request.method == "POST":
        form = StartBillRunForm(request.POST, may_force=may_force)
        if form.is_valid():
            data = form.cleaned_data
            try:
                run = bill_run.start_run(
                    period=data["period"],
                    today=today,
                    started_by=request.user.get_username(),
                    force_reason=data["reason"].strip() if data["force"] else "",
                    workers=data["workers"],
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
        form = StartBillRunForm(
            initial={"period": str(Month.of(today).previous())}, may_force=may_force
        )
    context = {
        **admin.site.each_context(request),
        "title": _("Start a bill run"),
        "form": form,
        "today": today,
    }
    return render(request, "backoffice/start_bill_run.html", context)
