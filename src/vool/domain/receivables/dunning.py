"""Dunning: reminders, warnings and disconnection requests for overdue invoices.

``run_dunning(run_date=...)`` takes the levels in force on the date (dated data,
:class:`DunningLevel`) in their order REMINDER → WARNING → DISCONNECTION and, for each, finds
in one query the issued invoices that qualify and writes their letters in one insert:

* due at least the level's ``days_after_due`` before the run's date;
* open (amount due less what payments settled) at least the level's minimum, and the
  account's ledger receivable too (a credit balance elsewhere on the account covers it);
* no letter of this level for the invoice yet (never two letters for one level);
* a letter of the level before it from an earlier run (one step per run, in order);
* no hold active on the date: the account's (vulnerable customer, a clerk's) or the
  invoice's (disputed).

A letter whose level has a fee also stores a pending charge of that fee, and the run accrues
the late-payment interest of every overdue invoice up to the day before its date; both are
billed as their own lines on the account's next invoice
(:mod:`vool.domain.receivables.late_charges`).
A DISCONNECTION letter also records one :class:`DisconnectionRequest` per account for the
data-hub step to send. A run is done once per date: running the same date again (also at the
same time, from another process) returns that run and writes nothing. Domain code: the date
and the time come in as arguments.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import (
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from vool.domain.billing.models import Invoice
from vool.domain.ledger.models import LedgerAccount, Posting
from vool.domain.receivables import late_charges, queries
from vool.domain.receivables.models import (
    DisconnectionRequest,
    DunningHold,
    DunningLetter,
    DunningLevel,
    DunningRun,
    InvoiceSettlement,
)
from vool.domain.receivables.operations import insert_rows
from vool.domain.shown import shown_day

ORDER = (
    DunningLevel.Level.REMINDER,
    DunningLevel.Level.WARNING,
    DunningLevel.Level.DISCONNECTION,
)
HALF_CENT = Decimal("0.005")
HOLD_KINDS = tuple(DunningHold.Kind.values)  # what ``add_hold(kind=...)`` accepts
_MONEY = DecimalField(max_digits=14, decimal_places=2)
_LETTER_FIELDS = (
    "run",
    "invoice",
    "billing_account",
    "level",
    "open_amount",
    "fee_amount",
    "disconnection_date",
    "created_at",
)


class AmbiguousDunningLevels(ValueError):
    """Two versions of one level are in force on the same date (nothing was written)."""


@dataclass(frozen=True)
class DunningResult:
    run_id: int
    run_date: dt.date
    already_run: bool
    letters: dict[str, int]  # per level
    requests: int


class _Due(NamedTuple):
    invoice_id: int
    billing_account_id: int
    open_amount: Decimal


def levels_on(*, run_date: dt.date) -> list[DunningLevel]:
    """The levels in force on the date, in their order; one version of each at most."""
    found = DunningLevel.objects.filter(valid_from__lte=run_date).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=run_date)
    )
    by_level: dict[str, list[DunningLevel]] = defaultdict(list)
    for level in found:
        by_level[level.level].append(level)
    twice = sorted(name for name, versions in by_level.items() if len(versions) > 1)
    if twice:
        raise AmbiguousDunningLevels(
            f"More than one version of the dunning level(s) {', '.join(twice)} is in force on "
            f"{run_date}; end the older version (valid to) in the admin."
        )
    return [by_level[name][0] for name in ORDER if name in by_level]


def _active(run_date: dt.date) -> Q:
    return Q(valid_from__lte=run_date) & (Q(valid_to__isnull=True) | Q(valid_to__gt=run_date))


def due_for_level(
    *, level: DunningLevel, previous: str | None, run_date: dt.date
) -> QuerySet[Any, Any]:
    """The invoices that get a letter of ``level`` on ``run_date`` (one query; see the module
    text for the rules), with their open amount."""
    settled = (
        InvoiceSettlement.objects.filter(invoice=OuterRef("pk"))
        .values("invoice")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    owed = (
        Posting.objects.filter(
            billing_account=OuterRef("billing_account"), account=LedgerAccount.RECEIVABLE
        )
        .values("billing_account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    at_least = max(level.minimum_amount, Decimal("0.01")) - HALF_CENT  # SQLite sums floats
    invoices = (
        Invoice.objects.filter(
            kind=Invoice.Kind.INVOICE,
            status=Invoice.Status.ISSUED,
            number__isnull=False,
            due_date__lte=run_date - dt.timedelta(days=level.days_after_due),
        )
        .annotate(
            open_amount=ExpressionWrapper(
                F("amount_due")
                - Coalesce(Subquery(settled, output_field=_MONEY), Value(Decimal(0))),
                output_field=_MONEY,
            ),
            owed=Coalesce(Subquery(owed, output_field=_MONEY), Value(Decimal(0))),
        )
        .filter(open_amount__gte=at_least, owed__gte=at_least)
        .exclude(Exists(DunningLetter.objects.filter(invoice=OuterRef("pk"), level=level.level)))
        .exclude(
            Exists(
                DunningHold.objects.filter(_active(run_date), invoice=OuterRef("pk")).filter(
                    kind=DunningHold.Kind.DISPUTED
                )
            )
        )
        .exclude(
            Exists(
                DunningHold.objects.filter(
                    _active(run_date), billing_account=OuterRef("billing_account")
                ).exclude(kind=DunningHold.Kind.DISPUTED)
            )
        )
    )
    if previous is not None:
        invoices = invoices.filter(
            Exists(
                DunningLetter.objects.filter(
                    invoice=OuterRef("pk"), level=previous, run__run_date__lt=run_date
                )
            )
        )
    return invoices.order_by("billing_account_id", "due_date", "pk")


def run_dunning(*, run_date: dt.date, as_of: dt.datetime, by: str = "") -> DunningResult:
    """Write the date's letters and disconnection requests, once per date (see the module)."""
    with transaction.atomic():
        known = DunningRun.objects.select_for_update().filter(run_date=run_date).first()
        if known is not None:
            return _result(known, already_run=True)
        levels = levels_on(run_date=run_date)
        try:
            with transaction.atomic():
                run = DunningRun.objects.create(
                    run_date=run_date, created_by=by[:150], created_at=as_of
                )
        except IntegrityError:  # a run of the same date, started at the same time, won
            return _result(DunningRun.objects.get(run_date=run_date), already_run=True)
        previous: str | None = None
        disconnect: dict[int, Decimal] = defaultdict(Decimal)
        letters = 0
        for level in levels:
            due = [
                _Due(invoice_id, account_id, queries.cents(open_amount))
                for invoice_id, account_id, open_amount in due_for_level(
                    level=level, previous=previous, run_date=run_date
                ).values_list("pk", "billing_account_id", "open_amount")
            ]
            disconnection_date = (
                run_date + dt.timedelta(days=level.disconnection_after_days)
                if level.disconnection_after_days is not None
                else None
            )
            insert_rows(
                DunningLetter,
                _LETTER_FIELDS,
                [
                    (
                        run.pk,
                        d.invoice_id,
                        d.billing_account_id,
                        level.level,
                        d.open_amount,
                        level.fee_amount,
                        disconnection_date,
                        as_of,
                    )
                    for d in due
                ],
            )
            letters += len(due)
            if level.level == DunningLevel.Level.DISCONNECTION:
                for d in due:
                    disconnect[d.billing_account_id] += d.open_amount
            previous = level.level
        insert_rows(
            DisconnectionRequest,
            ("run", "billing_account", "open_amount", "status", "created_at"),
            [
                (run.pk, account_id, amount, DisconnectionRequest.Status.PENDING.value, as_of)
                for account_id, amount in sorted(disconnect.items())
            ],
        )
        late_charges.accrue_interest(through=run_date - dt.timedelta(days=1), now=as_of)
        late_charges.charge_dunning_fees(
            run_id=run.pk, run_date=run_date, now=as_of, by=by or "dunning run"
        )
        DunningRun.objects.filter(pk=run.pk).update(
            letter_count=letters, request_count=len(disconnect)
        )
        run.refresh_from_db()
        return _result(run, already_run=False)


