"""The validation of a legacy extract, row by row. Pure: no Django, no database; what the
database knows comes in as a :class:`Context`.

Each row is parsed into typed values and checked; every finding is an :class:`Issue` (error or
warning, file, line, field, rule, value). A row with an error holds back every account it
belongs to, whole: the account is not loaded at all rather than half (a customer's error holds
back all its accounts; a point's, every account with a contract on it).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache
from itertools import pairwise
from typing import Any

from vool.common import identifiers
from vool.common.localtime import Month
from vool.domain.legacy import extract_format as fmt
from vool.domain.legacy import mapping

ERROR, WARNING = "ERROR", "WARNING"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Issue:
    severity: str
    file_name: str
    line: int
    field: str
    rule: str
    value: str
    message: str
    account_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class KnownCustomer:
    id: int
    name: str
    old_keys: frozenset[str]  # empty for a customer Vool had before the migration


@dataclass(frozen=True)
class Context:
    """What the database knows: Vool's product and grid-operator codes, the customers by
    personal or registry code, the metering points' EICs with their old key ("" if none),
    the former reference numbers in use (with their old account key)."""

    products: frozenset[str]
    grid_operators: frozenset[str]
    customers_by_code: dict[str, KnownCustomer]
    eics: dict[str, str]
    former_references: dict[str, str]
    today: dt.date
    #: personal/registry code → {old key: name} of customers earlier extracts held that
    #: are not loaded (held back): a delta must not take their code unseen
    earlier_codes: dict[str, dict[str, str]] = field(default_factory=dict)


Record = dict[str, Any]


@dataclass
class Checked:
    """The extract parsed and checked: records by entity and old key, the issues, the
    accounts held back, and the customers that are another's (old key → old key or Vool id)."""

    records: dict[str, dict[str, Record]] = field(default_factory=lambda: defaultdict(dict))
    issues: list[Issue] = field(default_factory=list)
    held: set[str] = field(default_factory=set)
    merged_into_key: dict[str, str] = field(default_factory=dict)
    merged_into_id: dict[str, int] = field(default_factory=dict)
    customer_accounts: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    point_accounts: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def accounts_of(self, entity: str, record: Record) -> set[str]:
        """The old account keys a row belongs to."""
        return _ACCOUNTS_OF[entity](self, record)

    def loadable(self, entity: str, record: Record) -> bool:
        accounts = self.accounts_of(entity, record)
        return any(a not in self.held for a in accounts)


# An extract repeats the same texts millions of times (prices, days, months, amounts): each
# is parsed once per process, in a bounded cache of pure functions returning immutable values
# (a text that does not parse raises each time; nothing is cached for it).
_date = lru_cache(maxsize=1 << 12)(fmt.parse_date)
_decimal = lru_cache(maxsize=1 << 16)(fmt.parse_decimal)
_month = lru_cache(maxsize=1 << 10)(fmt.parse_month)


class _Row:
    """Parses one row's fields, collecting the issues (a field by its column's position:
    no dict per row)."""

    __slots__ = ("errors", "index", "issues", "row", "spec")

    def __init__(
        self, spec: fmt.FileSpec, row: fmt.Row, issues: list[Issue], index: dict[str, int]
    ) -> None:
        self.spec, self.row, self.issues, self.index = spec, row, issues, index
        self.errors = 0

    def field(self, column: str) -> str:
        return self.row.values[self.index[column]]

    def add(self, severity: str, column: str, rule: str, message: str) -> None:
        if severity == ERROR:
            self.errors += 1
        self.issues.append(
            Issue(
                severity,
                self.spec.file_name,
                self.row.line,
                column,
                rule,
                self.field(column)[:200] if column in self.index else "",
                message,
            )
        )

    def text(self, column: str, *, required: bool = True) -> str:
        value = self.row.values[self.index[column]].strip()
        if required and not value:
            self.add(ERROR, column, "MISSING_VALUE", f"{column} is empty")
        return value

    def parsed(
        self, column: str, parse: Callable[[str], Any], rule: str, *, required: bool = True
    ) -> Any:
        value = self.row.values[self.index[column]].strip()
        if not value:
            if required:
                self.add(ERROR, column, "MISSING_VALUE", f"{column} is empty")
            return None
        try:
            return parse(value)
        except ValueError as exc:
            self.add(ERROR, column, rule, str(exc))
            return None

    def date(self, column: str, *, required: bool = True) -> dt.date | None:
        return self.parsed(column, _date, "BAD_DATE", required=required)

    def number(self, column: str) -> Decimal | None:
        return self.parsed(column, _decimal, "BAD_NUMBER")


