"""Indexes for the back office's search (``vool.usecases.customer_search``).

PostgreSQL: the pg_trgm extension and a GIN trigram index on the folded name (lower case,
õäöüšž as oaousz: the exact expression ``customer_search.Folded`` writes, repeated here because
a migration is frozen history); both databases: the e-mail in lower case and the phone without
spaces, matched exactly.
"""

from typing import Any

from django.db import migrations

FOLDED_NAME = "lower(translate(name, 'ÕÄÖÜŠŽõäöüšž', 'OAOUSZoaousz'))"
COMMON = [
    ("customers_customer_email_lower", "lower(email)"),
    ("customers_customer_phone_digits", "replace(phone, ' ', '')"),
]


def create(apps: Any, schema_editor: Any) -> None:
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        execute(
            "CREATE INDEX IF NOT EXISTS customers_customer_name_trgm ON customers_customer "
            f"USING gin ({FOLDED_NAME} gin_trgm_ops)"
        )
    for name, expression in COMMON:
        execute(f"CREATE INDEX IF NOT EXISTS {name} ON customers_customer (({expression}))")


def drop(apps: Any, schema_editor: Any) -> None:
    for name, _ in [("customers_customer_name_trgm", ""), *COMMON]:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_w2_portal_access")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
