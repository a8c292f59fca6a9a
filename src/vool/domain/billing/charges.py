"""Pending charges on the next invoice: the bill run's side.

Receivables stores late-payment interest and dunning fees as :class:`PendingCharge` rows.
When a chunk of a bill run has priced its accounts, :func:`add_open_charges` appends one
line per open charge of each account that gets an invoice (after its priced lines, with no
metering point), and :func:`claim` links the charges to the draft invoices in the same
transaction that writes the drafts. A charge is open while it has no invoice or only a draft
that was cancelled unissued (an abandoned run); deleting a draft (its chunk running again)
sets the link back to empty (a chunk run again prices the charges of the drafts it replaces
too, and claims them once those drafts are deleted). The claim updates only charges still
open and fails the chunk if another run took one meanwhile, so a charge is billed exactly
once.

A credited invoice keeps its charges (the credit note reverses them with the rest); they are
not billed again.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Case, IntegerField, Q, Value, When

from vool.domain.billing import pricing
from vool.domain.billing.models import Invoice, PendingCharge
from vool.domain.tariffs import rating


class ChargeTakenMeanwhile(RuntimeError):
    """Another bill run billed one of the chunk's charges first; running the chunk again
    prices it without them."""


def _open() -> Q:
    return Q(invoice__isnull=True) | Q(
        invoice__status=Invoice.Status.CANCELLED, invoice__number__isnull=True
    )


def open_charges(
    *, billing_account_ids: list[int], run_id: int | None = None
) -> dict[int, list[PendingCharge]]:
    """The open charges of the accounts; with ``run_id`` also those on the run's drafts of
    the accounts (a chunk run again replaces its drafts, and their charges with them)."""
    where = _open()
    if run_id is not None:
        where |= Q(invoice__run_id=run_id, invoice__status=Invoice.Status.DRAFT)
    found: dict[int, list[PendingCharge]] = defaultdict(list)
    for charge in PendingCharge.objects.filter(
        where, billing_account_id__in=billing_account_ids
    ).order_by("billing_account_id", "period_start", "pk"):
        found[charge.billing_account_id].append(charge)
    return dict(found)


def _draft_line(charge: PendingCharge) -> pricing.DraftLine:
    return pricing.DraftLine(
        metering_point_id=None,
        line=rating.Line(
            component=charge.component,
            band="ALL",
            period_start=charge.period_start,
            period_end=charge.period_end,
            quantity=Decimal(charge.quantity),
            unit=charge.unit,  # type: ignore[arg-type]  # DAY or PCS
            unit_price=Decimal(charge.unit_price),
            amount=Decimal(charge.amount),
            vat_rate=Decimal(charge.vat_rate),
        ),
        ledger_account=charge.ledger_account,
        is_estimated=False,
        is_true_up=False,
        basis={"charge": charge.pk, **charge.basis},
    )


def add_open_charges(
    priced: pricing.PricedAccounts, *, run_id: int | None = None
) -> dict[int, list[int]]:
    """Append the open charges of the accounts ``priced`` bills to their lines (with
    ``run_id``, also those on the run's drafts that the chunk replaces); returns the charge
    ids per account for :func:`claim`."""
    charges = open_charges(billing_account_ids=sorted(priced.lines), run_id=run_id)
    for account_id, account_charges in charges.items():
        priced.lines[account_id] = [
            *priced.lines[account_id],
            *(_draft_line(c) for c in account_charges),
        ]
    return {account_id: [c.pk for c in cs] for account_id, cs in charges.items()}


def claim(*, charge_ids: dict[int, list[int]], invoices: list[Invoice]) -> None:
    """Link the charges to the drafts of their accounts (one UPDATE); inside the caller's
    transaction."""
    wanted = {pk for ids in charge_ids.values() for pk in ids}
    if not wanted:
        return
    invoice_of = {
        i.billing_account_id: i.pk for i in invoices if i.billing_account_id in charge_ids
    }
    updated = (
        PendingCharge.objects.filter(_open(), pk__in=wanted)
        .filter(billing_account_id__in=list(invoice_of))
        .update(
            invoice_id=Case(
                *(When(billing_account_id=a, then=Value(i)) for a, i in invoice_of.items()),
                output_field=IntegerField(),
            )
        )
    )
    if updated != len(wanted):
        raise ChargeTakenMeanwhile(
            f"{len(wanted) - updated} of the chunk's {len(wanted)} pending charges were billed "
            "by another run meanwhile; run the chunk again."
        )
