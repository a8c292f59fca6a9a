"""Every back-office (admin) list, search, add and change page opens, on seeded data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from vool.usecases.demo import seed

pytestmark = pytest.mark.django_db

MODELS = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model in admin.site._registry
    if model._meta.app_label not in {"auth"}
)


@pytest.fixture
def staff_client(client):
    seed.seed_demo(customers=12, seed=3, as_of=dt.date(2026, 2, 3), history_months=1)
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(user)
    return client


def test_list_search_add_and_change_pages_open(staff_client):
    """One seeded database for all models (seeding per model would be slow)."""
    broken = []
    for app, model in MODELS:
        changelist = reverse(f"admin:{app}_{model}_changelist")
        response = staff_client.get(changelist)
        if response.status_code != 200:
            broken.append(f"{changelist}: {response.status_code}")
            continue
        if staff_client.get(changelist, {"q": "1"}).status_code != 200:
            broken.append(f"{changelist}?q=1")
        add = reverse(f"admin:{app}_{model}_add")
        if staff_client.get(add).status_code not in {200, 403}:  # append-only: no add page
            broken.append(add)
        objects = response.context["cl"].result_list
        if objects:
            change = reverse(f"admin:{app}_{model}_change", args=[objects[0].pk])
            if staff_client.get(change).status_code != 200:
                broken.append(change)
    assert len(MODELS) >= 15
    assert broken == []


def test_market_prices_are_shown_not_edited_in_the_admin(admin_client) -> None:  # type: ignore[no-untyped-def]
    """Prices change only as new versions through the price import; the admin has no edit,
    add or delete that the database would refuse with an error page."""
    from billing_factories import add_market_prices
    from vool.common.localtime import Month
    from vool.domain.tariffs.models import MarketPrice

    add_market_prices(Month(2026, 10), ("38.590",))
    price = MarketPrice.objects.order_by("pk").first()
    assert price is not None
    assert admin_client.get("/admin/tariffs/marketprice/").status_code == 200
    assert admin_client.get("/admin/tariffs/marketprice/add/").status_code == 403
    assert admin_client.post(f"/admin/tariffs/marketprice/{price.pk}/delete/").status_code == 403
    admin_client.post(f"/admin/tariffs/marketprice/{price.pk}/change/", {"price_eur_mwh": "9999"})
    assert MarketPrice.objects.get(pk=price.pk).price_eur_mwh == price.price_eur_mwh
