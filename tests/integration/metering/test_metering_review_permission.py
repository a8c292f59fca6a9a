"""Accepting or rejecting a reading that waits for review changes what is billed: it needs the
permission to change readings, in the admin and in the operation (issue 9 §4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from factories import RegisterFactory
from vool.common.localtime import TALLINN
from vool.domain.metering import operations
from vool.domain.metering.models import Reading

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:metering_reading_changelist")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TALLINN)


LATER = at(2026, 11, 3, 12, 0)  # the review decision is known from then


@pytest.fixture
def pending() -> Reading:
    """A reading of 1000 kWh in a month where 310 kWh were expected: it waits for review."""
    register = RegisterFactory()
    for value, day in ((1000, at(2026, 9, 1, 10, 0)), (1300, at(2026, 10, 1, 10, 0))):
        operations.submit_reading(
            register=register,
            value_kwh=Decimal(value),
            read_at=day,
            source=Reading.Source.MIGRATION,
            as_of=day,
        )
    reading = operations.submit_reading(
        register=register,
        value_kwh=Decimal(2300),
        read_at=at(2026, 11, 2, 9, 0),
        source=Reading.Source.PORTAL,
        as_of=at(2026, 11, 2, 9, 0),
    ).reading
    assert reading.status == Reading.Status.PENDING_REVIEW
    return reading


def staff(username: str, *codenames: str):
    user = get_user_model().objects.create_user(username, password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return get_user_model().objects.get(pk=user.pk)  # a fresh permission cache


def still_pending(reading: Reading) -> bool:
    reading.refresh_from_db()
    return not hasattr(reading, "superseded_by") and Reading.objects.count() == 3


class TestTheOperation:
    def test_a_view_only_user_is_refused_and_nothing_is_written(self, pending):
        viewer = staff("vaataja", "view_reading")
        with pytest.raises(operations.NotAllowedToReviewReading) as refused:
            operations.review_reading(
                reading=pending, accept=True, reason="looks fine", created_by=viewer, as_of=LATER
            )
        assert str(refused.value) == (
            "vaataja ei tohi näite kinnitada ega tagasi lükata: selleks on vaja näitude "
            "muutmise õigust."
        )
        assert still_pending(pending)

    def test_nobody_named_is_refused(self, pending):
        with pytest.raises(operations.NotAllowedToReviewReading):
            operations.review_reading(
                reading=pending, accept=False, reason="", created_by=None, as_of=LATER
            )
        assert still_pending(pending)

    def test_a_user_with_the_change_permission_may_review(self, pending):
        reviewer = staff("kontrollija", "view_reading", "change_reading")
        rejected = operations.review_reading(
            reading=pending, accept=False, reason="typo", created_by=reviewer, as_of=LATER
        )
        assert (rejected.status, rejected.supersedes, rejected.created_by) == (
            Reading.Status.REJECTED,
            pending,
            reviewer,
        )


class TestTheAdminActions:
    def post_action(self, client, user, action: str, reading: Reading):
        client.force_login(user)
        return client.post(
            CHANGELIST,
            {"action": action, "_selected_action": [reading.pk], "index": 0},
            follow=True,
        )

    def test_a_view_only_staff_user_is_not_offered_the_actions_and_cannot_post_them(
        self, client, pending
    ):
        viewer = staff("vaataja", "view_reading")
        client.force_login(viewer)
        page = client.get(CHANGELIST)
        assert page.status_code == 200
        assert b"accept_after_review" not in page.content
        for action in ("accept_after_review", "reject_after_review"):
            response = self.post_action(client, viewer, action, pending)
            assert response.status_code == 200
            assert still_pending(pending)

    def test_a_reviewer_with_the_change_permission_accepts(self, client, pending):
        reviewer = staff("kontrollija", "view_reading", "change_reading")
        response = self.post_action(client, reviewer, "accept_after_review", pending)
        assert response.status_code == 200
        pending.refresh_from_db()
        assert pending.superseded_by.status == Reading.Status.ACCEPTED
        assert pending.superseded_by.created_by == reviewer
