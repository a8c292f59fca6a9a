"""The work-queues overview and a bulk action in a real browser (Chromium through Playwright):
finance sees each queue's total, the items assigned to them and the unassigned ones, takes a
hold, follows "assigned to me" from the overview, then ends two holds at once with a reason;
each hold gets its own audit row. axe finds no serious or critical violation; screenshots are
kept under ``var/test-artefacts/backoffice/``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from browser_checks import check, signed_in_page
from cases_factories import holder, in_role
from vool.domain.audit.models import AuditEntry
from vool.domain.cases import roles
from vool.domain.receivables import dunning
from vool.domain.receivables.models import DunningHold

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_overview_counts_and_holds_ended_in_bulk(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    mari, jaan = holder("mari", 26000001, "42.50"), holder("jaan", 26000002, "10.00")
    holds = [
        dunning.add_hold(
            kind="VULNERABLE",
            reason=why,
            by="x",
            valid_from=dt.date(2026, 1, 1),
            valid_to=None,
            as_of=timezone.now(),
            billing_account_id=who.account.pk,
        )
        for who, why in ((mari, "Medical equipment"), (jaan, "Hospital"))
    ]
    page = signed_in_page(browser, live_server, in_role("ene", roles.FINANCE))
    queues = f"{live_server.url}/backoffice/queues/"

    page.goto(queues)
    counts = ("#count-holds", "#mine-holds", "#unassigned-holds")
    assert [page.locator(c).inner_text() for c in counts] == ["2", "0", "2"]
    check(page, "queues-counts")

    page.click("#queues >> text=Dunning holds")
    page.check(f"input[name=selected][value='{holds[0].pk}']")
    page.click("#assign-holds button[name=assign][value=me]")
    page.wait_for_selector("#queue-work .success, #queue-work .messagelist")
    page.goto(queues)
    assert [page.locator(c).inner_text() for c in counts] == ["2", "1", "1"]

    page.click("#mine-holds a")  # the holds assigned to me
    assert "Medical equipment" in page.locator("#queue").inner_text()
    assert "Hospital" not in page.locator("#queue").inner_text()
    page.goto(f"{live_server.url}/backoffice/queues/holds/")
    for hold in holds:
        page.check(f"input[name=selected][value='{hold.pk}']")
    page.fill("#end-reason", "Both recovered")
    check(page, "queue-holds-bulk")
    page.click("#end-chosen button[name=end_chosen]")
    page.wait_for_selector("text=2 holds ended.")
    assert "Nothing waits." in page.locator("#queue").inner_text()
    check(page, "queue-holds-bulk-done")

    today = timezone.localdate()
    assert set(DunningHold.objects.values_list("valid_to", flat=True)) == {today}
    rows = AuditEntry.objects.filter(action="receivables.end_hold")
    assert sorted(int(r.object_id) for r in rows) == sorted(h.pk for h in holds)
    assert {r.reason for r in rows} == {"Both recovered"}
    page.context.close()
