"""The worker side of the overlapped interval import
(:func:`.import_intervals.import_interval_pages`).

A file is parsed here, in a forked process, while the previous one is stored in the
importing process. Parsing needs no database: this module imports nothing of Django, and the
forked process puts the database connection it inherits aside unused. Forked, not spawned
(as the rendering pool is): a spawned process imports numpy, Django and the parsers again,
which measured ~5 s before its first page on the loaded 2-core machine, as long as storing
several pages; the parser is pure Python and numpy with no threads of its own to inherit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from vool.integrations.datahub import metering_data
from vool.integrations.safe_input import InputLimits


@dataclass(frozen=True)
class Parsed:
    """One file parsed: its columns, or the errors that refuse it (``total`` counts them all;
    ``eics`` maps each EIC the file names to where, for the unknown-EIC report)."""

    name: str
    sha256: str
    data: metering_data.MeteringData | None
    errors: list[metering_data.FieldError] = field(default_factory=list)
    total: int = 0
    eics: dict[str, str] = field(default_factory=dict)


def parse(name: str, content: bytes, limits: InputLimits) -> Parsed:
    """Parse one file (JSON or CSV, told apart by :func:`metering_data.parse`) and take its
    SHA-256 (for the import's record)."""
    sha256 = hashlib.sha256(content).hexdigest()
    try:
        return Parsed(name, sha256, metering_data.parse(content, name=name, limits=limits))
    except metering_data.InvalidMeteringFile as exc:
        return Parsed(name, sha256, None, list(exc.errors), exc.total, dict(exc.eics))
