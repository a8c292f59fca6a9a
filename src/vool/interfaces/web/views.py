from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from vool.usecases import overview


def start_page(request: HttpRequest) -> HttpResponse:
    return render(request, "web/start.html", {"overview": overview.system_overview()})
