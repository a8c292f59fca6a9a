"""Checks for browser tests."""

from __future__ import annotations

from typing import Any


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical accessibility violations (axe-core) on the page as it is."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [v for v in results.response["violations"] if v.get("impact") in {"serious", "critical"}]
