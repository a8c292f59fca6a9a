"""The balanced-ledger trigger checks the inserted rows only.

The statement-level trigger of migration 0002 summed, after every statement that inserts
postings, all postings of the transactions touched, joining the whole ``ledger_posting``
table to the transition table. The planner has no statistics for a transition table and,
when ``ledger_posting`` was not analysed yet (right after a large load), it chose a nested
loop over a sequential scan: 20,000 postings of one bank import took 13 s instead of
milliseconds.

Checking the inserted rows alone is the same rule: UPDATE and DELETE of postings are refused
and every earlier statement left each of its transactions balanced, so a transaction's sum
after the statement is zero exactly when the sum of its postings in this statement is zero.
"""

from django.db import migrations

from vool.domain.migration_ops import PostgresOnlySQL

ON_INSERTED = """
CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad bigint;
BEGIN
    SELECT transaction_id INTO bad
    FROM inserted
    GROUP BY transaction_id
    HAVING SUM(amount) <> 0
    LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'ledger transaction % does not balance', bad
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$
"""

ON_TABLE = """
CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
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
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_h12_interest_and_fee_accounts")]

    operations = [PostgresOnlySQL(sql=[ON_INSERTED], reverse_sql=[ON_TABLE])]
