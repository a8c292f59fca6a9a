"""Writing the audit log. The caller gives the real time the action happened (domain code
never reads the clock); a row is never changed afterwards."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from vool.domain.audit.models import AuditEntry


class UnableToRecordAudit(Exception):
    """An audit entry lacks what makes it useful (an action, a reason, an aware time)."""


def _plain(value: Any) -> Any:
    """``value`` as JSON the database stores exactly (Decimals and dates as text)."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def record(
    *,
    user: Any,
    happened_at: dt.datetime,
    action: str,
    object_type: str,
    object_id: object,
    reason: str,
    customer_id: int | None = None,
    before: Any = None,
    after: Any = None,
    request_id: str = "",
    source_address: str | None = None,
) -> AuditEntry:
    """Append one audit entry: ``user`` did ``action`` to ``object_type``/``object_id`` at
    ``happened_at`` (aware) because of ``reason``; ``before``/``after`` are JSON-able;
    ``source_address`` is the IP address the request came from, when there was one."""
    if not action.strip():
        raise UnableToRecordAudit("An audit entry needs an action.")
    if not reason.strip():
        raise UnableToRecordAudit(f"An audit entry for {action} needs a reason.")
    if happened_at.tzinfo is None or happened_at.utcoffset() is None:
        raise UnableToRecordAudit(f"The time of {action} must be timezone-aware: {happened_at}.")
    username = user.get_username() if user is not None else ""
    return AuditEntry.objects.create(
        user=user if user is not None and user.pk is not None else None,
        username=username,
        happened_at=happened_at,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        customer_id=customer_id,
        reason=reason.strip(),
        before=_plain(before),
        after=_plain(after),
        request_id=request_id,
        source_address=source_address or None,
    )
