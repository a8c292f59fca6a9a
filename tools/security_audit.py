"""Judge a pip-audit report of the locked dependencies (``make audit``).

pip-audit (``--format json``) lists every locked package with its known vulnerabilities, or with
the reason it could not be audited. This script fails the build on a vulnerability unless
``security-audit.toml`` accepts it with a reason and a review date that has not passed, and
says plainly how many packages could not be audited: on a machine that reaches no
vulnerability source (only package registries), pip-audit cannot look anything up, and that
is reported as NOT AUDITED, never as clean. With ``--require-source`` (or
``VOOL_AUDIT_REQUIRE_SOURCE=1``) packages that could not be audited fail the build too.

pip-audit's PyPI source asks PyPI for each locked *version*, an address only pypi.org answers.
Where only PyPI's per-project JSON is served (as on the project's machines), ``--requirements
FILE`` audits what it can from that: the project JSON lists the known vulnerabilities of the
project's newest release, so a package locked at its newest release is audited exactly; an
older one stays NOT AUDITED, with the newer version named.

Usage: ``python tools/security_audit.py REPORT.json --accepted security-audit.toml
[--requirements requirements.txt]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import tomllib
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

PYPI_PROJECT_JSON = "https://pypi.org/pypi/{name}/json"
LOCKED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


class BadAuditInput(Exception):
    """The report or the accepted-vulnerabilities file is missing or malformed."""


@dataclass(frozen=True)
class Accepted:
    id: str
    package: str
    reason: str
    review_by: dt.date


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    id: str
    aliases: tuple[str, ...]
    fix_versions: tuple[str, ...]

    def describe(self) -> str:
        also = f" ({', '.join(self.aliases)})" if self.aliases else ""
        fix = ", ".join(self.fix_versions) or "no fixed version yet"
        return f"{self.package} {self.version}: {self.id}{also}; fixed in {fix}"


@dataclass
class Assessment:
    packages: int = 0
    audited: int = 0
    vulnerable: list[Finding] = field(default_factory=list)
    accepted: list[tuple[Finding, Accepted]] = field(default_factory=list)
    expired: list[tuple[Finding, Accepted]] = field(default_factory=list)
    unaudited: list[tuple[str, str]] = field(default_factory=list)


def load_accepted(path: Path) -> dict[str, Accepted]:
    """``[[accepted]]`` entries by vulnerability id; every field is required."""
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise BadAuditInput(f"{path}: {exc}") from exc
    accepted: dict[str, Accepted] = {}
    for n, entry in enumerate(data.get("accepted", []), start=1):
        missing = [key for key in ("id", "package", "reason", "review_by") if not entry.get(key)]
        if missing:
            raise BadAuditInput(f"{path}: [[accepted]] entry {n} lacks {', '.join(missing)}")
        if not isinstance(entry["review_by"], dt.date):
            raise BadAuditInput(f"{path}: [[accepted]] entry {n}: review_by is not a date")
        accepted[entry["id"]] = Accepted(
            id=entry["id"],
            package=entry["package"].lower(),
            reason=entry["reason"].strip(),
            review_by=entry["review_by"],
        )
    return accepted


def load_report(path: Path) -> dict[str, Any]:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BadAuditInput(f"{path}: no pip-audit report (did pip-audit fail?)") from exc
    except json.JSONDecodeError as exc:
        raise BadAuditInput(f"{path}: not a pip-audit JSON report: {exc}") from exc
    if not isinstance(report, dict) or not isinstance(report.get("dependencies"), list):
        raise BadAuditInput(f"{path}: not a pip-audit JSON report (no 'dependencies' list)")
    return report


def locked_versions(path: Path) -> dict[str, str]:
    """``name==version`` pins of an exported requirements file, by lower-case name."""
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = LOCKED.match(line.strip())
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def fetch_project(name: str, timeout: float = 20.0) -> dict[str, Any]:
    url = PYPI_PROJECT_JSON.format(name=name)
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - fixed https host
        data: dict[str, Any] = json.load(response)
    return data


def audit_from_project_json(
    report: dict[str, Any], pins: dict[str, str], fetch: Any = fetch_project
) -> dict[str, Any]:
    """The report with each package that pip-audit could not audit looked up in PyPI's
    project JSON: audited when it is locked at the project's newest release (its
    ``vulnerabilities`` are that release's), else still skipped, naming the newest."""
    dependencies = []
    for dependency in report["dependencies"]:
        name = dependency["name"]
        version = pins.get(name.lower())
        if "skip_reason" not in dependency or version is None:
            dependencies.append(dependency)
            continue
        try:
            project = fetch(name)
        except (OSError, ValueError) as exc:
            dependencies.append({**dependency, "skip_reason": f"PyPI project JSON: {exc}"})
            continue
        newest = project["info"]["version"]
        if newest != version:
            reason = f"{name} {version} is not the newest release ({newest}): not audited"
            dependencies.append({"name": name, "skip_reason": reason})
            continue
        vulns = [
            {
                "id": v["id"],
                "aliases": v.get("aliases", []),
                "fix_versions": v.get("fixed_in", []),
            }
            for v in project.get("vulnerabilities", [])
        ]
        dependencies.append({"name": name, "version": version, "vulns": vulns})
    return {**report, "dependencies": dependencies}


