"""A value read from the database at most once every few seconds per process: for what every
page shows and hardly ever changes (the supplier's details, whether the service freeze is on),
where a query a request is the cost and a change may show a few seconds late in the *other*
server processes. The process that makes the change forgets the value at once (the model's
save and delete signals call :meth:`ShortLived.forget`).

The age is measured on the monotonic clock of this process, never the wall clock: it is the
age of a cached copy, not a business time."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

_EVERY: weakref.WeakSet[ShortLived[object]] = weakref.WeakSet()


class ShortLived(Generic[T]):
    """``load()`` kept for ``seconds``; thread-safe (gunicorn's gthread workers)."""

    def __init__(
        self,
        load: Callable[[], T],
        *,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if seconds <= 0:
            raise ValueError(f"ShortLived needs a positive age, not {seconds}.")
        self._load = load
        self._seconds = seconds
        self.clock = clock  # the age of the copy (tests move it on)
        self._lock = threading.Lock()
        self._value: tuple[float, T] | None = None  # (read at, value)
        self._generation = 0  # bumped by forget(): a read begun before it is not kept
        _EVERY.add(self)  # type: ignore[arg-type]

    def get(self) -> T:
        kept = self._value
        now = self.clock()
        if kept is not None and now - kept[0] < self._seconds:
            return kept[1]
        with self._lock:
            generation = self._generation
        value = self._load()
        with self._lock:
            if generation == self._generation:
                self._value = (now, value)
        return value

    def forget(self, *args: object, **kwargs: object) -> None:
        """Drop the kept value (a signal receiver: any arguments)."""
        with self._lock:
            self._generation += 1
            self._value = None


def forget_all() -> None:
    """Every :class:`ShortLived` value of this process forgotten (tests: a value read inside
    one test's rolled-back transaction must not show in the next)."""
    for each in list(_EVERY):
        each.forget()
