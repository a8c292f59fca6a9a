"""Staged blocks: many rows of a file to one database row, read back as they were given."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from vool.domain.legacy.models import StagedBlock

FIELD = st.text(st.characters(exclude_characters="\x1e\x1f", exclude_categories=("Cs",)))


@given(
    st.lists(st.tuples(st.integers(2, 10**7), st.lists(FIELD, min_size=1, max_size=8)), max_size=80)
)
def test_the_rows_of_the_blocks_are_the_rows_given(rows: list[tuple[int, list[str]]]) -> None:
    blocks = list(StagedBlock.pack(rows))
    back = [row for _, text in blocks for row in StagedBlock.unpack(text)]
    assert back == [(line, tuple(values)) for line, values in rows]
    for first, text in blocks:  # each block names its first line, and only the last is short
        assert text.startswith(f"{first}\x1f")
    assert all(len(text) >= StagedBlock.CHARS for _, text in blocks[:-1])


def test_a_block_is_closed_once_it_reaches_its_size() -> None:
    rows = [(line, ("x" * 97,)) for line in range(100, 200)]  # 101 characters a row, separator
    blocks = list(StagedBlock.pack(rows))
    per_block = -(-StagedBlock.CHARS // 102)
    assert [len(text.split("\x1e")) for _, text in blocks[:-1]] == [per_block] * (len(blocks) - 1)
    assert [first for first, _ in blocks] == [100 + i * per_block for i in range(len(blocks))]
