"""The portal in a real browser (Debian's Chromium through Playwright, issue 13 §5): sign in,
see the balance, download the latest bill, submit a reading, see the consumption; axe finds
no serious or critical violation on any page; desktop and phone (375 px) screenshots are
kept under ``var/test-artefacts/portal/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from tests.functional.portal.conftest import PASSWORD

from browser_checks import axe_violations
from vool.domain.metering.models import Reading

pytestmark = pytest.mark.django_db(transaction=True)

ARTEFACTS = Path(settings.VAR_DIR) / "test-artefacts" / "portal"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}


@pytest.fixture(params=sorted(SIZES))
def sized_page(request, browser) -> Any:  # type: ignore[no-untyped-def]
    context = browser.new_context(
        viewport=SIZES[request.param],
        is_mobile=request.param == "phone",
        has_touch=request.param == "phone",
        accept_downloads=True,
        locale="et-EE",
    )
    page = context.new_page()
    page.size_name = request.param
    yield page
    context.close()


def check(page: Any, name: str) -> None:
    """No sideways scrolling, no serious accessibility problem; a full-page screenshot."""
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert fits, f"{name} scrolls sideways at {page.size_name} width"
    assert axe_violations(page) == [], name
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}-{page.size_name}.png"), full_page=True)


class TestPortalJourney:
    def test_sign_in_balance_bill_and_reading(self, live_server, sized_page, household):
        page = sized_page
        page.goto(live_server.url + "/portal/")
        assert "/portal/login/" in page.url
        check(page, "login")
        page.fill("#id_username", household.user.email)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url(live_server.url + "/portal/")
        assert page.locator("[data-testid=balance]").inner_text() == "42,50\u00a0€"
        check(page, "overview")

        with page.expect_download() as download:
            page.click("text=Laadi alla arve 26000001 (PDF)")
        pdf = Path(download.value.path()).read_bytes()
        assert pdf.startswith(b"%PDF")

        page.click("nav >> text=Arved")
        assert page.locator("td.status-DUE").first.inner_text().strip() == "Tasumisel"
        check(page, "invoices")
        page.click("text=26000001")
        check(page, "invoice")

        page.click("nav >> text=Arvesti näidud")
        page.fill("input[name=value_SINGLE]", "1234,5")
        page.click("text=Saada näit")
        page.wait_for_load_state()
        assert page.locator("p.notice").first.inner_text().startswith("Aitäh")
        assert Reading.objects.get(register=household.register).value_kwh == 1234.5
        check(page, "readings")

        page.click("nav >> text=Tarbimine")
        assert page.locator(".chart svg[role=img]").count() == 1
        assert page.locator("table tbody tr").count() == 12
        check(page, "consumption")

        page.select_option("#language", "ru")
        page.click("form:has(#language) button")
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "ru"
        assert page.locator("h1").inner_text() == "Потребление"
        check(page, "consumption-ru")
