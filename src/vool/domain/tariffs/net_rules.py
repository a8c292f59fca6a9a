"""The dated net billing rule of prosumer points as plain values. Pure: no Django.

From the rule's first day (1 August 2026 in Estonia, a dated row, see the tariffs migration
``0011_h21_prosumer_terms``) a point with net data is billed on its net consumption per interval
and credited for its surplus fed in; a day no rule covers (or a rule with ``bills_net`` off)
is billed on gross OUT, as before."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from vool.domain.tariffs import rating

__all__ = ["PRODUCTION_COMPONENT", "NetRule", "net_days", "surplus_vat"]

# The bill component of the surplus credit (a prosumer's net IN bought at production terms).
PRODUCTION_COMPONENT = "PRODUCTION"


@dataclass(frozen=True)
class NetRule:
    """One dated version of the rule (``[valid_from, valid_to)``, local dates)."""

    valid_from: dt.date
    valid_to: dt.date | None
    bills_net: bool
    surplus_vat_rate: Decimal

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


def net_days(rules: Sequence[NetRule], first_day: dt.date, end_day: dt.date) -> list[bool]:
    """For each local day of ``[first_day, end_day)``: billed on net quantities?"""
    out = []
    day = first_day
    while day < end_day:
        out.append(any(r.bills_net and r.covers(day) for r in rules))
        day += dt.timedelta(days=1)
    return out


def surplus_vat(rules: Sequence[NetRule]) -> tuple[rating.VatVersion, ...]:
    """The VAT of the surplus credit as the kernel's VAT versions (net-billing rules only)."""
    return tuple(
        rating.VatVersion(r.valid_from, r.valid_to, r.surplus_vat_rate)
        for r in rules
        if r.bills_net
    )
