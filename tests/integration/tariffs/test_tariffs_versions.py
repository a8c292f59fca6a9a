"""Dated tariff data: no two versions of one price on one day, nothing silently missing, the
shipped rates as corrected, and upgrades of a database loaded with earlier shipped data."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from factories import ProductFactory, ProductPriceFactory
from vool.common.localtime import Month
from vool.domain.tariffs import operations, queries
from vool.domain.tariffs.models import (
    BandRule,
    BandScheme,
    Levy,
    LevyRate,
    NetworkMonthlyFee,
    NetworkPackage,
    Product,
    ProductPrice,
    VatRate,
)
from vool.domain.tariffs.rating import AccountMonth, Line, Piece, rate_accounts
from vool.domain.tariffs.tariff_data import load_defaults

pytestmark = pytest.mark.django_db
D = Decimal
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
# defaults.json as shipped before the corrections of issue 8 (what existing databases hold)
EARLIER = Path(__file__).resolve().parent / "data" / "defaults_before_2026_11.json"


@pytest.fixture
def defaults() -> None:
    operations.load_default_tariffs()


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


def earlier_data() -> dict[str, Any]:
    return json.loads(EARLIER.read_text(encoding="utf-8"))


def levy_rates(code: str) -> list[tuple[dt.date, dt.date | None, Decimal]]:
    return list(
        LevyRate.objects.filter(levy__code=code)
        .order_by("valid_from")
        .values_list("valid_from", "valid_to", "unit_price")
    )


class TestNoOverlap:
    def test_an_open_ended_rate_next_to_a_new_one_is_refused(self, defaults: None) -> None:
        # the bug: an open-ended 24 % next to 25 % from 2026 would bill 2026 at whichever
        # the kernel met first
        with pytest.raises(operations.UnableToSaveVersion, match=r"Overlaps VAT rate 0\.2400"):
            operations.save_version(VatRate(valid_from=dt.date(2026, 1, 1), rate=D("0.25")))
        assert VatRate.objects.count() == 3

    def test_ending_the_old_version_first_lets_the_new_one_in(self, defaults: None) -> None:
        current = VatRate.objects.get(valid_to=None)
        current.valid_to = dt.date(2027, 1, 1)
        operations.save_version(current)
        operations.save_version(VatRate(valid_from=dt.date(2027, 1, 1), rate=D("0.25")))
        assert [v.rate for v in queries.vat_versions()][-2:] == [D("0.2400"), D("0.2500")]

    def test_the_scope_is_the_thing_versioned(self, defaults: None) -> None:
        package = NetworkPackage.objects.get(code="V2")
        start = dt.date(2025, 9, 1)
        other_size = NetworkMonthlyFee(
            package=package, valid_from=start, max_fuse_a=80, monthly_fee_amount=D("30.00")
        )
        operations.save_version(other_size)  # no 80 A row yet: nothing to overlap
        same_size = NetworkMonthlyFee(
            package=package, valid_from=start, max_fuse_a=25, monthly_fee_amount=D("9.00")
        )
        with pytest.raises(operations.UnableToSaveVersion, match="<= 25 A"):
            operations.save_version(same_size)

    def test_product_prices_of_one_product(self) -> None:
        fix = ProductPriceFactory(product=ProductFactory(code="FIX")).product
        other = ProductFactory(code="OTHER")
        operations.save_version(ProductPrice(product=other, valid_from=dt.date(2024, 1, 1)))
        with pytest.raises(operations.UnableToSaveVersion, match="FIX from 2024-01-01"):
            operations.save_version(ProductPrice(product=fix, valid_from=dt.date(2025, 1, 1)))

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="exclusion constraint")
    def test_the_database_refuses_what_slips_past_the_check(self, defaults: None) -> None:
        levy = Levy.objects.get(code="EXCISE")
        with pytest.raises(IntegrityError, match="levyrate_no_overlap"), transaction.atomic():
            LevyRate.objects.bulk_create(
                [LevyRate(levy=levy, valid_from=dt.date(2026, 5, 1), unit_price=D("0.00307"))]
            )

    def test_production_prices_of_one_production_product(self) -> None:
        from billing_factories import production_product
        from vool.domain.tariffs.models import ProductionPrice

        solar = production_product("SOLAR", buyback="0.080000")  # from 2025-01-01, open
        later = ProductionPrice(
            production_product=solar, valid_from=dt.date(2026, 8, 1), buyback_price=D("0.07")
        )
        with pytest.raises(operations.UnableToSaveVersion, match="SOLAR from 2025-01-01"):
            operations.save_version(later)
        if connection.vendor == "postgresql":
            with (
                pytest.raises(IntegrityError, match="productionprice_no_overlap"),
                transaction.atomic(),
            ):
                ProductionPrice.objects.bulk_create([later])


class TestAdmin:
    def test_own_page_shows_the_overlap(self, defaults: None, admin_client: Any) -> None:
        response = admin_client.post(
            "/admin/tariffs/vatrate/add/",
            {"valid_from": "2026-01-01", "valid_to": "", "rate": "0.25", "source": "test"},
            **EN,
        )
        assert response.status_code == 200
        assert "Overlaps VAT rate 0.2400" in response.content.decode()
        assert VatRate.objects.count() == 3

    def _levy_form(self, levy: Levy, rates: list[dict[str, str]]) -> dict[str, str]:
        data = {
            "code": levy.code,
            "name_et": levy.name_et,
            "name_en": levy.name_en,
            "position": str(levy.position),
            "rates-TOTAL_FORMS": str(len(rates)),
            "rates-INITIAL_FORMS": str(sum(1 for r in rates if r.get("id"))),
            "rates-MIN_NUM_FORMS": "0",
            "rates-MAX_NUM_FORMS": "1000",
        }
        for i, rate in enumerate(rates):
            data |= {f"rates-{i}-{k}": v for k, v in rate.items()}
            data[f"rates-{i}-levy"] = str(levy.pk)
        return data

    def _rows(self, levy: Levy, end_of_last: str) -> list[dict[str, str]]:
        rows = []
        for rate in levy.rates.order_by("valid_from"):
            rows.append(
                {
                    "id": str(rate.pk),
                    "valid_from": rate.valid_from.isoformat(),
                    "valid_to": rate.valid_to.isoformat() if rate.valid_to else end_of_last,
                    "unit_price": str(rate.unit_price),
                    "source": rate.source,
                    "verified": "on" if rate.verified else "",
                }
            )
        return rows

    def test_inline_ends_one_version_and_adds_the_next_in_one_save(
        self, defaults: None, admin_client: Any
    ) -> None:
        levy = Levy.objects.get(code="EXCISE")
        rows = [
            *self._rows(levy, "2027-01-01"),
            {"valid_from": "2027-01-01", "valid_to": "", "unit_price": "0.00307", "source": "x"},
        ]
        url = f"/admin/tariffs/levy/{levy.pk}/change/"
        response = admin_client.post(url, self._levy_form(levy, rows), **EN)
        assert response.status_code == 302, response.content.decode()[:2000]
        assert levy_rates("EXCISE")[-2:] == [
            (dt.date(2025, 5, 1), dt.date(2027, 1, 1), D("0.002100")),
            (dt.date(2027, 1, 1), None, D("0.003070")),
        ]

    def test_inline_refuses_two_open_versions(self, defaults: None, admin_client: Any) -> None:
        levy = Levy.objects.get(code="EXCISE")
        rows = [
            *self._rows(levy, ""),
            {"valid_from": "2027-01-01", "valid_to": "", "unit_price": "0.00307", "source": "x"},
        ]
        response = admin_client.post(
            f"/admin/tariffs/levy/{levy.pk}/change/", self._levy_form(levy, rows), **EN
        )
        assert response.status_code == 200
        assert "Two versions overlap: [2025-05-01, …) and [2027-01-01, …)" in (
            response.content.decode()
        )
        assert len(levy_rates("EXCISE")) == 3


class TestLoadDefaults:
    def test_refuses_a_file_with_overlapping_versions(self) -> None:
        data = load_defaults()
        data["vat"][1]["valid_to"] = None  # 22 % open-ended next to 24 % from 2025-07-01
        with pytest.raises(
            operations.AmbiguousTariffData,
            match=r"VAT rates: the versions \[2024-01-01, …\) and \[2025-07-01, …\) overlap",
        ):
            operations.load_tariff_data(data, where="defaults.json")
        assert VatRate.objects.count() == 0 and LevyRate.objects.count() == 0

    def test_upgrades_a_database_loaded_with_the_earlier_data(self) -> None:
        operations.load_tariff_data(earlier_data())
        VatRate.objects.filter(valid_from=dt.date(2024, 1, 1)).update(source="checked by us")
        result = operations.load_default_tariffs()
        outcome = result.by_outcome()
        assert ("levy rates", 1) in outcome["withdrawn"]  # excise 3.07 from May 2026
        assert dict(outcome["kept"]) == {"VAT rates": 1}  # the admin edit
        assert levy_rates("EXCISE") == [
            (dt.date(2020, 5, 1), dt.date(2024, 5, 1), D("0.001000")),
            (dt.date(2024, 5, 1), dt.date(2025, 5, 1), D("0.001450")),
            (dt.date(2025, 5, 1), None, D("0.002100")),
        ]
        assert levy_rates("BALANCING_CAPACITY_FEE") == [
            (dt.date(2026, 1, 1), dt.date(2027, 1, 1), D("0.003730"))
        ]
        old_rule = BandRule.objects.get(scheme__code="EE_DAY_NIGHT", valid_from=dt.date(2000, 1, 1))
        assert {w["day_type"] for w in old_rule.windows} == {"WEEKDAY"} and old_rule.verified
        v2 = NetworkMonthlyFee.objects.filter(package__code="V2", max_fuse_a=25)
        assert sorted(v2.values_list("valid_from", "valid_to", "monthly_fee_amount")) == [
            (dt.date(2025, 8, 1), dt.date(2026, 6, 1), D("8.57")),
            (dt.date(2026, 6, 1), None, D("9.83")),
        ]
        assert VatRate.objects.get(valid_from=dt.date(2024, 1, 1)).source == "checked by us"
        assert not any(operations.load_default_tariffs().by_outcome().get("corrected", []))

    def test_an_admin_edit_in_the_way_of_a_correction_is_refused(self) -> None:
        operations.load_tariff_data(earlier_data())
        LevyRate.objects.filter(levy__code="EXCISE", valid_from=dt.date(2026, 5, 1)).update(
            unit_price=D("0.0030")
        )
        with pytest.raises(
            operations.AmbiguousTariffData,
            match=r"levy rate EXCISE 0\.0021 from 2025-05-01 \(2025-05-01 to open end\) overlaps "
            r"EXCISE 0.003000 from 2026-05-01",
        ):
            operations.load_default_tariffs()
        # nothing was written: the excise of May 2025 still ends where the edited one starts
        assert levy_rates("EXCISE")[-2:] == [
            (dt.date(2025, 5, 1), dt.date(2026, 5, 1), D("0.002100")),
            (dt.date(2026, 5, 1), None, D("0.003000")),
        ]


def _rate(product: Product, month: Month, *, package: str | None, fuse: int = 25) -> list[Line]:
    tariff = queries.tariff_for(
        product=product,
        start=month.first_day,
        end=month.next().first_day,
        grid_operator_code="ELEKTRILEVI" if package else None,
        package_code=package,
        main_fuse_a=fuse,
    )
    lines, failed = rate_accounts(
        month=month,
        vat=queries.vat_versions(),
        accounts=[
            AccountMonth(
                1,
                60,
                np.full(_hours(month), 1000),
                (Piece(tariff, month.first_day, month.next().first_day),),
            )
        ],
    )
    assert not failed
    return lines[1]


def _hours(month: Month) -> int:
    start, end = month.bounds()
    return int((end - start).total_seconds() // 3600)


@pytest.fixture
def fixed() -> Product:
    product = ProductFactory(code="FIX", kind=Product.Kind.FIXED)
    ProductPriceFactory(product=product, valid_from=dt.date(2020, 1, 1), energy_price=D("0.1"))
    return product


class TestShippedRates:
    def test_excise_stays_at_2_10_after_may_2026(self, defaults: None, fixed: Product) -> None:
        lines = {ln.component: ln for ln in _rate(fixed, Month(2026, 7), package=None)}
        assert lines["EXCISE"].unit_price == D("0.002100")
        lines = {ln.component: ln for ln in _rate(fixed, Month(2022, 7), package=None)}
        assert lines["EXCISE"].unit_price == D("0.001000")

    def test_balancing_fee_after_2026_is_named_as_missing(
        self, defaults: None, fixed: Product
    ) -> None:
        with pytest.raises(
            queries.MissingTariffData,
            match="Levy BALANCING_CAPACITY_FEE has no version valid on 2027-01-01",
        ):
            _rate(fixed, Month(2027, 1), package=None)

    def test_network_fees_change_on_1_june_2026(self, defaults: None, fixed: Product) -> None:
        fee = {ln.component: ln for ln in _rate(fixed, Month(2026, 6), package="V2")}
        assert fee["NETWORK_FEE"].amount == D("9.83")  # 25 A, 8.57 until May
        fee = {ln.component: ln for ln in _rate(fixed, Month(2026, 5), package="V2")}
        assert fee["NETWORK_FEE"].amount == D("8.57")

    def test_months_before_the_shipped_fees_name_what_is_missing(
        self, defaults: None, fixed: Product
    ) -> None:
        # March 2025: the kWh prices of the list of 1 Oct 2024 are there, its fees are not
        with pytest.raises(
            queries.MissingTariffData,
            match=r"ELEKTRILEVI V2 \(monthly fee for a 25 A main fuse\) has no version valid "
            r"on 2025-03-01; add the price list's monthly fees",
        ):
            _rate(fixed, Month(2025, 3), package="V2")
        with pytest.raises(queries.MissingTariffData, match=r"V5 \(monthly fee .* 2026-06-01"):
            _rate(fixed, Month(2026, 6), package="V5")

    def test_fuses_above_the_price_list_rows_are_refused(
        self, defaults: None, fixed: Product
    ) -> None:
        with pytest.raises(
            queries.MissingTariffData, match="up to 63 A only; a 80 A connection pays"
        ):
            _rate(fixed, Month(2026, 7), package="V1", fuse=80)


class TestProductFee:
    def test_a_fee_change_applies_from_its_date_only(self, defaults: None) -> None:
        product = ProductFactory(code="FIX", kind=Product.Kind.FIXED)
        ProductPriceFactory(
            product=product,
            valid_from=dt.date(2024, 1, 1),
            valid_to=dt.date(2026, 3, 16),
            monthly_fee_amount=D("2.99"),
        )
        ProductPriceFactory(
            product=product, valid_from=dt.date(2026, 3, 16), monthly_fee_amount=D("3.41")
        )
        fees = [ln for ln in _rate(product, Month(2026, 3), package=None) if ln.unit == "DAY"]
        # 15 days x 2.99 / 31 = 1.4468 -> 1.45; 16 days x 3.41 / 31 = 1.76
        assert [(str(f.quantity), str(f.amount), str(f.monthly_amount)) for f in fees] == [
            ("15", "1.45", "2.99"),
            ("16", "1.76", "3.41"),
        ]
        feb = [ln for ln in _rate(product, Month(2026, 2), package=None) if ln.unit == "DAY"]
        assert [str(f.amount) for f in feb] == ["2.99"]  # a rebill of February keeps 2.99

    def test_an_energy_price_change_does_not_split_the_fee(self, defaults: None) -> None:
        product = ProductFactory(code="FIX", kind=Product.Kind.FIXED)
        ProductPriceFactory(product=product, valid_to=dt.date(2026, 3, 16), energy_price=D("0.10"))
        ProductPriceFactory(
            product=product, valid_from=dt.date(2026, 3, 16), energy_price=D("0.12")
        )
        lines = _rate(product, Month(2026, 3), package=None)
        assert [ln.component for ln in lines].count("PRODUCT_FEE") == 1
        assert [ln.component for ln in lines].count("ENERGY") == 2


class TestProductBandScheme:
    def test_a_product_uses_the_scheme_it_names(self, defaults: None) -> None:
        standard = BandScheme.objects.get(code="EE_DAY_NIGHT")
        all_night = BandScheme.objects.create(code="ALL_NIGHT", name="x", bands=["DAY", "NIGHT"])
        BandRule.objects.create(
            scheme=all_night, valid_from=dt.date(2000, 1, 1), default_band="NIGHT", windows=[]
        )
        product = ProductFactory(code="PN", kind=Product.Kind.DAY_NIGHT, band_scheme=all_night)
        ProductPriceFactory(
            product=product, energy_price=None, day_price=D("0.2"), night_price=D("0.1")
        )
        energy = [
            ln for ln in _rate(product, Month(2026, 3), package=None) if ln.component == "ENERGY"
        ]
        assert [(ln.band, str(ln.quantity)) for ln in energy] == [("NIGHT", "743.000")]
        product.band_scheme = standard
        product.save()
        energy = [
            ln for ln in _rate(product, Month(2026, 3), package=None) if ln.component == "ENERGY"
        ]
        assert [ln.band for ln in energy] == ["DAY", "NIGHT"]

    def test_a_scheme_without_day_and_night_is_refused(self, defaults: None) -> None:
        product = ProductFactory(
            code="PN",
            kind=Product.Kind.DAY_NIGHT,
            band_scheme=BandScheme.objects.get(code="EE_V5"),
        )
        ProductPriceFactory(
            product=product, energy_price=None, day_price=D("0.2"), night_price=D("0.1")
        )
        with pytest.raises(queries.MissingTariffData, match="its time bands EE_V5 are DAY"):
            _rate(product, Month(2026, 3), package=None)


def test_the_admin_refuses_a_scheme_a_product_cannot_use(defaults: None) -> None:
    from django.core.exceptions import ValidationError

    v5 = BandScheme.objects.get(code="EE_V5")
    product = ProductFactory(code="PN", kind=Product.Kind.DAY_NIGHT, band_scheme=v5)
    with pytest.raises(ValidationError, match="scheme of the bands DAY and NIGHT"):
        product.full_clean()
    product.kind = Product.Kind.FIXED
    product.band_scheme = BandScheme.objects.get(code="EE_DAY_NIGHT")
    with pytest.raises(ValidationError, match="Only a day/night product has time bands"):
        product.full_clean()


def test_load_defaults_command_says_what_overlaps() -> None:
    from django.core.management import CommandError, call_command

    operations.load_tariff_data(earlier_data())
    LevyRate.objects.filter(levy__code="EXCISE", valid_from=dt.date(2026, 5, 1)).update(
        unit_price=D("0.0030")
    )
    with pytest.raises(CommandError, match=r"defaults\.json: levy rate EXCISE .* overlaps"):
        call_command("tariffs", "load-defaults")
