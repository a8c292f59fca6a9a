"""Mutations of a valid file: what an attacker or a careless operator would send.

Each mutation takes the content and a Hypothesis draw and returns new content. They aim at
the findings of issue 9 (NaN, Infinity, deep nesting, years 0001/9999, 1e30, 20-digit
numbers, fields over 128 KiB, JSON bombs, stray carriage returns, duplicate keys) and at
plain damage (truncation, random bytes, deleted or repeated slices, broken UTF-8).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from hypothesis import strategies as st

Mutation = Callable[[bytes, st.DrawFn], bytes]

HOSTILE_NUMBERS = (
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"1e30",
    b"-1e30",
    b"1e999999999",
    b"1E-999999999",
    b"17040672000000000000",
    b"9" * 200,
    b"-0",
    b"0x10",
    b"1_000",
    b"",
    b'"12"',
    b"null",
    b"true",
    b"[]",
    b"{}",
)
HOSTILE_TEXT = (
    b"0001-01-01T00:00:00Z",
    b"9999-12-31T23:45:00Z",
    b"01.01.0001 00:00+02:00",
    b"31.12.9999 23:45+02:00",
    b"\xff\xfe",
    b"\x00",
    "\ufeff".encode(),
    b"\r",
    b"\r\n",
    b'"',
    b";",
    b"\\",
    b"\\u0000",
    b"\\ud800",
)
_NUMBER = re.compile(rb"-?\d+(?:[.,]\d+)?(?:[eE][+-]?\d+)?")
_KEY_VALUE = re.compile(rb'"[A-Za-z]+"\s*:\s*[^,{}\[\]]+')


def _position(content: bytes, draw: st.DrawFn) -> int:
    return draw(st.integers(min_value=0, max_value=len(content)))


def _insert(content: bytes, draw: st.DrawFn, piece: bytes) -> bytes:
    at = _position(content, draw)
    return content[:at] + piece + content[at:]


def replace_a_number(content: bytes, draw: st.DrawFn) -> bytes:
    numbers = list(_NUMBER.finditer(content))
    if not numbers:
        return content
    m = draw(st.sampled_from(numbers))
    return content[: m.start()] + draw(st.sampled_from(HOSTILE_NUMBERS)) + content[m.end() :]


def insert_hostile_text(content: bytes, draw: st.DrawFn) -> bytes:
    return _insert(content, draw, draw(st.sampled_from(HOSTILE_TEXT)))


def replace_a_year(content: bytes, draw: st.DrawFn) -> bytes:
    year = draw(st.sampled_from([b"0001", b"9999", b"1969", b"2100", b"0000"]))
    return content.replace(b"2026", year, 1).replace(b"2025", year, 1)


def huge_field(content: bytes, draw: st.DrawFn) -> bytes:
    size = draw(st.sampled_from([128 * 1024 + 1, 5000, 300_000]))
    return _insert(content, draw, draw(st.sampled_from([b"9", b"A", b"x;"])) * size)


def deep_nesting(content: bytes, draw: st.DrawFn) -> bytes:
    depth = draw(st.sampled_from([40, 1_000, 100_000]))
    bracket = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
    return _insert(content, draw, bracket[0] * depth + b"1" + bracket[1] * depth)


def duplicate_a_key(content: bytes, draw: st.DrawFn) -> bytes:
    pairs = list(_KEY_VALUE.finditer(content))
    if not pairs:
        return content
    m = draw(st.sampled_from(pairs))
    return content[: m.end()] + b"," + m.group(0) + content[m.end() :]


def truncate(content: bytes, draw: st.DrawFn) -> bytes:
    return content[: _position(content, draw)]


def delete_a_slice(content: bytes, draw: st.DrawFn) -> bytes:
    a = _position(content, draw)
    b = draw(st.integers(min_value=a, max_value=min(len(content), a + 40)))
    return content[:a] + content[b:]


def repeat_a_slice(content: bytes, draw: st.DrawFn) -> bytes:
    a = _position(content, draw)
    b = draw(st.integers(min_value=a, max_value=len(content)))
    times = draw(st.integers(min_value=2, max_value=500))
    return content[:a] + content[a:b] * times + content[b:]


def random_bytes(content: bytes, draw: st.DrawFn) -> bytes:
    return _insert(content, draw, draw(st.binary(min_size=1, max_size=16)))


def random_text(content: bytes, draw: st.DrawFn) -> bytes:
    return _insert(content, draw, draw(st.text(min_size=1, max_size=16)).encode("utf-8", "replace"))


MUTATIONS: tuple[Mutation, ...] = (
    replace_a_number,
    insert_hostile_text,
    replace_a_year,
    huge_field,
    deep_nesting,
    duplicate_a_key,
    truncate,
    delete_a_slice,
    repeat_a_slice,
    random_bytes,
    random_text,
)
# What can reach a command's argument: text without NUL bytes
TEXT_MUTATIONS: tuple[Mutation, ...] = (
    replace_a_number,
    replace_a_year,
    truncate,
    delete_a_slice,
    random_text,
)


@st.composite
def mutated(draw: st.DrawFn, valid: st.SearchStrategy[bytes], *, text_only: bool = False) -> bytes:
    """A valid file (one in eight times as it is) after one to three mutations."""
    content = draw(valid)
    if draw(st.integers(min_value=0, max_value=7)) == 0:
        return content
    choices = TEXT_MUTATIONS if text_only else MUTATIONS
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        content = draw(st.sampled_from(choices))(content, draw)
    if text_only:
        content = content.decode("utf-8", "replace").replace("\x00", "").encode()
    return content
