"""The content-addressed store: a file is named by its SHA-256, written once, read checked."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from vool.integrations.pdf.content_store import ContentStore


def test_the_same_bytes_are_stored_once_under_their_hash(tmp_path: Path) -> None:
    store = ContentStore(tmp_path)
    first = store.put(b"%PDF-1.7 one")
    again = store.put(b"%PDF-1.7 one")
    digest = hashlib.sha256(b"%PDF-1.7 one").hexdigest()
    assert first == again
    assert first.relative_path == f"{digest[:2]}/{digest}.pdf" and first.size_bytes == 12
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{digest}.pdf"]
    assert store.read(first.relative_path) == b"%PDF-1.7 one"


def test_a_changed_file_is_an_error_when_read(tmp_path: Path) -> None:
    store = ContentStore(tmp_path)
    stored = store.put(b"%PDF-1.7 two")
    (tmp_path / stored.relative_path).write_bytes(b"%PDF-1.7 tampered")
    with pytest.raises(ValueError, match="has changed"):
        store.read(stored.relative_path)
