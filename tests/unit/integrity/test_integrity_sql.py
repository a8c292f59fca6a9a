"""The guards' SQL, built from the rules: no database involved."""

from __future__ import annotations

import pytest

from vool.domain.integrity import rules, sql

COLUMNS = ("id", "status", "gross_amount", "amount_due", "credit_applied_amount", "note")


class TestDialect:
    def test_unchanged_compares_every_column_but_the_allowed_ones_null_safely(self) -> None:
        postgresql = sql.Dialect(vendor="postgresql", columns=COLUMNS)
        text = postgresql.unchanged(except_=("status", "note"))
        assert text == (
            '(OLD."id" IS NOT DISTINCT FROM NEW."id" AND '
            'OLD."gross_amount" IS NOT DISTINCT FROM NEW."gross_amount" AND '
            'OLD."amount_due" IS NOT DISTINCT FROM NEW."amount_due" AND '
            'OLD."credit_applied_amount" IS NOT DISTINCT FROM NEW."credit_applied_amount")'
        )
        sqlite = sql.Dialect(vendor="sqlite", columns=("id", "status"))
        assert sqlite.unchanged(except_=("status",)) == '(OLD."id" IS NEW."id")'

    def test_a_table_with_only_allowed_columns_is_unchanged_trivially(self) -> None:
        assert (
            sql.Dialect(vendor="sqlite", columns=("status",)).unchanged(except_=("status",))
            == "TRUE"
        )

    def test_the_tallinn_month_is_exact_on_postgresql_and_a_superset_on_sqlite(self) -> None:
        pg = sql.Dialect(vendor="postgresql", columns=())
        assert "AT TIME ZONE 'Europe/Tallinn'" in pg.in_tallinn_month(period="p", instant="t")
        lite = sql.Dialect(vendor="sqlite", columns=())
        text = lite.in_tallinn_month(period="p", instant="t")
        assert "'+2 hours'" in text and "'+3 hours'" in text


class TestQuoting:
    def test_literals_double_their_quotes(self) -> None:
        assert sql.literal("it's") == "'it''s'"

    def test_an_identifier_with_a_double_quote_is_refused(self) -> None:
        with pytest.raises(ValueError, match="refusing to quote"):
            sql.quote('bad"name')


class TestRules:
    def test_trigger_names_are_unique_and_fit_postgresql(self) -> None:
        names = [g.trigger for g in rules.GUARDS]
        names += [sql.truncate_trigger_name(t) for t in rules.guarded_tables()]
        assert len(names) == len(set(names))
        assert max(len(n) for n in names) <= 63

    @pytest.mark.parametrize("guard", rules.GUARDS, ids=lambda g: g.name)
    def test_conditions_name_only_the_rows_their_event_has(self, guard: rules.Guard) -> None:
        for vendor in ("sqlite", "postgresql"):
            text = sql.condition(guard, vendor=vendor, columns=COLUMNS)
            if guard.event == "DELETE":
                assert "NEW." not in text
            if guard.event == "INSERT":
                assert "OLD." not in text

    @pytest.mark.parametrize("guard", rules.GUARDS, ids=lambda g: g.name)
    def test_every_refusal_says_what_was_refused_where_and_why(self, guard: rules.Guard) -> None:
        message = sql.refusal(guard)
        assert message.startswith(f"{guard.event} on {guard.table} refused: ")
        assert message.endswith(".") and len(message) > 50

    def test_the_postgresql_trigger_returns_the_row_and_checks_the_switch(self) -> None:
        guard = next(g for g in rules.GUARDS if g.name == "invoice_delete")
        function, trigger = sql.postgresql_install(guard, columns=COLUMNS)
        assert "current_setting('vool.maintenance', true) = 'on'" in function
        assert "RETURN OLD;" in function
        assert 'BEFORE DELETE ON "billing_invoice" FOR EACH ROW' in trigger

    def test_the_sqlite_trigger_checks_the_maintenance_table(self) -> None:
        guard = next(g for g in rules.GUARDS if g.name == "reading_update")
        drop, create = sql.sqlite_install(guard, columns=COLUMNS)
        assert drop == "DROP TRIGGER IF EXISTS vool_integrity_reading_update"
        assert "WHEN NOT EXISTS (SELECT 1 FROM vool_integrity_maintenance)" in create
        assert "RAISE(ABORT, 'UPDATE on metering_reading refused: readings are append-only" in (
            create
        )
