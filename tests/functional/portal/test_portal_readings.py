"""Meter readings in the portal (issue 13 §2): submitted per register through
``submit_reading``, the rules' answers in the reader's language, the history of readings and
estimates; another customer's point is 404; the form has CSRF."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from vool.domain.metering.models import Reading

pytestmark = pytest.mark.django_db


def url(household) -> str:
    return f"/portal/readings/{household.contract.metering_point_id}/"


def earlier(household, value: str, days: int = 40, source: str = "PORTAL") -> Reading:
    read_at = timezone.now() - dt.timedelta(days=days)
    return Reading.objects.create(
        register=household.register,
        read_at=read_at,
        known_at=read_at,
        value_kwh=Decimal(value),
        source=source,
    )


class TestSubmitReading:
    def test_a_reading_is_taken_and_shown_in_the_history(self, client, household):
        client.force_login(household.user)
        response = client.post(
            url(household), {"value_SINGLE": "1234,5"}, HTTP_ACCEPT_LANGUAGE="et"
        )
        assert response.status_code == 302
        reading = Reading.objects.get(register=household.register)
        assert reading.value_kwh == Decimal("1234.500")
        assert reading.source == "PORTAL" and reading.created_by == household.user
        page = client.get("/portal/readings/", HTTP_ACCEPT_LANGUAGE="et").content.decode()
        assert "1\u00a0234,500\u00a0kWh" in page
        assert "Aitäh" in page

    def test_the_answer_in_english(self, client, household):
        client.force_login(household.user)
        client.post(url(household), {"value_SINGLE": "1234.5"}, HTTP_ACCEPT_LANGUAGE="en")
        page = client.get("/portal/readings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Thank you: your reading" in page

    def test_a_reading_below_the_previous_one_is_refused_in_russian(self, client, household):
        earlier(household, "5000.000")
        client.force_login(household.user)
        response = client.post(url(household), {"value_SINGLE": "4000"}, HTTP_ACCEPT_LANGUAGE="ru")
        assert response.status_code == 400
        assert "Показания меньше предыдущих" in response.content.decode()
        assert Reading.objects.filter(register=household.register).count() == 1

    def test_more_digits_than_the_meter_has_are_refused(self, client, household):
        client.force_login(household.user)
        response = client.post(
            url(household), {"value_SINGLE": "1000000"}, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 400
        assert "less than or equal to 999999.999" in response.content.decode()
        assert not Reading.objects.filter(register=household.register).exists()

    def test_an_implausible_jump_waits_for_review(self, client, household):
        earlier(household, "1000.000", days=60)
        earlier(household, "1100.000", days=30)
        client.force_login(household.user)
        client.post(url(household), {"value_SINGLE": "99000"}, HTTP_ACCEPT_LANGUAGE="en")
        reading = Reading.objects.filter(register=household.register).latest("read_at")
        assert reading.status == "PENDING_REVIEW"
        page = client.get("/portal/readings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "customer service checks it" in page

    def test_estimates_show_in_the_history(self, client, household):
        earlier(household, "1000.000", days=30, source="ESTIMATED")
        client.force_login(household.user)
        page = client.get("/portal/readings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "<strong>Estimated</strong>" in page

    def test_another_customers_point_is_404(self, client, household, stranger):
        client.force_login(household.user)
        response = client.post(url(stranger), {"value_SINGLE": "1"})
        assert response.status_code == 404
        assert not Reading.objects.exists()

    def test_the_form_needs_the_csrf_token(self, household):
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(household.user)
        assert strict.post(url(household), {"value_SINGLE": "1"}).status_code == 403
        page = strict.get("/portal/readings/").content.decode()
        assert 'name="csrfmiddlewaretoken"' in page
