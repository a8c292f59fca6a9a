"""Django field validators over the pure identifier checks in ``vool.common.identifiers``."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError

from vool.common import identifiers


def _wrap(check: Callable[[str], str], code: str) -> Callable[[str], None]:
    def validator(value: str) -> None:
        try:
            check(value)
        except identifiers.InvalidIdentifier as exc:
            raise ValidationError(str(exc), code=code) from exc

    validator.__name__ = validator.__qualname__ = f"validate_{code}"
    return validator


validate_isikukood = _wrap(identifiers.validate_isikukood, "isikukood")
validate_registrikood = _wrap(identifiers.validate_registrikood, "registrikood")
validate_kmkr = _wrap(identifiers.validate_kmkr, "kmkr")
validate_eic = _wrap(identifiers.validate_eic, "eic")
validate_iban = _wrap(identifiers.validate_iban, "iban")
validate_reference_number = _wrap(identifiers.validate_reference_number, "reference_number")