def _identifier(row: _Row, column: str, check: Callable[[str], str], rule: str) -> str:
    value = row.text(column, required=False)
    if not value:
        return ""
    try:
        return check(value)
    except identifiers.InvalidIdentifier as exc:
        row.add(ERROR, column, rule, str(exc))
        return ""


# --- one parser per file ------------------------------------------------------------------


def _customer(row: _Row, ctx: Context) -> Record:
    kind = {"E": "PERSON", "J": "BUSINESS"}.get(row.text("TYYP"), "")
    if not kind:
        row.add(ERROR, "TYYP", "UNKNOWN_CUSTOMER_KIND", "TYYP must be E (person) or J (business)")
    personal = _identifier(
        row, "ISIKUKOOD", identifiers.validate_isikukood, "INVALID_PERSONAL_CODE"
    )
    registry = _identifier(
        row, "REG_KOOD", identifiers.validate_registrikood, "INVALID_REGISTRY_CODE"
    )
    vat = _identifier(row, "KMKR", identifiers.validate_kmkr, "INVALID_VAT_NUMBER")
    if kind == "PERSON" and not personal and row.errors == 0:
        row.add(ERROR, "ISIKUKOOD", "MISSING_VALUE", "a person needs a personal code")
    if kind == "BUSINESS" and not registry and row.errors == 0:
        row.add(ERROR, "REG_KOOD", "MISSING_VALUE", "a business needs a registry code")
    language = mapping.LANGUAGES.get(row.field("KEEL").strip())
    if language is None:
        row.add(WARNING, "KEEL", "UNKNOWN_LANGUAGE", "unknown language code; Estonian is used")
    email = row.text("EPOST", required=False)
    if email and ("@" not in email or " " in email):
        row.add(WARNING, "EPOST", "INVALID_EMAIL", "not an e-mail address; left empty")
        email = ""
    return {
        "kind": kind,
        "personal_code": personal or None,
        "registry_code": registry or None,
        "vat_number": vat if kind == "BUSINESS" else "",
        "first_name": row.text("EESNIMI", required=False),
        "last_name": row.text("PERENIMI", required=False),
        "name": row.text("NIMI"),
        "email": email,
        "phone": row.text("TELEFON", required=False)[:32],
        "preferred_language": language or "et",
        "address": row.text("AADRESS_ID"),
    }


def _address(row: _Row, ctx: Context) -> Record:
    postcode = row.text("POSTIINDEKS", required=False)
    if not postcode:
        row.add(WARNING, "POSTIINDEKS", "MISSING_POSTCODE", "no postcode; loaded without one")
    elif not (len(postcode) == 5 and postcode.isdigit()):
        row.add(WARNING, "POSTIINDEKS", "INVALID_POSTCODE", "not 5 digits; loaded without one")
        postcode = ""
    return {"street": row.text("TANAV"), "city": row.text("LINN"), "postal_code": postcode}


def _account(row: _Row, ctx: Context) -> Record:
    reference = _identifier(
        row, "VIITENUMBER", identifiers.validate_reference_number, "INVALID_OLD_REFERENCE"
    )
    if not reference and row.errors == 0:
        row.add(ERROR, "VIITENUMBER", "MISSING_VALUE", "VIITENUMBER is empty")
    channel = mapping.CHANNELS.get(row.field("ARVE_KANAL").strip())
    if channel is None:
        row.add(WARNING, "ARVE_KANAL", "UNKNOWN_CHANNEL", "unknown invoice channel; e-mail is used")
    return {
        "customer": row.text("KLIENT_ID"),
        "old_reference": reference,
        "invoice_channel": channel or "EMAIL",
        "opened": row.date("AVATUD"),
    }


