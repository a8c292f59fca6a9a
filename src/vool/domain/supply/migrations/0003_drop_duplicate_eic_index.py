"""Drops ``supply_meteringpoint_eic_prefix`` (0002): the same index as the one Django keeps for
the unique EIC on PostgreSQL (``supply_meteringpoint_eic_…_like``, ``varchar_pattern_ops``),
which serves the EIC's prefix match just as well. One index less to keep per point (a legacy
load writes half a million)."""

from typing import Any

from django.db import migrations

NAME, HOW = "supply_meteringpoint_eic_prefix", "(eic varchar_pattern_ops)"


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {NAME} ON supply_meteringpoint {HOW}")


class Migration(migrations.Migration):
    dependencies = [("supply", "0002_s3_point_search_index")]

    operations = [migrations.RunPython(drop, create, elidable=False)]
