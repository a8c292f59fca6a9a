"""A system check that says when the integrity guards are missing from a database.

Database checks run with ``vool migrate`` (before it installs the guards again) and with
``vool check --database default``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning

from vool.domain.integrity import operations


@register(Tags.database)
def guards_installed(
    app_configs: Sequence[Any] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for alias in databases or ():
        missing = operations.missing_triggers(using=alias)
        if missing:
            messages.append(
                CheckWarning(
                    f"Database {alias!r} lacks {len(missing)} integrity guard(s): "
                    f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}. "
                    "Issued invoices, readings and the ledger can be altered until they are "
                    "back.",
                    hint="Run `vool migrate`: it installs them (see docs/security.md).",
                    id="integrity.W001",
                )
            )
    return messages
