"""Recording deliveries of invoice documents: queue, claim, sent, failed with back-off.

The state machine of one :class:`Delivery`::

    PENDING --claim--> SENDING --sent--> SENT
    FAILED  --claim--> SENDING --failed-> FAILED (next attempt later, or none: given up)

A claim is one conditional UPDATE, so two runs never both own a delivery. While SENDING,
``next_attempt_at`` is the claim's lease: a run that crashed between the send and the
record leaves a SENDING row whose lease runs out, and a later run claims it again and sends
again. Delivery is therefore *at least once*: a message can go out twice only when the
process dies after the server accepted it and before ``mark_sent`` committed; it is never
sent twice otherwise. Time comes in as arguments; nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

from django.db.models import F, Q

from vool.domain.billing.models import Invoice
from vool.domain.documents.models import Delivery, Letter

# The same state machine records invoice deliveries and letters (``Letter`` has the same
# status, attempts, next_attempt_at, last_error, destination and sent_at fields).
Sendable = type[Delivery] | type[Letter]
LETTERS: Final[Sendable] = Letter  # as ``model``: the letters go through the same states

LEASE: Final = dt.timedelta(minutes=15)
FIRST_RETRY: Final = dt.timedelta(minutes=15)
RETRY_FACTOR: Final = 4
MAX_RETRY_DELAY: Final = dt.timedelta(hours=24)
MAX_ATTEMPTS: Final = 6
MAX_ERROR: Final = 2000


def retry_delay(attempts: int) -> dt.timedelta:
    """Back-off after ``attempts`` failed attempts: 15 min, 1 h, 4 h, 16 h, then daily."""
    delay = FIRST_RETRY * RETRY_FACTOR ** max(attempts - 1, 0)
    return min(delay, MAX_RETRY_DELAY)


def queue_period(*, period: str, at: dt.datetime) -> int:
    """A PENDING delivery, by the billing account's channel, for every invoice of ``period``
    that has a document and no delivery yet. Returns how many were queued."""
    invoices = (
        Invoice.objects.filter(period=period, document__isnull=False, delivery__isnull=True)
        .order_by("number")
        .values_list("pk", "billing_account__invoice_channel")
    )
    rows = [
        Delivery(invoice_id=pk, channel=channel, queued_at=at, next_attempt_at=at)
        for pk, channel in invoices
    ]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def _due(at: dt.datetime) -> Q:
    retryable = [Delivery.Status.PENDING, Delivery.Status.FAILED, Delivery.Status.SENDING]
    return Q(status__in=retryable, next_attempt_at__lte=at)


def due_letters(*, kind: str, campaign: str, channel: str, at: dt.datetime) -> list[int]:
    """Ids of a letter campaign's letters by ``channel`` that may be attempted at ``at``."""
    return list(
        Letter.objects.filter(_due(at), kind=kind, campaign=campaign, channel=channel)
        .order_by("billing_account__reference_number")
        .values_list("pk", flat=True)
    )


def due(*, period: str, channel: str, at: dt.datetime) -> list[int]:
    """Ids of the period's deliveries by ``channel`` that may be attempted at ``at``: pending,
    failed and due for a retry, or SENDING with an expired lease (a crashed run)."""
    return list(
        Delivery.objects.filter(_due(at), invoice__period=period, channel=channel)
        .order_by("invoice__number")
        .values_list("pk", flat=True)
    )


def claim(*, delivery_id: int, at: dt.datetime, model: Sendable = Delivery) -> bool:
    """Take the delivery (or letter) for sending (SENDING, one more attempt, leased until
    ``at + LEASE``); False when another run has it or it is not due."""
    claimed = model.objects.filter(_due(at), pk=delivery_id).update(
        status=Delivery.Status.SENDING,
        attempts=F("attempts") + 1,
        next_attempt_at=at + LEASE,
    )
    return claimed == 1


def mark_sent(
    *, delivery_id: int, at: dt.datetime, destination: str, model: Sendable = Delivery
) -> None:
    model.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.SENT,
        sent_at=at,
        destination=destination[:254],
        next_attempt_at=None,
        last_error="",
    )


def mark_many_sent(
    *, delivery_ids: Sequence[int], at: dt.datetime, destination: str, model: Sendable = Delivery
) -> None:
    for delivery_id in delivery_ids:
        mark_sent(delivery_id=delivery_id, at=at, destination=destination, model=model)


def mark_failed(
    *, delivery_id: int, at: dt.datetime, error: str, model: Sendable = Delivery
) -> None:
    """FAILED with the reason; retried after :func:`retry_delay`, or never after
    ``MAX_ATTEMPTS`` (then only the back office's retry sends it)."""
    delivery = model.objects.get(pk=delivery_id)
    next_attempt = at + retry_delay(delivery.attempts)
    model.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.FAILED,
        last_error=error[:MAX_ERROR],
        next_attempt_at=next_attempt if delivery.attempts < MAX_ATTEMPTS else None,
    )


def retry_now(*, delivery_ids: Sequence[int], at: dt.datetime, model: Sendable = Delivery) -> int:
    """Make failed deliveries (or letters) due at ``at`` (the admin's "retry" action)."""
    return model.objects.filter(pk__in=delivery_ids, status=Delivery.Status.FAILED).update(
        next_attempt_at=at
    )
