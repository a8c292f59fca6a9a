"""What every portal page reads and hardly ever changes, kept per server process for a few
seconds (``common.short_lived``): the supplier's payment details (10 s) and whether the
service freeze is on (1 s). A change shows at once in the process that made it (the admin's
save, ``vool freeze on``) and within those seconds in the others; a write during the freeze is
refused at once in every process (it reads the freeze itself)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.forms.models import model_to_dict
from django.test import Client
from django.utils import timezone

from documents_factories import SUPPLIER_IBAN
from vool.domain.cases import queries as case_queries
from vool.domain.cases.models import Freeze
from vool.domain.cases.operations import freeze_on
from vool.domain.documents import queries as document_queries
from vool.domain.documents.models import Supplier

pytestmark = pytest.mark.django_db
NEW_IBAN = "EE661010220012345678"


def overview(household, client: Client) -> str:
    client.force_login(household.user)
    response = client.get("/portal/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def later(kept, seconds: float, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """This process's copy ``seconds`` older."""
    now = kept.clock()
    monkeypatch.setattr(kept, "clock", lambda: now + seconds)


def test_the_suppliers_iban_changed_in_the_admin_shows_on_the_next_page(household) -> None:
    portal = Client()
    assert SUPPLIER_IBAN in overview(household, portal)  # read and kept
    admin = Client()
    admin.force_login(get_user_model().objects.create_superuser("admin", "a@example.ee", "pw"))
    supplier = Supplier.objects.get()
    form = {k: v for k, v in model_to_dict(supplier).items() if k not in ("id", "updated_at")}
    form.update(iban=NEW_IBAN, vat_number="")  # (the factory's KMKR fails its check digit)
    response = admin.post(f"/admin/documents/supplier/{supplier.pk}/change/", form)
    assert response.status_code == 302
    html = overview(household, portal)
    assert NEW_IBAN in html and SUPPLIER_IBAN not in html


def test_a_supplier_change_from_another_process_shows_within_ten_seconds(
    household, monkeypatch
) -> None:
    portal = Client()
    assert SUPPLIER_IBAN in overview(household, portal)
    Supplier.objects.update(iban=NEW_IBAN)  # no signal here: as another process's save
    assert SUPPLIER_IBAN in overview(household, portal)  # this process's copy, < 10 s old
    later(document_queries.supplier_shown, 10.0, monkeypatch)
    assert NEW_IBAN in overview(household, portal)


def test_a_freeze_switched_on_here_shows_on_the_next_page(household) -> None:
    portal = Client()
    assert "freeze-notice" not in overview(household, portal)
    freeze_on(message="Kolime.", by="admin", now=timezone.now())
    html = overview(household, portal)
    assert "freeze-notice" in html and "Kolime." in html


def test_a_freeze_from_another_process_refuses_writes_at_once_and_shows_within_a_second(
    household, monkeypatch
) -> None:
    portal = Client()
    assert "freeze-notice" not in overview(household, portal)  # "off" kept for a second
    Freeze.objects.bulk_create(  # no signal: as `vool freeze on` in another process
        [Freeze(message="Kolime.", started_at=timezone.now() - dt.timedelta(minutes=1))]
    )
    refused = portal.post("/portal/requests/new/", {"subject": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 503
    later(case_queries.freeze_shown, 1.0, monkeypatch)
    assert "freeze-notice" in overview(household, portal)
