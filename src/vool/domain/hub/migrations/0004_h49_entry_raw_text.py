"""Each hub entry keeps its content as JSON text (``raw``), read exactly, instead of a JSON
field whose numbers the database driver hands back as floats. The rows stored before are
copied as the database holds them: PostgreSQL's jsonb keeps numbers exactly (``content::text``),
SQLite keeps the text it was given."""

import json

from django.db import migrations, models


def copy_content(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    table = apps.get_model("hub", "HubEntry")._meta.db_table
    quoted = schema_editor.quote_name(table)
    if vendor == "postgresql":
        schema_editor.execute(f"UPDATE {quoted} SET raw = content::text")
    elif vendor == "sqlite":
        schema_editor.execute(f"UPDATE {quoted} SET raw = content")
    else:  # pragma: no cover - Vool runs on PostgreSQL and SQLite
        entries = apps.get_model("hub", "HubEntry").objects.all()
        for entry in entries.iterator():
            entry.raw = json.dumps(entry.content)
            entry.save(update_fields=["raw"])


def copy_back(apps, schema_editor):
    entries = apps.get_model("hub", "HubEntry").objects.all()
    for entry in entries.iterator():
        entry.content = json.loads(entry.raw)
        entry.save(update_fields=["content"])


class Migration(migrations.Migration):
    dependencies = [
        ("hub", "0003_h35_joint_invoice_network_bill"),
    ]

    operations = [
        migrations.AddField(
            model_name="hubentry",
            name="raw",
            field=models.TextField(default="", verbose_name="content"),
            preserve_default=False,
        ),
        migrations.RunPython(copy_content, copy_back),
        migrations.AlterField(
            model_name="hubentry",
            name="content",
            field=models.JSONField(null=True, verbose_name="content"),
        ),
        migrations.RemoveField(model_name="hubentry", name="content"),
    ]
