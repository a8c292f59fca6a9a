"""Reads for customers and billing accounts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from django.contrib.auth import get_user_model
from django.db.models import CharField, F, Func, Q, QuerySet, Value
from django.db.models.functions import Concat

from vool.domain.customers.models import (
    BillingAccount,
    Consent,
    Customer,
    FormerReferenceNumber,
    Language,
    SecondFactor,
)

BUSINESS: Final = Customer.Kind.BUSINESS  # a company (the business segment's packages)
InvoiceChannel = BillingAccount.InvoiceChannel  # how invoices (and letters) reach the customer
LANGUAGES: Final = Language.choices  # the customer's languages (code, label)


def invoice_channel_label(channel: str) -> str:
    """How an invoice channel (``EMAIL``, ``E_INVOICE``, ...) is named to a person."""
    return str(BillingAccount.InvoiceChannel(channel).label)


def find_billing_account(*, reference_number: str) -> BillingAccount | None:
    return (
        BillingAccount.objects.select_related("customer")
        .filter(reference_number=reference_number.replace(" ", ""))
        .first()
    )


def get_billing_account(*, billing_account_id: int) -> BillingAccount | None:
    return BillingAccount.objects.select_related("customer").filter(pk=billing_account_id).first()


_CUSTOMERS_OF_USER: Final = (
    "SELECT c.* FROM customers_customer c WHERE c.id IN ("
    "SELECT h.id FROM customers_customer h WHERE h.user_id = %s "
    "UNION ALL SELECT a.customer_id FROM customers_portalaccess a WHERE a.user_id = %s"
    ") ORDER BY c.name, c.id"
)


def customers_of_user(*, user_id: int) -> list[Customer]:
    """The customers a portal user may act for: the one they hold (``Customer.user``) and those
    a :class:`PortalAccess` grants them (household member, representative), by name."""
    # One query: the ids from two indexed reads (UNION ALL) and the customers by primary key.
    # An OR across the join to PortalAccess (with DISTINCT) made PostgreSQL scan every
    # customer, 0.2-0.4 s at 100,000 customers on each portal request (the portal load
    # benchmark found it); as two id reads first it cost three round trips a request.
    # Written out (every portal page reads it): the ORM's building of the query with its
    # union took ~2 ms of CPU a request (RESULTS.md, h43).
    return list(Customer.objects.raw(_CUSTOMERS_OF_USER, [user_id, user_id]))


def count_customers() -> int:
    return Customer.objects.count()


def count_billing_accounts() -> int:
    return BillingAccount.objects.count()


def current_consents(*, customer_id: int) -> dict[str, Consent]:
    """The latest answer per consent kind."""
    latest: dict[str, Consent] = {}
    for consent in Consent.objects.filter(customer_id=customer_id).order_by("recorded_at", "pk"):
        latest[consent.kind] = consent
    return latest


def second_factor_of(*, user_id: int) -> SecondFactor | None:
    """The user's second factor, confirmed or not (``None``: two-step sign-in never set up)."""
    return SecondFactor.objects.filter(user_id=user_id).first()


def has_second_factor(*, user_id: int) -> bool:
    """Whether the user signs in with a code as well as the password."""
    return SecondFactor.objects.filter(user_id=user_id, confirmed_at__isnull=False).exists()


def portal_users_with_personal_code(*, personal_code: str) -> QuerySet[Any]:
    """The portal user holding the customer with this personal code (none, or one)."""
    return get_user_model().objects.filter(customer__personal_code=personal_code, is_active=True)


def consent_kinds() -> list[tuple[str, str]]:
    """The kinds of consent a customer gives or withdraws, each with its label."""
    return [(kind, str(label)) for kind, label in Consent.Kind.choices]


def billing_accounts_of(*, customer_id: int) -> list[BillingAccount]:
    """The customer's billing accounts by reference number."""
    return list(BillingAccount.objects.filter(customer_id=customer_id).order_by("reference_number"))


def billing_accounts_with_ids(*, billing_account_ids: Iterable[int]) -> dict[int, BillingAccount]:
    """The billing accounts among the ids, by id (one query)."""
    return {a.pk: a for a in BillingAccount.objects.filter(pk__in=set(billing_account_ids))}


_BILLING_ACCOUNTS_BY_ID: Final = (
    "SELECT a.* FROM customers_billingaccount a WHERE a.customer_id = %s ORDER BY a.id"
)


def billing_accounts_by_id(*, customer_id: int) -> list[BillingAccount]:
    """The customer's billing accounts in the order they were opened (by id)."""
    # Written out (the portal's overview): see customers_of_user.
    return list(BillingAccount.objects.raw(_BILLING_ACCOUNTS_BY_ID, [customer_id]))


