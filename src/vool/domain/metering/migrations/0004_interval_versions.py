"""Interval versions carry their data time: ``known_at`` (from when a version is known, the
import's as-of) and ``superseded_at`` (when the next version became known), so bills read the
versions that existed at their data cut-off. Existing rows: known since they were recorded;
an old version is superseded when the next one was recorded."""

import django.db.models.expressions
from django.db import migrations, models


def fill_known_at(apps, schema_editor):  # type: ignore[no-untyped-def]
    IntervalDay = apps.get_model("metering", "IntervalDay")
    IntervalDay.objects.update(known_at=models.F("created_at"))
    later = IntervalDay.objects.filter(
        metering_point_id=models.OuterRef("metering_point_id"),
        day=models.OuterRef("day"),
        direction=models.OuterRef("direction"),
        version=models.OuterRef("version") + 1,
    ).values("known_at")[:1]
    IntervalDay.objects.filter(is_current=False).update(superseded_at=models.Subquery(later))
    # a non-current version without a successor (should not exist): superseded when recorded
    IntervalDay.objects.filter(is_current=False, superseded_at__isnull=True).update(
        superseded_at=models.F("known_at")
    )
    # successors recorded out of order: never superseded before known
    IntervalDay.objects.filter(
        is_current=False, superseded_at__lt=models.F("known_at")
    ).update(superseded_at=models.F("known_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("metering", "0003_readings_append_only_postgresql"),
    ]

    operations = [
        migrations.AddField(
            model_name="intervalday",
            name="known_at",
            field=models.DateTimeField(
                null=True,
                help_text="The data time from which this version is known (the import's as-of).",
                verbose_name="known since",
            ),
        ),
        migrations.AddField(
            model_name="intervalday",
            name="superseded_at",
            field=models.DateTimeField(
                blank=True,
                null=True,
                help_text="When the next version became known; empty while this one is current.",
                verbose_name="superseded at",
            ),
        ),
        migrations.RunPython(fill_known_at, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="intervalday",
            name="known_at",
            field=models.DateTimeField(
                help_text="The data time from which this version is known (the import's as-of).",
                verbose_name="known since",
            ),
        ),
        migrations.AlterField(
            model_name="intervalday",
            name="created_at",
            field=models.DateTimeField(verbose_name="recorded at"),
        ),
        migrations.AlterField(
            model_name="intervalcorrection",
            name="created_at",
            field=models.DateTimeField(verbose_name="recorded at"),
        ),
        migrations.AddConstraint(
            model_name="intervalday",
            constraint=models.CheckConstraint(
                condition=models.Q(("is_current", True), ("superseded_at__isnull", True))
                | models.Q(
                    ("is_current", False),
                    ("superseded_at__gte", django.db.models.expressions.F("known_at")),
                    ("superseded_at__isnull", False),
                ),
                name="interval_day_superseded_when_not_current",
            ),
        ),
    ]
