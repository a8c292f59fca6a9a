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

from django.utils.translation import gettext_lazy as _

from vool.domain.billing import queries as billing_queries
from vool.domain.contracts import queries as contract_queries
from vool.domain.customers import queries as customer_queries

# the search's SQL expressions live with the queries that use them
from vool.domain.customers.queries import FOLD_FROM, FOLD_TO, Folded
from vool.domain.receivables import queries as receivable_queries

__all__ = ["FOLD_FROM", "FOLD_TO", "Folded", "SearchHit", "SearchResult", "fold", "search"]

_FOLD = str.maketrans(FOLD_FROM, FOLD_TO)
MIN_NAME_CHARS = 2
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{8,30}$")
_EIC = re.compile(r"^\d{2}[A-Z0-9-]{14}$")


def fold(text: str) -> str:
    """How names are compared: lower case, õäöüšž as oaousz (both sides of the search)."""
    return text.translate(_FOLD).lower()


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
    rows = customer_queries.customer_codes(customer_ids=ids)
    return [
        SearchHit(
            customer_id=row.customer_id,
            name=row.name,
            code=row.personal_code or row.registry_code or "",
            matched_on=str(MATCHED_ON[ids[row.customer_id][0]]),  # in the active language
            matched_value=ids[row.customer_id][1],
        )
        for row in sorted(rows, key=lambda row: row.name)
    ]


def _identifier_matches(compact: str, raw: str) -> dict[int, tuple[str, str]]:
    """customer id -> (what matched, the value) for every exact identifier match."""
    found: dict[int, tuple[str, str]] = {}

    def add(kind: str, pairs: Any) -> None:
        for customer_id, value in pairs:
            found.setdefault(customer_id, (kind, str(value)))

    upper = compact.upper()
    if compact.isdigit():
        add("personal_code", customer_queries.with_personal_code(code=compact))
        add("registry_code", customer_queries.with_registry_code(code=compact))
        add("reference_number", customer_queries.with_reference_number(reference_number=compact))
        if len(compact) <= 18:
            add(
                "invoice_number", billing_queries.customers_with_invoice_number(number=int(compact))
            )
    if _EIC.match(upper):
        add("eic", contract_queries.customers_at_point(eic=upper))
    if _IBAN.match(upper):
        add("iban", receivable_queries.customers_paying_from(iban=upper))
    if "@" in raw:
        add("email", customer_queries.with_email(email=raw.strip()))
    phone = compact.removeprefix("00")
    if re.fullmatch(r"\+?\d{5,15}", phone):
        candidates = {phone, "+" + phone.lstrip("+"), "+372" + phone.lstrip("+")}
        add("phone", customer_queries.with_phone(candidates=candidates))
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
    names = customer_queries.with_folded_name(
        folded=folded, exclude_ids=identified, limit=limit - len(hits)
    )
    by_name = {pk: ("name", name) for pk, name in names}
    return SearchResult(query=raw, hits=hits + _customers(by_name), jump_to=None)
