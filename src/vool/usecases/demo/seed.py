"""Seed a deterministic, realistic Estonian electricity supplier for demos and benchmarks.

``seed_demo(customers=N, seed=S, as_of=D)`` makes households and businesses with valid
personal and registry codes, billing accounts with reference numbers, metering points with
valid EICs (about 80% remote-read, 20% manual), meters and registers, products on sale,
contracts, and consumption history: interval data (15/60 min, DST-correct) for remote points
and month-end register readings for manual ones, with seasons and a daily rhythm.

Everything is written set-based (``bulk_create``, COPY on PostgreSQL), in chunks, each in its
own transaction; the same N, seed and as_of always give the same data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

import numpy as np
from django.db import transaction
from django.utils import timezone

from vool.common import identifiers
from vool.common.localtime import TALLINN, Month, day_bounds, interval_starts, local_midnight
from vool.domain.bulk import copy_rows, insert_instances, refresh_statistics
from vool.domain.contracts.models import SupplyContract
from vool.domain.customers import operations as customer_operations
from vool.domain.customers.models import BillingAccount, Customer, FormerReferenceNumber
from vool.domain.metering.interval_operations import INTERVAL_DAY_COLUMNS
from vool.domain.metering.intervals import pack_quality, pack_values
from vool.domain.metering.models import IntervalDay, Meter, Reading, Register
from vool.domain.supply.models import GridOperator, MeteringPoint
from vool.domain.tariffs import operations as tariff_operations
from vool.domain.tariffs import queries as tariff_queries
from vool.domain.tariffs.models import MarketPrice, Product, ProductPrice
from vool.usecases.demo import documents, marker, names, profiles

CHUNK = 5000
DAYS_PER_TRANSACTION = 7
ProgressCallback = Callable[[str, int, int], None]


class UnableToSeed(Exception):
    """The database is not in a state the seeder can fill."""


@dataclass
class SeedResult:
    customers: int = 0
    billing_accounts: int = 0
    metering_points: int = 0
    meters: int = 0
    contracts: int = 0
    readings: int = 0
    interval_days: int = 0
    former_reference_numbers: int = 0
    history: tuple[dt.date, dt.date] | None = None


@dataclass
class _Points:
    """What the consumption phase needs to know of each metering point (parallel arrays)."""

    ids: list[int] = field(default_factory=list)
    remote: list[bool] = field(default_factory=list)
    business: list[bool] = field(default_factory=list)
    minutes: list[int] = field(default_factory=list)
    annual_kwh: list[float] = field(default_factory=list)
    digits: list[int] = field(default_factory=list)
    registers: list[dict[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class _Address:
    street: str
    town: str
    postal: str


@dataclass(frozen=True)
class _Placed:
    """A new metering point, its owner's index among the chunk's customers and the serial
    its meter's number is made of."""

    point: MeteringPoint
    owner: int
    serial: int


@dataclass(frozen=True)
class _Supply:
    contract: SupplyContract
    meter: Meter
    kinds: tuple[str, ...]  # the meter's register kinds


