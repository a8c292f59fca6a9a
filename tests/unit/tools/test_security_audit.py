"""``make audit``'s judge of the pip-audit report (issue 9 §5): a known vulnerability fails the
build unless security-audit.toml accepts it with a reason and a review date not yet passed; a
report in which nothing could be audited says so and is never called clean."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("security_audit", ROOT / "tools/security_audit.py")
assert _spec and _spec.loader
audit = importlib.util.module_from_spec(_spec)
sys.modules["security_audit"] = audit  # dataclasses look their module up while defined
_spec.loader.exec_module(audit)

TODAY = "2026-11-29"
VULNERABLE = {
    "name": "django",
    "version": "5.2.1",
    "vulns": [
        {"id": "PYSEC-2025-1", "aliases": ["CVE-2025-0001"], "fix_versions": ["5.2.2"]},
    ],
}
CLEAN = {"name": "numpy", "version": "2.4.6", "vulns": []}
SKIPPED = {"name": "amqp", "skip_reason": "Dependency not found on PyPI: amqp (5.4.2)"}


def run(tmp_path, dependencies, accepted: str = "", *extra: str) -> tuple[int, str]:
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"dependencies": dependencies, "fixes": []}))
    toml = tmp_path / "security-audit.toml"
    toml.write_text(accepted)
    out = io.StringIO()
    code = audit.main([str(report), "--accepted", str(toml), "--today", TODAY, *extra], out=out)
    return code, out.getvalue()


ACCEPT = """
[[accepted]]
id = "{id}"
package = "Django"
reason = "Only the {{% debug %}} tag is affected; Vool's templates never use it."
review_by = {until}
"""


class TestTheVerdict:
    def test_a_vulnerability_fails_naming_package_version_id_and_fix(self, tmp_path):
        code, out = run(tmp_path, [VULNERABLE, CLEAN])
        assert code == 1
        assert "VULNERABLE django 5.2.1: PYSEC-2025-1 (CVE-2025-0001); fixed in 5.2.2" in out
        assert out.splitlines()[0] == (
            "pip-audit: 2 locked packages, 2 audited, 0 could not be audited."
        )
        assert out.endswith("audit: FAILED\n")

    @pytest.mark.parametrize("vuln_id", ["PYSEC-2025-1", "CVE-2025-0001"])
    def test_an_accepted_one_with_a_reason_passes_and_is_listed(self, tmp_path, vuln_id):
        code, out = run(tmp_path, [VULNERABLE], ACCEPT.format(id=vuln_id, until="2027-01-31"))
        assert code == 0, out
        assert "accepted   django 5.2.1: PYSEC-2025-1" in out
        assert "(review by 2027-01-31)" in out
        assert out.endswith("audit: passed\n")

    def test_an_acceptance_past_its_review_date_fails_again(self, tmp_path):
        code, out = run(
            tmp_path, [VULNERABLE], ACCEPT.format(id="PYSEC-2025-1", until="2026-11-28")
        )
        assert code == 1
        assert "accepted until 2026-11-28, which has passed" in out

    def test_an_acceptance_without_a_reason_is_refused_naming_the_entry(self, tmp_path):
        code, out = run(
            tmp_path, [VULNERABLE], '[[accepted]]\nid = "PYSEC-2025-1"\npackage = "django"\n'
        )
        assert code == 1
        assert "[[accepted]] entry 1 lacks reason, review_by" in out

    def test_nothing_audited_is_reported_as_not_run_never_as_clean(self, tmp_path):
        code, out = run(tmp_path, [SKIPPED])
        assert code == 0
        assert "0 audited, 1 could not be audited" in out
        assert "NOT known to be free of vulnerabilities" in out
        assert out.endswith(
            "audit: NOT RUN (no vulnerability source reachable); not failing the build\n"
        )

    def test_unaudited_packages_fail_when_a_source_is_required(self, tmp_path):
        code, out = run(tmp_path, [CLEAN, SKIPPED], "", "--require-source")
        assert code == 1 and out.endswith("audit: FAILED\n")

    def test_a_missing_report_fails(self, tmp_path):
        out = io.StringIO()
        code = audit.main([str(tmp_path / "none.json"), "--today", TODAY], out=out)
        assert code == 1
        assert "no pip-audit report (did pip-audit fail?)" in out.getvalue()


class TestThePyPIProjectJsonSource:
    PINS = {"amqp": "5.4.2", "celery": "5.6.0"}

    def project(self, name: str) -> dict:
        return {
            "amqp": {
                "info": {"version": "5.4.2"},
                "vulnerabilities": [
                    {"id": "GHSA-aaaa", "aliases": ["CVE-2026-1"], "fixed_in": ["5.4.3"]}
                ],
            },
            "celery": {"info": {"version": "5.7.0"}, "vulnerabilities": []},
        }[name]

    def test_a_package_at_its_newest_release_is_audited_from_the_project_json(self):
        report = {
            "dependencies": [
                SKIPPED,
                {"name": "celery", "skip_reason": "Dependency not found on PyPI"},
            ]
        }
        looked_up = audit.audit_from_project_json(report, self.PINS, fetch=self.project)
        result = audit.assess(looked_up, {}, dt.date(2026, 11, 29))
        assert (result.packages, result.audited) == (2, 1)
        assert [f.describe() for f in result.vulnerable] == [
            "amqp 5.4.2: GHSA-aaaa (CVE-2026-1); fixed in 5.4.3"
        ]
        assert result.unaudited == [
            ("celery", "celery 5.6.0 is not the newest release (5.7.0): not audited")
        ]

    def test_the_pins_are_read_from_the_exported_requirements(self, tmp_path):
        requirements = tmp_path / "requirements.txt"
        requirements.write_text(
            "# via uv export\n"
            "django==5.2.19 \\\n    --hash=sha256:abc\n"
            "psycopg[binary]==3.2.9 ; python_version >= '3.8' \\\n"
            "tzdata==2025.2 ; sys_platform == 'win32'\n"
        )
        assert audit.locked_versions(requirements) == {
            "django": "5.2.19",
            "psycopg": "3.2.9",
            "tzdata": "2025.2",
        }
