"""Readings carry their data time: ``known_at``, from when a reading is known (the as-of of
its submission, import or estimate), so a bill reads the readings known at its data cut-off.
Existing rows: known since they were recorded (``created_at``), never before they were read.

The rows are append-only at the database (``vool.domain.integrity``); this one-off fill of
the new column runs with the table's triggers disabled on PostgreSQL (SQLite's are removed
before ``migrate`` and installed again after it)."""

import django.db.models.expressions
from django.db import migrations, models


def fill_known_at(apps, schema_editor):  # type: ignore[no-untyped-def]
    Reading = apps.get_model("metering", "Reading")
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        schema_editor.execute("ALTER TABLE metering_reading DISABLE TRIGGER USER")
    Reading.objects.update(known_at=models.F("created_at"))
    Reading.objects.filter(known_at__lt=models.F("read_at")).update(known_at=models.F("read_at"))
    if postgresql:
        schema_editor.execute("ALTER TABLE metering_reading ENABLE TRIGGER USER")


class Migration(migrations.Migration):
    dependencies = [
        ("metering", "0004_interval_versions"),
    ]

    operations = [
        migrations.AddField(
            model_name="reading",
            name="known_at",
            field=models.DateTimeField(null=True, verbose_name="known since"),
        ),
        migrations.RunPython(fill_known_at, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="reading",
            name="known_at",
            field=models.DateTimeField(
                help_text=(
                    "The data time from which this reading is known (the as-of of the "
                    "submission, import or estimate); a bill reads the readings known at its "
                    "cut-off."
                ),
                verbose_name="known since",
            ),
        ),
        migrations.AddConstraint(
            model_name="reading",
            constraint=models.CheckConstraint(
                condition=models.Q(("known_at__gte", django.db.models.expressions.F("read_at"))),
                name="reading_known_after_read",
                violation_error_message="A reading cannot be known before it was read.",
            ),
        ),
    ]
