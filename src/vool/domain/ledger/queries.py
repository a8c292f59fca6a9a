"""Reads of the ledger: balances are sums of postings, never stored."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum

from vool.common.money import RoundingMode, round_money
from vool.domain.ledger.models import LedgerAccount, LedgerTransaction, Posting

ZERO = Decimal("0.00")
HALF_CENT = Decimal("0.005")


def _exact(total: Decimal | None) -> Decimal:
    """A sum of postings in whole cents. Every posting is whole cents; SQLite sums decimals
    as binary floats (e.g. -0.00999999999999979), so its sums are put back on the cent."""
    if total is None:
        return ZERO
    return round_money(Decimal(total), mode=RoundingMode.HALF_UP)


def receivable_balance(*, billing_account_id: int) -> Decimal:
    """What the customer owes (positive) or has in credit (negative)."""
    total = Posting.objects.filter(
        billing_account_id=billing_account_id, account=LedgerAccount.RECEIVABLE
    ).aggregate(total=Sum("amount"))["total"]
    return _exact(total)


def receivable_balances(*, billing_account_ids: Iterable[int]) -> dict[int, Decimal]:
    """Receivable balances of many accounts in one query (accounts without postings: 0)."""
    ids = list(billing_account_ids)
    balances = dict.fromkeys(ids, ZERO)
    rows = (
        Posting.objects.filter(billing_account_id__in=ids, account=LedgerAccount.RECEIVABLE)
        .values_list("billing_account_id")
        .annotate(total=Sum("amount"))
    )
    for account_id, total in rows:
        balances[account_id] = _exact(total)
    return balances


def credit_balances(
    *, billing_account_ids: Iterable[int] | QuerySet[Any, Any]
) -> dict[int, Decimal]:
    """The accounts among ``billing_account_ids`` (ids or a query of ids) that have a credit
    balance (a negative receivable), with it; one query, whatever the number of accounts."""
    rows = (
        Posting.objects.filter(
            account=LedgerAccount.RECEIVABLE, billing_account_id__in=billing_account_ids
        )
        .values_list("billing_account_id")
        .annotate(total=Sum("amount"))
        .filter(total__lte=-HALF_CENT)
        .order_by()
    )
    return {account_id: _exact(total) for account_id, total in rows}


def account_totals(*, billing_account_id: int | None = None) -> dict[str, Decimal]:
    """Sum per ledger account (of one billing account, or all); the sum of all is zero."""
    qs = Posting.objects.all()
    if billing_account_id is not None:
        qs = qs.filter(billing_account_id=billing_account_id)
    return {a: _exact(t) for a, t in qs.values_list("account").annotate(t=Sum("amount")).order_by()}


def suspense_balance() -> Decimal:
    """The money received that no billing account holds yet: what ``SUSPENSE`` owes (its
    postings are credits, so this is minus their sum; never negative when all is well)."""
    total = Posting.objects.filter(account=LedgerAccount.SUSPENSE).aggregate(t=Sum("amount"))["t"]
    return -_exact(total)


def unbalanced_transactions() -> list[int]:
    """Ids of transactions whose postings do not sum to zero (should always be empty)."""
    return list(
        Posting.objects.values("transaction_id")
        .annotate(total=Sum("amount"))
        # half a cent either way: SQLite sums decimals as floats
        .filter(Q(total__gte=HALF_CENT) | Q(total__lte=-HALF_CENT))
        .values_list("transaction_id", flat=True)
    )


def transactions_of(*, billing_account_id: int) -> list[LedgerTransaction]:
    return list(
        LedgerTransaction.objects.filter(billing_account_id=billing_account_id)
        .prefetch_related("postings")
        .order_by("posted_date", "id")
    )
