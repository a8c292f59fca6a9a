"""``vool legacy make-extract``: the files an old CIS would export, for rehearsing the
migration. Deterministic per seed: the same arguments write the same bytes.

The customers are built one at a time as a *bundle* (the customer with its addresses,
accounts, points, meters, registers, contracts, 13 months of readings or interval totals,
13 bills with their lines, open items, balance and agreements), so a delta extract can write
whole changed accounts. The dirt real extracts have is put in on purpose and listed in
``docs/legacy-extract.md``: invalid and duplicate personal codes, two customers that are one
person, missing postcodes, overlapping contracts, readings going backwards, a bill that does
not add up, an old product code nobody mapped.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from vool.common import identifiers
from vool.common.localtime import Month, day_bounds, interval_starts, local_date
from vool.domain.legacy import extract_format as fmt
from vool.domain.legacy.mapping import OLD_PRODUCTS
from vool.usecases.demo import names

DEFAULT_EXTRACT_DATE = dt.date(2026, 11, 28)
HISTORY_MONTHS = 13
FREEZE_DAYS = 4  # a delta extract is taken this many days after its base
CENT = Decimal("0.01")
VAT_RATE = Decimal("0.24")
NETWORK_PRICE = Decimal("0.0600")
RENEWABLE_PRICE = Decimal("0.0084")
EXCISE_PRICE = Decimal("0.0021")
SEASON = (1.45, 1.3, 1.15, 0.95, 0.8, 0.7, 0.7, 0.75, 0.85, 1.0, 1.2, 1.4)  # Jan..Dec
BANKS = (
    ("HABAEE2X", "22", 0.45),
    ("EEUHEE2X", "10", 0.25),
    ("LHVBEE22", "77", 0.2),
    ("RIKOEE22", "17", 0.1),
)
CHANNELS = (("E-POST", 0.55), ("E-ARVE", 0.2), ("PABER", 0.1), ("PORTAAL", 0.15))
HOUSEHOLD_OLD = (("EL-KODU-1", 0.4), ("EL-KODU-2T", 0.25), ("EL-BORS", 0.35))
BUSINESS_OLD = (("EL-ARI-1", 0.5), ("EL-ARI-BORS", 0.5))
UNMAPPED_PRODUCT = "EL-VANA-7"
PRICES_FROM = dt.date(2012, 1, 1)  # the old price list's versions start here
EXCHANGE_MARGIN = Decimal("0.0069")  # on the month's average exchange price, EUR/kWh
GREEN_PRICE = Decimal("0.0120")  # the green-energy add-on of a contract that has it, EUR/kWh


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _pick(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([o[0] for o in options], weights=[o[1] for o in options])[0]


def make_iban(bank_code: str, account: int) -> str:
    """A valid Estonian IBAN at the bank ``bank_code`` (2 digits)."""
    bban = f"{bank_code}{account:014d}"
    digits = "".join(str(int(c, 36)) for c in bban + "EE00")
    check = 98 - int(digits) % 97
    return identifiers.validate_iban(f"EE{check:02d}{bban}")


@dataclass
class Bundle:
    """One customer of the old system and everything hanging off it, rows as text."""

    customer_key: str
    rows: dict[str, list[list[str]]] = field(default_factory=lambda: defaultdict(list))


@dataclass
class _Point:
    key: int
    remote: bool
    registers: list[tuple[int, str]]  # (register key, kind)
    monthly_kwh: list[Decimal]  # per history month, whole point
    old_product: str
    green: bool = False  # the point's current contract has the green-energy add-on


class ExtractBuilder:
    """Builds the bundles of an extract from a seed."""

    def __init__(self, *, customers: int, seed: int, extract_date: dt.date) -> None:
        self.count = customers
        self.seed = seed
        self.extract_date = extract_date
        last = Month.of(extract_date).previous()  # the last month billed
        self.months = Month.range(Month(last.year - 1, last.month), last.next())
        self.exchange = {
            m: Decimal(random.Random(f"{seed}-{m}").randint(60, 140)) / 1000 for m in self.months
        }
        self.shadow_month = last
        self.shadow_days = [last.first_day + dt.timedelta(days=d) for d in range(last.days)]
        self.shadow_quarters = [
            len(interval_starts(*day_bounds(day), minutes=15)) for day in self.shadow_days
        ]
        self.market_prices = _market_prices(last, random.Random(f"{seed}-prices"))
        # the legacy rule for an exchange-price product: the month's plain average of the
        # day-ahead prices (not weighted by the customer's consumption), EUR/kWh to 4 places
        mean = sum((p[2] for p in self.market_prices), Decimal(0)) / len(self.market_prices)
        self.exchange[last] = (mean / 1000).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        self.eic_serial = 50_000_000

    # -- identities --------------------------------------------------------------------

    @staticmethod
    def personal_code(index: int, male: bool) -> str:
        """Unique per index: the birth day from ``index % 23000``, the serial from the rest."""
        born = dt.date(1942, 1, 1) + dt.timedelta(days=index % 23_000)
        return identifiers.make_isikukood(birth_date=born, serial=index // 23_000, male=male)

    def next_eic(self) -> str:
        self.eic_serial, eic = _next_eic(self.eic_serial)
        return eic

    # -- one customer ------------------------------------------------------------------

    def bundle(self, index: int) -> Bundle:
        rng = random.Random(f"{self.seed}:{index}")
        key = customer_key(index)
        bundle = Bundle(key)
        business = rng.random() < 0.07
        address = self._address(rng, bundle, f"A{key}")
        self._customer(rng, bundle, index, business, address)
        for j in range(1, self._account_count(rng) + 1):
            self._account(rng, bundle, int(key) * 10 + j, business, address)
        return bundle

    # the draws that decide a bundle's shape (what :class:`_Probe` watches)

    def _account_count(self, rng: random.Random) -> int:
        return 2 if rng.random() < 0.05 else 1

    def _point_count(self, rng: random.Random, business: bool) -> int:
        """The points of an account: one of a person's (no draw), 1 to 3 of a business's."""
        return rng.randint(1, 3) if business else 1

    def _remote(self, rng: random.Random) -> bool:
        return rng.random() < 0.4

    def _address(self, rng: random.Random, bundle: Bundle, key: str) -> str:
        town, prefix, _ = names.TOWNS[rng.randrange(len(names.TOWNS))]
        street = names.STREETS[rng.randrange(len(names.STREETS))]
        flat = f"-{rng.randint(1, 80)}" if rng.random() < 0.5 else ""
        postcode = f"{prefix}{rng.randint(100, 999):03d}"
        bundle.rows["addresses"].append(
            [key, f"{street} {rng.randint(1, 120)}{flat}", town, postcode]
        )
        return key

    def _customer(
        self, rng: random.Random, bundle: Bundle, index: int, business: bool, address: str
    ) -> None:
        language = _pick(rng, (("EST", 0.7), ("RUS", 0.25), ("ENG", 0.05)))
        phone = f"+372 5{rng.randint(100000, 9999999)}"
        if business:
            name = (
                f"{names.BUSINESS_WORDS[rng.randrange(len(names.BUSINESS_WORDS))]} "
                f"{names.BUSINESS_TRADES[rng.randrange(len(names.BUSINESS_TRADES))]} "
                f"{names.BUSINESS_FORMS[rng.randrange(len(names.BUSINESS_FORMS))]}"
            )
            registry = identifiers.make_registrikood(f"1{index:06d}"[-7:])
            vat = identifiers.make_kmkr(f"10{index:06d}"[-8:]) if rng.random() < 0.5 else ""
            email = f"arved@firma{index}.ee"
            row = [
                bundle.customer_key,
                "J",
                "",
                registry,
                vat,
                "",
                "",
                name,
                email,
                phone,
                language,
                address,
            ]
        else:
            male = rng.random() < 0.5
            first_names = names.FIRST_NAMES_MALE if male else names.FIRST_NAMES_FEMALE
            first = first_names[rng.randrange(len(first_names))]
            last = names.LAST_NAMES[rng.randrange(len(names.LAST_NAMES))]
            email = f"klient{index}@example.ee" if rng.random() < 0.85 else ""
            row = [
                bundle.customer_key,
                "E",
                self.personal_code(index, male),
                "",
                "",
                first,
                last,
                f"{first} {last}",
                email,
                phone,
                language,
                address,
            ]
        bundle.rows["customers"].append(row)

    def _account(
        self, rng: random.Random, bundle: Bundle, key: int, business: bool, address: str
    ) -> None:
        opened = dt.date(2012, 1, 1) + dt.timedelta(days=rng.randrange(4000))
        bundle.rows["accounts"].append(
            [
                str(key),
                bundle.customer_key,
                identifiers.make_reference_number(key),
                _pick(rng, CHANNELS),
                fmt.format_date(opened),
            ]
        )
        points = [
            self._point(rng, bundle, key * 10 + k, business, address if k == 1 else "", opened)
            for k in range(1, self._point_count(rng, business) + 1)
        ]
        self._bills(rng, bundle, key, points)
        self._agreement(rng, bundle, key, opened)

    def _point(
        self,
        rng: random.Random,
        bundle: Bundle,
        key: int,
        business: bool,
        address: str,
        opened: dt.date,
    ) -> _Point:
        if not address:
            address = self._address(rng, bundle, f"A{key}")
        remote = self._remote(rng)
        apartment = not business and rng.random() < 0.5
        fuse = 16 if apartment else rng.choice((16, 20, 25, 32, 40, 63))
        bundle.rows["points"].append(
            [
                str(key),
                self.next_eic(),
                "EL",
                address,
                "1" if apartment else "0",
                str(fuse),
                _pick(rng, (("V1", 0.55), ("V2", 0.4), ("V4", 0.05))),
                "1" if remote else "0",
            ]
        )
        old_product = _pick(rng, BUSINESS_OLD if business else HOUSEHOLD_OLD)
        meter = key * 10 + 1
        installed = opened - dt.timedelta(days=rng.randrange(1, 400))
        bundle.rows["meters"].append(
            [str(meter), str(key), f"LG{meter:012d}", "6", "1", fmt.format_date(installed)]
        )
        kinds = ["DAY", "NIGHT"] if OLD_PRODUCTS[old_product][1] else ["SINGLE"]
        registers = []
        for r, kind in enumerate(kinds, start=1):
            obis = {"SINGLE": "1.8.0", "DAY": "1.8.1", "NIGHT": "1.8.2"}[kind]
            registers.append((meter * 10 + r, kind))
            bundle.rows["registers"].append([str(meter * 10 + r), str(meter), obis])
        yearly = rng.randint(10_000, 60_000) if business else rng.randint(1_200, 6_500)
        monthly = [
            Decimal(round(yearly * SEASON[m.month - 1] / 12 * rng.uniform(0.85, 1.15)))
            for m in self.months
        ]
        point = _Point(key, remote, registers, monthly, old_product)
        self._contracts(rng, bundle, point, opened)
        if remote:
            for m, kwh in zip(self.months, monthly, strict=True):
                value = kwh + Decimal(rng.randint(0, 999)) / 1000
                point.monthly_kwh[self.months.index(m)] = value
                bundle.rows["interval_totals"].append(
                    [str(key), fmt.format_month(m.year, m.month), fmt.format_decimal(value)]
                )
            self._intervals(rng, bundle, key, point.monthly_kwh[-1], business)
        else:
            self._readings(rng, bundle, point)
        return point

    def _intervals(
        self, rng: random.Random, bundle: Bundle, key: int, kwh: Decimal, business: bool
    ) -> None:
        """The shadow month's 15-minute values of a remote point, a local day a row; they add
        up to the month's interval total to the Wh."""
        hourly = _split_wh(int(kwh * 1000), self._interval_weights(rng, business))
        values = [q for wh in hourly for q in _split_wh(wh, [1.0, 1.0, 1.0, 1.0])]
        at = 0
        for day, n in zip(self.shadow_days, self.shadow_quarters, strict=True):
            text = " ".join(f"{v // 1000},{v % 1000:03d}" for v in values[at : at + n])
            bundle.rows["intervals"].append([str(key), fmt.format_date(day), text])
            at += n

    def _interval_weights(self, rng: random.Random, business: bool) -> list[float]:
        """The weights of the shadow month's hours (local clock hours: the DST days have 23
        and 25), a random draw each."""
        return [
            _hour_shape(h, business) * rng.uniform(0.8, 1.2)
            for n in self.shadow_quarters
            for h in _local_hours(n // 4)
        ]

    def _contracts(
        self, rng: random.Random, bundle: Bundle, point: _Point, opened: dt.date
    ) -> None:
        account = str(point.key // 10)
        if rng.random() < 0.05:  # a product change within the history
            change = self.months[rng.randrange(2, 11)].first_day
            previous = _pick(
                rng,
                HOUSEHOLD_OLD
                if point.old_product.startswith("EL-K") or point.old_product == "EL-BORS"
                else BUSINESS_OLD,
            )
            bundle.rows["contracts"].append(
                [
                    str(point.key * 10 + 1),
                    account,
                    str(point.key),
                    previous,
                    fmt.format_date(opened),
                    fmt.format_date(change),
                    "0",
                ]
            )
            bundle.rows["contracts"].append(
                [
                    str(point.key * 10 + 2),
                    account,
                    str(point.key),
                    point.old_product,
                    fmt.format_date(change),
                    "",
                    "1" if rng.random() < 0.1 else "0",
                ]
            )
            point.green = bundle.rows["contracts"][-1][6] == "1"
            return
        bundle.rows["contracts"].append(
            [
                str(point.key * 10 + 1),
                account,
                str(point.key),
                point.old_product,
                fmt.format_date(opened),
                "",
                "1" if rng.random() < 0.1 else "0",
            ]
        )
        point.green = bundle.rows["contracts"][-1][6] == "1"

    def _readings(self, rng: random.Random, bundle: Bundle, point: _Point) -> None:
        shares = [Decimal("0.6"), Decimal("0.4")] if len(point.registers) == 2 else [Decimal(1)]
        for (register, _), share in zip(point.registers, shares, strict=True):
            value = Decimal(rng.randint(1_000, 60_000))
            start = self.months[0].previous()
            dates = [start.last_day] + [m.last_day for m in self.months]
            for n, day in enumerate(dates):
                if n:
                    value += (point.monthly_kwh[n - 1] * share).to_integral_value(ROUND_HALF_UP)
                bundle.rows["readings"].append(
                    [str(register * 100 + n), str(register), fmt.format_date(day), str(value)]
                )
        if len(point.registers) == 2:  # consumption of the point = sum of its registers
            for n in range(len(self.months)):
                point.monthly_kwh[n] = sum(
                    ((point.monthly_kwh[n] * s).to_integral_value(ROUND_HALF_UP) for s in shares),
                    Decimal(0),
                )

    def _bills(
        self, rng: random.Random, bundle: Bundle, account: int, points: list[_Point]
    ) -> None:
        totals = []
        for n, month in enumerate(self.months):
            number = f"{account}{n + 1:02d}"
            lines = self._bill_lines(
                month, [(p.old_product, p.monthly_kwh[n], p.green) for p in points]
            )
            net = sum((line[3] for line in lines), Decimal(0))
            vat = _money(net * VAT_RATE)
            kwh = sum((p.monthly_kwh[n] for p in points), Decimal(0))
            issued = month.next().first_day + dt.timedelta(days=4)
            due = issued + dt.timedelta(days=15)
            bundle.rows["bills"].append(
                [
                    number,
                    str(account),
                    fmt.format_month(month.year, month.month),
                    fmt.format_date(issued),
                    fmt.format_date(due),
                    fmt.format_decimal(kwh),
                    fmt.format_decimal(net),
                    fmt.format_decimal(vat),
                    fmt.format_decimal(net + vat),
                ]
            )
            for position, (text, quantity, price, amount, unit) in enumerate(lines, start=1):
                bundle.rows["bill_lines"].append(
                    [
                        number,
                        str(position),
                        text,
                        fmt.format_decimal(quantity),
                        unit,
                        fmt.format_decimal(price),
                        fmt.format_decimal(amount),
                    ]
                )
            totals.append((number, due, net + vat))
        self._open_items(rng, bundle, account, totals)

    def _bill_lines(
        self, month: Month, points: list[tuple[str, Decimal, bool]]
    ) -> list[tuple[str, Decimal, Decimal, Decimal, str]]:
        lines = []

        def add(text: str, quantity: Decimal, price: Decimal, unit: str = "kWh") -> None:
            lines.append((text, quantity, price, _money(quantity * price), unit))

        for old, kwh, green in points:
            name, day_night, price, fee, _ = OLD_PRODUCTS[old]
            if day_night and price is not None:
                day = (kwh * Decimal("0.6")).quantize(Decimal("0.001"), ROUND_HALF_UP)
                add(f"{name}, päev", day, price[0])
                add(f"{name}, öö", kwh - day, price[1])
            elif price is None:  # exchange price: the month's average plus the margin
                add(f"{name} (börsihind)", kwh, self.exchange[month] + EXCHANGE_MARGIN)
            else:
                add(name, kwh, price[0])
            if green:
                add("Roheline energia", kwh, GREEN_PRICE)
            add("Kuutasu", Decimal(1), fee, "kuu")
            add("Võrguteenus", kwh, NETWORK_PRICE)
            add("Taastuvenergia tasu", kwh, RENEWABLE_PRICE)
            add("Elektriaktsiis", kwh, EXCISE_PRICE)
        return lines

    def _open_items(
        self,
        rng: random.Random,
        bundle: Bundle,
        account: int,
        bills: list[tuple[str, dt.date, Decimal]],
    ) -> None:
        draw = rng.random()
        items: list[tuple[str, dt.date, Decimal]] = []
        if draw < 0.03:
            items = bills[-2:]
        elif draw < 0.23:
            items = bills[-1:]
        elif draw < 0.25:
            items = [("", bills[-1][1], -Decimal(rng.randint(500, 5000)) / 100)]
        for k, (number, due, amount) in enumerate(items, start=1):
            bundle.rows["open_items"].append(
                [
                    f"{account}-{k}",
                    str(account),
                    number,
                    fmt.format_date(due),
                    fmt.format_decimal(amount),
                ]
            )
        balance = sum((item[2] for item in items), Decimal("0.00"))
        bundle.rows["balances"].append([str(account), fmt.format_decimal(balance)])

    def _agreement(self, rng: random.Random, bundle: Bundle, account: int, opened: dt.date) -> None:
        draw = rng.random()
        if draw >= 0.35:
            return
        kind = "OTSEKORRALDUS" if draw < 0.05 else "E-ARVE"
        bic, code, _ = rng.choices(BANKS, weights=[b[2] for b in BANKS])[0]
        since = max(opened, dt.date(2014, 2, 1)) if kind == "E-ARVE" else opened
        bundle.rows["agreements"].append(
            [
                f"KL{account}",
                str(account),
                kind,
                bic,
                make_iban(code, account),
                fmt.format_date(since),
            ]
        )


def customer_key(index: int) -> str:
    """The old customer key of the extract's ``index``-th customer."""
    return str(100_000 + index)


def _next_eic(serial: int) -> tuple[int, str]:
    """The serial after ``serial`` that makes a valid EIC, and that EIC."""
    while True:
        serial += 1
        try:
            return serial, identifiers.make_eic(f"38ZEE-{serial:08d}-")
        except ValueError:
            continue


def _local_hours(count: int) -> list[int]:
    """The local clock hours of a day of ``count`` hours (23 and 25 on the DST days)."""
    if count == 23:
        return [0, 1, 2, *range(4, 24)]
    if count == 25:
        return [0, 1, 2, 3, 3, *range(4, 24)]
    return list(range(24))


def _hour_shape(hour: int, business: bool) -> float:
    if business:
        return 1.3 if 8 <= hour < 18 else 0.75
    return 1.3 if 17 <= hour < 22 else (0.7 if hour < 6 else 1.0)


def _split_wh(total: int, weights: list[float]) -> list[int]:
    """``total`` Wh over the hours by weight, whole Wh; the rounding rest on the last hours."""
    scale = sum(weights)
    values = [int(total * w / scale) for w in weights]
    rest = total - sum(values)
    for i in range(rest):
        values[-1 - i % len(values)] += 1
    return values


def _market_prices(month: Month, rng: random.Random) -> list[tuple[dt.datetime, int, Decimal]]:
    """The month's day-ahead prices (quarter hours, EUR/MWh): a daily rhythm and noise."""
    start, _ = day_bounds(month.first_day)
    _, end = day_bounds(month.last_day)
    rows = []
    for at in interval_starts(start, end, minutes=15):
        hour = _local_hour(at)
        level = 95.0 if 7 <= hour < 22 else 55.0
        rows.append((at, 15, Decimal(f"{level * rng.uniform(0.6, 1.5):.2f}")))
    return rows


def _local_hour(at: dt.datetime) -> int:
    day = local_date(at)
    start, _ = day_bounds(day)
    return int((at - start).total_seconds() // 3600)


def _market_price_rows(prices: list[tuple[dt.datetime, int, Decimal]]) -> list[list[str]]:
    return [
        [at.strftime("%d.%m.%Y %H:%M"), str(minutes), fmt.format_decimal(price)]
        for at, minutes, price in prices
    ]


# -- dirt, delta and writing ----------------------------------------------------------------

DIRT = (
    "invalid_personal_code",
    "duplicate_personal_code",
    "same_person_twice",
    "overlapping_contracts",
    "reading_backwards",
    "bill_does_not_add_up",
    "unmapped_product",
)


def _dirt_invalid_code(bundle: Bundle, other: Bundle) -> None:
    row = bundle.rows["customers"][0]
    row[2] = row[2][:-1] + str((int(row[2][-1]) + 1) % 10)


def _dirt_duplicate_code(bundle: Bundle, other: Bundle) -> None:
    row, theirs = bundle.rows["customers"][0], other.rows["customers"][0]
    row[2] = theirs[2]
    if row[7] == theirs[7]:
        row[6] = row[7] = row[7] + "-Tamm"


def _dirt_same_person(bundle: Bundle, other: Bundle) -> None:
    row, theirs = bundle.rows["customers"][0], other.rows["customers"][0]
    row[2], row[5], row[6], row[7] = theirs[2], theirs[5], theirs[6], theirs[7]


def _dirt_overlap(bundle: Bundle, other: Bundle) -> None:
    first = bundle.rows["contracts"][-1]
    start = fmt.parse_date(first[4]) + dt.timedelta(days=200)
    bundle.rows["contracts"].append(
        [str(int(first[0]) + 5), first[1], first[2], first[3], fmt.format_date(start), "", "0"]
    )


def _dirt_backwards(bundle: Bundle, other: Bundle) -> None:
    readings = bundle.rows["readings"]
    readings[6][3] = str(int(readings[5][3]) - 37)


def _dirt_bill(bundle: Bundle, other: Bundle) -> None:
    bill = bundle.rows["bills"][-2]
    bill[8] = fmt.format_decimal(fmt.parse_decimal(bill[8]) + Decimal("1.00"))


def _dirt_product(bundle: Bundle, other: Bundle) -> None:
    bundle.rows["contracts"][0][3] = UNMAPPED_PRODUCT


_DIRT_MAKERS: dict[str, Callable[[Bundle, Bundle], None]] = {
    "invalid_personal_code": _dirt_invalid_code,
    "duplicate_personal_code": _dirt_duplicate_code,
    "same_person_twice": _dirt_same_person,
    "overlapping_contracts": _dirt_overlap,
    "reading_backwards": _dirt_backwards,
    "bill_does_not_add_up": _dirt_bill,
    "unmapped_product": _dirt_product,
}


def dirt_per_kind(customers: int) -> int:
    return max(1, customers // 1000)


class _Known(Exception):
    """A probe has seen what it looks for: the rest of the bundle is not built."""


@dataclass
class _Shape:
    """What the dirt and the EIC serials need to know of a bundle before it is built."""

    person: bool = False
    readings: bool = False  # a person's with a manually read point (has readings)
    points: int = 0  # each takes an EIC
    accounts: int = 0
    counted: int = 0  # accounts whose points are counted


class _Probe(ExtractBuilder):
    """Builds a bundle only as far as its shape is known (a few random draws for most: the
    first point's remote flag; a first account for the few with two accounts), with the
    draws but without the work that draws nothing: no personal codes, EICs or interval
    values."""

    def shape(self, index: int) -> _Shape:
        self._shape = _Shape()
        with suppress(_Known):
            self.bundle(index)
        return self._shape

    @staticmethod
    def personal_code(index: int, male: bool) -> str:
        return ""

    def next_eic(self) -> str:
        return ""

    def _intervals(
        self, rng: random.Random, bundle: Bundle, key: int, kwh: Decimal, business: bool
    ) -> None:
        self._interval_weights(rng, business)

    def _customer(
        self, rng: random.Random, bundle: Bundle, index: int, business: bool, address: str
    ) -> None:
        super()._customer(rng, bundle, index, business, address)
        self._shape.person = not business

    def _account_count(self, rng: random.Random) -> int:
        shape = self._shape
        shape.accounts = super()._account_count(rng)
        if shape.person:  # a person's account has one point, with no draw
            shape.points = shape.accounts
        return shape.accounts

    def _point_count(self, rng: random.Random, business: bool) -> int:
        count = super()._point_count(rng, business)
        shape = self._shape
        shape.counted += 1
        if business:
            shape.points += count
            if shape.counted == shape.accounts:
                raise _Known
        return count

    def _remote(self, rng: random.Random) -> bool:
        remote = super()._remote(rng)
        shape = self._shape
        if shape.person and (not remote or shape.counted == shape.accounts):
            shape.readings = not remote
            raise _Known
        return remote


@dataclass
class _Layout:
    """The customers of a full extract before they are built: the EIC serial each starts
    from (they are numbered in order) and the dirt each gets. Per customer only a number;
    the customers row of each dirty pair's other customer."""

    customers: int
    serials: array[int]  # before customer i's first point; the last: after the last customer
    dirt: dict[str, list[str]]  # kind → the old customer keys it went to
    dirty: dict[int, tuple[str, list[str] | None]]  # index → kind, the other's customers row
    no_postcode: set[int]

    def bundle(self, builder: ExtractBuilder, index: int) -> Bundle:
        """Customer ``index``'s bundle with its dirt in."""
        builder.eic_serial = self.serials[index]
        bundle = builder.bundle(index)
        if index in self.dirty:
            kind, other = self.dirty[index]
            pair = bundle if other is None else Bundle(other[0], {"customers": [other]})
            _DIRT_MAKERS[kind](bundle, pair)
        if index in self.no_postcode:
            bundle.rows["addresses"][0][3] = ""
        return bundle


def _layout(*, customers: int, seed: int, extract_date: dt.date) -> _Layout:
    """The layout of a full extract from a first pass of probes: which customers are persons
    and which have readings (where the dirt may go), how many points each has (its EICs)."""
    probe = _Probe(customers=customers, seed=seed, extract_date=extract_date)
    serials, persons, manual = array("q"), array("q"), array("q")
    serial = probe.eic_serial
    for index in range(customers):
        serials.append(serial)
        shape = probe.shape(index)
        for _ in range(shape.points):
            serial, _eic = _next_eic(serial)
        if shape.person:
            persons.append(index)
            if shape.readings:
                manual.append(index)
    serials.append(serial)
    dirt, pairs, no_postcode = _plan_dirt(
        customers=customers, persons=persons, manual=manual, seed=seed
    )
    whole = ExtractBuilder(customers=customers, seed=seed, extract_date=extract_date)
    dirty = {  # the customers row is made before any EIC: a builder in any state makes it
        index: (kind, None if other == index else whole.bundle(other).rows["customers"][0])
        for index, (kind, other) in pairs.items()
    }
    return _Layout(customers, serials, dirt, dirty, no_postcode)


def _plan_dirt(
    *, customers: int, persons: Sequence[int], manual: Sequence[int], seed: int
) -> tuple[dict[str, list[str]], dict[int, tuple[str, int]], set[int]]:
    """Where the dirt goes: kind → old customer keys; customer index → kind and the index of
    the other customer of its pair (its own if none); the customers without a postcode."""
    rng = random.Random(f"{seed}-dirt")
    per_kind = dirt_per_kind(customers)
    chosen: set[int] = set()
    done: dict[str, list[str]] = {kind: [] for kind in DIRT}
    pairs: dict[int, tuple[str, int]] = {}

    def take(pool: Sequence[int]) -> int:
        while True:
            index = pool[rng.randrange(len(pool))]
            if index not in chosen:
                chosen.add(index)
                return index

    for kind in DIRT:
        for _ in range(1 if kind == "unmapped_product" else per_kind):
            index = take(manual if kind == "reading_backwards" else persons)
            other = (
                take(persons) if kind in ("duplicate_personal_code", "same_person_twice") else index
            )
            pairs[index] = (kind, other)
            done[kind].append(customer_key(index))
    no_postcode = {rng.randrange(customers) for _ in range(max(1, customers // 100))}
    return done, pairs, no_postcode


def _product_rows() -> list[list[str]]:
    rows = []
    for code, (name, _, prices, _fee, _new) in OLD_PRODUCTS.items():
        rows.append([code, name, fmt.format_decimal(prices[0] * 100) if prices else ""])
    rows.append([UNMAPPED_PRODUCT, "Vana Soodus 2009", "10,9000"])
    return rows


def _price_list_rows() -> list[list[str]]:
    """The old products' prices as the legacy bills used them (one version each)."""
    rows = []
    for code, (_name, day_night, prices, fee, _new) in OLD_PRODUCTS.items():
        single = prices[0] if prices and not day_night else None
        day, night = (prices[0], prices[1]) if prices and day_night else (None, None)
        margin = EXCHANGE_MARGIN if prices is None else None
        rows.append(
            [code, fmt.format_date(PRICES_FROM), ""]
            + ["" if v is None else fmt.format_decimal(v) for v in (single, day, night, margin)]
            + [fmt.format_decimal(fee), fmt.format_decimal(GREEN_PRICE)]
        )
    return rows


class _ExtractWriter:
    """The extract's files, all open at once: rows are appended as the customers are built
    and the counts and control totals kept as they are written."""

    def __init__(self, directory: Path, files: ExitStack) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.counts = {spec.entity: 0 for spec in fmt.FILES + fmt.SHADOW_FILES}
        self.totals = {spec.entity: Decimal(0) for spec in fmt.FILES + fmt.SHADOW_FILES}
        self._writers: dict[str, Any] = {}
        for spec in fmt.FILES + fmt.SHADOW_FILES:
            file = files.enter_context(
                (directory / spec.file_name).open(
                    "w", encoding=spec.encoding, newline="", buffering=1 << 18
                )
            )
            self._writers[spec.entity] = csv.writer(file, delimiter=";", lineterminator="\r\n")
            self._writers[spec.entity].writerow(spec.columns)

    def rows(self, entity: str, rows: list[list[str]]) -> None:
        spec = fmt.SPECS[entity]
        self._writers[entity].writerows(rows)
        self.counts[entity] += len(rows)
        if spec.control_column:
            at = spec.columns.index(spec.control_column)
            for row in rows:
                self.totals[entity] += fmt.parse_decimal(row[at])

    def bundle(self, bundle: Bundle) -> None:
        for entity, rows in bundle.rows.items():
            self.rows(entity, rows)


def _write_extract(
    directory: Path,
    bundles: Iterable[Bundle],
    *,
    meta: dict[str, str],
    market_prices: list[list[str]] | None = None,
) -> dict[str, int]:
    """Write the extract of ``bundles`` (built as they are written: one in memory at a
    time), the manifest last."""
    with ExitStack() as files:
        out = _ExtractWriter(directory, files)
        out.rows("products", _product_rows())
        out.rows("market_prices", market_prices or [])
        out.rows("price_list", _price_list_rows())
        for bundle in bundles:
            out.bundle(bundle)
    fmt.write_manifest(directory, meta=meta, counts=out.counts, totals=out.totals)
    return out.counts


def make_extract(
    *, directory: Path, customers: int, seed: int, extract_date: dt.date = DEFAULT_EXTRACT_DATE
) -> dict[str, int]:
    """Write a full extract of ``customers`` customers; returns the row count per entity.
    The customers are built and written one by one (memory does not grow with the count
    beyond a number or two per customer)."""
    if customers < 10:
        raise ValueError("An extract needs at least 10 customers (the dirt needs room).")
    layout = _layout(customers=customers, seed=seed, extract_date=extract_date)
    builder = ExtractBuilder(customers=customers, seed=seed, extract_date=extract_date)
    meta = {
        "system": "VANA-KIS 4.2",
        "kind": "full",
        "seed": str(seed),
        "customers": str(customers),
        "extract_date": extract_date.isoformat(),
    }
    return _write_extract(
        directory,
        (layout.bundle(builder, index) for index in range(customers)),
        meta=meta,
        market_prices=_market_price_rows(builder.market_prices),
    )


def make_delta(*, directory: Path, base: Path) -> dict[str, int]:
    """Write the delta extract taken after the freeze of the full extract in ``base``: only
    the customers that changed (each whole), read from the base's manifest and seed."""
    meta = fmt.read_manifest(base).meta
    if meta.get("kind") != "full":
        raise ValueError(f"{base} is not a full extract; a delta is made of a full one")
    seed, customers = int(meta["seed"]), int(meta["customers"])
    extract_date = dt.date.fromisoformat(meta["extract_date"])
    layout = _layout(customers=customers, seed=seed, extract_date=extract_date)
    builder = ExtractBuilder(customers=customers, seed=seed, extract_date=extract_date)
    delta_meta = {
        **meta,
        "kind": "delta",
        "base_extract_date": meta["extract_date"],
        "extract_date": (extract_date + dt.timedelta(days=FREEZE_DAYS)).isoformat(),
    }
    return _write_extract(
        directory, _delta_changes(layout, seed=seed, builder=builder), meta=delta_meta
    )


def _delta_changes(layout: _Layout, *, seed: int, builder: ExtractBuilder) -> Iterator[Bundle]:
    """The customers changed during the freeze: new contact details and the month-end
    reading that came in, half of them a payment that cleared their open items; the invalid
    personal codes corrected by the service desk; and a few new customers. Built one by one
    (only the changed ones)."""
    rng = random.Random(f"{seed}-delta")
    customers = layout.customers
    clean = [index for index in range(customers) if index not in layout.dirty]
    for index in rng.sample(clean, min(len(clean), max(3, customers // 100))):
        bundle = layout.bundle(builder, index)
        customer = bundle.rows["customers"][0]
        customer[8] = f"uus.{customer[0]}@example.ee"
        customer[9] = f"+372 5{rng.randint(100000, 9999999)}"
        _month_end_reading(bundle, builder.months[-1].next())
        if rng.random() < 0.5:
            bundle.rows["open_items"].clear()
            for balance in bundle.rows["balances"]:
                balance[1] = "0,00"
        yield bundle
    for key in layout.dirt["invalid_personal_code"]:
        bundle = layout.bundle(builder, int(key) - int(customer_key(0)))
        row = bundle.rows["customers"][0]
        row[2] = _corrected_code(row[2])
        yield bundle
    builder.eic_serial = layout.serials[customers]
    for index in range(customers, customers + max(1, customers // 1000)):
        yield builder.bundle(index)


def _month_end_reading(bundle: Bundle, month: Month) -> None:
    """The month-end reading of ``month`` for each register: the last one plus a little."""
    last: dict[str, list[str]] = {}
    for row in bundle.rows["readings"]:
        last[row[1]] = row
    for register, row in last.items():
        bundle.rows["readings"].append(
            [
                str(int(row[0]) + 1),
                register,
                fmt.format_date(month.last_day),
                str(int(row[3]) + 250),
            ]
        )


def _corrected_code(code: str) -> str:
    """The personal code with its check digit put right."""
    for digit in "0123456789":
        candidate = code[:-1] + digit
        try:
            return identifiers.validate_isikukood(candidate)
        except identifiers.InvalidIdentifier:
            continue
    raise ValueError(f"{code} cannot be corrected by its check digit")