@dataclass
class _RegisterState:
    """A manual point's registers while its readings are made: the running (unwrapped)
    value of each kind, the meter's modulus (``10 ** digits``) and the register ids."""

    kinds: list[str]
    values: dict[str, float]
    modulus: int
    ids: dict[str, int]

    @classmethod
    def opening(cls, rng: np.random.Generator, points: _Points, i: int) -> _RegisterState:
        """Opening values: a few near the rollover, the others low in the dial's range."""
        modulus = 10 ** points.digits[i]
        near_rollover = rng.random() < 0.02
        kinds = sorted(points.registers[i])
        values = {
            kind: float(modulus - rng.integers(50, 400))
            if near_rollover
            else float(rng.integers(0, modulus // 20))
            for kind in kinds
        }
        return cls(kinds, values, modulus, points.registers[i])


GRID_OPERATOR = {
    "code": "ELEKTRILEVI",
    "name": "Elektrilevi OÜ",
    # Demo stand-in: a well-formed party EIC; replace with the operator's published X code.
    "eic": identifiers.make_eic("38XELEKTRILEVI-"),
}

# Demo packages. Prices are EUR/kWh excl. VAT; invented for the demo, not market offers.
PRODUCTS = (
    {
        "code": "KODU-FIX",
        "name_et": "Kodu Kindel",
        "name_ru": "Дом Фикс",
        "name_en": "Home Fixed",
        "kind": "FIXED",
        "segment": "HOUSEHOLD",
        "monthly_fee_amount": Decimal("2.99"),
        "fixed_term_months": 12,
        "early_termination_fee_amount": Decimal("20.00"),
        "prices": (
            {"valid_from": dt.date(2024, 1, 1), "energy_price": Decimal("0.139000")},
            {"valid_from": dt.date(2026, 1, 1), "energy_price": Decimal("0.129000")},
        ),
    },
    {
        "code": "KODU-PN",
        "name_et": "Kodu Päev/Öö",
        "name_ru": "Дом День/Ночь",
        "name_en": "Home Day/Night",
        "kind": "DAY_NIGHT",
        "segment": "HOUSEHOLD",
        "monthly_fee_amount": Decimal("2.99"),
        "prices": (
            {
                "valid_from": dt.date(2024, 1, 1),
                "day_price": Decimal("0.149000"),
                "night_price": Decimal("0.099000"),
            },
        ),
    },
    {
        "code": "KODU-BORS",
        "name_et": "Kodu Börs",
        "name_ru": "Дом Биржа",
        "name_en": "Home Exchange",
        "kind": "EXCHANGE",
        "segment": "HOUSEHOLD",
        "monthly_fee_amount": Decimal("1.99"),
        "prices": ({"valid_from": dt.date(2024, 1, 1), "margin": Decimal("0.006900")},),
    },
    {
        "code": "ARI-BORS",
        "name_et": "Äri Börs",
        "name_ru": "Бизнес Биржа",
        "name_en": "Business Exchange",
        "kind": "EXCHANGE",
        "segment": "BUSINESS",
        "monthly_fee_amount": Decimal("9.90"),
        "prices": ({"valid_from": dt.date(2024, 1, 1), "margin": Decimal("0.004900")},),
    },
    {
        "code": "ARI-FIX",
        "name_et": "Äri Kindel",
        "name_ru": "Бизнес Фикс",
        "name_en": "Business Fixed",
        "kind": "FIXED",
        "segment": "BUSINESS",
        "monthly_fee_amount": Decimal("9.90"),
        "fixed_term_months": 24,
        "early_termination_fee_amount": Decimal("100.00"),
        "prices": ({"valid_from": dt.date(2024, 1, 1), "energy_price": Decimal("0.119000")},),
    },
)
HOUSEHOLD_PRODUCTS = (("KODU-FIX", 0.35), ("KODU-PN", 0.25), ("KODU-BORS", 0.40))
BUSINESS_PRODUCTS = (("ARI-BORS", 0.6), ("ARI-FIX", 0.4))
SIGNED_CHANNELS = (("PORTAL", 0.5), ("PHONE", 0.2), ("BACKOFFICE", 0.1), ("MIGRATION", 0.2))
NETWORK_PACKAGES = (("V1", 0.5), ("V2", 0.4), ("V4", 0.05), ("V5", 0.05))
# the connections the seeder makes: main fuses of houses and businesses, and apartments
SEEDED_FUSES = (16, 20, 25, 32, 40, 63)


def packages_known_for(
    *, operator_code: str, first_day: dt.date, end_day: dt.date
) -> tuple[tuple[str, float], ...]:
    """The demo's network packages whose kWh prices and monthly fees (every seeded fuse size
    and apartments) are known on every day of ``[first_day, end_day)``, with their weights.
    A package with a gap (Võrk 5's fees from 2026-06-01 are not shipped) would make its
    customers run exceptions in every month of the gap; the seed leaves it out, while a real
    customer on it stays a clear exception. When no package is known for the whole period
    (a history reaching before the shipped fee lists), all are kept and the bills of those
    months name the missing data."""
    known = []
    for code, weight in NETWORK_PACKAGES:
        try:
            for fuse, apartment in [(f, False) for f in SEEDED_FUSES] + [(16, True)]:
                tariff_queries.network_components(
                    grid_operator_code=operator_code,
                    package_code=code,
                    main_fuse_a=fuse,
                    is_apartment=apartment,
                    start=first_day,
                    end=end_day,
                )
        except tariff_queries.MissingTariffData:
            continue
        known.append((code, weight))
    return tuple(known) or NETWORK_PACKAGES


def ensure_reference_data() -> tuple[GridOperator, dict[str, Product]]:
    """Default tariffs (network fees, levies, VAT), the grid operator and the demo products
    with their prices (idempotent)."""
    tariff_operations.load_default_tariffs()
    documents.ensure_demo_supplier()
    with transaction.atomic():
        operator, _ = GridOperator.objects.get_or_create(
            code=GRID_OPERATOR["code"], defaults=GRID_OPERATOR
        )
        products: dict[str, Product] = {}
        for spec in PRODUCTS:
            fields = {k: v for k, v in spec.items() if k not in ("prices", "monthly_fee_amount")}
            fields["on_sale_from"] = dt.date(2024, 1, 1)
            product, created = Product.objects.get_or_create(code=spec["code"], defaults=fields)
            if created:
                versions = list(spec["prices"])  # type: ignore[call-overload]
                ends = [v["valid_from"] for v in versions[1:]] + [None]
                ProductPrice.objects.bulk_create(
                    [
                        ProductPrice(
                            product=product,
                            valid_to=end,
                            monthly_fee_amount=Decimal(str(spec["monthly_fee_amount"])),
                            **price,
                        )
                        for price, end in zip(versions, ends, strict=True)
                    ]
                )
            products[product.code] = product
    return operator, products


def _pick(rng: np.random.Generator, options: tuple[tuple[str, float], ...], n: int) -> list[str]:
    labels = [label for label, _ in options]
    weights = np.array([weight for _, weight in options])
    return [labels[i] for i in rng.choice(len(labels), size=n, p=weights / weights.sum())]


class _Picker:
    """Weighted draws one at a time, taken from pre-drawn blocks (rng.choice is slow per call)."""

    def __init__(self, rng: np.random.Generator, options: tuple[tuple[str, float], ...]):
        self.rng, self.options = rng, options
        self.buffer: Iterator[str] = iter(())

    def __call__(self) -> str:
        for label in self.buffer:
            return label
        self.buffer = iter(_pick(self.rng, self.options, 4096))
        return next(self.buffer)


def _ascii(text: str) -> str:
    table = str.maketrans("õäöüšžÕÄÖÜŠŽ", "oaouszOAOUSZ")
    return text.translate(table).lower().replace(" ", "").replace("-", "")


FORMER_REFERENCE_EVERY = 8  # one account in so many came over from the former system
FORMER_REFERENCE_FIELDS = ("account", "reference_number", "replaced_on", "source")
FORMER_REFERENCE_SOURCE = "demo: the former billing system's number"


def former_reference_rows(
    accounts: list[BillingAccount], *, replaced_on: dt.date
) -> Iterator[tuple[object, ...]]:
    """A former reference number for one account in ``FORMER_REFERENCE_EVERY`` (by id), as if
    it came over from the former billing system when the history starts: 9, the account id in
    8 digits and the 7-3-1 check digit (10 digits: never one of the 7-digit numbers the demo
    allocates now). So the demo has the new-reference-number letter to send
    (``vool letters send new-reference-number --accounts all``) and payments quoting an old
    number (``demo.billing``) that the bank import matches to the account."""
    for account in accounts:
        if account.pk % FORMER_REFERENCE_EVERY == 0:
            former = identifiers.make_reference_number(f"9{account.pk:08d}")
            yield (account.pk, former, replaced_on, FORMER_REFERENCE_SOURCE)


def _history_start(as_of: dt.date, history_months: int) -> Month:
    """The first seeded month: ``history_months`` before the month of ``as_of``."""
    month = Month.of(as_of)
    for _ in range(history_months):
        month = month.previous()
    return month


class _Seeder:
    def __init__(
        self,
        *,
        seed: int,
        as_of: dt.date,
        history_months: int,
        network_packages: tuple[tuple[str, float], ...] = NETWORK_PACKAGES,
    ) -> None:
        self.rng = np.random.default_rng(seed)
        self.as_of = as_of
        self.history_start = _history_start(as_of, history_months)
        self.used_personal_codes: set[str] = set()
        self.business_serial = 0
        self.point_serial = 0
        self.points = _Points()
        self.groups: dict[tuple[int, bool], list[int]] = {}
        self.pick_network = _Picker(self.rng, network_packages)
        self.pick_household = _Picker(self.rng, HOUSEHOLD_PRODUCTS)
        self.pick_business = _Picker(self.rng, BUSINESS_PRODUCTS)
        self.pick_channel = _Picker(self.rng, SIGNED_CHANNELS)
        towns = names.TOWNS
        weights = np.array([weight for _town, _prefix, weight in towns], dtype=float)
        self.town_weights = weights / weights.sum()

    # -- master data -------------------------------------------------------------------------

    def _person_code(self, male: bool) -> str:
        while True:
            days = int(self.rng.integers(0, (dt.date(2006, 12, 31) - dt.date(1935, 1, 1)).days))
            code = identifiers.make_isikukood(
                birth_date=dt.date(1935, 1, 1) + dt.timedelta(days=days),
                serial=int(self.rng.integers(0, 1000)),
                male=male,
            )
            if code not in self.used_personal_codes:
                self.used_personal_codes.add(code)
                return code

    def _next_eic(self) -> str:
        """The next metering-point EIC; serials whose check character would be '-' are skipped."""
        while True:
            self.point_serial += 1
            try:
                return identifiers.make_eic(f"38ZEE-{self.point_serial:08d}-")
            except ValueError:
                continue

    def _address(self) -> _Address:
        town, prefix, _ = names.TOWNS[int(self.rng.choice(len(names.TOWNS), p=self.town_weights))]
        street = names.STREETS[int(self.rng.integers(len(names.STREETS)))]
        number = int(self.rng.integers(1, 120))
        flat = f"-{int(self.rng.integers(1, 80))}" if self.rng.random() < 0.5 else ""
        postal = f"{prefix}{int(self.rng.integers(100, 999)):03d}"
        return _Address(f"{street} {number}{flat}", town, postal)

    def master_chunk(
        self, *, count: int, operator: GridOperator, products: dict[str, Product]
    ) -> SeedResult:
        """``count`` customers with their accounts, points, contracts, meters and registers.
        (The draws from the generator keep their order: a seed gives the same demo.)"""
        business = self.rng.random(count) < 0.10
        customers = [self._customer(bool(is_business)) for is_business in business]
        insert_instances(Customer, customers)
        accounts = self._accounts(customers)
        insert_instances(BillingAccount, accounts)
        former = copy_rows(
            FormerReferenceNumber,
            FORMER_REFERENCE_FIELDS,
            former_reference_rows(accounts, replaced_on=self.history_start.first_day),
        )
        placed = self._place_points(customers, operator)
        insert_instances(MeteringPoint, [p.point for p in placed])
        supplies = [
            self._supply(p, customers[p.owner], accounts[p.owner], products) for p in placed
        ]
        insert_instances(SupplyContract, [s.contract for s in supplies])
        insert_instances(Meter, [s.meter for s in supplies])
        self._registers(supplies)
        return SeedResult(
            customers=count,
            billing_accounts=len(accounts),
            former_reference_numbers=former,
            metering_points=len(placed),
            meters=len(supplies),
            contracts=len(supplies),
        )

    def _customer(self, is_business: bool) -> Customer:
        address = self._address()
        language = str(self.rng.choice(["et", "ru", "en"], p=[0.70, 0.25, 0.05]))
        if is_business:
            return self._business_customer(address, language)
        return self._person_customer(address, language)

    def _business_customer(self, address: _Address, language: str) -> Customer:
        rng = self.rng
        self.business_serial += 1
        word = names.BUSINESS_WORDS[int(rng.integers(len(names.BUSINESS_WORDS)))]
        trade = names.BUSINESS_TRADES[int(rng.integers(len(names.BUSINESS_TRADES)))]
        form = names.BUSINESS_FORMS[int(rng.integers(len(names.BUSINESS_FORMS)))]
        serial = self.business_serial
        vat = identifiers.make_kmkr(f"10{serial:06d}") if rng.random() < 0.6 else ""
        return Customer(
            kind=Customer.Kind.BUSINESS,
            name=f"{word}-{trade} {form}",
            registry_code=identifiers.make_registrikood(f"1{serial:06d}"),
            vat_number=vat,
            email=f"arved@{_ascii(word + trade)}{serial}.example.com",
            phone=f"+372 6{int(rng.integers(0, 10**6)):06d}",
            preferred_language=language,
            street_address=address.street,
            city=address.town,
            postal_code=address.postal,
        )

    def _person_customer(self, address: _Address, language: str) -> Customer:
        rng = self.rng
        male = bool(rng.random() < 0.5)
        firsts = names.FIRST_NAMES_MALE if male else names.FIRST_NAMES_FEMALE
        first = firsts[int(rng.integers(len(firsts)))]
        last = names.LAST_NAMES[int(rng.integers(len(names.LAST_NAMES)))]
        code = self._person_code(male)
        return Customer(
            kind=Customer.Kind.PERSON,
            name=f"{first} {last}",
            first_name=first,
            last_name=last,
            personal_code=code,
            email=f"{_ascii(first)}.{_ascii(last)}.{code[-4:]}@example.org",
            phone=f"+372 5{int(rng.integers(0, 10**7)):07d}",
            preferred_language=language,
            street_address=address.street,
            city=address.town,
            postal_code=address.postal,
            is_vulnerable=bool(rng.random() < 0.02),
        )

    def _accounts(self, customers: list[Customer]) -> list[BillingAccount]:
        rng = self.rng
        references = customer_operations.allocate_reference_numbers(count=len(customers))
        channels = _pick(
            rng,
            (("EMAIL", 0.55), ("PORTAL", 0.15), ("E_INVOICE", 0.25), ("PAPER", 0.05)),
            len(customers),
        )
        accounts = []
        for customer, reference, channel in zip(customers, references, channels, strict=True):
            method = "BANK_TRANSFER"
            if channel == "E_INVOICE" and rng.random() < 0.6:
                method = "E_INVOICE_STANDING_ORDER"
            elif customer.kind == Customer.Kind.BUSINESS and rng.random() < 0.05:
                method = "DIRECT_DEBIT"
            accounts.append(
                BillingAccount(
                    customer=customer,
                    reference_number=reference,
                    invoice_channel=channel,
                    payment_method=method,
                )
            )
        return accounts

    def _place_points(self, customers: list[Customer], operator: GridOperator) -> list[_Placed]:
        """A point for each household, one to three for a business."""
        placed: list[_Placed] = []
        for index, customer in enumerate(customers):
            is_business = customer.kind == Customer.Kind.BUSINESS
            n_points = int(self.rng.choice([1, 2, 3], p=[0.7, 0.2, 0.1])) if is_business else 1
            for _ in range(n_points):
                point = self._point(customer, is_business, n_points == 1, operator)
                placed.append(_Placed(point, index, self.point_serial))
        return placed

    def _point(
        self, customer: Customer, is_business: bool, at_home: bool, operator: GridOperator
    ) -> MeteringPoint:
        """A point at the customer's address (``at_home``) or at an address of its own."""
        rng = self.rng
        eic = self._next_eic()
        apartment = (not is_business) and bool(rng.random() < 0.45)
        remote = bool(rng.random() < 0.8)
        if is_business:
            # the shipped network price list covers main fuses up to 63 A
            fuse = int(rng.choice([25, 32, 40, 63]))
        elif apartment:
            fuse = int(rng.choice([16, 20, 25]))
        else:
            fuse = int(rng.choice([16, 20, 25, 32, 40, 63]))
        address = (
            _Address(customer.street_address, customer.city, customer.postal_code)
            if at_home
            else self._address()
        )
        resolution = "PT15M" if (not remote or rng.random() < 0.9) else "PT60M"
        return MeteringPoint(
            eic=eic,
            grid_operator=operator,
            street_address=address.street,
            city=address.town,
            postal_code=address.postal,
            is_apartment=apartment,
            main_fuse_a=fuse,
            network_package_code=self.pick_network(),
            metering_method="REMOTE_INTERVAL" if remote else "MANUAL_REGISTER",
            resolution=resolution,
        )

    def _supply(
        self,
        placed: _Placed,
        customer: Customer,
        account: BillingAccount,
        products: dict[str, Product],
    ) -> _Supply:
        """The point's contract (since a day from 2019 on), its meter and the meter's
        register kinds; the consumption phase's facts of the point are noted."""
        rng, point = self.rng, placed.point
        is_business = customer.kind == Customer.Kind.BUSINESS
        code = (self.pick_business if is_business else self.pick_household)()
        span = (self.history_start.first_day - dt.date(2019, 1, 1)).days
        start = dt.date(2019, 1, 1) + dt.timedelta(days=int(rng.integers(0, span)))
        contract = SupplyContract(
            customer=customer,
            billing_account=account,
            metering_point=point,
            product=products[code],
            valid_from=start,
            status=SupplyContract.Status.ACTIVE,
            signed_channel=self.pick_channel(),
        )
        remote = point.metering_method == "REMOTE_INTERVAL"
        digits = 8 if remote else int(rng.choice([5, 6]))
        meter = Meter(
            metering_point=point,
            serial_number=f"EL{placed.serial:09d}",
            digits=digits,
            installed_date=start - dt.timedelta(days=int(rng.integers(0, 400))),
        )
        kinds = ("DAY", "NIGHT") if (code == "KODU-PN" and not remote) else ("SINGLE",)
        self.points.remote.append(remote)
        self.points.business.append(is_business)
        self.points.minutes.append(15 if point.resolution == "PT15M" else 60)
        self.points.annual_kwh.append(self._annual_kwh(is_business, point.is_apartment))
        self.points.digits.append(digits)
        return _Supply(contract, meter, kinds)

    def _annual_kwh(self, is_business: bool, is_apartment: bool) -> float:
        if is_business:
            return float(self.rng.lognormal(mean=np.log(30000), sigma=0.8))
        if is_apartment:
            return float(self.rng.lognormal(mean=np.log(2000), sigma=0.35))
        return float(self.rng.lognormal(mean=np.log(6000), sigma=0.45))

    def _registers(self, supplies: list[_Supply]) -> None:
        """The meters' registers; the points' ids and register ids are noted."""
        registers = [Register(meter=s.meter, kind=kind) for s in supplies for kind in s.kinds]
        insert_instances(Register, registers)
        by_meter: dict[int, dict[str, int]] = {}
        for register in registers:
            by_meter.setdefault(register.meter_id, {})[register.kind] = register.pk
        for supply in supplies:
            self.points.ids.append(supply.meter.metering_point.pk)
            self.points.registers.append(by_meter[supply.meter.pk])

    # -- consumption -------------------------------------------------------------------------

    def history_days(self) -> list[dt.date]:
        first = self.history_start.first_day
        return [first + dt.timedelta(days=i) for i in range((self.as_of - first).days)]

    def interval_day_rows(self, day: dt.date, created_at: dt.datetime) -> list[tuple[object, ...]]:
        rows: list[tuple[object, ...]] = []
        known_at = local_midnight(day + dt.timedelta(days=1))  # the hub delivers a day after
        weekend = day.weekday() >= 5
        season = profiles.season_factor(day)
        p = self.points
        for minutes in (15, 60):
            for is_business in (False, True):
                index = self.groups[(minutes, is_business)]
                if not index:
                    continue
                hours = profiles.local_hours(day, minutes=minutes)
                shape = (profiles.business_shape if is_business else profiles.household_shape)(
                    hours, weekend=weekend
                )
                daily = np.array([p.annual_kwh[i] for i in index]) / 365.25 * season
                matrix = profiles.day_matrix_wh(daily_kwh=daily, shape=shape, rng=self.rng)
                quality = pack_quality(np.zeros(shape.size, dtype=np.uint8))
                totals = matrix.sum(axis=1, dtype=np.int64)
                for row, i in enumerate(index):
                    rows.append(
                        (
                            p.ids[i],
                            day,
                            "OUT",
                            minutes,
                            1,
                            True,
                            pack_values(matrix[row]),
                            quality,
                            int(totals[row]),
                            known_at,
                            created_at,
                        )
                    )
        return rows

    def group_points(self) -> None:
        p = self.points
        groups: dict[tuple[int, bool], list[int]] = {
            (m, b): [] for m in (15, 60) for b in (False, True)
        }
        for i in range(len(p.ids)):
            if p.remote[i]:
                groups[(p.minutes[i], p.business[i])].append(i)
        self.groups = groups

    def reading_rows(self, created_at: dt.datetime) -> list[tuple[object, ...]]:
        """Month-end readings of manual points: a migrated opening reading, then monthly ones
        (rows in the order of ``READING_FIELDS``)."""
        months = Month.range(self.history_start, Month.of(self.as_of))
        seasons = {
            month: float(
                np.mean(
                    [
                        profiles.season_factor(month.first_day + dt.timedelta(days=d))
                        for d in range(month.days)
                    ]
                )
            )
            for month in months
        }
        opening_at = dt.datetime.combine(
            self.history_start.first_day, dt.time(0, 0), tzinfo=TALLINN
        ) - dt.timedelta(hours=2)
        rows: list[tuple[object, ...]] = []
        for i in range(len(self.points.ids)):
            if self.points.remote[i]:
                continue
            register = _RegisterState.opening(self.rng, self.points, i)
            for kind in register.kinds:
                rows.append(
                    (
                        register.ids[kind],
                        opening_at,
                        Decimal(int(register.values[kind])),
                        "MIGRATION",
                        "ACCEPTED",
                        str(self.history_start.previous()),
                        "",
                        {"wraps": 0},
                        opening_at,  # known from when it was read
                        created_at,
                    )
                )
            skip_last = self.rng.random() < 0.05
            for n, month in enumerate(months):
                if skip_last and n == len(months) - 1:
                    break
                used = self.points.annual_kwh[i] / 365.25 * month.days * seasons[month]
                rows.extend(self._month_end_rows(register, month, used, created_at))
        return rows

    def _month_end_rows(
        self, register: _RegisterState, month: Month, used_kwh: float, created_at: dt.datetime
    ) -> list[tuple[object, ...]]:
        """A point's readings at the end of ``month``, read in the four days' window; the
        register state advances by what was used."""
        used = used_kwh * float(self.rng.lognormal(-0.02, 0.2))
        window_start = dt.datetime.combine(month.last_day, dt.time(0), tzinfo=TALLINN)
        offset = dt.timedelta(minutes=int(self.rng.integers(0, 4 * 24 * 60)))
        read_at = min(window_start + offset, self._as_of_instant())
        source = str(self.rng.choice(["PORTAL", "PHONE", "FILE"], p=[0.8, 0.15, 0.05]))
        shares = {"SINGLE": 1.0} if register.kinds == ["SINGLE"] else {"DAY": 0.62, "NIGHT": 0.38}
        rows: list[tuple[object, ...]] = []
        for kind in register.kinds:
            advance = round(used * shares[kind])
            register.values[kind] += advance
            # as submit_reading records them: rollovers so far and the advance
            details = {
                "wraps": int(register.values[kind]) // register.modulus,
                "advance_kwh": f"{advance}.000",
            }
            rows.append(
                (
                    register.ids[kind],
                    read_at,
                    Decimal(int(register.values[kind]) % register.modulus),
                    source,
                    "ACCEPTED",
                    str(month),
                    "",
                    details,
                    read_at,  # known from when it was read (as submitted)
                    created_at,
                )
            )
        return rows

    def _as_of_instant(self) -> dt.datetime:
        return dt.datetime.combine(self.as_of, dt.time(0), tzinfo=TALLINN)


# The day-ahead market went to 15-minute prices with delivery day 2025-10-01.
QUARTER_HOUR_PRICES_FROM = dt.date(2025, 10, 1)
DEMO_PRICE_SOURCE = "demo: synthetic prices (not market data)"


def market_price_rows(
    *, first_day: dt.date, end_day: dt.date, rng: np.random.Generator, imported_at: dt.datetime
) -> list[tuple[object, ...]]:
    """Synthetic day-ahead prices (EUR/MWh) for the demo: a daily rhythm, winter higher,
    noise and the odd negative hour. Marked as synthetic in their source."""
    rows: list[tuple[object, ...]] = []
    day = first_day
    while day < end_day:
        minutes = 15 if day >= QUARTER_HOUR_PRICES_FROM else 60
        start, end = day_bounds(day)
        starts = interval_starts(start, end, minutes=minutes)
        hours = profiles.local_hours(day, minutes=minutes)
        level = 85.0 * profiles.season_factor(day)
        shape = 0.55 + 0.45 * np.exp(-(((hours - 8.5) / 2.0) ** 2))
        shape += 0.75 * np.exp(-(((hours - 19.0) / 2.5) ** 2))
        prices = level * shape * rng.lognormal(0.0, 0.35) + rng.normal(0.0, 12.0, hours.size)
        for at, price in zip(starts, prices, strict=True):
            rows.append(
                ("ee", at, minutes, Decimal(f"{price:.2f}"), DEMO_PRICE_SOURCE, imported_at)
            )
        day += dt.timedelta(days=1)
    return rows


MARKET_PRICE_FIELDS = (
    "area",
    "start_at",
    "resolution_minutes",
    "price_eur_mwh",
    "source",
    "imported_at",
)
READING_FIELDS = (
    "register",
    "read_at",
    "value_kwh",
    "source",
    "status",
    "period",
    "reason",
    "details",
    "known_at",
    "created_at",
)


def _check_may_seed(customers: int) -> None:
    if customers < 1:
        raise UnableToSeed("Seed at least one customer.")
    if Customer.objects.exists():
        raise UnableToSeed(
            "The database already has customers; seed into an empty database "
            "(e.g. delete var/vool.sqlite3 and run `vool migrate`)."
        )
    try:
        marker.check_demo_may_use_database()  # users that are not the demo's
    except marker.NotADemoDatabase as exc:
        raise UnableToSeed(str(exc)) from exc


_MASTER_COUNTS: Final = (
    "customers",
    "billing_accounts",
    "former_reference_numbers",
    "metering_points",
    "meters",
    "contracts",
)


def _seed_master_data(
    seeder: _Seeder,
    customers: int,
    operator: GridOperator,
    products: dict[str, Product],
    progress: ProgressCallback,
) -> SeedResult:
    """The customers and what they have, a chunk a transaction."""
    result = SeedResult()
    done = 0
    while done < customers:
        count = min(CHUNK, customers - done)
        with transaction.atomic():
            chunk = seeder.master_chunk(count=count, operator=operator, products=products)
        for name in _MASTER_COUNTS:
            setattr(result, name, getattr(result, name) + getattr(chunk, name))
        done += count
        progress("customers", done, customers)
    return result


def _seed_market_prices(seeder: _Seeder, created_at: dt.datetime) -> None:
    """Synthetic prices from the history's first day to the day after ``as_of`` (day-ahead:
    tomorrow is known), where the database has none yet."""
    first_day = seeder.history_start.first_day
    with transaction.atomic():
        known = set(
            MarketPrice.objects.filter(
                area="ee", start_at__gte=local_midnight(first_day)
            ).values_list("start_at", flat=True)
        )
        rows = market_price_rows(
            first_day=first_day,
            end_day=seeder.as_of + dt.timedelta(days=2),
            rng=seeder.rng,
            imported_at=created_at,
        )
        start_at = MARKET_PRICE_FIELDS.index("start_at")
        copy_rows(MarketPrice, MARKET_PRICE_FIELDS, (r for r in rows if r[start_at] not in known))


def _seed_interval_days(
    seeder: _Seeder, days: list[dt.date], created_at: dt.datetime, progress: ProgressCallback
) -> int:
    """The remote points' interval data of ``days``, some days a transaction."""
    written = 0
    for first in range(0, len(days), DAYS_PER_TRANSACTION):
        with transaction.atomic():
            for day in days[first : first + DAYS_PER_TRANSACTION]:
                written += copy_rows(
                    IntervalDay, INTERVAL_DAY_COLUMNS, seeder.interval_day_rows(day, created_at)
                )
        progress("interval days", min(first + DAYS_PER_TRANSACTION, len(days)), len(days))
    return written


SEEDED_MODELS: Final = (
    Customer,
    BillingAccount,
    FormerReferenceNumber,
    MeteringPoint,
    Meter,
    Register,
    SupplyContract,
    Reading,
    MarketPrice,
    IntervalDay,
)


def seed_demo(
    *,
    customers: int,
    seed: int,
    as_of: dt.date,
    history_months: int = 13,
    interval_history_days: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> SeedResult:
    """Seed ``customers`` customers and their history up to (not including) ``as_of``.

    ``interval_history_days`` limits the interval data to the latest days (for large
    benchmarks, where 13 months of 15-minute data would be gigabytes); None = full history.
    """
    _check_may_seed(customers)
    marker.record_seed(seed=seed, customers=customers, history_until=as_of, at=timezone.now())
    progress = on_progress or (lambda step, done, total: None)
    operator, products = ensure_reference_data()
    history_start = _history_start(as_of, history_months)
    seeder = _Seeder(
        seed=seed,
        as_of=as_of,
        history_months=history_months,
        network_packages=packages_known_for(
            operator_code=operator.code,
            first_day=history_start.first_day,
            end_day=Month.of(as_of).next().first_day,
        ),
    )
    result = _seed_master_data(seeder, customers, operator, products, progress)
    created_at = timezone.now()
    with transaction.atomic():
        rows = seeder.reading_rows(created_at)
        result.readings = copy_rows(Reading, READING_FIELDS, rows)
    progress("readings", 1, 1)
    _seed_market_prices(seeder, created_at)
    progress("market prices", 1, 1)
    seeder.group_points()
    days = seeder.history_days()
    if interval_history_days is not None:
        days = days[-interval_history_days:]
    result.interval_days = _seed_interval_days(seeder, days, created_at, progress)
    result.history = (seeder.history_start.first_day, as_of)
    # the planner's statistics of what was just written (where autovacuum is off, or has not
    # come round yet, a fresh 500,000-customer database otherwise plans on empty tables)
    refresh_statistics(*SEEDED_MODELS)
    return result
