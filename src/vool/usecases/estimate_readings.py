"""``vool readings estimate --period YYYY-MM`` and the billing run: estimated month-end
readings for manual metering points that have no accepted month-end reading when the reading
window has closed. Running it twice writes nothing new.

Set-based (:func:`~vool.domain.metering.operations.estimate_month`): a few queries and one
write for the whole month. Each register's estimate is computed on its own: one that fails
(bad data, a bug) is recorded with its reason in :attr:`EstimateRun.failures` and the others
are still estimated. The bill run keeps the failures on the run, and the accounts of those
registers become run exceptions that say why (not a misleading "no reading").
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from vool.common.localtime import Month, as_local
from vool.domain.metering import operations
from vool.domain.metering.operations import UnableToSubmitReading
from vool.usecases.submit_reading import reading_policy

__all__ = [
    "EstimateFailure",
    "EstimateRun",
    "UnableToSubmitReading",
    "estimate_period",
    "segment_of",
]

logger = logging.getLogger(__name__)

BUSINESS_FUSE_A = 63  # connections above 63 A are businesses for the load profile


class PointShape(Protocol):
    """What the load profile looks at of a metering point."""

    @property
    def is_apartment(self) -> bool: ...
    @property
    def main_fuse_a(self) -> int: ...


def segment_of(point: PointShape) -> str:
    """The standard load profile a metering point falls under."""
    if point.is_apartment:
        return "APARTMENT"
    if point.main_fuse_a > BUSINESS_FUSE_A:
        return "BUSINESS"
    return "HOUSE"


@dataclass(frozen=True)
class EstimateFailure:
    register_id: int
    metering_point: str  # EIC
    register: str  # kind
    reason: str


@dataclass
class EstimateRun:
    period: str
    registers: int = 0
    estimated: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    failures: list[EstimateFailure] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """As plain JSON (what the bill run keeps on its report)."""
        return {
            "period": self.period,
            "registers": self.registers,
            "estimated": self.estimated,
            "by_method": dict(sorted(self.by_method.items())),
            "failures": [asdict(f) for f in self.failures],
        }


def estimate_period(*, month: Month, as_of: dt.datetime) -> EstimateRun:
    """Estimate the month-end reading of ``month`` for every register of a manual metering
    point's meter installed at the end of the month that has none. Raises
    :class:`UnableToSubmitReading` while the month's reading window is still open."""
    policy = reading_policy()
    if not policy.window.is_closed(month, as_of=as_of):
        raise UnableToSubmitReading(
            f"The reading window for {month} closes at "
            f"{as_local(policy.window.closes_at(month)):%Y-%m-%d %H:%M} Tallinn time; "
            "estimate after that."
        )
    result = operations.estimate_month(
        month=month, as_of=as_of, segment_of=segment_of, policy=policy
    )
    run = EstimateRun(period=str(month), registers=result.registers)
    for failed in result.failures:
        target, exc = failed.target, failed.error
        logger.error(
            "Estimating register %s (%s) failed",
            target.register_id,
            target.metering_point,
            exc_info=exc,
        )
        run.failures.append(
            EstimateFailure(
                register_id=target.register_id,
                metering_point=target.metering_point,
                register=target.kind,
                reason=f"{type(exc).__name__}: {exc}"[:500],
            )
        )
    for reading in result.written:
        method = reading.details["estimate"]["method"]
        run.by_method[method] = run.by_method.get(method, 0) + 1
    run.estimated = len(result.written)
    return run
