"""``vool bank import FILE...`` (camt.053/camt.054 from file to ledger), ``add-account IBAN
NAME`` (one of the retailer's own accounts), ``suspense`` (the queue with suggestions),
``allocate PAYMENT REF=AMOUNT...`` and ``refund PAYMENT`` (with who and why), ``mandate``
(a SEPA direct-debit mandate) and ``direct-debit --date`` (the pain.008 file of the date)."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from vool.domain.customers import queries as customer_queries
from vool.domain.receivables import direct_debit, operations, queries
from vool.usecases import direct_debit as direct_debit_usecase
from vool.usecases import import_bank_statement


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation as exc:
        raise CommandError(f"{text!r} is not an amount") from exc


class Command(BaseCommand):
    help = "Bank statements: import camt.053/054 files, the suspense queue, allocate and refund."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("import", help="import camt.053 / camt.054 files, each all or nothing")
        p.add_argument("files", nargs="+", type=Path)
        p.add_argument("--user", default="", help="who imports (default: 'bank import')")
        p = sub.add_parser("add-account", help="one of the retailer's own bank accounts")
        p.add_argument("iban")
        p.add_argument("name")
        p = sub.add_parser("suspense", help="payments waiting for manual allocation")
        p.add_argument("--limit", type=int, default=50)
        p = sub.add_parser("allocate", help="allocate or split a payment in suspense")
        p.add_argument("payment", type=int)
        p.add_argument("parts", nargs="+", help="REFERENCE=AMOUNT, e.g. 121312952=25.00")
        p.add_argument("--user", required=True)
        p.add_argument("--reason", required=True)
        p = sub.add_parser("refund", help="refund (part of) a payment in suspense to the payer")
        p.add_argument("payment", type=int)
        p.add_argument("--amount", type=_amount, default=None, help="default: all in suspense")
        p.add_argument("--iban", default="", help="default: the payer's IBAN")
        p.add_argument("--user", required=True)
        p.add_argument("--reason", required=True)
        p = sub.add_parser("mandate", help="record a customer's SEPA direct-debit mandate")
        p.add_argument("--account", required=True, help="reference number")
        p.add_argument("--mandate-id", required=True)
        p.add_argument("--signed", type=dt.date.fromisoformat, required=True)
        p.add_argument("--name", required=True, help="the debtor (account holder)")
        p.add_argument("--iban", required=True)
        p.add_argument("--bic", default="")
        p.add_argument("--user", required=True)
        p = sub.add_parser("direct-debit", help="pain.008 collections of the invoices due")
        p.add_argument("--date", type=dt.date.fromisoformat, required=True, help="collect on")
        p.add_argument("--out", type=Path, default=None, help="file (default: print the XML)")
        p.add_argument("--user", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = timezone.now()
        action = options["action"]
        try:
            if action == "import":
                self._import(options["files"], options["user"], as_of)
            elif action == "add-account":
                account = operations.add_bank_account(iban=options["iban"], name=options["name"])
                self.stdout.write(f"Bank account {account.iban} ({account.name}) is ours.")
            elif action == "suspense":
                self._suspense(options["limit"])
            elif action == "allocate":
                self._allocate(options, as_of)
            elif action == "mandate":
                self._mandate(options, as_of)
            elif action == "direct-debit":
                self._direct_debit(options, as_of)
            else:
                refund = operations.refund_from_suspense(
                    payment_id=options["payment"],
                    amount=options["amount"],
                    iban=options["iban"],
                    by=options["user"],
                    reason=options["reason"],
                    as_of=as_of,
                )
                self.stdout.write(f"Refund of {refund.amount} to {refund.refund_iban} recorded.")
        except (
            operations.UnableToAllocate,
            operations.UnknownBankAccount,
            direct_debit.UnableToAddMandate,
            direct_debit_usecase.UnableToCollect,
        ) as exc:
            raise CommandError(str(exc)) from exc

    def _import(self, files: list[Path], user: str, as_of: dt.datetime) -> None:
        outcomes = import_bank_statement.import_bank_files(
            paths=files, as_of=as_of, imported_by=user
        )
        refused = 0
        for outcome in outcomes:
            if isinstance(outcome, import_bank_statement.RejectedFile):
                refused += 1
                for problem in outcome.problems:
                    self.stderr.write(str(problem))
                continue
            r = outcome.result
            if r.duplicate_file:
                self.stdout.write(f"{outcome.path}: already imported; nothing added.")
                continue
            self.stdout.write(
                f"{outcome.path}: {outcome.message} for {outcome.account_iban}: "
                f"{r.new_payments} new payments ({r.allocated} allocated, {r.suspense} in "
                f"suspense), {r.known_payments} already known; {r.new_debits} debits "
                f"({r.reversed_payments} payments taken back)."
            )
            for debit in r.unmatched_debits:
                self.stdout.write(f"  debit not matched: {debit}")
        if refused:
            raise CommandError(
                f"{refused} file(s) refused (problems listed above); nothing of them was stored."
            )

    def _suspense(self, limit: int) -> None:
        items = queries.suspense_queue(limit=limit)
        if not items:
            self.stdout.write("No payments in suspense.")
        for item in items:
            p = item.payment
            self.stdout.write(
                f"#{p.pk} {p.booking_date} {item.unallocated} of {p.amount} from "
                f"{p.payer_name or '?'} {p.payer_iban} ref {p.reference or '-'}: {p.text}"
            )
            for s in item.suggestions:
                self.stdout.write(f"    suggestion: {s.reference_number} ({s.why})")

    def _allocate(self, options: dict[str, Any], as_of: dt.datetime) -> None:
        parts = []
        for text in options["parts"]:
            reference, _, amount = text.partition("=")
            account = customer_queries.find_billing_account(reference_number=reference)
            if account is None or not amount:
                raise CommandError(f"{text!r}: give REFERENCE=AMOUNT of an existing account")
            parts.append(operations.Part(account.pk, _amount(amount)))
        allocations = operations.allocate_from_suspense(
            payment_id=options["payment"],
            parts=parts,
            by=options["user"],
            reason=options["reason"],
            as_of=as_of,
            rule=settings.VOOL_PAYMENT_ALLOCATION_RULE,
        )
        self.stdout.write(f"Allocated {len(allocations)} part(s) of payment {options['payment']}.")

    def _mandate(self, options: dict[str, Any], as_of: dt.datetime) -> None:
        account = customer_queries.find_billing_account(reference_number=options["account"])
        if account is None:
            raise CommandError(f"No billing account with reference {options['account']}.")
        mandate = direct_debit.add_mandate(
            billing_account_id=account.pk,
            mandate_id=options["mandate_id"],
            signed_date=options["signed"],
            debtor_name=options["name"],
            debtor_iban=options["iban"],
            debtor_bic=options["bic"],
            by=options["user"],
            now=as_of,
        )
        self.stdout.write(f"Mandate {mandate.mandate_id} of {account.reference_number} recorded.")

    def _direct_debit(self, options: dict[str, Any], as_of: dt.datetime) -> None:
        day = options["date"]
        file = direct_debit_usecase.collect(collection_date=day, now=as_of, by=options["user"])
        if file is None:
            self.stdout.write(f"Nothing to collect on {day}.")
            return
        if options["out"] is None:
            self.stdout.write(file.xml.decode("utf-8"))
        else:
            options["out"].write_bytes(file.xml)
            self.stdout.write(
                f"{options['out']}: {file.message_id}, {file.count} collection(s), "
                f"{file.total} EUR on {day}."
            )
