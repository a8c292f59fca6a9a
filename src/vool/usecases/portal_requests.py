"""The customer's requests in the portal: open one (a question, a bill dispute, moving, a
reading problem), follow its status and the notes meant for the customer. Every read takes
the customer the user acts for; a request of another customer is ``portal.NotTheirs``."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from vool.domain.billing import queries as billing_queries
from vool.domain.cases import queries as case_queries
from vool.domain.cases.operations import UnableToOpenCase
from vool.usecases import case_work
from vool.usecases.freeze import check_not_frozen
from vool.usecases.portal import NotTheirs

if TYPE_CHECKING:
    from vool.domain.billing.models import Invoice
    from vool.domain.cases.models import Case, CaseNote
    from vool.domain.customers.models import Customer


def requests_of(customer: Customer) -> QuerySet[Case]:
    return case_queries.cases_of_customer(customer_id=customer.pk)


def request_of(customer: Customer, *, case_id: int) -> Case:
    case = requests_of(customer).filter(pk=case_id).first()
    if case is None:
        raise NotTheirs(f"Request {case_id} is not one of {customer}.")
    return case


def notes_for_customer(case: Case) -> QuerySet[CaseNote]:
    return case_queries.notes_for_customer(case=case)


def disputable_invoices(customer: Customer) -> QuerySet[Invoice]:
    """The customer's issued invoices, newest first: what a dispute may name."""
    return billing_queries.issued_invoices_of_customer(customer_id=customer.pk)


def open_request(
    customer: Customer,
    *,
    user: Any,
    case_type: str,
    subject: str,
    description: str,
    invoice_id: int | None,
    now: dt.datetime,
) -> Case:
    """Open a request of one of the portal's types for ``customer`` (whom the user acts for);
    refused while the freeze is on (the portal is read-only then)."""
    check_not_frozen()
    if case_type not in case_queries.PORTAL_TYPES:
        raise UnableToOpenCase(f"{case_type!r} cannot be opened in the portal.")
    if invoice_id is not None and not disputable_invoices(customer).filter(pk=invoice_id).exists():
        raise NotTheirs(f"Invoice {invoice_id} is not one of {customer}.")
    return case_work.register_case(
        user=user,
        new=case_work.NewCase(
            customer_id=customer.pk,
            channel=case_queries.PORTAL_CHANNEL,
            case_type=case_type,
            subject=subject,
            description=description,
            invoice_id=invoice_id,
        ),
        now=now,
        as_customer=True,
    )