def _point(row: _Row, ctx: Context) -> Record:
    eic = _identifier(row, "EIC", identifiers.validate_eic, "INVALID_EIC")
    operator = mapping.GRID_OPERATORS.get(row.field("VORGUETTEVOTJA").strip(), "")
    if operator not in ctx.grid_operators:
        row.add(ERROR, "VORGUETTEVOTJA", "UNKNOWN_GRID_OPERATOR", "no such grid operator in Vool")
    fuse = row.parsed("PEAKAITSE_A", int, "BAD_NUMBER")
    if fuse is not None and not 0 < fuse <= 6300:
        row.add(ERROR, "PEAKAITSE_A", "INVALID_FUSE", "the main fuse must be 1 to 6300 A")
    return {
        "eic": eic,
        "grid_operator": operator,
        "address": row.text("AADRESS_ID"),
        "is_apartment": row.field("KORTER").strip() == "1",
        "main_fuse_a": fuse,
        "network_package_code": row.text("VORGUPAKETT"),
        "remote": row.field("KAUGLOENTUD").strip() == "1",
    }


def _meter(row: _Row, ctx: Context) -> Record:
    digits = row.parsed("NUMBRIKOHTI", int, "BAD_NUMBER")
    if digits is not None and not 3 <= digits <= 12:
        row.add(ERROR, "NUMBRIKOHTI", "INVALID_DIGITS", "a meter has 3 to 12 digits")
    multiplier = row.number("KORDAJA")
    if multiplier is not None and multiplier <= 0:
        row.add(ERROR, "KORDAJA", "INVALID_MULTIPLIER", "the multiplier must be positive")
    return {
        "point": row.text("MP_ID"),
        "serial_number": row.text("SEERIANR"),
        "digits": digits,
        "multiplier": multiplier,
        "installed": row.date("PAIGALDATUD"),
    }


def _register(row: _Row, ctx: Context) -> Record:
    kind = mapping.REGISTERS.get(row.field("OBIS").strip())
    if kind is None:
        row.add(ERROR, "OBIS", "UNKNOWN_REGISTER", "OBIS must be 1.8.0, 1.8.1 or 1.8.2")
    return {"meter": row.text("ARVESTI_ID"), "kind": kind}


def _product(row: _Row, ctx: Context) -> Record:
    return {"name": row.text("NIMETUS")}


def _contract(row: _Row, ctx: Context) -> Record:
    old = row.text("TOOTE_KOOD")
    product = mapping.OLD_PRODUCTS.get(old)
    if product is None or product[4] not in ctx.products:
        row.add(
            ERROR,
            "TOOTE_KOOD",
            "UNKNOWN_PRODUCT",
            f"old product {old!r} has no Vool product (see mapping.OLD_PRODUCTS)",
        )
    start, end = row.date("ALGUS"), row.date("LOPP", required=False)
    if start and end and end <= start:
        row.add(ERROR, "LOPP", "CONTRACT_ENDS_BEFORE_START", "the contract ends before it starts")
    return {
        "account": row.text("KONTO_ID"),
        "point": row.text("MP_ID"),
        "product": product[4] if product else "",
        "valid_from": start,
        "valid_to": end,
        "green_energy": row.field("ROHELINE").strip() == "1",
    }


def _reading(row: _Row, ctx: Context) -> Record:
    day, value = row.date("KUUPAEV"), row.number("NAIT_KWH")
    if value is not None and value < 0:
        row.add(ERROR, "NAIT_KWH", "NEGATIVE_READING", "a reading is never negative")
    if day and day > ctx.today:
        row.add(ERROR, "KUUPAEV", "READING_IN_FUTURE", "the reading is dated after the load")
    return {"register": row.text("REGISTER_ID"), "day": day, "value_kwh": value}


def _interval_total(row: _Row, ctx: Context) -> Record:
    month = row.parsed("KUU", _month, "BAD_MONTH")
    kwh = row.number("KWH")
    if kwh is not None and kwh < 0:
        row.add(ERROR, "KWH", "NEGATIVE_CONSUMPTION", "a month's consumption is never negative")
    return {"point": row.text("MP_ID"), "period": str(Month(*month)) if month else "", "kwh": kwh}


