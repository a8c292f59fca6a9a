"""Back-office actions on a customer in a real browser (Chromium through Playwright, issue 14
§5): an agent changes the package of one metering point with the calculator's ranking shown,
moves the customer out of a second point with the final reading, and moves them in to a new
point found by search-as-you-type (htmx); each shows in the audit history. Finance is refused
the same pages. axe finds no serious or critical violation; screenshots are kept under
``var/test-artefacts/backoffice/``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from billing_factories import add_reading, fixed_product, manual_account
from browser_checks import check, htmx_ready, signed_in_page
from cases_factories import holder, in_role
from factories import MeterFactory, MeteringPointFactory, RegisterFactory
from vool.common.localtime import Month
from vool.domain.audit.models import AuditEntry
from vool.domain.cases import roles
from vool.domain.contracts.models import SupplyContract
from vool.domain.metering.models import Reading
from vool.domain.supply.models import MeteringPoint
from vool.domain.tariffs import operations as tariff_operations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def setup(tmp_path: Path, settings: Any) -> None:
    settings.VOOL_CASE_ATTACHMENTS_DIR = tmp_path / "attachments"
    settings.VOOL_DOCUMENTS_DIR = tmp_path / "documents"


def customer_with_two_points() -> Any:
    """Mari: 250 kWh a month for 13 months at her first point, a second manual point on the
    same account; a cheaper package CHEAP on sale."""
    mari = holder("mari", 26000001, "42.50")
    tariff_operations.load_default_tariffs()
    month = Month.of(timezone.localdate())
    for back in range(13, 0, -1):
        m = month
        for _ in range(back):
            m = m.previous()
        add_reading(mari.register, m, str(10000 + 250 * (13 - back)))
    fixed_product(code="CHEAP", price="0.100000")
    second, _register = manual_account(product=mari.contract.product)
    SupplyContract.objects.filter(pk=second.pk).update(
        customer=mari.customer, billing_account=mari.account
    )
    mari.second = second
    return mari


def test_package_change_move_out_and_move_in(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    mari = customer_with_two_points()
    new_point = MeteringPointFactory(
        metering_method=MeteringPoint.MeteringMethod.MANUAL_REGISTER, street_address="Vana 17"
    )
    new_register = RegisterFactory(meter=MeterFactory(metering_point=new_point))
    agent = in_role("kati", roles.AGENT)
    page = signed_in_page(browser, live_server, agent)
    customer_url = f"{live_server.url}/backoffice/customers/{mari.customer.pk}/"

    # the package, with the calculator's ranking: CHEAP first
    page.goto(customer_url)
    page.click(f"#package-{mari.contract.pk}")
    ranking = page.locator("#ranking tbody tr")
    assert "CHEAP" in ranking.nth(0).inner_text()
    assert "-74.40" in ranking.nth(0).inner_text()
    page.check("#product-CHEAP")
    page.fill("#id_reason", "Asked for the cheapest package")
    check(page, "change-package")
    page.click("#package-form input[type=submit]")
    assert page.url.startswith(customer_url)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    new = SupplyContract.objects.get(
        metering_point=mari.contract.metering_point, valid_from=tomorrow
    )
    assert (new.product.code, new.signed_channel) == ("CHEAP", "BACKOFFICE")

    # move out of the second point, with the final reading
    page.click(f"#move-out-{mari.second.pk}")
    page.fill("#id_value_SINGLE", "4321.5")
    page.fill("#id_reason", "Sold the flat")
    check(page, "move-out")
    page.click("#move-out-form input[type=submit]")
    mari.second.refresh_from_db()
    assert (mari.second.valid_to, mari.second.status) == (timezone.localdate(), "TERMINATED")
    assert Reading.objects.get(
        register__meter__metering_point=mari.second.metering_point
    ).value_kwh == (Decimal("4321.500"))

    # move in: the point found as one types (htmx swaps the results in without a reload)
    page.click("#move-in")
    htmx_ready(page)  # its deferred script runs after the click returns
    page.fill("#point-q", "Vana 1")
    page.wait_for_selector("#points-found a.choose-point")
    assert new_point.eic in page.locator("#points-found").inner_text()
    check(page, "move-in-search")
    page.click("#points-found a.choose-point")
    page.fill("#id_value_SINGLE", "120")
    page.fill("#id_reason", "Moved to Vana 17")
    check(page, "move-in")
    page.click("#move-in-form input[type=submit]")
    assert SupplyContract.objects.get(metering_point=new_point).customer == mari.customer
    assert Reading.objects.get(register=new_register).source == "BACKOFFICE"

    audit = page.locator("#audit").inner_text()
    for label in ("Package changed", "Moved out: contract ended", "Moved in: contract made"):
        assert label in audit
    # each change confirmed to Mari by e-mail, in her language, listed newest first
    emails = page.locator("table[aria-labelledby=h-emails] tbody tr")
    assert [emails.nth(i).locator("td").nth(1).inner_text() for i in range(3)] == [
        "Move in confirmed",
        "Move out confirmed",
        "Package change confirmed",
    ]
    assert emails.nth(2).locator("td").nth(2).inner_text() == "Vool: Teie pakett on vahetatud"
    check(page, "customer-after-actions")
    assert list(AuditEntry.objects.values_list("action", flat=True).order_by("pk")) == [
        "contracts.switch_package",
        "contracts.move_out",
        "contracts.move_in",
    ]
    page.context.close()

    finance = signed_in_page(browser, live_server, in_role("rita", roles.FINANCE))
    finance.goto(customer_url)
    assert finance.locator("#move-in").count() == 0
    refused = finance.goto(f"{customer_url}contracts/{new.pk}/package/")
    assert refused is not None and refused.status == 403
    finance.context.close()
