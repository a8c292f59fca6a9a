"""Property: for any sequence of bill runs, credit notes, rebills and payments, each account's
ledger balance equals its invoices minus its credit notes minus its payments."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing_factories import add_intervals, fixed_product, remote_account
from vool.common.localtime import Month
from vool.domain.billing import operations as billing_operations
from vool.domain.billing.models import Invoice
from vool.domain.ledger import operations as ledger_operations
from vool.domain.ledger import queries as ledger_queries
from vool.domain.ledger.models import LedgerTransaction, Posting
from vool.usecases import bill_run

MONTHS = (Month(2026, 8), Month(2026, 9), Month(2026, 10))

step = st.one_of(
    st.tuples(st.just("run"), st.sampled_from(range(len(MONTHS)))),
    st.tuples(st.just("credit"), st.integers(1, 12)),
    st.tuples(st.just("rebill"), st.integers(0, 1), st.sampled_from(range(len(MONTHS)))),
    st.tuples(st.just("pay"), st.integers(0, 1), st.integers(1, 20_000)),
)


def bill_day(month: Month) -> dt.date:
    return month.next().first_day + dt.timedelta(days=4)


@pytest.mark.django_db
@settings(
    max_examples=25,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(step, max_size=8),
    wh=st.tuples(st.integers(0, 3000), st.integers(0, 3000)),
)
def test_balance_is_invoices_minus_credit_notes_minus_payments(
    steps: list[tuple[object, ...]], wh: tuple[int, int]
) -> None:
    with transaction.atomic():
        product = fixed_product()
        accounts = []
        for value in wh:
            contract = remote_account(product=product)
            for month in MONTHS:
                add_intervals(contract.metering_point, month, wh=value)
            accounts.append(contract.billing_account)
        paid = {a.pk: Decimal("0.00") for a in accounts}
        for action, *args in steps:
            if action == "run":
                month = MONTHS[int(args[0])]  # type: ignore[call-overload]
                bill_run.run_billing(period=month, today=bill_day(month))
            elif action == "credit":
                with contextlib.suppress(billing_operations.UnableToCreditInvoice):
                    bill_run.credit_invoice(
                        number=int(args[0]),  # type: ignore[call-overload]
                        reason="property",
                        today=dt.date(2026, 11, 20),
                    )
            elif action == "rebill":
                account = accounts[int(args[0])]  # type: ignore[call-overload]
                month = MONTHS[int(args[1])]  # type: ignore[call-overload]
                bill_run.rebill_account(
                    reference_or_id=account.reference_number,
                    period=month,
                    today=dt.date(2026, 11, 20),
                )
            else:
                account = accounts[int(args[0])]  # type: ignore[call-overload]
                amount = Decimal(int(args[1])).scaleb(-2)  # type: ignore[call-overload]
                ledger_operations.record_payment(
                    billing_account_id=account.pk,
                    amount=amount,
                    received_date=dt.date(2026, 11, 21),
                    as_of=dt.datetime(2026, 11, 21, tzinfo=dt.UTC),
                )
                paid[account.pk] += amount
        for account in accounts:
            issued = Invoice.objects.filter(billing_account=account, number__isnull=False)
            invoiced = sum((i.gross_amount for i in issued if i.kind == "INVOICE"), Decimal("0.00"))
            credited = sum(
                (-i.gross_amount for i in issued if i.kind == "CREDIT_NOTE"), Decimal("0.00")
            )
            balance = ledger_queries.receivable_balance(billing_account_id=account.pk)
            assert balance == invoiced - credited - paid[account.pk]
            # at most one live invoice per period
            periods = [i.period for i in issued if i.kind == "INVOICE" and i.status == "ISSUED"]
            assert len(periods) == len(set(periods))
        assert ledger_queries.unbalanced_transactions() == []
        numbers = sorted(
            Invoice.objects.filter(number__isnull=False).values_list("number", flat=True)
        )
        assert numbers == list(range(1, len(numbers) + 1))  # gapless
        assert (
            LedgerTransaction.objects.filter(kind="INVOICE").count()
            == Invoice.objects.filter(kind="INVOICE", number__isnull=False).count()
        )
        assert Posting.objects.exists() or not numbers
        transaction.set_rollback(True)
