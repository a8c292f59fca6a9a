"""Counts of supply contracts (the staff start page's figures).

A module of its own rather than ``contracts/queries.py``, which issue 10 §2 is reworking in
parallel; merge it there when that has landed."""

from __future__ import annotations

from vool.domain.contracts.models import SupplyContract


def count_active_contracts() -> int:
    return SupplyContract.objects.filter(status=SupplyContract.Status.ACTIVE).count()
