"""The whole render stage as run after a bill run (issue 11): ``vool invoices render --period
2026-10 --workers 2`` on a billed database, CPU per invoice of the command and its workers
(user + sys, from the children's rusage) and, on PostgreSQL on this machine, of the database
backends serving it (sampled from ``/proc`` every 0.5 s while it runs).

The database is billed by ``bench_billing`` first unless it holds N billed October invoices
already (``VOOL_BENCH_STAGE_SIZE``, default 1,000; 5,000 with ``--full``); the invoices'
documents are deleted before each run, the PDFs go to a temporary directory.
``VOOL_BENCH_STAGE_RUNS`` (default 1) runs the stage several times.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PERIOD = "2026-10"
WORKERS = int(os.environ.get("VOOL_BENCH_WORKERS", "2"))
TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def _stage(folder: Path) -> tuple[float, float, float, float | None]:
    """(wall s, user s, sys s, PostgreSQL backends' CPU s or None) of one render stage."""
    from django.db import connection

    vool = str(Path(sys.executable).with_name("vool"))
    env = {**os.environ, "VOOL_DOCUMENTS_DIR": str(folder)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    backend_cpu: dict[int, float] = {}
    started = time.perf_counter()
    command = [vool, "invoices", "render", "--period", PERIOD, "--workers", str(WORKERS)]
    process = subprocess.Popen([*command, "--no-progress"], env=env, stdout=subprocess.DEVNULL)
    pg = connection.vendor == "postgresql"
    while process.poll() is None:
        if pg:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                for (pid,) in cursor.fetchall():
                    seconds = _cpu_seconds(pid)
                    if seconds is not None:
                        backend_cpu[pid] = seconds
        time.sleep(0.5)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode:
        raise RuntimeError(f"the render stage failed ({process.returncode})")
    database = sum(backend_cpu.values()) if pg and backend_cpu else None
    return wall, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime, database


def run(full: bool) -> list[str]:
    import django

    django.setup()
    from vool.domain.billing.models import Invoice
    from vool.domain.documents.models import InvoiceDocument

    size = int(os.environ.get("VOOL_BENCH_STAGE_SIZE", "5000" if full else "1000"))
    lines: list[str] = []
    billed = Invoice.objects.filter(period=PERIOD, number__isnull=False)
    if billed.count() != size:
        import bench_billing

        os.environ["VOOL_BENCH_SIZES"] = str(size)
        lines += [f"billing: {line}" for line in bench_billing.run(full=False)]
    count = billed.count()
    for _ in range(int(os.environ.get("VOOL_BENCH_STAGE_RUNS", "1"))):
        InvoiceDocument.objects.all().delete()
        folder = Path(tempfile.mkdtemp(prefix="vool-stage-"))
        try:
            wall, user, system, database = _stage(folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        rendered = InvoiceDocument.objects.count()
        per = (user + system) * 1000 / max(rendered, 1)
        db = f", PostgreSQL backends {database:.1f} s" if database is not None else ""
        lines.append(
            f"{rendered:,} of {count:,} invoices rendered with {WORKERS} workers: {wall:.1f} s "
            f"wall, {user:.1f} s user + {system:.1f} s sys = {per:.1f} ms CPU per invoice{db}"
            + (f" ({database * 1000 / max(rendered, 1):.1f} ms per invoice)" if database else "")
        )
    return lines
