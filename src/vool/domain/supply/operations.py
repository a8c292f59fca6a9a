"""Writes for grid operators and metering points."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from vool.common import identifiers
from vool.domain import validators
from vool.domain.supply.models import GridOperator, MeteringPoint


class InvalidMeteringPoint(ValidationError):
    """The metering point data break a rule; the message names the field."""


def create_metering_point(
    *,
    eic: str,
    grid_operator: GridOperator,
    street_address: str,
    city: str,
    main_fuse_a: int,
    network_package_code: str,
    metering_method: str,
    resolution: str = MeteringPoint.Resolution.PT15M,
    postal_code: str = "",
    is_apartment: bool = False,
) -> MeteringPoint:
    try:
        eic = identifiers.validate_eic(eic)
    except identifiers.InvalidIdentifier as exc:
        raise InvalidMeteringPoint({"eic": validators.explain(exc, code="eic", value=eic)}) from exc
    if MeteringPoint.objects.filter(eic=eic).exists():
        raise InvalidMeteringPoint({"eic": f"A metering point with EIC {eic} already exists."})
    point = MeteringPoint(
        eic=eic,
        grid_operator=grid_operator,
        street_address=street_address,
        city=city,
        postal_code=postal_code,
        is_apartment=is_apartment,
        main_fuse_a=main_fuse_a,
        network_package_code=network_package_code,
        metering_method=metering_method,
        resolution=resolution,
    )
    with transaction.atomic():
        try:
            point.full_clean()
        except ValidationError as exc:
            raise InvalidMeteringPoint(exc.message_dict) from exc
        point.save()
    return point
