"""Django's ``flush``, run under the integrity maintenance switch.

Emptying the database is the one routine operation that must get past the integrity guards
(on PostgreSQL ``flush`` is a ``TRUNCATE``, on SQLite a ``DELETE`` of every row). Test
teardown (pytest-django's transactional tests) and the benchmarks' resets call it; the switch
ends with the transaction."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush

from vool.domain.integrity import operations as integrity


class Command(flush.Command):
    help = flush.Command.help + " Vool: runs with the integrity guards lifted."

    def handle(self, **options: Any) -> None:
        with integrity.maintenance(reason="flush", using=options["database"]):
            super().handle(**options)
