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
