"""The tariffs a bill run prices with: built from the tariffs app's dated data once per
(month, product, network package, fuse) and reused by the run's next chunks in the process.

Tariff data do not change under a run, so a :class:`TariffBook` belongs to one run (its
token, :func:`for_scope`); the next run starts a new book. A rebill, priced outside a run,
uses a book of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from vool.common.localtime import Month
from vool.domain.billing.consumption import Network, Product
from vool.domain.billing.reasons import MISSING_PRICE, Unbillable
from vool.domain.tariffs import net_rules, rating
from vool.domain.tariffs import queries as tariff_queries
from vool.domain.tariffs.bands import BandScheme

__all__ = [
    "PRODUCTION",
    "TariffBook",
    "TariffKey",
    "for_scope",
    "true_up_tariff",
    "uses_market",
]

PRODUCTION = net_rules.PRODUCTION_COMPONENT  # the surplus credit line's component


@dataclass(frozen=True)
class TariffKey:
    """What a point's tariff depends on: the product (and green add-on) and the network."""

    product: Product
    network: Network


def uses_market(tariffs: Iterable[rating.Tariff]) -> bool:
    """Whether any energy price of ``tariffs`` follows the exchange."""
    return any(
        isinstance(c, rating.EnergyComponent) and c.market for t in tariffs for c in t.components
    )


def true_up_tariff(tariff: rating.Tariff) -> rating.Tariff:
    """The per-kWh part of ``tariff`` (energy components only): true-ups bill energy, never a
    monthly fee again."""
    return rating.Tariff(
        f"{tariff.code}:TRUE_UP",
        tuple(c for c in tariff.components if isinstance(c, rating.EnergyComponent)),
    )


