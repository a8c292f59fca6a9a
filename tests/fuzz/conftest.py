"""The fuzz suite's set-up and its summary at the end of the run."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from factories import MeterFactory, MeteringPointFactory, RegisterFactory
from fuzz.importers import COUNTS, MANUAL_EIC, SMART_EIC
from vool.common.localtime import TALLINN
from vool.domain.metering.models import Reading
from vool.domain.supply.models import MeteringPoint


@pytest.fixture
def fuzz_points() -> None:
    """The metering points the valid files name."""
    MeteringPointFactory(eic=SMART_EIC)
    point = MeteringPointFactory(
        eic=MANUAL_EIC, metering_method=MeteringPoint.MeteringMethod.MANUAL_REGISTER
    )
    register = RegisterFactory(meter=MeterFactory(metering_point=point))
    Reading.objects.create(
        register=register,
        read_at=dt.datetime(2026, 10, 1, 10, tzinfo=TALLINN),
        value_kwh=1000,
        source=Reading.Source.MIGRATION,
        period="2026-09",
        known_at=dt.datetime(2026, 10, 1, 10, tzinfo=TALLINN),
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not COUNTS:
        return
    write = terminalreporter.write_line
    terminalreporter.section("fuzz suite: every importer through its command")
    total = sum(c.examples for c in COUNTS.values())
    for name, c in sorted(COUNTS.items()):
        write(
            f"{name:16} {c.examples:6} files: {c.imported:5} imported, {c.refused:5} refused in "
            f"words, {c.tracebacks} tracebacks, {c.partial_writes} partial writes"
        )
    tracebacks = sum(c.tracebacks for c in COUNTS.values())
    partial = sum(c.partial_writes for c in COUNTS.values())
    write(f"{'all':16} {total:6} files: {tracebacks} tracebacks, {partial} partial writes")
