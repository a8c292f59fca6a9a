"""On PostgreSQL, two live contracts on one metering point can never overlap.

An exclusion constraint over ``daterange(valid_from, valid_to, '[)')``; SQLite has no such
constraint, so there the same check runs in ``contracts.operations`` under a write lock.
"""

from django.db import migrations

from vool.domain.migration_ops import PostgresOnlySQL

CONSTRAINT = "contract_no_overlap_per_point"


class Migration(migrations.Migration):
    dependencies = [("contracts", "0001_initial")]

    operations = [
        PostgresOnlySQL(
            sql=[
                "CREATE EXTENSION IF NOT EXISTS btree_gist",
                f"""ALTER TABLE contracts_supplycontract ADD CONSTRAINT {CONSTRAINT}
                    EXCLUDE USING gist (
                        metering_point_id WITH =,
                        daterange(valid_from, valid_to, '[)') WITH &&
                    ) WHERE (status <> 'CANCELLED')""",
            ],
            reverse_sql=[f"ALTER TABLE contracts_supplycontract DROP CONSTRAINT {CONSTRAINT}"],
        ),
    ]
