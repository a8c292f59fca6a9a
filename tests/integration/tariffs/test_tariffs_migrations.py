"""Existing databases migrate cleanly: the product fee moves into dated prices, and
overlapping versions already saved stop the no-overlap migration with a list of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("tariffs", "0002_dated_tariff_data")]
FEE_DATED = [("tariffs", "0003_h3_dated_product_fee")]
LATEST = [("tariffs", "0004_h3_no_overlap")]


@pytest.fixture
def executor(transactional_db: None) -> Iterator[MigrationExecutor]:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        yield executor
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def _migrate(executor: MigrationExecutor, target: list[tuple[str, str]]) -> object:
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def test_the_product_fee_becomes_a_dated_price(executor: MigrationExecutor) -> None:
    apps = executor.loader.project_state(BEFORE).apps
    Product = apps.get_model("tariffs", "Product")
    ProductPrice = apps.get_model("tariffs", "ProductPrice")
    common = {"name_et": "x", "name_ru": "x", "name_en": "x", "segment": "HOUSEHOLD"}
    fix = Product.objects.create(
        code="FIX",
        kind="FIXED",
        monthly_fee_amount=Decimal("2.99"),
        on_sale_from=dt.date(2024, 1, 1),
        **common,
    )
    ProductPrice.objects.create(
        product=fix,
        valid_from=dt.date(2024, 1, 1),
        valid_to=dt.date(2026, 1, 1),
        energy_price=Decimal("0.139"),
    )
    ProductPrice.objects.create(
        product=fix, valid_from=dt.date(2026, 1, 1), energy_price=Decimal("0.129")
    )
    Product.objects.create(
        code="NEW",
        kind="FIXED",
        monthly_fee_amount=Decimal("1.50"),
        on_sale_from=dt.date(2026, 3, 1),
        **common,
    )

    apps = _migrate(executor, FEE_DATED)
    ProductPrice = apps.get_model("tariffs", "ProductPrice")  # type: ignore[attr-defined]
    assert sorted(
        ProductPrice.objects.values_list("product__code", "valid_from", "monthly_fee_amount")
    ) == [
        ("FIX", dt.date(2024, 1, 1), Decimal("2.99")),
        ("FIX", dt.date(2026, 1, 1), Decimal("2.99")),
        ("NEW", dt.date(2026, 3, 1), Decimal("1.50")),
    ]


def test_overlapping_versions_already_saved_are_listed(executor: MigrationExecutor) -> None:
    apps = _migrate(executor, FEE_DATED)
    Levy = apps.get_model("tariffs", "Levy")  # type: ignore[attr-defined]
    LevyRate = apps.get_model("tariffs", "LevyRate")  # type: ignore[attr-defined]
    excise = Levy.objects.create(code="EXCISE", name_et="x", name_en="x")
    first = LevyRate.objects.create(
        levy=excise, valid_from=dt.date(2025, 5, 1), unit_price=Decimal("0.0021")
    )
    second = LevyRate.objects.create(
        levy=excise, valid_from=dt.date(2026, 5, 1), unit_price=Decimal("0.00307")
    )
    with pytest.raises(RuntimeError, match=f"LevyRate {first.pk} .*and {second.pk}"):
        _migrate(executor, LATEST)
    LevyRate.objects.filter(pk=first.pk).update(valid_to=dt.date(2026, 5, 1))
    _migrate(executor, LATEST)
