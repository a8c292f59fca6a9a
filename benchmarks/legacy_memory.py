"""Memory of `vool legacy load` before the load itself: the resident set after reading each
file of the extract, after validation (``rules.check``) and after reading the shadow month.

Usage (a migrated database with the reference data, e.g. the one ``bench_legacy`` uses):
``DJANGO_SETTINGS_MODULE=vool.config.settings DATABASE_URL=... .venv/bin/python
benchmarks/legacy_memory.py EXTRACT_DIR`` (an extract from ``vool legacy make-extract``).
"""

from __future__ import annotations

import datetime as dt
import resource
import sys
from pathlib import Path

AS_OF = dt.datetime(2026, 11, 28, 20, tzinfo=dt.UTC)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def resident_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def main(directory: Path) -> None:
    import django

    django.setup()
    from vool.common.localtime import local_date
    from vool.domain.legacy import extract_format as fmt
    from vool.domain.legacy import queries, rules

    def line(label: str, rows: int | None, before: float) -> None:
        count = f"rows {rows:>9,}" if rows is not None else " " * 14
        print(
            f"{label:<22} {count}  +{resident_mb() - before:7.0f} MB"
            f"  resident {resident_mb():6.0f} MB  peak {peak_mb():6.0f} MB"
        )

    manifest = fmt.read_manifest(directory)
    rows = {}
    for spec in fmt.FILES:
        before = resident_mb()
        rows[spec.entity] = fmt.read_file(directory, spec, manifest)
        line(f"read {spec.entity}", len(rows[spec.entity]), before)
    before = resident_mb()
    rules.check(rows, queries.context(rows, today=local_date(AS_OF)))
    line("validation", None, before)
    shadow = next(s for s in fmt.SHADOW_FILES if s.entity == "intervals")
    before = resident_mb()
    line("read shadow intervals", len(fmt.read_file(directory, shadow, manifest)), before)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
