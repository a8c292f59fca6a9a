"""``common.short_lived``: a value read at most once per age per process, forgotten on demand."""

from __future__ import annotations

import pytest

from vool.common.short_lived import ShortLived, forget_all


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def counting(values: list[str]) -> tuple[ShortLived[str], list[int], Clock]:
    calls = [0]
    clock = Clock()

    def load() -> str:
        calls[0] += 1
        return values[calls[0] - 1]

    return ShortLived(load, seconds=1.0, clock=clock), calls, clock


def test_kept_for_its_age_then_read_again() -> None:
    kept, calls, clock = counting(["first", "second"])
    assert kept.get() == "first"
    clock.now += 0.99
    assert kept.get() == "first"
    assert calls == [1]
    clock.now += 0.01  # a full second old: read again
    assert kept.get() == "second"
    assert calls == [2]


def test_forget_reads_again_at_once() -> None:
    kept, _, _ = counting(["first", "second"])
    kept.get()
    kept.forget(sender=object(), instance=object())  # as a signal receiver
    assert kept.get() == "second"


def test_a_read_begun_before_forget_is_not_kept() -> None:
    """A change committed while a read was under way: that read's value is returned to its
    caller but not kept, so the next caller reads the changed row."""
    clock = Clock()
    values = iter(["old", "new"])
    kept: ShortLived[str]

    def load() -> str:
        value = next(values)
        if value == "old":
            kept.forget()  # the change lands during this read
        return value

    kept = ShortLived(load, seconds=10.0, clock=clock)
    assert kept.get() == "old"
    assert kept.get() == "new"


def test_forget_all_forgets_every_value() -> None:
    one, _, _ = counting(["a", "b"])
    two, _, _ = counting(["c", "d"])
    one.get(), two.get()
    forget_all()
    assert (one.get(), two.get()) == ("b", "d")


def test_an_age_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive age"):
        ShortLived(lambda: 1, seconds=0)
