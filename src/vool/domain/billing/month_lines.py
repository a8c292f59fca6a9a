"""The lines of a chunk's bills: the month rated by the kernel, the true-ups of manual points,
and the plausibility guard over the result; each line's revenue account.

* :func:`rate_month` — the kernel (``tariffs.rating`` through the run's tariff book) prices
  every assembled point's month; the lines go on their account's bill (:func:`draft_lines`);
* :func:`manual_true_ups` — months billed on estimates, each priced at the month it corrects
  (:func:`vool.domain.billing.manual.price_true_ups`);
* :func:`hold_implausible` — bills that look wrong become exceptions for a person
  (:mod:`vool.domain.billing.guard`; :func:`guard_figures` are the figures it judges).
"""

from __future__ import annotations

from collections.abc import Sequence

from vool.common.localtime import Month
from vool.domain.billing import consumption, guard, manual, tariff_book
from vool.domain.billing.assembly import Assembled
from vool.domain.billing.consumption import PointMonth, TrueUp
from vool.domain.billing.priced import DraftLine, PointKey, PricedAccounts
from vool.domain.billing.reasons import MISSING_PRICE
from vool.domain.billing.tariff_book import TariffBook, TariffKey
from vool.domain.ledger.models import LedgerAccount
from vool.domain.tariffs import rating

__all__ = [
    "LEDGER_ACCOUNT_OF_COMPONENT",
    "draft_lines",
    "guard_figures",
    "hold_implausible",
    "ledger_account_of",
    "manual_true_ups",
    "rate_month",
]

LEDGER_ACCOUNT_OF_COMPONENT = {
    "ENERGY": LedgerAccount.REVENUE_ENERGY,
    "MARGIN": LedgerAccount.REVENUE_ENERGY,
    "GREEN": LedgerAccount.REVENUE_ENERGY,
    "PRODUCT_FEE": LedgerAccount.REVENUE_FEES,
    "NETWORK_ENERGY": LedgerAccount.REVENUE_NETWORK,
    "NETWORK_FEE": LedgerAccount.REVENUE_NETWORK,
    # a prosumer's surplus bought on the bill (a credit line): a purchase, not revenue
    tariff_book.PRODUCTION: LedgerAccount.PRODUCTION_COST,
}


def ledger_account_of(component: str) -> str:
    """Revenue account of a bill component; every other component is a levy (excise,
    renewable-energy fee, ...), passed through."""
    return LEDGER_ACCOUNT_OF_COMPONENT.get(component, LedgerAccount.REVENUE_LEVIES)


def draft_lines(item: Assembled, lines: list[rating.Line]) -> list[DraftLine]:
    return [
        DraftLine(
            metering_point_id=item.key.point_id,
            line=line,
            ledger_account=ledger_account_of(line.component),
            is_estimated=item.estimated and line.unit == "KWH",
            is_true_up=False,
            basis=item.basis if line.unit == "KWH" else {},
        )
        for line in lines
    ]


def credit_lines(item: Assembled, lines: list[rating.Line]) -> list[DraftLine]:
    """The surplus credit of a prosumer point (negative kWh, positive price)."""
    basis = {
        "source": "NET_SURPLUS",
        "surplus_wh": item.basis.get("surplus_wh", 0),
        "resolution_minutes": item.basis.get("resolution_minutes"),
    }
    return [
        DraftLine(
            metering_point_id=item.key.point_id,
            line=line,
            ledger_account=ledger_account_of(line.component),
            is_estimated=False,
            is_true_up=False,
            basis=basis,
        )
        for line in lines
    ]


def rate_month(
    assembled: list[Assembled], period: Month, book: TariffBook, result: PricedAccounts
) -> None:
    """The kernel prices every point's month (and a prosumer's surplus); the lines go on
    their account's bill."""
    rated, failures = book.rate(period, [a.account for a in assembled])
    producing = [a.production for a in assembled if a.production is not None]
    if producing:
        credited, credit_failures = book.rate_production(period, producing)
        rated |= credited
        failures |= credit_failures
    for item in assembled:
        for account in (item.account, item.production):
            failure = failures.get(account.account_id) if account is not None else None
            if failure is not None:
                result.fail(item.key.account_id, MISSING_PRICE, str(failure))
    for item in sorted(assembled, key=lambda a: a.key):
        if item.key.account_id in result.failed or item.account.account_id not in rated:
            continue
        result.add_lines(item.key.account_id, draft_lines(item, rated[item.account.account_id]))
        if item.production is not None:
            result.add_lines(
                item.key.account_id, credit_lines(item, rated[item.production.account_id])
            )


# -- true-ups, the guard -----------------------------------------------------------------------


def manual_true_ups(
    true_ups: Sequence[TrueUp],
    points: dict[PointKey, PointMonth],
    book: TariffBook,
    result: PricedAccounts,
) -> None:
    """True-up lines of manual points, each priced at the month it corrects (see
    :mod:`vool.domain.billing.manual`), on the bills of accounts that are billed."""

    networks = {p.point_id: p.network for p in points.values()}

    def tariff_in(month: Month, product: consumption.Product, point_id: int) -> rating.Tariff:
        return book.true_up_tariff(month, TariffKey(product, networks[point_id]))

    pending = [t for t in true_ups if t.account_id not in result.failed]
    lines, failures = manual.price_true_ups(
        pending,
        scheme=book.day_night,
        tariff_in=tariff_in,
        rate=book.rate,
        profile=tariff_book.uses_market,
    )
    for account_id, exc in failures.items():
        result.fail(account_id, exc.code, exc.reason)
    for (account_id, point_id), priced in sorted(lines.items()):
        if account_id in result.failed or account_id not in result.lines:
            continue
        result.add_lines(
            account_id,
            [
                DraftLine(point_id, line, ledger_account_of(line.component), False, True, basis)
                for line, basis in priced
            ],
        )


def guard_figures(result: PricedAccounts) -> dict[int, list[guard.LineFigures]]:
    """What the guard judges of each bill not failed yet: its lines' figures."""
    return {
        account_id: [
            guard.LineFigures(
                d.line.component,
                d.line.band,
                d.line.unit,
                d.line.quantity,
                d.line.amount,
                d.is_true_up,
                d.line.period_start,
                d.line.period_end,
            )
            for d in drafts
        ]
        for account_id, drafts in result.lines.items()
        if account_id not in result.failed
    }


def hold_implausible(result: PricedAccounts, period: Month, limits: guard.GuardLimits) -> None:
    """The plausibility guard (:mod:`vool.domain.billing.guard`): bills that look wrong
    become run exceptions for a person."""
    figures = guard_figures(result)
    if not figures:
        return
    for account_id, reason in guard.held_back(lines=figures, period=period, limits=limits).items():
        result.fail(account_id, guard.IMPLAUSIBLE_BILL, reason)
