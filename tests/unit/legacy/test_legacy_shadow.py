"""The shadow comparison of a legacy bill with Vool's bill of the same month (pure)."""

from __future__ import annotations

from decimal import Decimal as D

from vool.domain.legacy.shadow import (
    Bill,
    BillLine,
    ShadowReport,
    bucket_of,
    compare,
    fold_margin,
    legacy_component,
    vool_component,
)


def line(component: str, quantity: str, price: str, amount: str, unit: str = "kWh") -> BillLine:
    return BillLine(component, D(quantity), unit, D(price), D(amount))


ENERGY = line("ENERGY", "100.000", "0.120000", "12.00")
NETWORK = line("NETWORK", "100.000", "0.060000", "6.00")


def bill(*lines: BillLine, vat: str = "4.32", total: str | None = None) -> Bill:
    net = sum((x.amount for x in lines), D(0))
    return Bill(tuple(lines), D(vat), D(total) if total else net + D(vat))


def test_components_of_legacy_text_and_vool_codes() -> None:
    assert legacy_component("Elektriaktsiis") == "EXCISE"
    assert legacy_component("Taastuvenergia tasu") == "RENEWABLE"
    assert legacy_component("Võrguteenus") == "NETWORK"
    assert legacy_component("Kuutasu") == "MONTHLY_FEE"
    assert legacy_component("Kodu Fix, päev") == "ENERGY"
    assert vool_component("NETWORK_ENERGY") == "NETWORK"
    assert vool_component("PRODUCT_FEE") == "MONTHLY_FEE"
    assert vool_component("BALANCING_CAPACITY_FEE") == "BALANCING_CAPACITY_FEE"


def test_equal_within_a_cent() -> None:
    c = compare("7", bill(ENERGY, NETWORK), bill(ENERGY, NETWORK, total="22.33"))
    assert c.equal and c.parts == () and c.bucket == "<=0.01"
    assert compare("7", bill(ENERGY), bill(ENERGY)).bucket == "0"


def test_component_on_one_side_only() -> None:
    c = compare("7", bill(ENERGY, NETWORK, vat="4.32"), bill(ENERGY, vat="2.88"))
    assert not c.equal and c.difference == D("-7.44")
    assert [(p.component, p.cause, p.difference) for p in c.parts] == [
        ("NETWORK", "only in legacy", D("-6.00")),
        ("VAT", "VAT", D("-1.44")),
    ]


def test_quantity_then_unit_price() -> None:
    more = line("ENERGY", "110.000", "0.120000", "13.20")
    dearer = line("ENERGY", "100.000", "0.130000", "13.00")
    assert compare("1", bill(ENERGY), bill(more)).parts[0].cause == "quantity"
    assert compare("1", bill(ENERGY), bill(dearer)).parts[0].cause == "unit price"
    month = line("MONTHLY_FEE", "1", "2.990000", "2.99", "kuu")
    days = line("MONTHLY_FEE", "31", "0.218387", "6.77", "DAY")
    assert compare("1", bill(month), bill(days)).parts[0].cause == "other unit (kuu / day)"
    rounded = line("ENERGY", "100.000", "0.120000", "12.05")
    assert compare("1", bill(ENERGY), bill(rounded)).parts[0].cause == "rounding"


def test_day_and_night_shared_out_otherwise_is_a_split_not_rounding() -> None:
    day, night = (
        line("ENERGY", "60.000", "0.120000", "7.20"),
        line("ENERGY", "40.000", "0.080000", "3.20"),
    )
    more_day = line("ENERGY", "70.000", "0.120000", "8.40")
    less_night = line("ENERGY", "30.000", "0.080000", "2.40")
    c = compare("1", bill(day, night), bill(more_day, less_night))
    assert [(p.component, p.cause, p.difference) for p in c.parts] == [
        ("ENERGY", "day/night split", D("0.40"))
    ]
    assert c.explained
    day_rounded = line("ENERGY", "60.000", "0.120000", "7.25")
    assert compare("1", bill(day, night), bill(day_rounded, night)).parts[0].cause == "rounding"


def test_a_legacy_total_that_does_not_add_up_is_unexplained() -> None:
    c = compare("9", bill(ENERGY, total="17.32"), bill(ENERGY))
    assert [(p.cause, p.difference) for p in c.parts] == [("unexplained", D("-1.00"))]


def test_missing_sides() -> None:
    assert compare("9", None, bill(ENERGY)).exception == "no legacy bill of the month"
    c = compare("9", bill(ENERGY), None, "NO_CONTRACT: none")
    assert c.exception == "NO_CONTRACT: none" and not c.equal


def test_buckets_and_the_accounts_to_look_at_first() -> None:
    assert [bucket_of(D(x)) for x in ("0", "0.01", "0.5", "10", "10.01")] == [
        "0",
        "<=0.01",
        "<=1",
        "<=10",
        ">10",
    ]
    report = ShadowReport("2026-10")
    report.accounts = [
        compare("a", bill(ENERGY), bill(ENERGY)),
        compare("b", bill(ENERGY), bill(ENERGY, total="40.00")),
        compare("c", bill(ENERGY), bill(ENERGY, total="15.00")),
    ]
    assert report.distribution() == {"0": 1, "<=0.01": 0, "<=1": 0, "<=10": 1, ">10": 1}
    assert [a.account for a in report.to_look_at()] == ["b", "c"]


def test_the_exchange_margin_is_folded_into_the_energy_line() -> None:
    spot = line("ENERGY", "100.000", "0.090000", "9.00")
    margin = line("MARGIN", "100.000", "0.006900", "0.69")
    fee = line("MONTHLY_FEE", "1", "1.99", "1.99", unit="kuu")
    assert fold_margin([spot, margin, fee]) == (
        line("ENERGY", "100.000", "0.096900", "9.69"),
        fee,
    )
    # no energy line of the same quantity: the margin stays a line of its own
    other = line("MARGIN", "50.000", "0.006900", "0.35")
    assert fold_margin([spot, other]) == (spot, other)
    assert legacy_component("Roheline energia") == vool_component("GREEN") == "GREEN"


def test_the_go_live_rule_of_a_shadow_run() -> None:
    explained = compare(
        "1", bill(ENERGY, NETWORK), bill(ENERGY, line("NETWORK", "100", "0.07", "7.00"), vat="4.56")
    )
    assert not explained.equal and explained.explained
    assert {p.cause for p in explained.parts} == {"unit price", "VAT"}
    broken = compare("2", bill(ENERGY, NETWORK, total="30.00"), bill(ENERGY, NETWORK))
    assert not broken.explained and broken.parts[-1].cause == "unexplained"
    not_billed = compare("3", bill(ENERGY), None, "MISSING_PRICE: no market price")
    assert not not_billed.explained
    assert ShadowReport("2026-10", [explained]).ok
    report = ShadowReport("2026-10", [explained, broken, not_billed])
    assert not report.ok and report.unexplained == [broken, not_billed]
    assert not ShadowReport("2026-10").ok  # nothing compared proves nothing
