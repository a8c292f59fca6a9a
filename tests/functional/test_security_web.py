"""What the web pages show to whom (issue 9 §4): the anonymous start page shows no business
figures and costs no query; staff see cached counts; staff without the permission to start
bill runs get a 403 page, not a redirect to a login page that does not exist."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from factories import BillingAccountFactory

pytestmark = pytest.mark.django_db

START_BILL_RUN = "/backoffice/bill-runs/start/"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def customers():
    for _ in range(3):
        BillingAccountFactory()


def counts_in(sql: list[dict[str, str]]) -> list[str]:
    return [q["sql"] for q in sql if "COUNT(" in q["sql"].upper()]


class TestTheStartPage:
    def test_the_anonymous_see_no_figures_and_cost_no_query(
        self, client, customers, django_assert_num_queries
    ):
        with django_assert_num_queries(0):
            response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        html = response.content.decode()
        assert 'class="card"' not in html
        assert "customers</span>" not in html
        assert "Staff sign in to the back office" in html

    def test_staff_see_the_counts_counted_once_then_cached(self, client, customers):
        staff = get_user_model().objects.create_user("kati", password="pw", is_staff=True)
        client.force_login(staff)
        with CaptureQueriesContext(connection) as first:
            html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "<strong>3</strong><span>customers</span>" in html
        assert len(counts_in(first.captured_queries)) == 8
        BillingAccountFactory()
        with CaptureQueriesContext(connection) as second:
            html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert counts_in(second.captured_queries) == []
        assert "<strong>3</strong><span>customers</span>" in html  # until the cache expires


class TestStaffWithoutPermission:
    def test_the_bill_run_page_answers_403_with_a_page_that_says_so(self, client):
        user = get_user_model().objects.create_user("mari", password="pw", is_staff=True)
        client.force_login(user)
        response = client.get(START_BILL_RUN, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 403
        html = response.content.decode()
        assert "<h1>Not allowed</h1>" in html
        assert "may not open this page" in html

    def test_someone_not_signed_in_goes_to_the_back_office_sign_in(self, client):
        response = client.get(START_BILL_RUN)
        assert response.status_code == 302
        assert response.url.startswith("/admin/login/?next=")
