"""Demo log-ins: a back-office superuser and a few portal customers (development only)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from vool.domain.customers import operations as customer_operations
from vool.domain.customers import queries as customer_queries
from vool.usecases.demo import marker


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str
    who: str


def ensure_demo_users(*, portal_customers: int = 3) -> list[DemoLogin]:
    """Create (or reset) the demo log-ins and return them to print: only in a database the
    demo seeded (:class:`~vool.usecases.demo.marker.NotADemoDatabase` otherwise)."""
    if not marker.is_seeded_by_demo():
        raise marker.NotADemoDatabase(
            _("The demo did not seed this database: it creates no demo log-ins here.")
        )
    user_model = get_user_model()
    logins: list[DemoLogin] = []
    with transaction.atomic():
        admin, _created = user_model.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        admin.set_password("admin")
        admin.save()
        logins.append(DemoLogin("back office (superuser)", "admin", "admin", "Vool admin"))
        people = customer_queries.persons(limit=portal_customers)
        for number, customer in enumerate(people, start=1):
            user, _created = user_model.objects.get_or_create(username=f"demo{number}")
            user.set_password("demo")
            user.first_name, user.last_name = customer.first_name, customer.last_name
            user.email = customer.email
            user.save()
            if customer.user_id != user.pk:
                customer_operations.link_portal_user(customer_id=customer.pk, user_id=user.pk)
            logins.append(DemoLogin("portal customer", user.username, "demo", customer.name))
    return logins
