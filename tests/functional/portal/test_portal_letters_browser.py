"""The letters page in a real browser (issue 13 §5, issue 11 §5): from the menu, the letter
that tells the new reference number is listed in the customer's language, its PDF downloads
as it was sent, axe finds no serious or critical violation, and the page fits a phone;
screenshots under ``var/test-artefacts/portal/``."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone
from tests.functional.portal import test_portal_browser as journey
from tests.functional.portal.conftest import PASSWORD
from tests.functional.portal.test_portal_letters import KIND, with_former

from vool.domain.documents.models import Letter
from vool.usecases import letters, render_invoices

pytestmark = pytest.mark.django_db(transaction=True)

sized_page = journey.sized_page  # the desktop and phone pages of the portal journey
check = journey.check


class TestLettersInTheBrowser:
    def test_the_new_reference_letter_listed_and_downloaded(
        self, live_server, sized_page, household
    ):  # type: ignore[no-untyped-def]
        with_former(household, 550001)
        report = letters.send_letters(
            kind=KIND, accounts="all", today=timezone.localdate(), as_of=timezone.now()
        )
        assert (report.to_portal, report.failures) == (1, [])
        letter = Letter.objects.get(billing_account=household.account)

        page = sized_page
        page.goto(live_server.url + "/portal/login/")
        page.fill("#id_username", household.user.email)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url(live_server.url + "/portal/")

        if page.size_name == "phone" and page.locator("nav >> text=Kirjad").is_hidden():
            page.goto(live_server.url + "/portal/letters/")
        else:
            page.click("nav >> text=Kirjad")
        page.wait_for_url(live_server.url + "/portal/letters/")
        assert page.locator("h1").inner_text() == "Kirjad"
        row = page.locator("table tbody tr")
        assert row.count() == 1
        assert "Teie uus viitenumber" in row.inner_text()
        assert household.account.reference_number in row.inner_text()
        check(page, "letters")

        with page.expect_download() as download:
            row.locator("a[download]").click()
        pdf = Path(download.value.path()).read_bytes()
        assert pdf == render_invoices.store().read(letter.path)