def _bill(row: _Row, ctx: Context) -> Record:
    period = row.parsed("PERIOOD", _month, "BAD_MONTH")
    net, vat, total = row.number("SUMMA_KM_TA"), row.number("KM"), row.number("SUMMA")
    if None not in (net, vat, total) and net + vat != total:  # type: ignore[operator]
        row.add(
            WARNING,
            "SUMMA",
            "BILL_DOES_NOT_ADD_UP",
            f"net {net} + VAT {vat} is not the total {total}; the total is kept as billed",
        )
    return {
        "account": row.text("KONTO_ID"),
        "period": str(Month(*period)) if period else "",
        "issue_date": row.date("ARVE_KP"),
        "due_date": row.date("MAKSE_TAHTAEG"),
        "kwh": row.number("KWH"),
        "net": net,
        "vat": vat,
        "total": total,
    }


def _bill_line(row: _Row, ctx: Context) -> Record:
    quantity, price, amount = row.number("KOGUS"), row.number("UHIKU_HIND"), row.number("SUMMA")
    return {
        "bill": row.text("ARVE_NR"),
        "position": row.parsed("RIDA", int, "BAD_NUMBER"),
        "description": row.text("KIRJELDUS")[:200],
        "unit": row.text("UHIK")[:10],
        "quantity": quantity,
        "unit_price": price,
        "amount": amount,
    }


def _open_item(row: _Row, ctx: Context) -> Record:
    return {
        "account": row.text("KONTO_ID"),
        "bill": row.text("ARVE_NR", required=False),
        "due_date": row.date("TAHTAEG"),
        "amount": row.number("SUMMA"),
    }


def _balance(row: _Row, ctx: Context) -> Record:
    return {"account": row.text("KONTO_ID"), "amount": row.number("SALDO")}


def _agreement(row: _Row, ctx: Context) -> Record:
    kind = mapping.AGREEMENTS.get(row.field("LIIK").strip())
    if kind is None:
        row.add(ERROR, "LIIK", "UNKNOWN_AGREEMENT", "LIIK must be OTSEKORRALDUS or E-ARVE")
    bic = row.text("PANK_BIC")
    if bic and bic not in mapping.BANKS:
        row.add(WARNING, "PANK_BIC", "UNKNOWN_BANK", "no move-over file is written for this bank")
    iban = _identifier(row, "IBAN", identifiers.validate_iban, "INVALID_IBAN")
    return {
        "account": row.text("KONTO_ID"),
        "kind": kind[0] if kind else "",
        "payment_method": kind[1] if kind else "",
        "bank_bic": bic,
        "payer_iban": iban,
        "valid_from": row.date("ALGUS"),
    }


PARSERS: dict[str, Callable[[_Row, Context], Record]] = {
    "customers": _customer,
    "addresses": _address,
    "accounts": _account,
    "points": _point,
    "meters": _meter,
    "registers": _register,
    "products": _product,
    "contracts": _contract,
    "readings": _reading,
    "interval_totals": _interval_total,
    "bills": _bill,
    "bill_lines": _bill_line,
    "open_items": _open_item,
    "balances": _balance,
    "agreements": _agreement,
}


# --- which accounts a row belongs to --------------------------------------------------------


def _via(entity: str, ref: str, parent: str) -> Callable[[Checked, Record], set[str]]:
    def accounts(checked: Checked, record: Record) -> set[str]:
        found = checked.records[parent].get(record[ref])
        return checked.accounts_of(parent, found) if found is not None else set()

    return accounts


_ACCOUNTS_OF: dict[str, Callable[[Checked, Record], set[str]]] = {
    "customers": lambda c, r: set(c.customer_accounts.get(r["_key"], ())),
    "addresses": lambda c, r: set(r.get("_accounts", ())),
    "accounts": lambda c, r: {r["_key"]},
    "points": lambda c, r: set(c.point_accounts.get(r["_key"], ())),
    "meters": _via("meters", "point", "points"),
    "registers": _via("registers", "meter", "meters"),
    "products": lambda c, r: set(),
    "contracts": lambda c, r: {r["account"]},
    "readings": _via("readings", "register", "registers"),
    "interval_totals": _via("interval_totals", "point", "points"),
    "bills": lambda c, r: {r["account"]},
    "bill_lines": _via("bill_lines", "bill", "bills"),
    "open_items": lambda c, r: {r["account"]},
    "balances": lambda c, r: {r["account"]},
    "agreements": lambda c, r: {r["account"]},
}


