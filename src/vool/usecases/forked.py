"""Process pools forked from this process, for work that needs what it has already built
(Django set up, a partition read, a parser imported) without paying for it again.

A forked process inherits this one's database connections: the same sockets as the parent's
sessions. It must never use or close them (closing would end the parent's session), so each
worker sets them aside at its start and opens its own when it first needs one.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from django.db import connections

_INHERITED: list[Any] = []
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def set_aside_inherited_connections() -> None:
    """In a forked process: drop the parent's database handles from Django's connections
    without closing them (kept here, never used)."""
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            _INHERITED.append(connection.connection)
            connection.connection = None


def die_with_parent() -> None:
    """In a forked process: be killed when the parent dies (Linux), so that a killed command
    leaves no worker writing on behind it while it is run again."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def forked_pool(
    workers: int, initializer: Callable[[], None] = set_aside_inherited_connections
) -> ProcessPoolExecutor:
    """A pool of ``workers`` forked processes, each setting aside the database connections
    it inherits (closing this process's own first, where it is in no transaction, spares
    the children even that)."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=initializer,
    )
