"""`vool intervals import`, `vool readings import/estimate/submit`, in-process."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from factories import MeterFactory, MeteringPointFactory, RegisterFactory
from vool.common.localtime import TALLINN
from vool.domain.metering.models import IntervalDay, MeteringImport, Reading
from vool.domain.supply.models import MeteringPoint

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[1] / "data" / "metering"
MANUAL = MeteringPoint.MeteringMethod.MANUAL_REGISTER


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def run_failing(*args: str) -> tuple[str, str]:
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(*args, stdout=io.StringIO(), stderr=err)
    return str(caught.value), err.getvalue()


@pytest.fixture
def manual_register():
    point = MeteringPointFactory(eic="38ZEE-00742330-T", metering_method=MANUAL)
    register = RegisterFactory(meter=MeterFactory(metering_point=point))
    for value, read_at in (
        (1000, dt.datetime(2026, 9, 1, 10, tzinfo=TALLINN)),
        (1300, dt.datetime(2026, 10, 1, 10, tzinfo=TALLINN)),
    ):
        Reading.objects.create(
            register=register,
            read_at=read_at,
            value_kwh=value,
            source=Reading.Source.MIGRATION,
            period=f"{read_at.year}-{read_at.month - 1:02d}",
            known_at=read_at,
        )
    return register


class TestIntervalsImport:
    def test_import_then_reimport(self):
        MeteringPointFactory(eic="38ZEE-00625607-9")
        path = str(DATA / "dst_day_2026-10-25.csv")
        first = run("intervals", "import", path, "--as-of", "2026-11-27T12:00:00+02:00")
        assert first.startswith(
            "Imported 100 intervals: 1 new days, 0 corrected (new versions, marked for "
            "true-up), 0 unchanged"
        )
        again = run("intervals", "import", path, "--as-of", "2026-11-27T12:00:00+02:00")
        assert "0 new days, 0 corrected (new versions, marked for true-up), 1 unchanged" in again
        assert IntervalDay.objects.count() == 1

    def test_each_file_on_its_own_a_rejected_one_leaves_the_others_stored(self):
        MeteringPointFactory(eic="38ZEE-00625607-9")
        good, broken = str(DATA / "dst_day_2026-10-25.csv"), str(DATA / "broken.csv")
        args = ("intervals", "import", "--each", "--as-of", "2026-11-27T12:00:00+02:00")
        message, report = run_failing(*args, broken, good)
        assert message == ("Rejected: 1 of 2 file(s), listed above; the others were imported.")
        assert report.splitlines()[0] == "broken.csv: line 3, Meter EIC: is missing"
        assert "broken.csv: rejected, 8 problem(s); nothing of it was imported." in report
        assert IntervalDay.objects.count() == 1
        assert MeteringImport.objects.count() == 1
        # run again (as after a killed import): the stored file is found unchanged
        again = run(*args, good, good)
        assert again.count("dst_day_2026-10-25.csv: imported 100 intervals: 0 new days") == 2
        assert IntervalDay.objects.count() == 1

    def test_each_refuses_a_missing_file_before_storing_anything(self, tmp_path):
        MeteringPointFactory(eic="38ZEE-00625607-9")
        good = str(DATA / "dst_day_2026-10-25.csv")
        message, report = run_failing(
            "intervals", "import", "--each", good, str(tmp_path / "missing.csv")
        )
        assert message == "Rejected: 1 problem(s) listed above; nothing was imported."
        assert "missing.csv: file, file:" in report
        assert MeteringImport.objects.count() == 0

    def test_broken_file_is_reported_line_by_line_without_a_traceback(self):
        MeteringPointFactory(eic="38ZEE-00625607-9")
        message, report = run_failing("intervals", "import", str(DATA / "broken.csv"))
        assert message == "Rejected: 8 problem(s) listed above; nothing was imported."
        assert report.splitlines()[0] == "broken.csv: line 3, Meter EIC: is missing"
        assert "Traceback" not in report
        assert IntervalDay.objects.count() == 0
        assert MeteringImport.objects.count() == 0


class TestIntervalsImportFromTheHubToday:
    """Issue 15 §1: V2 JSON and the current spreadsheet template through the command."""

    def test_the_get_response_imports_and_names_what_the_hub_did_not_give(self):
        MeteringPointFactory(eic="38ZEE-00625607-9")
        MeteringPointFactory(eic="38ZEE-1000009--Z")
        out, err = io.StringIO(), io.StringIO()
        call_command(
            "intervals",
            "import",
            str(DATA / "v2_get_response.json"),
            "--as-of",
            "2026-11-27T12:00:00+02:00",
            stdout=out,
            stderr=err,
        )
        assert out.getvalue().startswith("Imported 16 intervals: 2 new days")
        assert "Stored 16 net values" in out.getvalue()
        assert err.getvalue().splitlines() == [
            "Not imported: v2_get_response.json: unsuccessful[0], 38ZEE-1000009--Z: the hub "
            "answered METERING_POINT_ACCESS_DENIED: No access right to the metering point "
            "(error id 0b6f1c7e-2f4e-4c1e-9d3a-5f0a8e2b7c11, trace id 6f1d2c3b4a5e6f70)",
            "The hub could not give 1 point(s), listed above: request them again.",
        ]

    def test_the_current_template(self):
        MeteringPointFactory(eic="38ZEE-00625607-9")
        path = str(DATA / "hub_template_2026_autumn.csv")
        first = run("intervals", "import", path, "--as-of", "2026-11-27T12:00:00+02:00")
        assert first.startswith("Imported 200 intervals: 2 new days")


class TestReadingsCommands:
    def test_import_a_call_centre_file(self, manual_register):
        out = run(
            "readings",
            "import",
            str(DATA / "readings_call_centre.csv"),
            "--as-of",
            "2026-11-02T12:00:00+02:00",
        )
        assert out.strip() == (
            "Imported 2 readings: 1 new (0 waiting for review), 1 already known."
        )
        reading = Reading.objects.get(source=Reading.Source.PHONE)
        assert (reading.period, reading.value_kwh) == ("2026-10", Decimal(1610))

    def test_a_broken_readings_file_stores_nothing(self, manual_register):
        message, report = run_failing(
            "readings",
            "import",
            str(DATA / "readings_broken.csv"),
            "--as-of",
            "2026-11-02T12:00:00+02:00",
        )
        assert message == "Rejected: 4 problem(s) listed above; nothing was imported."
        assert report.splitlines() == [
            "readings_broken.csv: line 2, Read At: '02.11.2026 09:00' has no time zone, "
            "e.g. 02.11.2026 09:00+02:00",
            "readings_broken.csv: line 3, Register: 'TOTAL' is not SINGLE, DAY or NIGHT",
            "readings_broken.csv: line 4, Value KWH: '16,1234' is not kWh with at most 3 decimals",
            # a file with bad values is checked for unknown EICs too: one report names both
            "readings_broken.csv: line 5, Metering Point EIC: 38ZEE-00625607-9 is unknown",
        ]
        assert Reading.objects.count() == 2

    def test_rule_failures_are_reported_and_roll_back(self, manual_register, tmp_path):
        lines = (DATA / "readings_broken.csv").read_text().splitlines()
        MeteringPointFactory(eic="38ZEE-00625607-9")  # remote-read, no meter
        tmp = tmp_path / "_rule_failures.csv"
        tmp.write_text("\n".join([lines[0], lines[4], lines[5]]) + "\n")
        with translation.override("en"):
            _, report = run_failing(
                "readings", "import", str(tmp), "--as-of", "2026-11-02T12:00:00+02:00"
            )
        assert report.splitlines() == [
            "_rule_failures.csv: line 2, Metering Point EIC: has no meter",
            "_rule_failures.csv: line 3, Value KWH: The reading 1200 is lower than the "
            "previous reading 1300. Please check the number on the meter.",
        ]
        assert Reading.objects.count() == 2

    def test_estimate_after_the_window_closes(self, manual_register):
        message, _ = run_failing(
            "readings", "estimate", "--period", "2026-10", "--as-of", "2026-11-03T23:59:00+02:00"
        )
        assert message == (
            "The reading window for 2026-10 closes at 2026-11-04 00:00 Tallinn time; "
            "estimate after that."
        )
        out = run(
            "readings", "estimate", "--period", "2026-10", "--as-of", "2026-11-04T00:00:00+02:00"
        )
        assert out.strip() == "2026-10: 1 registers checked, 1 estimated (AVERAGE_DAILY 1)."
        again = run(
            "readings", "estimate", "--period", "2026-10", "--as-of", "2026-11-05T00:00:00+02:00"
        )
        assert again.strip() == "2026-10: 1 registers checked, 0 estimated (none)."
        estimate = Reading.objects.get(source=Reading.Source.ESTIMATED)
        assert estimate.value_kwh == Decimal(1610)

    def test_submit_and_remote_refusal(self, manual_register):
        out = run(
            "readings",
            "submit",
            "38ZEE-00742330-T",
            "SINGLE=1610",
            "--read-at",
            "2026-11-03T23:59:00+02:00",
            "--as-of",
            "2026-11-03T23:59:00+02:00",
        )
        assert out.strip() == ("SINGLE 1610.000 kWh: month-end reading of 2026-10, ACCEPTED, new")
        MeteringPointFactory(eic="38ZEE-00625607-9")
        message, _ = run_failing("readings", "submit", "38ZEE-00625607-9", "SINGLE=5")
        assert message == (
            "Metering point 38ZEE-00625607-9 is read remotely: its consumption comes from the "
            "meter's interval data and it needs no readings."
        )


class TestFillGapsCommand:
    def test_fill_gaps_of_a_day(self, tmp_path):
        MeteringPointFactory(eic="38ZEE-00625607-9")
        path = tmp_path / "part.csv"
        path.write_text(
            "Meter EIC;Period Start;Resolution;Quantity KWH OUT\n"
            "38ZEE-00625607-9;01.11.2026 00:00+02:00;15 MINUTES;0,250\n"
        )
        run("intervals", "import", str(path), "--as-of", "2026-11-27T12:00:00+02:00")
        out = run("intervals", "fill-gaps", "38ZEE-00625607-9", "--day", "2026-11-01")
        assert out.strip() == (
            "38ZEE-00625607-9 2026-11-01: version 2, 95 intervals estimated, total 24000 Wh "
            "(marked for true-up)."
        )
        again = run("intervals", "fill-gaps", "38ZEE-00625607-9", "--day", "2026-11-01")
        assert again.strip() == "38ZEE-00625607-9 2026-11-01: no gaps."
