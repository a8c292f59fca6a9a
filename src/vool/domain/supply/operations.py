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


def update_master_data(
    *,
    point: MeteringPoint,
    street_address: str,
    city: str,
    postal_code: str,
    resolution: str,
    metering_method: str,
    grid_operator: GridOperator | None = None,
    network_package_code: str = "",
) -> list[str]:
    """Bring ``point`` to the master data the data hub gives; the names of the fields that
    changed (an empty list: nothing to write). Empty values from the hub keep what we have."""
    wanted: dict[str, object] = {
        "street_address": street_address,
        "city": city,
        "postal_code": postal_code,
        "resolution": resolution,
        "metering_method": metering_method,
        "network_package_code": network_package_code,
    }
    if grid_operator is not None:
        wanted["grid_operator_id"] = grid_operator.pk
    changed = [
        name
        for name, value in wanted.items()
        if value not in ("", None) and getattr(point, name) != value
    ]
    if not changed:
        return []
    for name in changed:
        setattr(point, name, wanted[name])
    try:
        point.full_clean()
    except ValidationError as exc:
        raise InvalidMeteringPoint(exc.message_dict) from exc
    point.save(update_fields=changed)
    return changed
