from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from factories import BillingAccountFactory, MeteringPointFactory, ProductFactory
from vool.domain.contracts import operations as contract_operations
from vool.domain.contracts.models import SupplyContract
from vool.domain.customers.models import BillingAccount, Customer
from vool.usecases import overview

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(user)
    return client


class TestStartPage:
    @pytest.mark.parametrize(
        ("language", "heading"),
        [
            ("et", "Kliendiinfo ja arveldus"),
            ("ru", "Информация о клиентах и выставление счетов"),  # noqa: RUF001 (Russian)
            ("en", "Customer information and billing"),
        ],
    )
    def test_shows_counts(self, client, language, heading):
        BillingAccountFactory()
        response = client.get("/", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        html = response.content.decode()
        assert heading in html
        assert f'<html lang="{language}">' in html
        assert 'name="viewport"' in html


class TestStartPageCost:
    """The start page must not count whole tables (the interval table: millions of rows) on
    every request: the anonymous cost no query, staff one set of counts per cache period."""

    def test_an_anonymous_visit_runs_no_query(self, client, django_assert_num_queries):
        BillingAccountFactory()
        with django_assert_num_queries(0):
            assert client.get("/").status_code == 200

    def test_staff_count_once_per_cache_period(self, staff_client):
        cache.delete(overview.CACHE_KEY)
        BillingAccountFactory()
        with CaptureQueriesContext(connection) as first:
            assert staff_client.get("/").status_code == 200
        with CaptureQueriesContext(connection) as second:
            assert staff_client.get("/").status_code == 200
        counts = [q["sql"] for q in first if "COUNT(" in q["sql"].upper()]
        assert len(counts) == 8
        assert not [q["sql"] for q in second if "COUNT(" in q["sql"].upper()]
        cache.delete(overview.CACHE_KEY)


class TestAdminBadInput:
    @pytest.mark.parametrize(
        ("language", "message"),
        [
            ("en", "Personal code (isikukood) 36805280108 has a wrong check digit (expected 9)."),
            ("et", "Isikukood 36805280108: kontrollnumber on vale (peaks olema 9)."),
        ],
    )
    def test_invalid_personal_code_is_shown_on_the_field(self, staff_client, language, message):
        response = staff_client.post(
            "/admin/customers/customer/add/",
            HTTP_ACCEPT_LANGUAGE=language,
            data={
                "kind": "PERSON",
                "name": "Mari Maasikas",
                "personal_code": "36805280108",
                "preferred_language": "et",
                "country": "EE",
                "billing_accounts-TOTAL_FORMS": "0",
                "billing_accounts-INITIAL_FORMS": "0",
            },
        )
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        assert errors["personal_code"] == [message]
        assert Customer.objects.count() == 0

    def test_a_customer_added_in_the_admin_gets_a_reference_number(self, staff_client):
        response = staff_client.post(
            "/admin/customers/customer/add/",
            {
                "kind": "PERSON",
                "name": "Mari Maasikas",
                "personal_code": "36805280109",
                "preferred_language": "et",
                "country": "EE",
                "billing_accounts-TOTAL_FORMS": "0",
                "billing_accounts-INITIAL_FORMS": "0",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        (account,) = BillingAccount.objects.all()
        assert account.reference_number == "1000009"

    def test_bad_eic_is_shown_on_the_field(self, staff_client):
        operator = MeteringPointFactory().grid_operator
        response = staff_client.post(
            "/admin/supply/meteringpoint/add/",
            {
                "eic": "38ZEE-1000007L-F",
                "grid_operator": operator.pk,
                "street_address": "Pikk 1",
                "city": "Tallinn",
                "main_fuse_a": "25",
                "network_package_code": "V1",
                "metering_method": "REMOTE_INTERVAL",
                "resolution": "PT15M",
            },
        )
        assert response.status_code == 200
        assert "eic" in response.context["adminform"].form.errors

    def test_overlapping_contract_is_refused_in_the_admin(self, staff_client):
        account = BillingAccountFactory()
        point = MeteringPointFactory()
        product = ProductFactory()
        SupplyContract.objects.create(
            customer=account.customer,
            billing_account=account,
            metering_point=point,
            product=product,
            valid_from=dt.date(2025, 1, 1),
            signed_channel="BACKOFFICE",
        )
        response = staff_client.post(
            "/admin/contracts/supplycontract/add/",
            {
                "customer": account.customer.pk,
                "billing_account": account.pk,
                "metering_point": point.pk,
                "product": product.pk,
                "valid_from": "2025-06-01",
                "status": "ACTIVE",
                "signed_channel": "BACKOFFICE",
            },
        )
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        # the admin answers in the default language (Estonian): "... mis kattub sellega."
        assert "kattub" in errors["valid_from"][0]
        assert SupplyContract.objects.count() == 1

    def test_the_admin_saves_contracts_through_the_locked_operation(
        self, staff_client, monkeypatch
    ):
        saved = []
        real = contract_operations.save_contract

        def spy(*, contract):
            saved.append(contract.valid_from)
            return real(contract=contract)

        monkeypatch.setattr(contract_operations, "save_contract", spy)
        account = BillingAccountFactory()
        data = {
            "customer": account.customer.pk,
            "billing_account": account.pk,
            "metering_point": MeteringPointFactory().pk,
            "product": ProductFactory().pk,
            "valid_from": "2025-06-01",
            "status": "ACTIVE",
            "signed_channel": "BACKOFFICE",
        }
        response = staff_client.post("/admin/contracts/supplycontract/add/", data)
        assert response.status_code == 302
        contract = SupplyContract.objects.get()
        response = staff_client.post(
            f"/admin/contracts/supplycontract/{contract.pk}/change/",
            {**data, "valid_to": "2025-12-01"},
        )
        assert response.status_code == 302
        assert saved == [dt.date(2025, 6, 1), dt.date(2025, 6, 1)]
        contract.refresh_from_db()
        assert contract.valid_to == dt.date(2025, 12, 1)

    @pytest.mark.parametrize(
        "path",
        [
            "/admin/customers/customer/?q=Tamm",
            "/admin/customers/billingaccount/?q=1000",
            "/admin/supply/meteringpoint/?metering_method__exact=REMOTE_INTERVAL",
            "/admin/metering/reading/",
            "/admin/metering/intervalday/",
            "/admin/tariffs/product/",
            "/admin/contracts/supplycontract/?status__exact=ACTIVE",
        ],
    )
    def test_lists_search_and_filter(self, staff_client, path):
        BillingAccountFactory()
        assert staff_client.get(path).status_code == 200
