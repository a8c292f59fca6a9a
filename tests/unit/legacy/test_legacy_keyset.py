"""The exact compact set of old keys reconcile streams the big files against (a sorted
array of their UTF-8 bytes): membership, keys added twice, keys longer than any held."""

from __future__ import annotations

from vool.domain.legacy.reconcile_stream import BLOCK, KeySet


def test_membership_is_exact() -> None:
    keys = KeySet()
    for key in ("100/1", "100/2", "", "Õun/1", "9"):
        keys.add(key)
    assert len(keys) == 5
    probes = ["100/1", "100/", "100/10", "", "Õun/1", "Oun/1", "9", "99", "100/1 "]
    assert keys.contains(probes) == [True, False, False, True, True, False, True, False, False]
    # a key longer than every key held is none of them (not cut to their width)
    assert keys.contains(["100/10000000"]) == [False]
    assert KeySet().contains(["x"]) == [False]
    assert keys.duplicated() == set()


def test_keys_added_twice_across_blocks() -> None:
    keys = KeySet()
    for n in range(BLOCK + 10):
        keys.add(str(n))
    keys.add("7")
    keys.add(str(BLOCK + 5))
    assert keys.duplicated() == {"7", str(BLOCK + 5)}
    assert len(keys) == BLOCK + 12
    keys.add("new")  # added after it was sorted: sorted again with the rest
    assert keys.contains(["new", "7", str(BLOCK + 9), str(BLOCK + 10)]) == [
        True,
        True,
        True,
        False,
    ]