@dataclass
class TariffBook:
    """Tariffs (or why one cannot be built) by month and key, the VAT rates, the month's market
    prices and the day/night band scheme, each loaded once."""

    built: dict[tuple[Month, TariffKey], rating.Tariff | str] = field(default_factory=dict)
    true_up: dict[int, rating.Tariff] = field(default_factory=dict)
    market: dict[Month, rating.MarketPrices] = field(default_factory=dict)
    production: dict[tuple[Month, int], rating.Tariff | str] = field(default_factory=dict)
    _vat: tuple[rating.VatVersion, ...] | None = None
    _net_rules: tuple[net_rules.NetRule, ...] | None = None
    _net_days: dict[Month, list[bool]] = field(default_factory=dict)
    _day_night: BandScheme | None = None

    def load(self, month: Month, keys: Iterable[TariffKey]) -> None:
        """Build the tariffs of ``keys`` in ``month`` not built yet (one query for products)."""
        wanted = {k for k in keys if (month, k) not in self.built}
        if not wanted:
            return
        products = tariff_queries.products_by_id(
            product_ids={product_id for product_id, _green in (k.product for k in wanted)}
        )
        for key in wanted:
            product_id, green = key.product
            try:
                self.built[(month, key)] = tariff_queries.tariff_for(
                    product=products[product_id],
                    start=month.first_day,
                    end=month.next().first_day,
                    grid_operator_code=key.network.grid_operator_code,
                    package_code=key.network.package_code,
                    main_fuse_a=key.network.main_fuse_a,
                    is_apartment=key.network.is_apartment,
                    green=green,
                )
            except (tariff_queries.MissingTariffData, ValueError) as exc:
                self.built[(month, key)] = str(exc)

    def missing(self, month: Month, key: TariffKey) -> str | None:
        """Why the tariff of ``key`` in ``month`` cannot be built (None: it can)."""
        self.load(month, [key])
        found = self.built[(month, key)]
        return found if isinstance(found, str) else None

    def tariff(self, month: Month, key: TariffKey) -> rating.Tariff:
        """The tariff of ``key`` in ``month``; :class:`Unbillable` when it cannot be built."""
        self.load(month, [key])
        found = self.built[(month, key)]
        if isinstance(found, str):
            raise Unbillable(MISSING_PRICE, found)
        return found

    def true_up_tariff(self, month: Month, key: TariffKey) -> rating.Tariff:
        """The per-kWh part of the tariff (:func:`true_up_tariff`), one object per tariff."""
        tariff = self.tariff(month, key)
        if id(tariff) not in self.true_up:
            self.true_up[id(tariff)] = true_up_tariff(tariff)
        return self.true_up[id(tariff)]

    def begin(self) -> None:
        """Start pricing a chunk: the VAT rates, market prices and band scheme are read again
        (only the tariffs carry over between chunks)."""
        self.market.clear()
        self._vat = None
        self._net_rules = None
        self._net_days.clear()
        self._day_night = None

    def vat(self) -> tuple[rating.VatVersion, ...]:
        if self._vat is None:
            self._vat = tariff_queries.vat_versions()
        return self._vat

    def market_prices(
        self, month: Month, tariffs: Iterable[rating.Tariff]
    ) -> rating.MarketPrices | None:
        """The month's market prices when any of ``tariffs`` follows the exchange, else None."""
        if not uses_market(tariffs):
            return None
        if month not in self.market:
            self.market[month] = tariff_queries.market_prices(month)
        return self.market[month]

    def net_rules(self) -> tuple[net_rules.NetRule, ...]:
        if self._net_rules is None:
            self._net_rules = tariff_queries.net_billing_rules()
        return self._net_rules

    def net_days(self, month: Month) -> list[bool]:
        """For each day of ``month``: prosumer points are billed on net quantities (worked
        out once per month and chunk, not per point)."""
        if month not in self._net_days:
            self._net_days[month] = net_rules.net_days(
                self.net_rules(), month.first_day, month.next().first_day
            )
        return self._net_days[month]

    def load_production(self, month: Month, product_ids: Iterable[int]) -> None:
        """Build the production tariffs of ``product_ids`` in ``month`` (two queries)."""
        wanted = {p for p in product_ids if (month, p) not in self.production}
        if not wanted:
            return
        built = tariff_queries.production_tariffs(
            production_product_ids=wanted, start=month.first_day, end=month.next().first_day
        )
        for product_id in wanted:
            self.production[(month, product_id)] = built.get(
                product_id, f"Production product {product_id} does not exist"
            )

    def production_tariff(self, month: Month, product_id: int) -> rating.Tariff:
        """The tariff a surplus is credited at; :class:`Unbillable` when it cannot be built."""
        self.load_production(month, [product_id])
        found = self.production[(month, product_id)]
        if isinstance(found, str):
            raise Unbillable(MISSING_PRICE, found)
        return found

    def rate_production(
        self, month: Month, accounts: Sequence[rating.AccountMonth]
    ) -> tuple[dict[object, list[rating.Line]], dict[object, Exception]]:
        """The surplus credits of ``accounts`` in ``month``, at the net rule's VAT (none for a
        private producer who is not VAT-registered)."""
        return rating.rate_accounts(
            month=month,
            accounts=accounts,
            vat=net_rules.surplus_vat(self.net_rules()),
            market=self.market_prices(month, (p.tariff for a in accounts for p in a.pieces)),
        )

    def day_night(self) -> BandScheme:
        """The day/night bands DAY and NIGHT registers are spread over."""
        if self._day_night is None:
            try:
                self._day_night = tariff_queries.band_scheme(
                    tariff_queries.PRODUCT_DAY_NIGHT_SCHEME
                )
            except tariff_queries.MissingTariffData as exc:
                raise Unbillable(MISSING_PRICE, str(exc)) from exc
        return self._day_night

    def rate(
        self, month: Month, accounts: Sequence[rating.AccountMonth]
    ) -> tuple[dict[object, list[rating.Line]], dict[object, Exception]]:
        """The kernel's lines (and failures) of ``accounts`` in ``month``."""
        return rating.rate_accounts(
            month=month,
            accounts=accounts,
            vat=self.vat(),
            market=self.market_prices(month, (p.tariff for a in accounts for p in a.pieces)),
        )


# The book of the run this process is pricing chunks of (one slot: a worker prices one run's
# chunks at a time; a chunk of another run starts a new book).
class _ScopedBook(NamedTuple):
    scope: object
    book: TariffBook


_current: list[_ScopedBook] = []


def for_scope(scope: object | None) -> TariffBook:
    """The run's book (``scope`` is the run's token), begun for a new chunk; a new, private
    book without a scope."""
    if scope is None:
        return TariffBook()
    if not _current or _current[0].scope != scope:
        _current[:] = [_ScopedBook(scope, TariffBook())]
    book = _current[0].book
    book.begin()
    return book