def _result(run: DunningRun, *, already_run: bool) -> DunningResult:
    per_level = dict(
        DunningLetter.objects.filter(run=run)
        .values_list("level")
        .annotate(n=Sum(Value(1)))
        .order_by()
    )
    return DunningResult(
        run_id=run.pk,
        run_date=run.run_date,
        already_run=already_run,
        letters={name.value: int(per_level.get(name.value, 0)) for name in ORDER},
        requests=run.request_count,
    )


def add_hold(
    *,
    kind: str,
    reason: str,
    by: str,
    valid_from: dt.date,
    valid_to: dt.date | None,
    as_of: dt.datetime,
    billing_account_id: int | None = None,
    invoice_id: int | None = None,
) -> DunningHold:
    """A hold with who and why: on an account (VULNERABLE, CLERK) or an invoice (DISPUTED)."""
    if not by.strip() or not reason.strip():
        raise UnableToHold(_("Say who sets the hold and why."))
    if kind == DunningHold.Kind.DISPUTED and invoice_id is None:
        raise UnableToHold(_("A disputed-invoice hold names the invoice."))
    if kind != DunningHold.Kind.DISPUTED and billing_account_id is None:
        raise UnableToHold(
            _("A %(kind)s hold names the billing account.") % {"kind": DunningHold.Kind(kind).label}
        )
    if valid_to is not None and valid_to <= valid_from:
        raise UnableToHold(
            _("The hold ends (%(end)s) before it starts (%(start)s).")
            % {"end": shown_day(valid_to), "start": shown_day(valid_from)}
        )
    return DunningHold.objects.create(
        kind=kind,
        billing_account_id=billing_account_id if kind != DunningHold.Kind.DISPUTED else None,
        invoice_id=invoice_id if kind == DunningHold.Kind.DISPUTED else None,
        reason=reason.strip(),
        created_by=by.strip()[:150],
        valid_from=valid_from,
        valid_to=valid_to,
        created_at=as_of,
    )


class UnableToHold(ValueError):
    """The hold cannot be recorded (the message says why)."""


def end_hold(*, hold_id: int, on: dt.date) -> DunningHold:
    """End an open hold: not active from ``on`` (a hold that began that day or later ends the
    day after it began, as a period is never empty). An ended hold is refused."""
    with transaction.atomic():
        hold = DunningHold.objects.select_for_update().filter(pk=hold_id).first()
        if hold is None:
            raise UnableToHold(_("There is no dunning hold %(id)s.") % {"id": hold_id})
        if hold.valid_to is not None:
            raise UnableToHold(
                _("Dunning hold %(id)s already ended on %(day)s.")
                % {"id": hold_id, "day": shown_day(hold.valid_to)}
            )
        hold.valid_to = max(on, hold.valid_from + dt.timedelta(days=1))
        hold.save(update_fields=["valid_to"])
    return hold
