"""On PostgreSQL, register readings are append-only in the database too.

A trigger refuses UPDATE and DELETE on ``metering_reading``: a correction or a review
decision is a new reading that supersedes the old one (``metering.operations``). TRUNCATE
(used by test teardown and ``vool flush``) is a table operation and not affected.
"""

from django.db import migrations

from vool.domain.migration_ops import PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [("metering", "0002_meteringimport_intervalcorrection")]

    operations = [
        PostgresOnlySQL(
            sql=[
                """CREATE FUNCTION metering_reading_append_only() RETURNS trigger AS $$
                BEGIN
                    RAISE EXCEPTION 'Readings are append-only: % on reading % refused; '
                        'record a new reading that supersedes it.', TG_OP, OLD.id
                        USING ERRCODE = 'integrity_constraint_violation';
                END;
                $$ LANGUAGE plpgsql""",
                """CREATE TRIGGER metering_reading_append_only
                    BEFORE UPDATE OR DELETE ON metering_reading
                    FOR EACH ROW EXECUTE FUNCTION metering_reading_append_only()""",
            ],
            reverse_sql=[
                "DROP TRIGGER IF EXISTS metering_reading_append_only ON metering_reading",
                "DROP FUNCTION IF EXISTS metering_reading_append_only()",
            ],
        ),
    ]
