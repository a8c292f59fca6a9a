"""Checks and helpers for browser tests: a page signed in as a user, and the check of a page
(axe-core clean, its screenshot kept)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical accessibility violations (axe-core) on the page as it is."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [v for v in results.response["violations"] if v.get("impact") in {"serious", "critical"}]


def signed_in_page(browser: Any, live_server: Any, user: Any, *, width: int = 1280) -> Any:
    """A new browser page (British English, ``width`` wide) signed in as ``user`` on the live
    server (the Django test client's session cookie)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return context.new_page()


def htmx_ready(page: Any) -> None:
    """Wait until htmx (a deferred script) has loaded: typing into an htmx field before it
    has sends no request, and the test waits in vain for the answer."""
    page.wait_for_function("() => window.htmx !== undefined")


def check(page: Any, name: str, *, folder: str = "backoffice") -> None:
    """The page has no serious accessibility violation; its screenshot is kept as an artefact
    (``var/test-artefacts/<folder>/<name>.png``)."""
    from django.conf import settings

    found = axe_violations(page)
    assert found == [], (name, [(v["id"], [n["html"] for n in v["nodes"]]) for v in found])
    artefacts = Path(settings.VAR_DIR) / "test-artefacts" / folder
    artefacts.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(artefacts / f"{name}.png"), full_page=True)
