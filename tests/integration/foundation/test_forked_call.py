"""``usecases.forked.call_beside``: a function run in a forked process beside this one gives
back its result, or the exception it raised; a process that dies without a result is an
error that says so; and one that is stopped is killed and waited for (no process is left)."""

from __future__ import annotations

import os
import time

import pytest

from vool.usecases import forked
from worker_processes import child_processes


def test_the_result_comes_back_and_what_the_work_was_built_on_is_inherited() -> None:
    built = {f"key {i}": i for i in range(100_000)}  # this process's, not pickled on the way in
    call = forked.call_beside(lambda: (os.getpid(), sum(built.values())))
    assert call.wait(30)
    pid, total = call.result()
    call.stop()
    assert pid != os.getpid() and total == sum(range(100_000))
    assert call.pid not in child_processes()


class _Refused(ValueError):
    pass


def _raise() -> None:
    raise _Refused("ARVE_READ.csv: 9 rows, the manifest says 10")


def test_the_exception_the_work_raised_is_raised_here() -> None:
    call = forked.call_beside(_raise)
    with pytest.raises(_Refused, match="the manifest says 10") as raised:
        call.result()
    call.stop()
    assert any("raised in the process beside" in note for note in raised.value.__notes__)
    assert call.pid not in child_processes()


class _Unpicklable(Exception):
    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("not this one")


def _raise_unpicklable() -> None:
    raise _Unpicklable("a lock inside")


def test_an_exception_that_cannot_come_back_is_named_in_a_runtime_error() -> None:
    call = forked.call_beside(_raise_unpicklable)
    with pytest.raises(RuntimeError, match="a lock inside"):
        call.result()
    call.stop()


def test_a_process_that_dies_without_a_result_is_an_error_with_its_status() -> None:
    call = forked.call_beside(lambda: os._exit(3))
    with pytest.raises(ChildProcessError, match=r"ended without a result \(exit status 3\)"):
        call.result()
    call.stop()
    assert call.pid not in child_processes()


def test_a_process_stopped_before_it_ends_is_killed_and_waited_for() -> None:
    call = forked.call_beside(lambda: time.sleep(60))
    assert not call.wait(0.2)  # still at work
    started = time.monotonic()
    call.stop()
    call.stop()  # again: nothing
    assert time.monotonic() - started < 30
    assert call.pid not in child_processes()
