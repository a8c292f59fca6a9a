"""A chunk's points ready for the rating kernel: read what they are billed from (set-based,
through each domain's queries) and assemble each point's month (:class:`Assembled`).

* :func:`point_months` — each (account, point) supplied in the period with its contract pieces
  and network (``contracts.queries.live_contracts``, ``supply.queries.tariff_facts``);
* :func:`load_sources` — interval data at the cut-off for remote points, registers and readings
  for manual points once the reading window has closed (:class:`Sources`);
* :func:`assemble` / :func:`assemble_all` — the kernel's input for each point, from the pure
  parts (:mod:`vool.domain.billing.consumption`); an account with a point that cannot be
  billed fails as a whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from vool.common.localtime import Month
from vool.domain.billing import consumption, manual, tariff_book
from vool.domain.billing.consumption import PointMonth, TrueUp
from vool.domain.billing.priced import PointKey, PricedAccounts
from vool.domain.billing.reasons import MISSING_PRICE, WINDOW_OPEN, Unbillable
from vool.domain.billing.tariff_book import TariffBook, TariffKey
from vool.domain.contracts import queries as contract_queries
from vool.domain.metering import queries as metering_queries
from vool.domain.metering.intervals import KnownDay
from vool.domain.metering.window import ReadingWindow
from vool.domain.supply import queries as supply_queries
from vool.domain.tariffs import rating

__all__ = [
    "Assembled",
    "Sources",
    "assemble",
    "assemble_all",
    "load_sources",
    "point_months",
    "tariff_key",
]


def tariff_key(point: PointMonth, product: consumption.Product) -> TariffKey:
    return TariffKey(product, point.network)


def point_months(
    *, billing_account_ids: Sequence[int], period: Month
) -> dict[PointKey, PointMonth]:
    """Each (account, point) supplied in ``period`` with its contract pieces and network."""
    points: dict[PointKey, PointMonth] = {}
    for contract in contract_queries.live_contracts(
        start=period.first_day,
        end=period.next().first_day,
        billing_account_ids=billing_account_ids,
    ):
        key = PointKey(contract.billing_account_id, contract.metering_point_id)
        point = points.setdefault(key, PointMonth(key.point_id, key.account_id, True))
        piece = consumption.pieces_in(
            period,
            (contract.product_id, contract.green_energy),
            contract.valid_from,
            contract.valid_to,
            contract.production_product_id,
        )
        assert piece is not None  # a live contract of the period has days in it
        point.pieces.append(piece)
    facts = supply_queries.tariff_facts(point_ids={p.point_id for p in points.values()})
    for point in points.values():
        fact = facts[point.point_id]
        point.remote = fact.remote
        point.network = consumption.Network(
            fact.grid_operator_code, fact.network_package_code, fact.main_fuse_a, fact.is_apartment
        )
    return points


@dataclass
class Sources:
    """What the chunk's points are billed from, loaded set-based."""

    days: dict[int, dict[dt.date, KnownDay]]  # remote points: interval data at the cut-off
    manual: manual.ManualReadings  # manual points: registers and readings at the cut-off
    window_open: bool  # manual points wait for the reading window to close


def load_sources(
    points: dict[PointKey, PointMonth],
    *,
    period: Month,
    as_of: dt.datetime,
    window: ReadingWindow,
    run_id: int | None,
) -> Sources:
    remote_ids = [p.point_id for p in points.values() if p.remote]
    manual_ids = [p.point_id for p in points.values() if not p.remote]
    days = metering_queries.interval_days_known_at(
        point_ids=remote_ids,
        first_day=period.first_day,
        end_day=period.next().first_day,
        as_of=as_of,
    )
    window_open = bool(manual_ids) and not window.is_closed(period, as_of=as_of)
    readings = manual.ManualReadings()
    if manual_ids and not window_open:
        readings = manual.load_readings(
            point_ids=manual_ids, period=period, window=window, as_of=as_of, run_id=run_id
        )
    return Sources(days, readings, window_open)


@dataclass(frozen=True)
class Assembled:
    """One point's month ready for the kernel."""

    key: PointKey
    account: rating.AccountMonth
    estimated: bool
    basis: dict[str, Any]
    true_ups: list[TrueUp]  # manual points: months billed on estimates
    production: rating.AccountMonth | None = None  # a prosumer's surplus, to be credited


def assemble(point: PointMonth, period: Month, sources: Sources, book: TariffBook) -> Assembled:
    """The kernel's input for one point; raises :class:`Unbillable`."""
    for piece in point.pieces:
        reason = book.missing(period, tariff_key(point, piece.product))
        if reason is not None:
            raise Unbillable(MISSING_PRICE, reason)
    tariffs = [book.tariff(period, tariff_key(point, piece.product)) for piece in point.pieces]
    true_ups: list[TrueUp] = []
    production = None
    if point.remote:
        net_days = book.net_days(period)
        remote = consumption.remote_energy(
            point, period, sources.days.get(point.point_id, {}), net_days
        )
        minutes, energy, estimated, basis = (
            remote.minutes,
            remote.energy_wh,
            remote.estimated,
            remote.basis,
        )
        production = consumption.production_month(
            point, period, remote, net_days, lambda p: book.production_tariff(period, p)
        )
    elif sources.window_open:
        raise Unbillable(
            WINDOW_OPEN,
            f"The reading window for {period} is still open; manual points are billed "
            "after it closes.",
        )
    else:
        use = consumption.manual_energy(
            account_id=point.account_id,
            month=period,
            spans=point.spans,
            registers=sources.manual.registers.get(point.point_id, []),
            data=sources.manual,
            scheme=book.day_night,
            profile=tariff_book.uses_market(tariffs),
        )
        minutes, energy, estimated, basis = (
            consumption.MANUAL_MINUTES,
            use.energy_wh,
            use.estimated,
            use.basis,
        )
        true_ups = [
            TrueUp(point.account_id, point.point_id, month, kinds, use.basis)
            for month, kinds in sorted(use.true_ups.items())
        ]
    account = rating.AccountMonth(
        account_id=(point.account_id, point.point_id, False),
        minutes=minutes,
        energy_wh=energy,
        pieces=tuple(
            rating.Piece(tariff, piece.first_day, piece.end_day)
            for tariff, piece in zip(tariffs, point.pieces, strict=True)
        ),
    )
    return Assembled(
        PointKey(point.account_id, point.point_id), account, estimated, basis, true_ups, production
    )


def assemble_all(
    points: dict[PointKey, PointMonth],
    period: Month,
    sources: Sources,
    book: TariffBook,
    result: PricedAccounts,
) -> list[Assembled]:
    """Every point's month, in order; an account with a point that cannot be billed fails
    as a whole."""
    assembled: list[Assembled] = []
    for point in points.values():
        if point.account_id in result.failed:
            continue
        try:
            assembled.append(assemble(point, period, sources, book))
        except Unbillable as exc:
            result.fail(point.account_id, exc.code, exc.reason)
    return [a for a in assembled if a.key.account_id not in result.failed]
