from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from vool.usecases import overview


def start_page(request: HttpRequest) -> HttpResponse:
    """The start page. Business figures are for staff only (cached counts); the anonymous see
    where to go and nothing else, and cost no database query."""
    figures = overview.cached_system_overview() if request.user.is_staff else None
    return render(request, "web/start.html", {"overview": figures})
