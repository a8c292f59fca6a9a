"""Integrity guards: what the database itself refuses, on SQLite and PostgreSQL.

Issued invoices and their lines, numbering counters, readings, the ledger, interval data
versions and the market prices of invoiced months are refused at the database when changed
other than through the documented paths. The rules are in :mod:`.rules`, their SQL in
:mod:`.sql`, installation and the maintenance switch in :mod:`.operations`; see
``docs/security.md``.
"""