def _reference(
    checked: Checked,
    issues: list[Issue],
    spec_entity: str,
    column: str,
    ref: str,
    target: str,
    rule: str,
) -> None:
    spec = fmt.SPECS[spec_entity]
    for record in checked.records[spec_entity].values():
        if record[ref] and record[ref] not in checked.records[target]:
            issues.append(
                Issue(
                    ERROR,
                    spec.file_name,
                    record["_line"],
                    column,
                    rule,
                    record[ref],
                    f"no {target} row with key {record[ref]!r}",
                )
            )


REFERENCES = (
    ("customers", "AADRESS_ID", "address", "addresses", "UNKNOWN_ADDRESS"),
    ("accounts", "KLIENT_ID", "customer", "customers", "UNKNOWN_CUSTOMER"),
    ("points", "AADRESS_ID", "address", "addresses", "UNKNOWN_ADDRESS"),
    ("meters", "MP_ID", "point", "points", "UNKNOWN_POINT"),
    ("registers", "ARVESTI_ID", "meter", "meters", "UNKNOWN_METER"),
    ("contracts", "KONTO_ID", "account", "accounts", "UNKNOWN_ACCOUNT"),
    ("contracts", "MP_ID", "point", "points", "UNKNOWN_POINT"),
    ("readings", "REGISTER_ID", "register", "registers", "UNKNOWN_REGISTER"),
    ("interval_totals", "MP_ID", "point", "points", "UNKNOWN_POINT"),
    ("bills", "KONTO_ID", "account", "accounts", "UNKNOWN_ACCOUNT"),
    ("bill_lines", "ARVE_NR", "bill", "bills", "UNKNOWN_BILL"),
    ("open_items", "KONTO_ID", "account", "accounts", "UNKNOWN_ACCOUNT"),
    ("balances", "KONTO_ID", "account", "accounts", "UNKNOWN_ACCOUNT"),
    ("agreements", "KONTO_ID", "account", "accounts", "UNKNOWN_ACCOUNT"),
)


# --- the whole extract --------------------------------------------------------------------


def _flag(entity: str, record: Record, severity: str, column: str, rule: str, message: str) -> None:
    columns = fmt.SPECS[entity].columns
    raw = record.get("_raw", ())
    value = str(raw[columns.index(column)])[:200] if raw and column in columns else ""
    record["_issues"].append(
        Issue(severity, fmt.SPECS[entity].file_name, record["_line"], column, rule, value, message)
    )


#: entity, old key → every line of the file holding that key, if more than one: for a part of
#: an extract (:mod:`partition`), whose rows of one key may be in another part
KeyLines = Callable[[str, str], tuple[int, ...]]


def _no_key_lines(entity: str, key: str) -> tuple[int, ...]:
    return ()


def parse(
    rows: dict[str, list[fmt.Row]], ctx: Context, key_lines: KeyLines = _no_key_lines
) -> Checked:
    """Parse and check every row (one file after another), then the rules across rows. A key
    given twice is an error of its first row, which is kept; the later rows are left out."""
    checked = Checked()
    for spec in fmt.FILES:
        records = checked.records[spec.entity]
        key_of = fmt.key_of(spec)
        parser = PARSERS[spec.entity]
        index = {column: at for at, column in enumerate(spec.columns)}
        for raw in rows.get(spec.entity, ()):
            values = raw.values
            key = key_of(values)
            lines = key_lines(spec.entity, key)
            if (lines and raw.line != lines[0]) or (not lines and key in records):
                if not lines:
                    _flag_duplicate(spec, records[key], (raw.line,))
                continue
            issues: list[Issue] = []
            record = parser(_Row(spec, raw, issues, index), ctx)
            record.update(
                _key=key,
                _line=raw.line,
                _issues=issues,
                _raw=values,
                _fingerprint=fmt.fingerprint(values),
            )
            records[key] = record
            _flag_duplicate(spec, record, lines[1:])
    return checked


def _flag_duplicate(spec: fmt.FileSpec, record: Record, others: Sequence[int]) -> None:
    for line in others:
        _flag(
            spec.entity,
            record,
            ERROR,
            spec.key[0],
            "DUPLICATE_KEY",
            f"key {record['_key']!r} also on line {line}",
        )


