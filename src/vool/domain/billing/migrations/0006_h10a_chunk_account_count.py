# Each chunk's account count, stored (run progress is polled; it read every id list).

from django.db import migrations, models


def count_accounts(apps, schema_editor):
    """Fill the count of the chunks that exist, in the database (no id list comes out)."""
    table = schema_editor.quote_name(apps.get_model("billing", "BillRunChunk")._meta.db_table)
    if schema_editor.connection.vendor == "postgresql":
        length = "jsonb_array_length(account_ids::jsonb)"
    else:
        length = "json_array_length(account_ids)"
    schema_editor.execute(f"UPDATE {table} SET account_count = {length}")  # noqa: S608


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0005_w6_dunning"),
    ]

    operations = [
        migrations.AddField(
            model_name="billrunchunk",
            name="account_count",
            field=models.PositiveIntegerField(default=0, verbose_name="accounts"),
        ),
        migrations.RunPython(count_accounts, migrations.RunPython.noop, elidable=True),
    ]
