"""``bulk.in_batches``: the bounded ``IN`` lists a long list of values is looked up in, and the
batches a stream of rows is written in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vool.domain.bulk import IN_LIST, in_batches


@given(st.lists(st.integers()), st.integers(min_value=1, max_value=50))
def test_the_batches_are_the_items_in_order_none_over_the_size(items: list[int], size: int) -> None:
    batches = list(in_batches(items, size))
    assert [item for batch in batches for item in batch] == items
    assert all(0 < len(batch) <= size for batch in batches)
    assert len(batches) == -(-len(items) // size)


def test_a_stream_is_taken_as_it_comes() -> None:
    taken: list[int] = []

    def stream() -> Iterator[int]:
        for i in range(5):
            taken.append(i)
            yield i

    batches = in_batches(stream(), 2)
    assert next(batches) == [0, 1] and taken == [0, 1]  # no more read than the first batch
    assert list(batches) == [[2, 3], [4]]


def test_the_default_stays_within_sqlite_s_oldest_parameter_limit() -> None:
    assert [len(b) for b in in_batches(list(range(2000)))] == [IN_LIST, IN_LIST, 200]
    assert IN_LIST < 999


def test_a_batch_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        list(in_batches([1], 0))
