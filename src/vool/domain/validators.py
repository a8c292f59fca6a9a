"""Django field validators over the pure identifier checks in ``vool.common.identifiers``.

The pure checks explain a failure in English; here it is said again in the user's language
(Estonian and Russian through the catalogues), naming what is wrong and, for a wrong check
digit, the digit that would be right.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from vool.common import identifiers

WHAT: dict[str, Promise] = {
    "isikukood": gettext_lazy("Personal code (isikukood)"),
    "registrikood": gettext_lazy("Registry code (registrikood)"),
    "kmkr": gettext_lazy("VAT number (KMKR)"),
    "eic": gettext_lazy("EIC"),
    "iban": gettext_lazy("IBAN"),
    "reference_number": gettext_lazy("Reference number"),
}


def explain(error: identifiers.InvalidIdentifier, *, code: str, value: str) -> str:
    """The failure in the active language (the pure check's own words in English)."""
    if (get_language() or "en").startswith("en"):
        return str(error)
    params = {"what": WHAT[code], "value": value.strip()}
    if error.kind == "empty":
        return _("%(what)s is empty.") % params
    if error.kind == "length":
        return _("%(what)s %(value)s has the wrong length.") % params
    if error.kind == "checksum" and error.expected:
        return _("%(what)s %(value)s has a wrong check digit (expected %(expected)s).") % {
            **params,
            "expected": error.expected,
        }
    if error.kind == "checksum":
        return _("%(what)s %(value)s has a wrong check digit.") % params
    return _("%(what)s %(value)s is not valid.") % params


def _wrap(check: Callable[[str], str], code: str) -> Callable[[str], None]:
    def validator(value: str) -> None:
        try:
            check(value)
        except identifiers.InvalidIdentifier as exc:
            raise ValidationError(explain(exc, code=code, value=value), code=code) from exc

    validator.__name__ = validator.__qualname__ = f"validate_{code}"
    return validator


validate_isikukood = _wrap(identifiers.validate_isikukood, "isikukood")
validate_registrikood = _wrap(identifiers.validate_registrikood, "registrikood")
validate_kmkr = _wrap(identifiers.validate_kmkr, "kmkr")
validate_eic = _wrap(identifiers.validate_eic, "eic")
validate_iban = _wrap(identifiers.validate_iban, "iban")
validate_reference_number = _wrap(identifiers.validate_reference_number, "reference_number")
