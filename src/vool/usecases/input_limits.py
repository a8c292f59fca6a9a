"""The importers' limits from the settings, and reading a file within them.

Settings (defaults in brackets): ``VOOL_IMPORT_MAX_FILE_BYTES`` [512 MiB],
``VOOL_IMPORT_MAX_FIELD_CHARS`` [4096], ``VOOL_IMPORT_MAX_JSON_DEPTH`` [32].
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from vool.integrations.safe_input import InputLimits, check_size

__all__ = ["import_limits", "read_limited"]


def import_limits() -> InputLimits:
    """The limits as configured (see the module doc)."""
    default = InputLimits()
    return InputLimits(
        max_file_bytes=int(getattr(settings, "VOOL_IMPORT_MAX_FILE_BYTES", default.max_file_bytes)),
        max_field_chars=int(
            getattr(settings, "VOOL_IMPORT_MAX_FIELD_CHARS", default.max_field_chars)
        ),
        max_json_depth=int(getattr(settings, "VOOL_IMPORT_MAX_JSON_DEPTH", default.max_json_depth)),
    )


def read_limited(path: Path, limits: InputLimits) -> bytes:
    """The bytes of ``path``; :class:`UnsafeInput` if it is larger than the limit (checked
    before reading), ``OSError`` if it cannot be read."""
    check_size(path.stat().st_size, limits)
    with path.open("rb") as handle:
        content = handle.read(limits.max_file_bytes + 1)
    check_size(len(content), limits)  # it grew while we looked
    return content
