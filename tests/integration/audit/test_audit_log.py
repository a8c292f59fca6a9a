"""The audit log: entries are written by ``audit.operations.record`` and the database refuses
to change or delete them, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction

from vool.domain.audit import operations as audit
from vool.domain.audit import queries as audit_queries
from vool.domain.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 11, 5, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def clerk() -> Any:
    return get_user_model().objects.create_user("kati", password="x", is_staff=True)


def refused(statement: str, params: list[Any]) -> None:
    with (
        pytest.raises(IntegrityError, match="the audit log is append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, params)


class TestRecord:
    def test_an_entry_keeps_who_when_what_why_and_the_change(self, clerk: Any) -> None:
        entry = audit.record(
            user=clerk,
            happened_at=AT,
            action="billing.credit_invoice",
            object_type="billing.Invoice",
            object_id=17,
            customer_id=3,
            reason="  Double billed  ",
            before={"status": "ISSUED", "gross": Decimal("12.40")},
            after={"status": "CANCELLED", "day": dt.date(2026, 11, 5)},
            request_id="req-1",
        )
        stored = AuditEntry.objects.get(pk=entry.pk)
        assert (stored.user, stored.username, stored.happened_at) == (clerk, "kati", AT)
        assert (stored.object_type, stored.object_id, stored.customer_id) == (
            "billing.Invoice",
            "17",
            3,
        )
        assert stored.reason == "Double billed"
        assert stored.before == {"status": "ISSUED", "gross": "12.40"}
        assert stored.after == {"status": "CANCELLED", "day": "2026-11-05"}
        assert stored.request_id == "req-1"
        assert list(audit_queries.for_customer(customer_id=3)) == [stored]

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"reason": " "}, "needs a reason"),
            ({"action": ""}, "needs an action"),
            ({"happened_at": dt.datetime(2026, 11, 5, 9, 30)}, "timezone-aware"),
        ],
    )
    def test_an_incomplete_entry_is_refused(
        self, clerk: Any, changes: dict[str, Any], message: str
    ) -> None:
        arguments: dict[str, Any] = {
            "user": clerk,
            "happened_at": AT,
            "action": "x.y",
            "object_type": "billing.Invoice",
            "object_id": 1,
            "reason": "why",
        } | changes
        with pytest.raises(audit.UnableToRecordAudit, match=message):
            audit.record(**arguments)
        assert not AuditEntry.objects.exists()


class TestAppendOnly:
    def test_update_and_delete_are_refused_at_the_database(self, clerk: Any) -> None:
        entry = audit.record(
            user=clerk,
            happened_at=AT,
            action="billing.credit_invoice",
            object_type="billing.Invoice",
            object_id=17,
            reason="Double billed",
        )
        refused("UPDATE audit_auditentry SET reason = 'nothing' WHERE id = %s", [entry.pk])
        refused("UPDATE audit_auditentry SET happened_at = %s", [AT + dt.timedelta(days=1)])
        refused("DELETE FROM audit_auditentry WHERE id = %s", [entry.pk])
        assert AuditEntry.objects.get(pk=entry.pk).reason == "Double billed"

    def test_the_orm_is_refused_too(self, clerk: Any) -> None:
        entry = audit.record(
            user=clerk,
            happened_at=AT,
            action="x.y",
            object_type="billing.Invoice",
            object_id=1,
            reason="why",
        )
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            AuditEntry.objects.filter(pk=entry.pk).delete()
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            AuditEntry.objects.filter(pk=entry.pk).update(reason="changed")
