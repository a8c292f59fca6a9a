"""Whether the demo may touch this database: only one it seeded itself (issue 9 §4).

``vool demo seed`` records a :class:`~vool.usecases.demo.models.DemoSeed` row when it seeds an
empty database; ``vool demo up`` and the demo log-ins refuse a database that holds customers
or users without that marker, before migrating or changing anything."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext as _

from vool.domain.customers import queries as customer_queries
from vool.usecases.demo.models import DemoSeed


class NotADemoDatabase(Exception):
    """The database holds data that the demo did not seed; the demo leaves it alone."""


def record_seed(*, seed: int, customers: int, history_until: dt.date, at: dt.datetime) -> None:
    DemoSeed.objects.create(
        seed=seed, customers=customers, history_until=history_until, seeded_at=at
    )


def has_customers() -> bool:
    return customer_queries.has_customers()


def _holds_data(tables: set[str]) -> bool:
    """Customers or users in the database (tables that are not there yet hold nothing)."""
    users = get_user_model()
    return (customer_queries.CUSTOMER_TABLE in tables and customer_queries.has_customers()) or (
        users._meta.db_table in tables and users.objects.exists()
    )


def is_seeded_by_demo(tables: set[str] | None = None) -> bool:
    tables = tables if tables is not None else set(connection.introspection.table_names())
    return DemoSeed._meta.db_table in tables and DemoSeed.objects.exists()


def check_demo_may_use_database() -> None:
    """Refuse a database that holds customers or users the demo did not seed. An empty
    database (even one not migrated yet) and one the demo seeded pass."""
    tables = set(connection.introspection.table_names())
    if _holds_data(tables) and not is_seeded_by_demo(tables):
        raise NotADemoDatabase(
            _(
                "This database holds customers or users that the demo did not seed, so the "
                "demo leaves it alone: no log-ins reset, no customers linked, no migrations. "
                "Run the demo on an empty database (e.g. DATABASE_URL=sqlite:///var/demo.sqlite3)."
            )
        )
