"""Consumption of one day by hour or quarter hour (where the point is read every 15 minutes):
a chart drawn on the server and the same figures in a table, local (Tallinn) times."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from vool.interfaces import charts
from vool.interfaces.portal.access import customer_page
from vool.interfaces.portal.templatetags.portal import kwh
from vool.usecases import portal, portal_intervals

if TYPE_CHECKING:
    from vool.domain.customers.models import Customer


@customer_page
def consumption_day(request: HttpRequest, customer: Customer, point_id: int) -> HttpResponse:
    today = timezone.localdate()
    try:
        day = dt.date.fromisoformat(request.GET.get("day", "")) if "day" in request.GET else today
        data = portal_intervals.consumption_of_day(
            customer,
            point_id=point_id,
            day=day,
            today=today,
            hourly=request.GET.get("step") == "hour",
        )
    except (portal.NotTheirs, ValueError):
        raise Http404 from None
    times = [timezone.localtime(row.start_at).strftime("%H:%M") for row in data.rows]
    title = (
        _("Consumption by hour on %(day)s, kWh")
        if data.minutes == 60
        else _("Consumption by quarter hour on %(day)s, kWh")
    ) % {"day": date_format(day, "j F Y")}
    bars = [
        charts.Bar(
            label=t[:2] if t.endswith(":00") else "",
            title=f"{t}: {kwh(r.kwh)}",
            value=r.kwh,
            estimated=r.estimated,
        )
        for t, r in zip(times, data.rows, strict=True)
    ]
    chart = charts.bar_chart(
        bars,
        title=title,
        description=_("The same figures are in the table below the chart."),
        unit="kWh",
    )
    context = {
        "data": data,
        "title": title,
        "chart": chart,
        "rows": list(zip(times, data.rows, strict=True)),
        "previous": day - dt.timedelta(days=1),
        "next": day + dt.timedelta(days=1),
        "step": "hour" if data.minutes == 60 else "",
        "quarters": data.point.interval_minutes == 15,
    }
    return render(request, "portal/consumption_day.html", context)