def billing_account_of(*, customer_id: int, billing_account_id: int) -> BillingAccount | None:
    """Billing account ``billing_account_id`` if it is the customer's."""
    return BillingAccount.objects.filter(customer_id=customer_id, pk=billing_account_id).first()


def billing_accounts_where(*, condition: Q) -> QuerySet[BillingAccount]:
    """The billing accounts that meet ``condition`` (a filter over the account's fields and
    its customer's), for a batch to narrow further."""
    return BillingAccount.objects.filter(condition)


def get_customer(*, customer_id: int) -> Customer | None:
    return Customer.objects.filter(pk=customer_id).first()


# -- the back office's search (``usecases.customer_search``) -----------------------------------

FOLD_FROM = "ÕÄÖÜŠŽõäöüšž"
FOLD_TO = "OAOUSZoaousz"


class Folded(Func):
    """SQL of ``customer_search.fold``; on PostgreSQL the exact expression of the trigram
    index (migration customers 0003)."""

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
class CustomerCodes:
    customer_id: int
    name: str
    personal_code: str
    registry_code: str


def customer_codes(*, customer_ids: Iterable[int]) -> list[CustomerCodes]:
    """Name and codes of these customers (unordered)."""
    rows = Customer.objects.filter(pk__in=list(customer_ids)).values_list(
        "pk", "name", "personal_code", "registry_code"
    )
    return [
        CustomerCodes(pk, name, personal or "", registry or "")
        for pk, name, personal, registry in rows
    ]


def with_personal_code(*, code: str) -> list[tuple[int, str | None]]:
    """(customer id, personal code) of the customers with this personal code."""
    return list(Customer.objects.filter(personal_code=code).values_list("pk", "personal_code"))


def with_registry_code(*, code: str) -> list[tuple[int, str | None]]:
    """(customer id, registry code) of the customers with this registry code."""
    return list(Customer.objects.filter(registry_code=code).values_list("pk", "registry_code"))


def with_reference_number(*, reference_number: str) -> list[tuple[int, str]]:
    """(customer id, reference number) of the account with this reference number."""
    return list(
        BillingAccount.objects.filter(reference_number=reference_number).values_list(
            "customer_id", "reference_number"
        )
    )


def with_email(*, email: str) -> list[tuple[int, str]]:
    """(customer id, e-mail) of the customers with this e-mail, in any case."""
    return list(
        Customer.objects.annotate(email_lower=EmailLower("email"))
        .filter(email_lower=email.lower())
        .values_list("pk", "email")
    )


def with_phone(*, candidates: Iterable[str]) -> list[tuple[int, str]]:
    """(customer id, phone) of the customers whose phone, without spaces, is a candidate."""
    return list(
        Customer.objects.annotate(phone_digits=PhoneDigits("phone"))
        .filter(phone_digits__in=set(candidates))
        .values_list("pk", "phone")
    )


def with_folded_name(
    *, folded: str, exclude_ids: Iterable[int], limit: int
) -> list[tuple[int, str]]:
    """(customer id, name) of at most ``limit`` customers whose folded name contains
    ``folded``, by name."""
    # From 3 characters the trigram index finds the matches and they are sorted after: ordered
    # by the plain column, PostgreSQL walked the name index filtering every row until it had
    # ``limit`` (0.5-1.3 s for a fragment like "mari" at 500,000 customers; issue 14
    # benchmark). The same order, by an expression no index serves.
    by_name = F("name") if len(folded) < TRIGRAM else Concat(F("name"), Value(""))
    return list(
        Customer.objects.annotate(folded_name=Folded(F("name")))
        .filter(folded_name__contains=folded)
        .exclude(pk__in=list(exclude_ids))
        .order_by(by_name, "pk")
        .values_list("pk", "name")[: max(limit, 0)]
    )


TRIGRAM: Final = 3


CUSTOMER_TABLE: Final = Customer._meta.db_table  # the table, for "is it there yet" checks


def has_customers() -> bool:
    """Whether the database holds any customer."""
    return Customer.objects.exists()


def persons(*, limit: int) -> list[Customer]:
    """The first ``limit`` customers who are persons (not companies), in the order made."""
    return list(Customer.objects.filter(kind=Customer.Kind.PERSON).order_by("pk")[:limit])


def latest_former_references() -> dict[int, str]:
    """The latest former reference number of each billing account that has one, by account
    id (the demo's payers quote it on some payments)."""
    return dict(
        FormerReferenceNumber.objects.order_by("account_id", "replaced_on").values_list(
            "account_id", "reference_number"
        )
    )
