"""The contract and profile journeys in a real browser (issue 13 §5): compare packages and
switch, move out, change the invoice channel, each in Estonian, Russian and English; axe finds
no serious or critical violation on any page; every page is photographed at desktop and phone
(375 px) width under ``var/test-artefacts/portal/``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyotp
import pytest
from django.utils import timezone
from tests.functional.portal.conftest import PASSWORD
from tests.functional.portal.test_portal_browser import ARTEFACTS, SIZES

from billing_factories import add_intervals, fixed_product, remote_account
from browser_checks import axe_violations
from vool.common.localtime import Month
from vool.domain.audit.models import AuditEntry
from vool.domain.contracts.models import SupplyContract
from vool.domain.customers.models import BillingAccount

pytestmark = pytest.mark.django_db(transaction=True)

LOCALES = {"et": "et-EE", "ru": "ru-RU", "en": "en-GB"}
SAID = {
    "switch": {
        "et": "Teie pakett on alates",
        "ru": "ваш пакет — Выгодный",
        "en": "Your package is changed to Saver",
    },
    "move_out": {
        "et": "Teie leping lõpeb",
        "ru": "Ваш договор заканчивается",
        "en": "Your contract ends on",
    },
    "channel": {
        "et": "arved saadetakse alates järgmisest arvest",
        "ru": "следующего счёта отправляются",
        "en": "are sent by Paper from the next invoice",
    },
}


@pytest.fixture(params=sorted(LOCALES))
def page(request, browser) -> Any:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=SIZES["desktop"], locale=LOCALES[request.param])
    page = context.new_page()
    page.language = request.param
    yield page
    context.close()


def check(page: Any, name: str) -> None:
    """At desktop and phone width: no sideways scrolling, no serious accessibility problem,
    a full-page screenshot; then back to desktop."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for size in ("phone", "desktop"):
        page.set_viewport_size(SIZES[size])
        fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, f"{name} scrolls sideways at {size} width"
        assert axe_violations(page) == [], f"{name} ({size})"
        page.screenshot(path=str(ARTEFACTS / f"{name}-{page.language}-{size}.png"), full_page=True)


def sign_in(page: Any, live_server: Any, household: Any, path: str) -> None:
    page.goto(live_server.url + path)
    page.fill("#id_username", household.user.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(live_server.url + path)


def notice(page: Any) -> str:
    return str(page.locator("p.notice").first.inner_text())


class TestContractJourneys:
    def test_compare_packages_and_switch(self, live_server, page, priced, mailbox):
        sign_in(page, live_server, priced, "/portal/contracts/")
        check(page, "contracts")
        page.click(f"a[href='/portal/contracts/{priced.contract.pk}/packages/']")
        assert page.locator("[data-testid=offer-CHEAP] [data-testid=difference]").count() == 1
        check(page, "packages")
        page.check("#offer-CHEAP")
        page.click("form button.primary")
        page.wait_for_load_state()
        assert page.locator("[data-testid=summary] li").count() >= 3
        check(page, "packages-confirm")
        page.click("form button.primary")
        page.wait_for_url(live_server.url + "/portal/contracts/")
        assert SAID["switch"][page.language] in notice(page)
        check(page, "packages-done")
        new = SupplyContract.objects.get(product__code="CHEAP")
        assert new.valid_from == timezone.localdate() + dt.timedelta(days=1)
        assert AuditEntry.objects.get(action="contracts.switch_package").source_address
        assert len(mailbox.messages) == 1

    def test_move_out(self, live_server, page, household, mailbox):
        sign_in(page, live_server, household, "/portal/contracts/")
        page.click(f"a[href='/portal/contracts/{household.contract.pk}/move-out/']")
        page.fill("input[name=value_SINGLE]", "4321")
        check(page, "move-out")
        page.click("form button.primary")
        page.wait_for_load_state()
        check(page, "move-out-confirm")
        page.click("form button.primary")
        page.wait_for_url(live_server.url + "/portal/contracts/")
        assert SAID["move_out"][page.language] in notice(page)
        household.contract.refresh_from_db()
        assert household.contract.valid_to == timezone.localdate()
        check(page, "move-out-done")

    def test_change_the_invoice_channel(self, live_server, page, household):
        sign_in(page, live_server, household, "/portal/profile/")
        check(page, "profile")
        page.select_option(f"#channel-{household.account.pk}", "PAPER")
        page.click(f"form:has(#channel-{household.account.pk}) button")
        page.wait_for_load_state()
        check(page, "channel-confirm")
        page.click("form button.primary")
        page.wait_for_url(live_server.url + "/portal/profile/")
        assert SAID["channel"][page.language] in notice(page)
        household.account.refresh_from_db()
        assert household.account.invoice_channel == BillingAccount.InvoiceChannel.PAPER
        check(page, "channel-done")


class TestMorePages:
    def test_two_step_set_up_and_a_day_by_quarter_hour(self, live_server, page, household):
        """Two-step sign-in switched on in the browser, then the hours of a day."""
        contract = remote_account(product=fixed_product(code="R15"), account=household.account)
        SupplyContract.objects.filter(pk=contract.pk).update(customer=household.customer)
        add_intervals(contract.metering_point, Month(2026, 10), wh=100)
        sign_in(page, live_server, household, "/portal/profile/two-step/")
        check(page, "two-step")
        page.click("form button.primary")
        page.wait_for_load_state()
        secret = page.locator("[data-testid=secret]").inner_text()
        check(page, "two-step-set-up")
        page.fill("#id_code", pyotp.TOTP(secret).now())
        page.click("form button.primary")
        page.wait_for_url(live_server.url + "/portal/profile/")
        assert AuditEntry.objects.filter(action="auth.second_factor_on").count() == 1
        page.goto(
            f"{live_server.url}/portal/consumption/{contract.metering_point_id}/day/?day=2026-10-25"
        )
        assert page.locator("table tbody tr").count() == 100
        check(page, "consumption-day")
