"""On PostgreSQL the database itself keeps the ledger honest.

* Every transaction balances: after each statement that inserts postings, the transactions it
  touched must sum to zero (a statement-level trigger over the inserted rows, so a COPY of
  100,000 postings costs one check, not 100,000). The operations write all postings of a
  transaction in one statement and check the same rule in Python first.
* Append-only: UPDATE and DELETE of postings and transactions raise. (TRUNCATE, used by test
  and benchmark resets, is not a row operation and is not blocked.)

SQLite has no statement-level triggers with transition tables; there the rule is checked by
``ledger.operations.check_balanced`` only.
"""

from django.db import migrations

FUNCTIONS = [
    """
    CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE bad bigint;
    BEGIN
        SELECT p.transaction_id INTO bad
        FROM ledger_posting p
        WHERE p.transaction_id IN (SELECT DISTINCT transaction_id FROM inserted)
        GROUP BY p.transaction_id
        HAVING SUM(p.amount) <> 0
        LIMIT 1;
        IF bad IS NOT NULL THEN
            RAISE EXCEPTION 'ledger transaction % does not balance', bad
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the ledger is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END $$
    """,
    """
    CREATE TRIGGER ledger_posting_balanced AFTER INSERT ON ledger_posting
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT
    EXECUTE FUNCTION ledger_check_balanced()
    """,
    """
    CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON ledger_posting
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only()
    """,
    """
    CREATE TRIGGER ledger_transaction_append_only BEFORE UPDATE OR DELETE ON ledger_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only()
    """,
]
REVERSE = [
    "DROP TRIGGER IF EXISTS ledger_transaction_append_only ON ledger_ledgertransaction",
    "DROP TRIGGER IF EXISTS ledger_posting_append_only ON ledger_posting",
    "DROP TRIGGER IF EXISTS ledger_posting_balanced ON ledger_posting",
    "DROP FUNCTION IF EXISTS ledger_append_only()",
    "DROP FUNCTION IF EXISTS ledger_check_balanced()",
]


class PostgresOnlySQL(migrations.RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [PostgresOnlySQL(sql=FUNCTIONS, reverse_sql=REVERSE)]
