"""factory_boy factories for the domain models, valid by construction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from vool.common import identifiers
from vool.domain.contracts.models import SupplyContract
from vool.domain.customers.models import BillingAccount, Customer
from vool.domain.metering.models import Meter, Register
from vool.domain.supply.models import GridOperator, MeteringPoint
from vool.domain.tariffs.models import Product, ProductPrice


def point_eic(n: int) -> str:
    """A valid metering-point EIC for sequence number ``n`` (unique per n)."""
    for suffix in "ABCDEFGHJK":
        try:
            return identifiers.make_eic(f"38ZEE-{n:07d}{suffix}-")
        except ValueError:
            continue
    raise AssertionError(f"no EIC for {n}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    kind = Customer.Kind.PERSON
    first_name = factory.Sequence(lambda n: f"Mari{n}")
    last_name = "Tamm"
    name = factory.LazyAttribute(lambda o: f"{o.first_name} {o.last_name}")
    personal_code = factory.Sequence(
        lambda n: identifiers.make_isikukood(
            birth_date=dt.date(1970, 1, 1) + dt.timedelta(days=n % 10000),
            serial=n % 1000,
            male=False,
        )
    )
    registry_code = None
    email = factory.LazyAttribute(lambda o: f"{o.first_name.lower()}@example.ee")


class BusinessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    kind = Customer.Kind.BUSINESS
    name = factory.Sequence(lambda n: f"Firma {n} OÜ")
    registry_code = factory.Sequence(lambda n: identifiers.make_registrikood(f"{1000000 + n}"))
    personal_code = None


class BillingAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillingAccount

    customer = factory.SubFactory(PersonFactory)
    reference_number = factory.Sequence(lambda n: identifiers.make_reference_number(900000 + n))


class GridOperatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GridOperator
        django_get_or_create = ("code",)

    code = "ELEKTRILEVI"
    name = "Elektrilevi OÜ"
    eic = "38ZEE-1000007L-E"  # a published example code; stands in for the operator's X code


class MeteringPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeteringPoint

    eic = factory.Sequence(lambda n: point_eic(n))
    grid_operator = factory.SubFactory(GridOperatorFactory)
    street_address = factory.Sequence(lambda n: f"Pikk {n}")
    city = "Tallinn"
    main_fuse_a = 25
    network_package_code = "V1"
    metering_method = MeteringPoint.MeteringMethod.REMOTE_INTERVAL
    resolution = MeteringPoint.Resolution.PT15M


class MeterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meter

    metering_point = factory.SubFactory(
        MeteringPointFactory, metering_method=MeteringPoint.MeteringMethod.MANUAL_REGISTER
    )
    serial_number = factory.Sequence(lambda n: f"M{n:08d}")
    digits = 6
    multiplier = Decimal(1)
    installed_date = dt.date(2020, 1, 1)


class RegisterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Register

    meter = factory.SubFactory(MeterFactory)
    kind = Register.Kind.SINGLE


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("code",)

    code = "FIX"
    name_et = "Fikseeritud"
    name_ru = "Фиксированный"
    name_en = "Fixed"
    kind = Product.Kind.FIXED
    segment = "HOUSEHOLD"
    on_sale_from = dt.date(2024, 1, 1)


class ProductPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductPrice

    product = factory.SubFactory(ProductFactory)
    valid_from = dt.date(2024, 1, 1)
    monthly_fee_amount = Decimal("2.99")
    energy_price = Decimal("0.120000")


class SupplyContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplyContract

    billing_account = factory.SubFactory(BillingAccountFactory)
    customer = factory.LazyAttribute(lambda o: o.billing_account.customer)
    metering_point = factory.SubFactory(MeteringPointFactory)
    product = factory.SubFactory(ProductFactory)
    valid_from = dt.date(2025, 1, 1)
    signed_channel = SupplyContract.Channel.BACKOFFICE