def check(
    rows: dict[str, list[fmt.Row]], ctx: Context, key_lines: KeyLines = _no_key_lines
) -> Checked:
    checked = parse(rows, ctx, key_lines)
    _link(checked)
    for entity, column, ref, target, rule in REFERENCES:
        for record in checked.records[entity].values():
            if record[ref] and record[ref] not in checked.records[target]:
                _flag(
                    entity, record, ERROR, column, rule, f"no {target} row with key {record[ref]!r}"
                )
    _check_personal_codes(checked, ctx)
    _check_unique(checked, "points", "eic", "EIC", "DUPLICATE_EIC", ctx.eics, "EIC_IN_USE")
    _check_unique(
        checked,
        "accounts",
        "old_reference",
        "VIITENUMBER",
        "DUPLICATE_OLD_REFERENCE",
        ctx.former_references,
        "OLD_REFERENCE_IN_USE",
    )
    _check_overlaps(checked)
    _check_readings(checked)
    _check_bills(checked)
    _check_balances(checked)
    _hold_back(checked)
    return checked


def held_causes(checked: Checked) -> dict[str, str]:
    """Each held-back account → the rules that hold it back, with their file and line."""
    found: dict[str, set[str]] = {account: set() for account in checked.held}
    for issue in checked.issues:
        if issue.severity == ERROR:
            for account in issue.account_keys:
                if account in found:
                    found[account].add(f"{issue.rule} ({issue.file_name}:{issue.line})")
    return {k: ", ".join(sorted(v)) or "?" for k, v in found.items()}


def _link(checked: Checked) -> None:
    for key, account in checked.records["accounts"].items():
        checked.customer_accounts[account["customer"]].append(key)
    for contract in checked.records["contracts"].values():
        checked.point_accounts[contract["point"]].add(contract["account"])
    for entity in ("customers", "points"):
        for record in checked.records[entity].values():
            address = checked.records["addresses"].get(record["address"])
            if address is not None:
                address.setdefault("_accounts", set()).update(checked.accounts_of(entity, record))


def _check_personal_codes(checked: Checked, ctx: Context) -> None:
    """Two rows with one code and one name are one person (merged, a warning); with another
    name, nobody can tell which is right (both held back)."""
    by_code: dict[str, list[Record]] = defaultdict(list)
    for record in checked.records["customers"].values():
        code = record["personal_code"] or record["registry_code"]
        if code:
            by_code[code].append(record)
    for code, records in by_code.items():
        known = ctx.customers_by_code.get(code)
        first = records[0]
        names = {_name(r["name"]) for r in records}
        keys = {r["_key"] for r in records}
        names |= {_name(n) for k, n in ctx.earlier_codes.get(code, {}).items() if k not in keys}
        if known is not None and not known.old_keys & {r["_key"] for r in records}:
            names.add(_name(known.name))
        if len(names) > 1:
            for record in records:
                _flag(
                    "customers",
                    record,
                    ERROR,
                    "ISIKUKOOD",
                    "DUPLICATE_PERSONAL_CODE",
                    f"the code {code} is also another person's (another name)",
                )
            continue
        for record in records:
            if known is not None and record["_key"] not in known.old_keys:
                checked.merged_into_id[record["_key"]] = known.id
                _flag(
                    "customers",
                    record,
                    WARNING,
                    "ISIKUKOOD",
                    "SAME_PERSON_TWICE",
                    f"already a Vool customer (id {known.id}); the account is added to it",
                )
            elif known is None and record is not first:
                checked.merged_into_key[record["_key"]] = first["_key"]
                _flag(
                    "customers",
                    record,
                    WARNING,
                    "ISIKUKOOD",
                    "SAME_PERSON_TWICE",
                    f"the same person as customer {first['_key']}; loaded as one customer",
                )


def _name(name: str) -> str:
    return " ".join(name.lower().split())


def _check_unique(
    checked: Checked,
    entity: str,
    field_name: str,
    column: str,
    rule: str,
    taken: dict[str, str],
    taken_rule: str,
) -> None:
    seen: dict[str, Record] = {}
    for record in checked.records[entity].values():
        value = record[field_name]
        if not value:
            continue
        if value in seen:
            for duplicate in (record, seen[value]):
                _flag(entity, duplicate, ERROR, column, rule, f"{value} is on two rows")
        seen[value] = record
        owner = taken.get(value)
        if owner is not None and owner != record["_key"]:
            _flag(
                entity,
                record,
                ERROR,
                column,
                taken_rule,
                f"{value} already belongs to {'another record' if owner else 'Vool data'}",
            )


