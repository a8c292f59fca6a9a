"""Shadow billing: compare Vool's bill of a month with the legacy bill of the same month,
per account, and sort the differences. Pure: no Django (the use case
:mod:`vool.usecases.legacy_shadow` reads the bills and prices the month)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

CENT = Decimal("0.01")
ZERO = Decimal(0)
# the upper bounds (EUR, inclusive) of the buckets of the absolute difference; last is "more"
BUCKETS: tuple[tuple[str, Decimal], ...] = (
    ("0", ZERO),
    ("<=0.01", CENT),
    ("<=1", Decimal(1)),
    ("<=10", Decimal(10)),
)
OVER = ">10"
UNEXPLAINED = "unexplained"
# words in a legacy line's text → the component it is compared as
KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("EXCISE", ("aktsiis", "excise")),
    ("RENEWABLE", ("taastuv", "renewable")),
    ("NETWORK", ("võrgu", "network", "grid")),
    ("MONTHLY_FEE", ("kuutasu", "monthly fee")),
    ("GREEN", ("roheline", "green")),
)
# Vool's component codes → the same names; a code not here (a charge the old system did not
# bill, e.g. the network's monthly fee, the balancing capacity fee) is compared as itself
VOOL_COMPONENTS = {
    "ENERGY": "ENERGY",
    "GREEN": "GREEN",
    "NETWORK_ENERGY": "NETWORK",
    "PRODUCT_FEE": "MONTHLY_FEE",
    "RENEWABLE_FEE": "RENEWABLE",
    "EXCISE": "EXCISE",
}


def legacy_component(description: str) -> str:
    """The component a legacy bill line is compared as, from its text: excise, renewable
    charge, network, monthly fee; everything else is energy."""
    lowered = description.lower()
    for kind, words in KINDS:
        if any(word in lowered for word in words):
            return kind
    return "ENERGY"


def vool_component(code: str) -> str:
    """The component a Vool line (by its component code) is compared as."""
    return VOOL_COMPONENTS.get(code, code)


@dataclass(frozen=True)
class BillLine:
    component: str  # as :func:`legacy_component` / :func:`vool_component` name it
    quantity: Decimal
    unit: str
    unit_price: Decimal | None
    amount: Decimal


def fold_margin(lines: Sequence[BillLine]) -> tuple[BillLine, ...]:
    """Vool's lines with each exchange MARGIN line folded into the ENERGY line of the same
    quantity — one line at spot + margin, as the old system billed it — so that the two are
    compared as one energy charge (the amounts are added, nothing is re-rounded)."""
    result = [x for x in lines if x.component != "MARGIN"]
    for margin in (x for x in lines if x.component == "MARGIN"):
        at = next(
            (
                i
                for i, x in enumerate(result)
                if x.component == "ENERGY" and x.quantity == margin.quantity
            ),
            None,
        )
        energy_price = None if at is None else result[at].unit_price
        if at is None or energy_price is None or margin.unit_price is None:
            result.append(margin)
            continue
        result[at] = BillLine(
            "ENERGY",
            margin.quantity,
            margin.unit,
            energy_price + margin.unit_price,
            result[at].amount + margin.amount,
        )
    return tuple(result)


@dataclass(frozen=True)
class Bill:
    lines: tuple[BillLine, ...]  # without VAT
    vat: Decimal
    total: Decimal  # with VAT


@dataclass(frozen=True)
class Part:
    """One attributed (or unexplained) piece of an account's difference."""

    component: str
    # only in legacy | only in Vool | other unit | quantity | unit price | day/night split |
    # rounding | VAT | unexplained
    cause: str
    legacy: Decimal
    vool: Decimal

    @property
    def difference(self) -> Decimal:
        return self.vool - self.legacy


@dataclass(frozen=True)
class AccountComparison:
    account: str  # the old account key
    legacy_total: Decimal | None  # None: no legacy bill of the month
    vool_total: Decimal | None  # None: Vool could not bill it (see ``exception``)
    parts: tuple[Part, ...] = ()
    exception: str = ""

    @property
    def difference(self) -> Decimal:
        return (self.vool_total or ZERO) - (self.legacy_total or ZERO)

    @property
    def equal(self) -> bool:
        return (
            self.legacy_total is not None
            and self.vool_total is not None
            and abs(self.difference) <= CENT
        )

    @property
    def bucket(self) -> str:
        return bucket_of(abs(self.difference))

    @property
    def explained(self) -> bool:
        """Billed on both sides and every cent of the difference attributed to a line."""
        if self.legacy_total is None or self.vool_total is None:
            return False
        return all(p.cause != UNEXPLAINED for p in self.parts)


