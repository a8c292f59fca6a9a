"""``vool legacy bank-files``: one file per bank of the accounts' old → new reference numbers
and the payment agreements held there (direct debit, e-invoice standing orders), so the bank
moves them over without the customer doing anything; and one file of every old → new number
(for standing payment orders the agreements do not cover)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from vool.domain.customers.models import FormerReferenceNumber
from vool.domain.legacy import mapping
from vool.domain.legacy.models import PaymentAgreement

AGREEMENT_COLUMNS = (
    "agreement_id",
    "kind",
    "payer_iban",
    "payer_name",
    "payer_code",
    "old_reference",
    "new_reference",
    "valid_from",
)
ALL_COLUMNS = ("old_reference", "new_reference", "customer_name", "replaced_on")


def _write(path: Path, columns: tuple[str, ...], rows: Sequence[Sequence[str]]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def write_bank_files(*, directory: Path) -> dict[str, int]:
    """Write the files into ``directory``; returns rows per file name."""
    directory.mkdir(parents=True, exist_ok=True)
    former = {
        account_id: reference
        for account_id, reference in FormerReferenceNumber.objects.values_list(
            "account_id", "reference_number"
        ).order_by("replaced_on", "id")
    }
    by_bank: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for agreement in PaymentAgreement.objects.select_related("billing_account__customer").order_by(
        "bank_bic", "old_agreement_id"
    ):
        account = agreement.billing_account
        customer = account.customer
        by_bank[agreement.bank_bic].append(
            (
                agreement.old_agreement_id,
                agreement.kind,
                agreement.payer_iban,
                customer.name,
                customer.personal_code or customer.registry_code or "",
                former.get(account.pk, ""),
                account.reference_number,
                agreement.valid_from.isoformat(),
            )
        )
    written: dict[str, int] = {}
    for bic in sorted(set(mapping.BANKS) | set(by_bank)):
        name = f"{bic}-{mapping.BANKS.get(bic, 'bank')}-agreements.csv"
        _write(directory / name, AGREEMENT_COLUMNS, by_bank.get(bic, []))
        written[name] = len(by_bank.get(bic, []))
    rows = [
        (
            f.reference_number,
            f.account.reference_number,
            f.account.customer.name,
            f.replaced_on.isoformat(),
        )
        for f in FormerReferenceNumber.objects.select_related("account__customer").order_by(
            "reference_number"
        )
    ]
    _write(directory / "all-reference-numbers.csv", ALL_COLUMNS, rows)
    written["all-reference-numbers.csv"] = len(rows)
    return written
