"""Finding a metering point by search (``supply.queries.find_metering_points``, the back
office's and the portal's move-in point search): by EIC prefix or a part of the street address,
any letter case (on SQLite, the demo's database, only ASCII letters fold: ``PÄRNU`` does not find
``Pärnu`` there); on PostgreSQL from indexes, not a scan of every point (issue 14 §1: fast at
500,000 customers)."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from factories import MeteringPointFactory
from vool.domain.supply import queries as supply_queries
from vool.domain.supply.models import MeteringPoint
from vool.domain.supply.queries import find_metering_points

pytestmark = pytest.mark.django_db


@pytest.fixture
def points() -> list[MeteringPoint]:
    return [
        MeteringPointFactory(street_address="Pärnu mnt 12-4, Tallinn"),
        MeteringPointFactory(street_address="Tartu mnt 5, Tallinn"),
        MeteringPointFactory(street_address="Õie tänav 3, Tartu"),
    ]


class TestFindMeteringPoints:
    def test_by_a_part_of_the_address_in_any_case(self, points):
        assert [p.pk for p in find_metering_points(text="pärnu MNT")] == [points[0].pk]
        assert [p.pk for p in find_metering_points(text="Õie tän")] == [points[2].pk]
        assert {p.pk for p in find_metering_points(text="mnt")} == {points[0].pk, points[1].pk}

    def test_by_the_start_of_the_eic_in_any_case(self, points):
        eic = points[1].eic
        assert [p.pk for p in find_metering_points(text=eic[:12].lower())][:3] == sorted(
            (p.pk for p in points if p.eic.startswith(eic[:12])),
            key=lambda pk: MeteringPoint.objects.get(pk=pk).eic,
        )[:3]

    def test_fewer_than_three_letters_find_nothing(self, points):
        assert find_metering_points(text="Pä") == []

    def test_like_wildcards_in_the_text_are_letters(self, points):
        assert all(p.eic.startswith("38Z") for p in points)
        assert find_metering_points(text="38_") == []
        assert find_metering_points(text="3%Z") == []


def _plan(sql: str, params: list[object]) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a three-row table is scanned else
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the indexes are PostgreSQL's")
class TestThePlans:
    """Each of the two searches reads its own index, not every point (at 520,341 points the
    EIC's unique index walked in order took 175 ms for a common prefix)."""

    def test_the_eic_prefix_reads_its_range_of_the_prefix_index_in_order(self, points):
        plan = _plan(supply_queries._EIC_PREFIX_IN_INDEX_ORDER, ["38ZEE-0025%", 10])
        # Django's index for the unique EIC's LIKE (varchar_pattern_ops; supply 0003)
        assert re.search(r"Index Scan using supply_meteringpoint_eic_\w+_like", plan), plan
        assert "Index Cond" in plan and "Sort" not in plan, plan

    def test_the_address_reads_the_trigram_index(self, points):
        query = MeteringPoint.objects.filter(street_address__icontains="zzqq").order_by("eic")
        sql, params = query[:10].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_indexscan = off")  # not the EIC's index in order
        assert "supply_meteringpoint_address_trgm" in _plan(sql, list(params))
