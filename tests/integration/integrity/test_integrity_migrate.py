"""Guards survive migrations: on SQLite Django rebuilds a table for many changes, which drops
its triggers and is refused while another table's trigger names it; the guards are removed
before ``migrate`` and installed again after it, from the tables as they then are.

Runs ``migrate`` in a separate process on a fresh SQLite file (the test database of this
session is inside a transaction, where SQLite cannot change a schema)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
import django
django.setup()
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import IntegrityError, OperationalError, connection, models
from vool.domain.billing.models import Invoice
from vool.domain.integrity import operations

call_command("migrate", verbosity=0)
expected = set(operations.installed_triggers())
assert expected and operations.missing_triggers() == [], operations.missing_triggers()

def rebuild_invoice_table(name):
    # what a migration adding a field with a default does on SQLite: rebuild the table
    field = models.CharField(max_length=8, default="x")
    field.set_attributes_from_name(name)
    with connection.schema_editor() as editor:
        editor.add_field(Invoice, field)

try:
    rebuild_invoice_table("note_a")
except OperationalError as exc:
    print("WITHOUT-REMOVAL:", exc)
else:
    raise SystemExit("a rebuild under the guards should fail on SQLite")

emit_pre_migrate_signal(verbosity=0, interactive=False, db="default")
assert operations.installed_triggers() == []
rebuild_invoice_table("note_b")
emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
assert set(operations.installed_triggers()) == expected
assert operations.missing_triggers() == []
with connection.cursor() as cursor:
    cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'vool_integrity_invoice_update'")
    assert '"note_b"' in cursor.fetchone()[0], "the new column is frozen too"
print("OK")
"""


def test_a_table_rebuild_between_pre_and_post_migrate_keeps_the_guards(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'migrate.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "vool.config.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "WITHOUT-REMOVAL: error in trigger" in result.stdout
    assert result.stdout.strip().endswith("OK")
