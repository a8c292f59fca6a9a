"""A content-addressed file store: a file's name is the SHA-256 of its bytes.

``<root>/ab/abcdef....pdf``. Writing the same bytes twice is a no-op; a file is written to a
temporary name and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    relative_path: str
    size_bytes: int


class ContentStore:
    def __init__(self, root: Path, *, suffix: str = ".pdf") -> None:
        self.root = root
        self.suffix = suffix

    def relative_path(self, sha256: str) -> str:
        return f"{sha256[:2]}/{sha256}{self.suffix}"

    def put(self, content: bytes) -> StoredFile:
        sha256 = hashlib.sha256(content).hexdigest()
        relative = self.relative_path(sha256)
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
        path = self.root / relative_path
        content = path.read_bytes()
        expected = Path(relative_path).name.removesuffix(self.suffix)
        actual = hashlib.sha256(content).hexdigest()
        if actual != expected:
            raise ValueError(f"Stored file {path} has changed: its SHA-256 is {actual}.")
        return content
