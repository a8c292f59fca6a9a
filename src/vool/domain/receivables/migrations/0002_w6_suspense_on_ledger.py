"""Put the money already waiting in suspense on the ledger.

Before ledger 0003 a payment in suspense was only in the receivables tables. For every payment
with something not allocated, this posts that amount as cash against ``SUSPENSE`` (no billing
account, document ``receivables.Payment``), as an import now does, so the ledger's suspense
balance equals the suspense queue from the start. Refunds and returns made before were never on
the ledger and need nothing. Appends only; a payment already posted is left alone.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations
from django.db.models import Sum
from django.utils import timezone

PAYMENT_DOCUMENT = "receivables.Payment"


def post_suspense(apps, schema_editor):  # type: ignore[no-untyped-def]
    Payment = apps.get_model("receivables", "Payment")
    Allocation = apps.get_model("receivables", "Allocation")
    LedgerTransaction = apps.get_model("ledger", "LedgerTransaction")
    Posting = apps.get_model("ledger", "Posting")
    used = dict(
        Allocation.objects.values_list("payment_id").annotate(total=Sum("amount")).order_by()
    )
    posted = set(
        LedgerTransaction.objects.filter(document_type=PAYMENT_DOCUMENT).values_list(
            "document_id", flat=True
        )
    )
    now = timezone.now()
    for payment in Payment.objects.order_by("pk").iterator():
        total = Decimal(used.get(payment.pk) or 0).quantize(Decimal("0.01"), ROUND_HALF_UP)
        left = payment.amount - total
        if left <= 0 or payment.pk in posted:
            continue
        tx = LedgerTransaction.objects.create(
            billing_account=None,
            kind="PAYMENT",
            document_type=PAYMENT_DOCUMENT,
            document_id=payment.pk,
            reference=(payment.entry_key or payment.reference)[:64],
            posted_date=payment.booking_date,
            created_at=now,
        )
        Posting.objects.bulk_create(
            [
                Posting(transaction=tx, billing_account=None, account="CASH", amount=left),
                Posting(transaction=tx, billing_account=None, account="SUSPENSE", amount=-left),
            ]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("receivables", "0001_initial"),
        ("ledger", "0003_w6_suspense"),
    ]

    operations = [migrations.RunPython(post_suspense, migrations.RunPython.noop)]
