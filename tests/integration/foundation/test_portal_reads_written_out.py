"""The two reads every portal page makes, written out in SQL (h43): which customers a user
acts for, and the points a customer is supplied at. The same answers as the ORM queries they
replace, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Q

from factories import BusinessFactory, PersonFactory, SupplyContractFactory
from vool.domain.contracts import queries as contract_queries
from vool.domain.contracts.models import SupplyContract
from vool.domain.customers import queries as customer_queries
from vool.domain.customers.models import Customer, PortalAccess
from vool.domain.supply.models import MeteringPoint

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 30)


def test_the_customers_a_user_acts_for_are_held_and_granted_ones_by_name():
    users = get_user_model()
    user, other = users.objects.create(username="mari"), users.objects.create(username="jaan")
    held = PersonFactory(first_name="Mari", last_name="Tamm", user=user)
    firm = BusinessFactory(name="Aardla OÜ")
    household = PersonFactory(first_name="Zoja", last_name="Tamm")
    PortalAccess.objects.create(user=user, customer=firm, role=PortalAccess.Role.REPRESENTATIVE)
    PortalAccess.objects.create(user=user, customer=household, role=PortalAccess.Role.MEMBER)
    PortalAccess.objects.create(user=other, customer=held, role=PortalAccess.Role.MEMBER)
    PersonFactory(user=other)  # another user's own
    mine = customer_queries.customers_of_user(user_id=user.pk)
    assert mine == [firm, held, household]  # by name
    assert all(isinstance(c, Customer) for c in mine)
    assert mine[1].personal_code == held.personal_code  # every column read
    assert mine[0].name == "Aardla OÜ"
    assert customer_queries.customers_of_user(user_id=users.objects.create(username="x").pk) == []
    expected = Customer.objects.filter(Q(user=other) | Q(portal_accesses__user=other)).order_by(
        "name", "pk"
    )
    assert customer_queries.customers_of_user(user_id=other.pk) == list(expected)


def test_the_points_supplied_are_those_of_contracts_not_ended_today_by_eic():
    current = SupplyContractFactory(valid_from=dt.date(2025, 1, 1))
    customer, account = current.customer, current.billing_account
    ends_later = SupplyContractFactory(
        billing_account=account, valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2026, 12, 1)
    )
    starts_later = SupplyContractFactory(billing_account=account, valid_from=dt.date(2027, 1, 1))
    SupplyContractFactory(  # ended yesterday: not shown
        billing_account=account, valid_from=dt.date(2025, 1, 1), valid_to=TODAY
    )
    SupplyContractFactory()  # another customer's
    points = contract_queries.points_supplied_to(customer_id=customer.pk, today=TODAY)
    wanted = [current.metering_point, ends_later.metering_point, starts_later.metering_point]
    assert points == sorted(wanted, key=lambda p: p.eic)
    assert all(isinstance(p, MeteringPoint) for p in points)
    assert {p.eic for p in points} == {p.eic for p in wanted}  # every column read
    ended_point = SupplyContract.objects.get(valid_to=TODAY).metering_point
    assert contract_queries.points_supplied_to(
        customer_id=customer.pk, today=TODAY - dt.timedelta(days=1)
    ) == sorted([*wanted, ended_point], key=lambda p: p.eic)
