"""A content-addressed file store: a file's name is the SHA-256 of its bytes.

``<root>/ab/abcdef....pdf``. Writing the same bytes twice is a no-op; a file is written to a
temporary name and renamed into place, so a reader never sees half a file.

Or, given ``blobs`` (any object with ``exists(name)``, ``write(name, content)`` and
``read(name)``, e.g. an S3-compatible bucket behind Django's storage API, see
``documents.storage``), the same names in that store: an object is written whole or not at
all by the store itself.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    relative_path: str
    size_bytes: int


class Blobs(Protocol):
    def exists(self, name: str) -> bool: ...
    def write(self, name: str, content: bytes) -> None: ...
    def read(self, name: str) -> bytes: ...


class ContentStore:
    def __init__(self, root: Path, *, suffix: str = ".pdf", blobs: Blobs | None = None) -> None:
        self.root = root
        self.suffix = suffix
        self.blobs = blobs

    def relative_path(self, sha256: str) -> str:
        return f"{sha256[:2]}/{sha256}{self.suffix}"

    def put(self, content: bytes) -> StoredFile:
        sha256 = hashlib.sha256(content).hexdigest()
        relative = self.relative_path(sha256)
        if self.blobs is not None:
            if not self.blobs.exists(relative):
                self.blobs.write(relative, content)
            return StoredFile(sha256, relative, len(content))
        path = self.root / relative
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(content)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return StoredFile(sha256, relative, len(content))

    def read(self, relative_path: str) -> bytes:
        """The stored bytes, checked against their name (a changed file is an error)."""
        if self.blobs is not None:
            path: Path | str = relative_path
            content = self.blobs.read(relative_path)
        else:
            path = self.root / relative_path
            content = path.read_bytes()
        expected = Path(relative_path).name.removesuffix(self.suffix)
        actual = hashlib.sha256(content).hexdigest()
        if actual != expected:
            raise ValueError(f"Stored file {path} has changed: its SHA-256 is {actual}.")
        return content
