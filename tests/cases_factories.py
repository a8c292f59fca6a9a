"""Factories of the request (case), queue and freeze tests: a customer with a billing account,
a manual metering point and an issued invoice, optionally a portal user; staff in a role, and
a test client signed in as one; a dunning hold on a customer's account."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.utils import timezone

from billing_factories import fixed_product, manual_account
from factories import BillingAccountFactory, PersonFactory
from receivables_factories import issued_invoice
from vool.domain.billing.models import Invoice
from vool.domain.cases import roles
from vool.domain.contracts.models import SupplyContract
from vool.domain.customers.models import BillingAccount, Customer
from vool.domain.metering.models import Register
from vool.domain.receivables import dunning
from vool.domain.receivables.models import DunningHold

PASSWORD = "kask-ja-mand-7"
# when the queue tests' holds are put (the queue tests' NOW)
HOLD_SET_AT = dt.datetime(2026, 11, 9, 9, 0, tzinfo=dt.UTC)


@dataclass
class Holder:
    user: Any
    customer: Customer
    account: BillingAccount
    contract: SupplyContract
    register: Register
    invoice: Invoice


def holder(username: str, number: int, gross: str) -> Holder:
    """A customer who signs in to the portal as ``username``, with an issued invoice
    ``number`` of ``gross`` EUR due in ten days and a manual metering point."""
    user = get_user_model().objects.create_user(
        username, email=f"{username}@example.ee", password=PASSWORD
    )
    customer = PersonFactory(first_name=username.title(), user=user)
    account = BillingAccountFactory(customer=customer)
    contract, register = manual_account(product=fixed_product(code=f"FIX{number}"))
    SupplyContract.objects.filter(pk=contract.pk).update(customer=customer, billing_account=account)
    contract.refresh_from_db()
    today = timezone.localdate()
    invoice = issued_invoice(account, number=number, gross=gross, due=today + dt.timedelta(days=10))
    return Holder(user, customer, account, contract, register, invoice)


def role_group(role: str) -> Group:
    """The role's group as the roles migration made it; made again the same way when a
    transactional test's flush emptied the table."""
    group, made = Group.objects.get_or_create(name=role)
    if made:
        for code in roles.ROLES[role]:
            app_label, codename = code.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    return group


def in_role(username: str, role: str) -> Any:
    """A staff user in the role's group (the groups the roles migration made)."""
    user = get_user_model().objects.create_user(username, password=PASSWORD, is_staff=True)
    user.groups.add(role_group(role))
    return get_user_model().objects.get(pk=user.pk)  # fresh permission cache


def signed_in(user: Any) -> Client:
    """A test client signed in as ``user``."""
    client = Client()
    client.force_login(user)
    return client


def hold_on(who: Holder, reason: str, *, as_of: dt.datetime = HOLD_SET_AT) -> DunningHold:
    """A vulnerable-customer dunning hold on ``who``'s account since 1 January 2026, open."""
    return dunning.add_hold(
        kind="VULNERABLE",
        reason=reason,
        by="x",
        valid_from=dt.date(2026, 1, 1),
        valid_to=None,
        as_of=as_of,
        billing_account_id=who.account.pk,
    )
