"""One search box for the back office: name, personal or registry code, reference number, EIC,
invoice number, payer IBAN, phone and e-mail.

Identifiers are matched exactly, each on its own index (unique columns, and the expression
indexes of ``customers`` migration 0003: the e-mail in lower case, the phone without spaces).
Names are matched as a substring, folded on both sides by :func:`fold` (lower case, Estonian
õäöüšž as oaousz): on PostgreSQL through a pg_trgm GIN index on the same expression, on
SQLite by a scan that is fine at demo scale. An identifier that names exactly one customer is
a *jump*: the page goes straight to that customer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, F, Func
from django.utils.translation import gettext_lazy as _

from vool.domain.billing.models import Invoice
from vool.domain.contracts.models import SupplyContract
from vool.domain.customers.models import BillingAccount, Customer
from vool.domain.receivables.models import Allocation

FOLD_FROM = "ÕÄÖÜŠŽõäöüšž"
FOLD_TO = "OAOUSZoaousz"
_FOLD = str.maketrans(FOLD_FROM, FOLD_TO)
MIN_NAME_CHARS = 2
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{8,30}$")
_EIC = re.compile(r"^\d{2}[A-Z0-9-]{14}$")


def fold(text: str) -> str:
    """How names are compared: lower case, õäöüšž as oaousz (both sides of the search)."""
    return text.translate(_FOLD).lower()


class Folded(Func):
    """SQL of :func:`fold`; on PostgreSQL the exact expression of the trigram index."""

    output_field = CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template=f"lower(translate(%(expressions)s, '{FOLD_FROM}', '{FOLD_TO}'))",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "%(expressions)s"
        for source, target in zip(FOLD_FROM, FOLD_TO, strict=True):
            template = f"replace({template}, '{source}', '{target}')"
        return self.as_sql(compiler, connection, template=f"lower({template})", **extra)


class PhoneDigits(Func):
    """The phone without spaces (the expression of the phone index)."""

    template = "replace(%(expressions)s, ' ', '')"
    output_field = CharField()


class EmailLower(Func):
    template = "lower(%(expressions)s)"
    output_field = CharField()


@dataclass(frozen=True)
class SearchHit:
    customer_id: int
    name: str
    code: str
    matched_on: str
    matched_value: str


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: list[SearchHit]
    jump_to: int | None
    """The customer an exact identifier named, if exactly one."""
    too_short: bool = False


MATCHED_ON = {
    "personal_code": _("personal code"),
    "registry_code": _("registry code"),
    "reference_number": _("reference number"),
    "eic": _("EIC"),
    "invoice_number": _("invoice number"),
    "iban": _("payer IBAN"),
    "phone": _("phone"),
    "email": _("e-mail"),
    "name": _("name"),
}


def _customers(ids: dict[int, tuple[str, str]]) -> list[SearchHit]:
    rows = Customer.objects.filter(pk__in=ids).values_list(
        "pk", "name", "personal_code", "registry_code"
    )
    return [
        SearchHit(
            customer_id=pk,
            name=name,
            code=personal or registry or "",
            matched_on=str(MATCHED_ON[ids[pk][0]]),  # in the active language
            matched_value=ids[pk][1],
        )
        for pk, name, personal, registry in sorted(rows, key=lambda row: row[1])
    ]


def _identifier_matches(compact: str, raw: str) -> dict[int, tuple[str, str]]:
    """customer id -> (what matched, the value) for every exact identifier match."""
    found: dict[int, tuple[str, str]] = {}

    def add(kind: str, pairs: Any) -> None:
        for customer_id, value in pairs:
            found.setdefault(customer_id, (kind, str(value)))

    upper = compact.upper()
    if compact.isdigit():
        add(
            "personal_code",
            Customer.objects.filter(personal_code=compact).values_list("pk", "personal_code"),
        )
        add(
            "registry_code",
            Customer.objects.filter(registry_code=compact).values_list("pk", "registry_code"),
        )
        add(
            "reference_number",
            BillingAccount.objects.filter(reference_number=compact).values_list(
                "customer_id", "reference_number"
            ),
        )
        if len(compact) <= 18:
            add(
                "invoice_number",
                Invoice.objects.filter(number=int(compact)).values_list(
                    "billing_account__customer_id", "number"
                ),
            )
    if _EIC.match(upper):
        add(
            "eic",
            SupplyContract.objects.filter(metering_point__eic=upper)
            .order_by("-valid_from")
            .values_list("customer_id", "metering_point__eic"),
        )
    if _IBAN.match(upper):
        add(
            "iban",
            Allocation.objects.filter(payment__payer_iban=upper, billing_account__isnull=False)
            .values_list("billing_account__customer_id", "payment__payer_iban")
            .distinct(),
        )
    if "@" in raw:
        add(
            "email",
            Customer.objects.annotate(email_lower=EmailLower("email"))
            .filter(email_lower=raw.strip().lower())
            .values_list("pk", "email"),
        )
    phone = compact.removeprefix("00")
    if re.fullmatch(r"\+?\d{5,15}", phone):
        candidates = {phone, "+" + phone.lstrip("+"), "+372" + phone.lstrip("+")}
        add(
            "phone",
            Customer.objects.annotate(phone_digits=PhoneDigits("phone"))
            .filter(phone_digits__in=candidates)
            .values_list("pk", "phone"),
        )
    return found


def search(*, query: str, limit: int = 50) -> SearchResult:
    """Customers matching ``query``: exact identifiers first, then names containing it."""
    raw = query.strip()
    compact = re.sub(r"[\s-]", "", raw) if not _EIC.match(raw.upper()) else raw.upper()
    if not raw:
        return SearchResult(query=raw, hits=[], jump_to=None)
    identified = _identifier_matches(compact, raw)
    if len(identified) == 1:
        hits = _customers(identified)
        return SearchResult(query=raw, hits=hits, jump_to=hits[0].customer_id)
    hits = _customers(identified)
    folded = fold(raw)
    if len(folded) < MIN_NAME_CHARS:
        return SearchResult(query=raw, hits=hits, jump_to=None, too_short=not hits)
    names = (
        Customer.objects.annotate(folded_name=Folded(F("name")))
        .filter(folded_name__contains=folded)
        .exclude(pk__in=list(identified))
        .order_by("name", "pk")
        .values_list("pk", "name")[: max(limit - len(hits), 0)]
    )
    by_name = {pk: ("name", name) for pk, name in names}
    return SearchResult(query=raw, hits=hits + _customers(by_name), jump_to=None)
