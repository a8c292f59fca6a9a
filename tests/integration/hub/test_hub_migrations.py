"""Existing databases migrate cleanly: each stored hub entry's content becomes its JSON text
(``HubEntry.raw``) as the database holds it; a number PostgreSQL's jsonb kept exactly stays
exact."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from vool.integrations.datahub import resources

BEFORE = [("hub", "0003_h35_joint_invoice_network_bill")]
RAW = [("hub", "0004_h49_entry_raw_text")]


@pytest.fixture
def executor(transactional_db: None) -> Iterator[MigrationExecutor]:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        yield executor
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_stored_content_becomes_its_text_exactly(executor: MigrationExecutor) -> None:
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO hub_hubentry (entry_id, resource_type, hub_created_at, reason, content,"
            " status, problem, received_at) VALUES (%s, %s, %s, %s, "
            f"%s{cast}, %s, %s, %s)",
            [
                "e-1",
                "METERING_DATA",
                "2026-11-02T08:00:00+00:00",
                "CREATED",
                '[{"meteringPointEic": "38ZEE-00625607-9", "kwh": 1.0000000000000001}]',
                "QUEUED",
                "",
                "2026-11-02T08:00:00+00:00",
            ],
        )

    executor.loader.build_graph()
    executor.migrate(RAW)
    apps = executor.loader.project_state(RAW).apps

    entry = apps.get_model("hub", "HubEntry").objects.get()
    assert resources.decode_content(entry.raw) == [
        {"meteringPointEic": "38ZEE-00625607-9", "kwh": Decimal("1.0000000000000001")}
    ]
