from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from browser_checks import axe_violations
from factories import BillingAccountFactory

pytestmark = pytest.mark.django_db(transaction=True)


class TestStartPageInABrowser:
    def test_fits_a_phone_and_passes_axe(self, live_server, phone_page):
        BillingAccountFactory()
        phone_page.goto(live_server.url + "/")
        assert phone_page.locator(".card").count() == 0  # no figures for the anonymous
        staff = Client()
        staff.force_login(get_user_model().objects.create_superuser("admin", "a@b.ee", "pw"))
        phone_page.context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": staff.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )
        phone_page.goto(live_server.url + "/")
        assert phone_page.locator("h1").inner_text() == "Customer information and billing"
        assert phone_page.locator(".card strong").first.inner_text() == "1"
        fits = phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, "the start page scrolls sideways on a phone"
        assert axe_violations(phone_page) == []

    def test_language_switch_changes_the_page_language(self, live_server, phone_page):
        phone_page.goto(live_server.url + "/")
        phone_page.select_option("#language", "ru")
        phone_page.click("form.lang button")
        phone_page.wait_for_load_state()
        assert phone_page.locator("html").get_attribute("lang") == "ru"

    def test_admin_login_page_passes_axe(self, live_server, phone_page):
        phone_page.goto(live_server.url + "/admin/login/")
        assert phone_page.locator("#id_username").is_visible()
        assert axe_violations(phone_page) == []

    def test_the_accessibility_check_catches_a_real_violation(self, live_server, phone_page):
        phone_page.goto(live_server.url + "/")
        phone_page.evaluate(
            "document.querySelector('main').insertAdjacentHTML('beforeend',"
            " '<button id=\"empty\"></button>')"
        )
        rules = {v["id"] for v in axe_violations(phone_page)}
        assert "button-name" in rules
