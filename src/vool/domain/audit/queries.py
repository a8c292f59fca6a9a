"""Reading the audit log."""

from __future__ import annotations

from django.db.models import QuerySet

from vool.domain.audit.models import AuditEntry


def for_customer(*, customer_id: int) -> QuerySet[AuditEntry]:
    """The customer's audit history, newest first."""
    return AuditEntry.objects.filter(customer_id=customer_id).order_by("-happened_at", "-pk")


def for_object(*, object_type: str, object_id: object) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(object_type=object_type, object_id=str(object_id)).order_by(
        "-happened_at", "-pk"
    )
