"""Reading customer requests, the freeze and the queued readings."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from vool.domain.cases.models import Case, CaseNote, Freeze, QueuedReading, ServiceLevel


def service_days(*, case_type: str, on: dt.date) -> int | None:
    """Days to resolve a ``case_type`` opened on ``on`` (the service level valid that day)."""
    level = (
        ServiceLevel.objects.filter(case_type=case_type, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .order_by("-valid_from")
        .first()
    )
    return level.days if level is not None else None


def current_freeze() -> Freeze | None:
    """The freeze that is on, or ``None``."""
    return Freeze.objects.filter(ended_at__isnull=True).first()


def cases() -> QuerySet[Case]:
    return Case.objects.select_related("customer", "assigned_user", "assigned_group", "invoice")


def open_cases() -> QuerySet[Case]:
    return cases().exclude(status=Case.Status.RESOLVED).order_by("due_date", "pk")


def overdue_cases(*, today: dt.date) -> QuerySet[Case]:
    return open_cases().filter(due_date__lt=today)


def cases_of_customer(*, customer_id: int) -> QuerySet[Case]:
    return cases().filter(customer_id=customer_id).order_by("-opened_at", "-pk")


def notes_for_customer(*, case: Case) -> QuerySet[CaseNote]:
    """The notes the customer may read."""
    return case.notes.filter(for_customer=True).order_by("written_at", "pk")


def queued_readings() -> QuerySet[QueuedReading]:
    return (
        QueuedReading.objects.filter(status=QueuedReading.Status.QUEUED)
        .select_related("customer", "metering_point")
        .order_by("read_at", "pk")
    )
