"""Default tariff data in the database, and tariffs built from it for the kernel."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from factories import ProductFactory, ProductPriceFactory
from vool.common.localtime import Month
from vool.domain.tariffs import operations, queries
from vool.domain.tariffs.models import LevyRate, NetworkMonthlyFee, Product, VatRate
from vool.domain.tariffs.rating import AccountMonth, Piece, rate_accounts, vat_by_rate
from vool.domain.tariffs.tariff_data import load_defaults

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def defaults() -> None:
    operations.load_default_tariffs()


class TestLoadDefaults:
    def test_is_idempotent_and_keeps_admin_edits(self, defaults: None) -> None:
        counts = (
            VatRate.objects.count(),
            LevyRate.objects.count(),
            NetworkMonthlyFee.objects.count(),
        )
        assert counts == (3, 7, 56)
        VatRate.objects.filter(valid_from=dt.date(2025, 7, 1)).update(source="edited")
        again = operations.load_tariff_data(load_defaults())
        assert {k: n for k, n in again.items() if n} == {"kept VAT rates": 1}
        assert VatRate.objects.get(valid_from=dt.date(2025, 7, 1)).source == "edited"

    def test_every_value_says_where_it_comes_from(self, defaults: None) -> None:
        assert all(r.source for r in VatRate.objects.all())
        assert all(r.source for r in NetworkMonthlyFee.objects.all())
        june = NetworkMonthlyFee.objects.filter(valid_from=dt.date(2026, 6, 1))
        assert june.count() == 24 and not any(f.verified for f in june)
        assert all("unverified" in f.source for f in june)


class TestTariffFor:
    def test_fuse_size_picks_the_monthly_fee(self, defaults: None) -> None:
        def fee(fuse: int, apartment: bool = False) -> Decimal:
            _, f = queries.network_components(
                grid_operator_code="ELEKTRILEVI",
                package_code="V2",
                main_fuse_a=fuse,
                is_apartment=apartment,
            )
            return f.versions[0].monthly_amount

        assert fee(10) == D("5.81")
        assert fee(16) == D("5.81")
        assert fee(17) == D("7.23")
        assert fee(63) == D("18.74")
        assert fee(25, apartment=True) == D("2.96")
        with pytest.raises(queries.MissingTariffData, match="up to 63 A only; a 100 A connection"):
            fee(100)

    def test_complete_bill_from_the_database(self, defaults: None) -> None:
        # The same February 2026 bill as the unit test, from the default data: FIXED 0.129,
        # Võrk 2, 25 A, 1 kWh an hour -> 143.78 + VAT 24 % 34.51.
        product = ProductFactory(code="FIX", kind=Product.Kind.FIXED)
        ProductPriceFactory(product=product, energy_price=D("0.129"), monthly_fee_amount=D("2.99"))
        month = Month(2026, 2)
        tariff = queries.tariff_for(
            product=product,
            start=month.first_day,
            end=month.next().first_day,
            grid_operator_code="ELEKTRILEVI",
            package_code="V2",
            main_fuse_a=25,
        )
        lines, failed = rate_accounts(
            month=month,
            vat=queries.vat_versions(),
            accounts=[
                AccountMonth(
                    1,
                    60,
                    np.full(672, 1000),
                    (Piece(tariff, month.first_day, month.next().first_day),),
                )
            ],
        )
        assert not failed
        assert [(ln.component, ln.band, str(ln.amount)) for ln in lines[1]] == [
            ("ENERGY", "ALL", "86.69"),
            ("PRODUCT_FEE", "ALL", "2.99"),
            ("NETWORK_ENERGY", "DAY", "17.30"),
            ("NETWORK_ENERGY", "NIGHT", "13.58"),
            ("NETWORK_FEE", "ALL", "8.57"),
            ("RENEWABLE_FEE", "ALL", "5.64"),
            ("BALANCING_CAPACITY_FEE", "ALL", "2.51"),
            ("SECURITY_OF_SUPPLY_FEE", "ALL", "5.09"),
            ("EXCISE", "ALL", "1.41"),
        ]
        assert vat_by_rate(lines[1]) == {D("0.24"): (D("143.78"), D("34.51"))}

    def test_levy_not_yet_in_force_costs_nothing(self, defaults: None) -> None:
        # December 2025: the balancing-capacity fee starts on 1 Jan 2026 -> 0.00
        comps = {
            c.code: c
            for c in queries.levy_components(start=dt.date(2025, 12, 1), end=dt.date(2026, 1, 1))
        }
        assert set(comps) == {"RENEWABLE_FEE", "EXCISE"}
        comps = {
            c.code: c
            for c in queries.levy_components(start=dt.date(2025, 12, 15), end=dt.date(2026, 1, 15))
        }
        assert comps["BALANCING_CAPACITY_FEE"].versions[0].unit_prices == {"ALL": 0}


class TestAdmin:
    @pytest.mark.parametrize(
        "model",
        [
            "bandscheme",
            "bandrule",
            "networkpackage",
            "networkprice",
            "networkmonthlyfee",
            "levy",
            "levyrate",
            "vatrate",
            "marketprice",
            "product",
            "productprice",
        ],
    )
    def test_changelist_and_change_pages_render(
        self, defaults: None, admin_client, model: str
    ) -> None:  # type: ignore[no-untyped-def]
        response = admin_client.get(f"/admin/tariffs/{model}/")
        assert response.status_code == 200
        if model == "networkpackage":
            from vool.domain.tariffs.models import NetworkPackage

            pk = NetworkPackage.objects.get(code="V5").pk
            page = admin_client.get(f"/admin/tariffs/networkpackage/{pk}/change/")
            assert page.status_code == 200
            assert "0.081800" in page.content.decode()  # the V5 day-peak price, editable


def test_band_rule_windows_are_validated(defaults: None) -> None:
    from django.core.exceptions import ValidationError

    from vool.domain.tariffs.models import BandRule

    rule = BandRule.objects.get(scheme__code="EE_DAY_NIGHT", valid_from=dt.date(2022, 3, 1))
    rule.windows = [{"band": "DAY", "start": "07:00", "end": "25:00"}]
    with pytest.raises(ValidationError, match="Band window 1"):
        rule.full_clean()
