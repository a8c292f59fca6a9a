"""Worker processes of the rendering batch.

Started with ``spawn``, not ``fork``: the Typst compiler is native code with its own threads,
and a process forked from one that has compiled keeps its locks but not its threads (the
child hangs). A spawned worker sets Django up itself and uses the parent's database and
documents directory, passed in explicitly. Nothing here imports Django models at module
level, so the worker can import this module before Django is set up.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any


def init_worker(database_name: str, documents_dir: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vool.config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connections

    settings.DATABASES["default"]["NAME"] = database_name
    connections["default"].settings_dict["NAME"] = database_name
    settings.VOOL_DOCUMENTS_DIR = Path(documents_dir)


def render_chunk(invoice_ids: list[int], as_of: dt.datetime) -> Any:
    from django.db import connections

    from vool.usecases import render_invoices

    try:
        return render_invoices.render_chunk(invoice_ids=invoice_ids, as_of=as_of)
    finally:
        connections.close_all()
