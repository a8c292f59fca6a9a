"""Run the benchmarks: ``make bench`` or ``python benchmarks/run.py [NAME ...] [--full]``.

Benchmarks empty the database they run on: set ``DATABASE_URL`` to a database of their own
(e.g. ``postgres://postgres@127.0.0.1:5432/vool_bench``); without it they use
``var/bench.sqlite3``, never the demo database.

Each ``benchmarks/bench_<name>.py`` has ``run(full: bool) -> list[str]`` returning the lines
to report. A benchmark prints its figures and the machine it ran on; copy them, with the
command, into ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    db = os.environ.get("DATABASE_URL", "sqlite (default)").split("@")[-1]
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, db {db}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--full", action="store_true", help="the full-size runs (slow)")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vool.config.settings")
    # Benchmarks empty their database: never the demo's. Without DATABASE_URL they use their
    # own SQLite file.
    (HERE.parent / "var").mkdir(exist_ok=True)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{HERE.parent / 'var' / 'bench.sqlite3'}")
    names = args.names or sorted(p.stem[6:] for p in HERE.glob("bench_*.py"))
    print(f"machine: {machine()}")
    for name in names:
        module = importlib.import_module(f"bench_{name}")
        started = time.perf_counter()
        print(f"== {name}")
        for line in module.run(full=args.full):
            print(f"   {line}", flush=True)
        print(f"   ({time.perf_counter() - started:.1f} s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
