"""Reads of supply contracts for the use cases (the start page's count, a point's latest
contract).

A module of its own rather than ``contracts/queries.py``, which issue 10 §2 is reworking in
parallel; merge it there when that has landed."""

from __future__ import annotations

from vool.domain.contracts.models import SupplyContract


def count_active_contracts() -> int:
    return SupplyContract.objects.filter(status=SupplyContract.Status.ACTIVE).count()


def latest_contract(*, metering_point_id: int) -> SupplyContract | None:
    """The metering point's contract that starts last (whatever its status), if any."""
    return (
        SupplyContract.objects.filter(metering_point_id=metering_point_id)
        .order_by("-valid_from")
        .first()
    )
