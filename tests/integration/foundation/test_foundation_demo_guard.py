"""``vool demo`` touches only a database it seeded itself (issue 9 §4): on a database with
customers or users of its own, ``demo up`` refuses before migrating or changing anything."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from factories import PersonFactory
from vool.domain.customers.models import Customer
from vool.usecases.demo import marker, seed, users
from vool.usecases.demo.models import DemoSeed

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 2, 3)
REFUSAL = (
    "Selles andmebaasis on kliente või kasutajaid, mida demo ei loonud, seega demo ei puutu seda"
)


def demo_up() -> str:
    out = StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.utils.timezone.localdate", lambda *a, **k: AS_OF)
        call_command(
            "demo",
            "up",
            "--customers",
            "4",
            "--history-months",
            "1",
            "--no-billing",
            "--no-progress",
            stdout=out,
        )
    return out.getvalue()


@pytest.fixture
def real_supplier():
    """A retailer's own database: a real admin whose password is not admin, and customers,
    one linked to a real user."""
    user_model = get_user_model()
    admin = user_model.objects.create_superuser("admin", "it@example.ee", "a-real-password")
    owner = user_model.objects.create_user("tiina", password="her-password")
    customers = [PersonFactory() for _ in range(4)]
    customers[0].user = owner
    customers[0].save(update_fields=["user"])
    return admin, owner, customers


class TestDemoUpRefusesADatabaseItDidNotSeed:
    def test_nothing_is_reset_or_relinked(self, real_supplier):
        admin, owner, customers = real_supplier
        with pytest.raises(CommandError) as refused:
            demo_up()
        assert str(refused.value).startswith(REFUSAL)
        admin.refresh_from_db()
        assert admin.check_password("a-real-password")
        assert not get_user_model().objects.filter(username__startswith="demo").exists()
        assert Customer.objects.get(pk=customers[0].pk).user == owner
        assert (
            not Customer.objects.filter(pk__in=[c.pk for c in customers[1:]])
            .exclude(user=None)
            .exists()
        )

    def test_a_database_with_only_a_real_user_is_refused_too(self):
        get_user_model().objects.create_superuser("admin", "it@example.ee", "a-real-password")
        with pytest.raises(CommandError):
            demo_up()
        assert not Customer.objects.exists() and not DemoSeed.objects.exists()

    def test_the_demo_logins_are_refused_without_the_marker(self, real_supplier):
        with pytest.raises(marker.NotADemoDatabase):
            users.ensure_demo_users()

    def test_seeding_next_to_real_users_is_refused(self):
        get_user_model().objects.create_user("tiina", password="her-password")
        with pytest.raises(seed.UnableToSeed):
            seed.seed_demo(customers=3, seed=1, as_of=AS_OF, history_months=1)
        assert not Customer.objects.exists() and not DemoSeed.objects.exists()


class TestDemoUpOnItsOwnDatabase:
    def test_seeds_an_empty_database_records_the_marker_and_runs_again(self):
        first = demo_up()
        assert "Seeded 4 customers" in first
        assert list(DemoSeed.objects.values_list("seed", "customers")) == [(42, 4)]
        admin = get_user_model().objects.get(username="admin")
        assert admin.is_superuser and admin.check_password("admin")
        linked = Customer.objects.exclude(user=None).count()
        assert linked == 3
        again = demo_up()
        assert "The demo already seeded this database; not seeding again." in again
        assert Customer.objects.exclude(user=None).count() == linked
        assert Customer.objects.count() == 4