def assess(report: dict[str, Any], accepted: dict[str, Accepted], today: dt.date) -> Assessment:
    result = Assessment()
    for dependency in report["dependencies"]:
        result.packages += 1
        if "skip_reason" in dependency:
            result.unaudited.append((dependency["name"], dependency["skip_reason"]))
            continue
        result.audited += 1
        for vuln in dependency.get("vulns", []):
            finding = Finding(
                package=dependency["name"],
                version=dependency.get("version", "?"),
                id=vuln["id"],
                aliases=tuple(vuln.get("aliases", [])),
                fix_versions=tuple(vuln.get("fix_versions", [])),
            )
            known = next(
                (
                    accepted[i]
                    for i in (finding.id, *finding.aliases)
                    if i in accepted and accepted[i].package == finding.package.lower()
                ),
                None,
            )
            if known is None:
                result.vulnerable.append(finding)
            elif known.review_by < today:
                result.expired.append((finding, known))
            else:
                result.accepted.append((finding, known))
    return result


def report_and_verdict(result: Assessment, *, require_source: bool, out: TextIO) -> int:
    """Print what was found; 0 when nothing blocks the build, else 1."""
    w = out.write
    w(
        f"pip-audit: {result.packages} locked packages, {result.audited} audited, "
        f"{len(result.unaudited)} could not be audited.\n"
    )
    for finding in result.vulnerable:
        w(f"  VULNERABLE {finding.describe()}\n")
    for finding, known in result.expired:
        w(
            f"  VULNERABLE {finding.describe()} — accepted until {known.review_by.isoformat()}, "
            "which has passed: fix it or review the acceptance in security-audit.toml\n"
        )
    for finding, known in result.accepted:
        w(
            f"  accepted   {finding.describe()} — {known.reason} "
            f"(review by {known.review_by.isoformat()})\n"
        )
    if result.unaudited:
        shown = ", ".join(name for name, _ in result.unaudited[:8])
        more = len(result.unaudited) - 8
        w(
            f"  NOT AUDITED: {shown}{f' and {more} more' if more > 0 else ''}. First reason: "
            f"{result.unaudited[0][1]}\n"
        )
        if result.audited == 0:
            w(
                "  No vulnerability source answered from this machine: the dependencies are "
                "NOT known to be free of vulnerabilities. Run `make audit` where the "
                "vulnerability service is reachable.\n"
            )
    failed = bool(result.vulnerable or result.expired) or (
        require_source and bool(result.unaudited)
    )
    if failed:
        w("audit: FAILED\n")
    elif result.audited == 0:
        w("audit: NOT RUN (no vulnerability source reachable); not failing the build\n")
    else:
        w("audit: passed\n")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("report", type=Path)
    parser.add_argument("--accepted", type=Path, default=Path("security-audit.toml"))
    parser.add_argument(
        "--require-source",
        action="store_true",
        default=os.environ.get("VOOL_AUDIT_REQUIRE_SOURCE") == "1",
    )
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--requirements", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        report = load_report(args.report)
        if args.requirements is not None:
            report = audit_from_project_json(report, locked_versions(args.requirements))
        result = assess(
            report,
            load_accepted(args.accepted),
            args.today or dt.date.today(),  # noqa: DTZ011 - a review date, local is right
        )
    except BadAuditInput as exc:
        out.write(f"audit: FAILED: {exc}\n")
        return 1
    return report_and_verdict(result, require_source=args.require_source, out=out)


if __name__ == "__main__":
    sys.exit(main())