@dataclass
class ShadowReport:
    period: str
    accounts: list[AccountComparison] = field(default_factory=list)

    def distribution(self) -> dict[str, int]:
        counts = {name: 0 for name, _ in BUCKETS} | {OVER: 0}
        for a in self.accounts:
            counts[a.bucket] += 1
        return counts

    @property
    def unexplained(self) -> list[AccountComparison]:
        """The accounts that stop the go-live: a difference no line explains, or a legacy
        bill Vool could not bill again (its exception is the reason to work on)."""
        return [a for a in self.accounts if not a.explained]

    @property
    def ok(self) -> bool:
        return bool(self.accounts) and not self.unexplained

    def to_look_at(self, limit: int = 20) -> list[AccountComparison]:
        """The accounts that differ, largest absolute difference first."""
        differing = [a for a in self.accounts if not a.equal]
        return sorted(differing, key=lambda a: (-abs(a.difference), a.account))[:limit]


def bucket_of(amount: Decimal) -> str:
    for name, bound in BUCKETS:
        if amount <= bound:
            return name
    return OVER


def _by_component(lines: Iterable[BillLine]) -> dict[str, list[BillLine]]:
    by: dict[str, list[BillLine]] = {}
    for line in lines:
        by.setdefault(line.component, []).append(line)
    return by


def _cause(legacy: Sequence[BillLine], vool: Sequence[BillLine]) -> str:
    if not vool:
        return "only in legacy"
    if not legacy:
        return "only in Vool"
    units = (sorted({x.unit.lower() for x in legacy}), sorted({x.unit.lower() for x in vool}))
    if units[0] != units[1]:
        return f"other unit ({','.join(units[0])} / {','.join(units[1])})"
    quantity = (sum((x.quantity for x in legacy), ZERO), sum((x.quantity for x in vool), ZERO))
    if quantity[0] != quantity[1]:
        return "quantity"
    if {x.unit_price for x in legacy} != {x.unit_price for x in vool}:
        return "unit price"
    if _quantity_by_price(legacy) != _quantity_by_price(vool):
        # the same kWh at the same prices, shared out otherwise between them: the day and
        # night lines of a day/night tariff (not rounding: a split can move euros)
        return "day/night split"
    return "rounding"


def _quantity_by_price(lines: Sequence[BillLine]) -> dict[Decimal | None, Decimal]:
    by: dict[Decimal | None, Decimal] = {}
    for x in lines:
        by[x.unit_price] = by.get(x.unit_price, ZERO) + x.quantity
    return by


def compare(
    account: str, legacy: Bill | None, vool: Bill | None, exception: str = ""
) -> AccountComparison:
    """One account: equal within a cent, or its difference by component (a component on one
    side only, another quantity, another unit price, the same quantity split otherwise between
    the day and night prices, rounding) and VAT; what they do not
    explain — a legacy bill whose total is not its lines plus VAT — is "unexplained"."""
    if legacy is None or vool is None:
        missing = "no legacy bill of the month" if legacy is None else "not billed in Vool"
        return AccountComparison(
            account,
            legacy.total if legacy else None,
            vool.total if vool else None,
            exception=exception or missing,
        )
    result = AccountComparison(account, legacy.total, vool.total)
    if result.equal:
        return result
    old, new = _by_component(legacy.lines), _by_component(vool.lines)
    parts = []
    for component in sorted(old.keys() | new.keys()):
        a = sum((x.amount for x in old.get(component, ())), ZERO)
        b = sum((x.amount for x in new.get(component, ())), ZERO)
        if a != b:
            cause = _cause(old.get(component, ()), new.get(component, ()))
            parts.append(Part(component, cause, a, b))
    if legacy.vat != vool.vat:
        parts.append(Part("VAT", "VAT", legacy.vat, vool.vat))
    rest = result.difference - sum((p.difference for p in parts), ZERO)
    if rest != ZERO:
        parts.append(Part("TOTAL", UNEXPLAINED, ZERO, rest))
    return AccountComparison(account, legacy.total, vool.total, tuple(parts))