def _check_overlaps(checked: Checked) -> None:
    by_point: dict[str, list[Record]] = defaultdict(list)
    for record in checked.records["contracts"].values():
        if record["valid_from"]:
            by_point[record["point"]].append(record)
    for contracts in by_point.values():
        contracts.sort(key=lambda r: r["valid_from"])
        for before, after in pairwise(contracts):
            if before["valid_to"] is None or before["valid_to"] > after["valid_from"]:
                for record, other in ((before, after), (after, before)):
                    _flag(
                        "contracts",
                        record,
                        ERROR,
                        "ALGUS",
                        "OVERLAPPING_CONTRACTS",
                        f"overlaps contract {other['_key']} on the same point",
                    )


def _check_readings(checked: Checked) -> None:
    by_register: dict[str, list[Record]] = defaultdict(list)
    for record in checked.records["readings"].values():
        if record["day"] and record["value_kwh"] is not None:
            by_register[record["register"]].append(record)
    for readings in by_register.values():
        readings.sort(key=lambda r: r["day"])
        for before, after in pairwise(readings):
            if after["day"] == before["day"]:
                _flag(
                    "readings",
                    after,
                    ERROR,
                    "KUUPAEV",
                    "TWO_READINGS_ONE_DAY",
                    f"register {after['register']} has another reading that day",
                )
            elif after["value_kwh"] < before["value_kwh"]:
                _flag(
                    "readings",
                    after,
                    ERROR,
                    "NAIT_KWH",
                    "READING_GOES_BACKWARDS",
                    f"lower than {before['value_kwh']} on {fmt.format_date(before['day'])}",
                )


def _check_bills(checked: Checked) -> None:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for line in checked.records["bill_lines"].values():
        if line["amount"] is None or line["quantity"] is None or line["unit_price"] is None:
            continue
        sums[line["bill"]] += line["amount"]
        if (line["quantity"] * line["unit_price"]).quantize(CENT, "ROUND_HALF_UP") != line[
            "amount"
        ]:
            _flag(
                "bill_lines",
                line,
                WARNING,
                "SUMMA",
                "LINE_AMOUNT",
                "quantity x unit price, rounded half up, is not the amount",
            )
    for number, bill in checked.records["bills"].items():
        if bill["net"] is not None and number in sums and sums[number] != bill["net"]:
            _flag(
                "bills",
                bill,
                WARNING,
                "SUMMA_KM_TA",
                "BILL_LINES_DO_NOT_ADD_UP",
                f"the lines sum to {sums[number]}, the bill says {bill['net']}",
            )


def _check_balances(checked: Checked) -> None:
    items: dict[str, Decimal] = defaultdict(Decimal)
    for item in checked.records["open_items"].values():
        items[item["account"]] += item["amount"] or 0
    for account, balance in checked.records["balances"].items():
        if balance["amount"] is not None and balance["amount"] != items.get(account, 0):
            _flag(
                "balances",
                balance,
                ERROR,
                "SALDO",
                "BALANCE_NOT_OPEN_ITEMS",
                f"the open items sum to {items.get(account, Decimal(0))}",
            )


def _hold_back(checked: Checked) -> None:
    """Every account a row with an error belongs to is held back; then the issues are listed
    with their accounts."""
    for entity, records in checked.records.items():
        for record in records.values():
            if any(i.severity == ERROR for i in record["_issues"]):
                checked.held.update(checked.accounts_of(entity, record))
    customers = checked.records["customers"]
    for key, into in checked.merged_into_key.items():  # merged into a customer held back
        if not checked.loadable("customers", customers[into]):
            checked.held.update(checked.customer_accounts.get(key, ()))
    for entity, records in checked.records.items():
        for record in records.values():
            if record["_issues"]:
                accounts = tuple(sorted(checked.accounts_of(entity, record)))
                checked.issues.extend(replace(i, account_keys=accounts) for i in record["_issues"])
    checked.issues.sort(key=lambda i: (i.file_name, i.line, i.field))
