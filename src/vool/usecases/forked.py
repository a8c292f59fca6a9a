"""Process pools forked from this process, for work that needs what it has already built
(Django set up, a partition read, a parser imported) without paying for it again.

A forked process inherits this one's database connections: the same sockets as the parent's
sessions. It must never use or close them (closing would end the parent's session), so each
worker sets them aside at its start and opens its own when it first needs one.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import pickle
import select
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Generic, TypeVar

from django.db import connections

T = TypeVar("T")

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


def forked_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` forked processes, each setting aside the database connections
    it inherits (closing this process's own first, where it is in no transaction, spares
    the children even that) and dying with this process."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
    )


def _start_worker() -> None:
    """What a forked process does first (a pool's worker, a call beside): set the inherited
    connections aside and die with its parent."""
    set_aside_inherited_connections()
    die_with_parent()


class ForkedCall(Generic[T]):
    """A function run in a forked process beside this one (it inherits everything this one
    has built: nothing is pickled on the way in); its result, or the exception it raised,
    comes back pickled through a pipe. The process sets aside the database connections it
    inherits and dies with its parent."""

    def __init__(self, work: Callable[[], T]) -> None:
        read, write = os.pipe()
        parent = os.getpid()
        gc.freeze()  # the objects this process has are not the child's to collect (and copy)
        try:
            pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            raise
        finally:
            if os.getpid() == parent:
                gc.unfreeze()
        if pid == 0:  # pragma: no cover (the child; its work is covered as run in place)
            os.close(read)
            _run_child(work, write, parent)
        os.close(write)
        self.pid, self.read = pid, read
        self._reaped = False

    def wait(self, seconds: float) -> bool:
        """Whether the work has ended (its outcome is on its way), waiting up to ``seconds``."""
        readable, _, _ = select.select([self.read], [], [], seconds)
        return bool(readable)

    def result(self) -> T:
        """Waits for the process: its work's result, or the exception it raised."""
        with os.fdopen(self.read, "rb", closefd=False) as source:
            data = source.read()
        status = self._reap()
        if not data:
            raise ChildProcessError(
                f"the process beside (pid {self.pid}) ended without a result "
                f"(exit status {os.waitstatus_to_exitcode(status)})"
            )
        ok, value = pickle.loads(data)  # noqa: S301 (our own child's, through our own pipe)
        if not ok:
            value.add_note(f"(raised in the process beside, pid {self.pid})")
            raise value
        return value

    def stop(self) -> None:
        """Kills the process if it is still running (it is waited for either way)."""
        if self.read >= 0:
            os.close(self.read)
            self.read = -1
        if self.pid and not self._reaped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self._reap()

    def _reap(self) -> int:
        _, status = os.waitpid(self.pid, 0)
        self._reaped = True
        return status


def _run_child(work: Callable[[], Any], write: int, parent: int) -> None:  # pragma: no cover
    """In the forked process: the work's outcome written to ``write``, then exit at once
    (nothing of the parent's is closed or flushed: not its connections, not its files)."""
    try:
        _start_worker()
        if os.getppid() != parent:  # the parent died before the line above: no one waits
            os._exit(1)
        outcome: tuple[bool, Any] = (True, work())
    except BaseException as exc:  # every failure goes back to the parent
        outcome = (False, exc)
    try:
        try:
            data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an exception that does not pickle
            data = pickle.dumps(
                (False, RuntimeError(f"in the process beside: {outcome[1]!r} ({exc})"))
            )
        with os.fdopen(write, "wb") as out:
            out.write(data)
    finally:
        os._exit(0)


def call_beside(work: Callable[[], T]) -> ForkedCall[T]:
    """``work`` started in a forked process beside this one (:class:`ForkedCall`)."""
    return ForkedCall(work)
