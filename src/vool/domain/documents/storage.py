"""Where rendered documents are kept: the file system (``VOOL_DOCUMENTS_DIR``, the default)
or, when the ``documents`` storage is configured (``VOOL_DOCUMENTS_S3_BUCKET``: an
S3-compatible bucket through django-storages), that storage.

``blobs()`` gives the content store its bytes-in, bytes-out view of the storage;
``open_document`` is what the admin's downloads read.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages

STORAGE = "documents"


def configured_storage() -> Storage | None:
    """The ``documents`` storage when one is configured, else None (the file system)."""
    return storages[STORAGE] if STORAGE in settings.STORAGES else None


class StorageBlobs:
    """A Django storage as the content store's blobs (names are kept as given)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def exists(self, name: str) -> bool:
        return bool(self.storage.exists(name))

    def write(self, name: str, content: bytes) -> None:
        saved = self.storage.save(name, ContentFile(content))
        if saved != name:
            raise OSError(f"The documents storage saved {name} as {saved}; expected the same name")

    def read(self, name: str) -> bytes:
        with self.storage.open(name, "rb") as stored:
            return bytes(stored.read())


def blobs() -> StorageBlobs | None:
    storage = configured_storage()
    return StorageBlobs(storage) if storage is not None else None


def open_document(path: str) -> IO[bytes]:
    """A stored document opened for reading; FileNotFoundError when it is not there."""
    storage = configured_storage()
    if storage is None:
        return (Path(settings.VOOL_DOCUMENTS_DIR) / path).open("rb")
    if not storage.exists(path):
        raise FileNotFoundError(path)
    return storage.open(path, "rb")
