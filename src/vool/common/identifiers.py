"""Estonian and European identifiers: check, normalise and (for demo data) generate them.

Every ``validate_*`` function returns the compact valid form or raises :class:`InvalidIdentifier`
with a message a person can act on. The checks are python-stdnum's where it has a module
(isikukood, registrikood, KMKR, EIC, IBAN, ISO 11649); the Estonian reference number
(viitenumber, 7-3-1 method) has none, so it is implemented here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Final

from stdnum import iban as stdnum_iban
from stdnum import iso11649
from stdnum.ee import ik, kmkr, registrikood
from stdnum.eu import eic
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)
from stdnum.iso7064 import mod_97_10

__all__ = [
    "InvalidIdentifier",
    "format_reference_number",
    "is_valid_reference_number",
    "isikukood_birth_date",
    "make_eic",
    "make_isikukood",
    "make_kmkr",
    "make_reference_number",
    "make_registrikood",
    "reference_check_digit",
    "reference_to_rf",
    "rf_to_reference",
    "validate_eic",
    "validate_iban",
    "validate_isikukood",
    "validate_kmkr",
    "validate_reference_number",
    "validate_registrikood",
    "validate_rf",
]

_REFERENCE_WEIGHTS: Final = (7, 3, 1)
_KMKR_WEIGHTS: Final = (3, 7, 1, 3, 7, 1, 3, 7, 1)
_EIC_ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-"
_SPACES: Final = (" ", "\u00a0", "\u202f", "\u2009", "\t")


class InvalidIdentifier(ValueError):
    """An identifier failed its check; ``str(exc)`` says what is wrong and how to fix it.

    ``kind`` names the failure for translation at the user interface: ``"empty"``,
    ``"length"``, ``"format"``, ``"checksum"`` (with ``expected``, the right check digit(s),
    when it can be computed) or ``"invalid"`` for anything else.
    """

    def __init__(self, message: str, *, kind: str = "invalid", expected: str | None = None):
        super().__init__(message)
        self.kind = kind
        self.expected = expected


def _require_str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be given as text (str), not {type(value).__name__}")
    return value


def _strip_spaces(value: str) -> str:
    for space in _SPACES:
        value = value.replace(space, "")
    return value


def _shown(value: str) -> str:
    """The value as it appears in a message (trimmed, so stray whitespace is not confusing)."""
    return value.strip()


# --- Estonian reference number (viitenumber), 7-3-1 -----------------------------------------


def reference_check_digit(base: str) -> str:
    """The 7-3-1 check digit for a reference-number ``base`` of 1..19 digits."""
    base = _strip_spaces(_require_str(base, "A reference number base"))
    if not base.isascii() or not base.isdigit():
        raise InvalidIdentifier(
            f"Reference number base {base!r} is not valid: it may contain only digits."
        )
    if not 1 <= len(base) <= 19:
        raise InvalidIdentifier(
            f"Reference number base {base} has {len(base)} digits; it must have 1 to 19."
        )
    total = sum(int(digit) * _REFERENCE_WEIGHTS[i % 3] for i, digit in enumerate(reversed(base)))
    return str((10 - total % 10) % 10)


def make_reference_number(base: str | int) -> str:
    """``base`` (1..19 digits, or a non-negative int) followed by its 7-3-1 check digit."""
    if isinstance(base, int) and not isinstance(base, bool):
        if base < 0:
            raise InvalidIdentifier(f"Reference number base {base} must not be negative.")
        base = str(base)
    base = _strip_spaces(_require_str(base, "A reference number base"))
    return base + reference_check_digit(base)


def validate_reference_number(value: str) -> str:
    """The compact (no spaces) reference number, if its length and check digit are right."""
    compact = _strip_spaces(_require_str(value, "A reference number"))
    if not compact:
        raise InvalidIdentifier("Reference number is empty.", kind="empty")
    if not compact.isascii() or not compact.isdigit():
        raise InvalidIdentifier(
            f"Reference number {_shown(value)} is not valid: it may contain only digits.",
            kind="format",
        )
    if not 2 <= len(compact) <= 20:
        raise InvalidIdentifier(
            f"Reference number {compact} has {len(compact)} digits; it must have 2 to 20.",
            kind="length",
        )
    expected = reference_check_digit(compact[:-1])
    if compact[-1] != expected:
        raise InvalidIdentifier(
            f"Reference number {compact} has a wrong check digit (expected {expected}).",
            kind="checksum",
            expected=expected,
        )
    return compact


def is_valid_reference_number(value: str) -> bool:
    try:
        validate_reference_number(value)
    except (InvalidIdentifier, TypeError):
        return False
    return True


def format_reference_number(value: str) -> str:
    """The reference number as printed on invoices: the compact digits (validated)."""
    return validate_reference_number(value)


# --- ISO 11649 creditor reference (RF) ------------------------------------------------------


def reference_to_rf(reference: str) -> str:
    """The ISO 11649 form of a creditor reference: ``"121312952"`` -> ``"RF31121312952"``.

    ``reference`` may be any 1..21 letters and digits (spaces are ignored); an Estonian
    reference number is carried as it is.
    """
    compact = _strip_spaces(_require_str(reference, "A reference")).upper()
    if not compact:
        raise InvalidIdentifier("Reference is empty.")
    if not compact.isascii() or not compact.isalnum():
        raise InvalidIdentifier(
            f"Reference {_shown(reference)} cannot be put in RF form: "
            "it may contain only letters A-Z and digits."
        )
    if len(compact) > 21:
        raise InvalidIdentifier(
            f"Reference {compact} has {len(compact)} characters; an RF reference can carry "
            "at most 21."
        )
    check = mod_97_10.calc_check_digits(compact + "RF")
    return validate_rf(f"RF{check}{compact}")


def validate_rf(value: str) -> str:
    """The compact ``RF…`` creditor reference, if its format and check digits are right."""
    compact = iso11649.compact(_require_str(value, "An RF reference"))
    shown = _shown(value)
    if not compact:
        raise InvalidIdentifier("RF reference is empty.")
    try:
        return iso11649.validate(compact)
    except InvalidLength:
        raise InvalidIdentifier(
            f"RF reference {shown} has {len(compact)} characters; it must have 5 to 25 "
            "(RF, two check digits and up to 21 letters or digits)."
        ) from None
    except InvalidFormat:
        if not compact.startswith("RF"):
            raise InvalidIdentifier(
                f"RF reference {shown} is not valid: it must start with RF."
            ) from None
        raise InvalidIdentifier(
            f"RF reference {shown} is not valid: after RF it may contain only letters and digits."
        ) from None
    except ValidationError:
        raise InvalidIdentifier(
            f"RF reference {shown} has wrong check digits "
            f"(expected {mod_97_10.calc_check_digits(compact[4:] + 'RF')})."
        ) from None


def rf_to_reference(rf: str) -> str:
    """The creditor reference carried in a valid RF reference: ``"RF31121312952"`` ->
    ``"121312952"``."""
    return validate_rf(rf)[4:]


# --- Personal and company codes -------------------------------------------------------------


def _ik_check_digit(digits: str) -> str:
    """Isikukood/registrikood check digit over ``digits`` (10 resp. 7 digits)."""
    check = sum((i % 9 + 1) * int(d) for i, d in enumerate(digits)) % 11
    if check == 10:
        check = sum(((i + 2) % 9 + 1) * int(d) for i, d in enumerate(digits)) % 11
    return str(check % 10)


def _stdnum_check(
    value: object,
    *,
    what: str,
    validate: Callable[[str], str],
    compact: Callable[[str], str],
    fmt: str,
    expected_check: Callable[[str], str | None],
    component: str,
    check_name: str = "check digit",
) -> str:
    """Run a stdnum ``validate`` and turn its exception into an :class:`InvalidIdentifier`."""
    text = _require_str(value, what)
    number = compact(text)
    shown = _shown(text)
    if not number:
        raise InvalidIdentifier(f"{what} is empty.", kind="empty")
    try:
        return validate(number)
    except InvalidLength:
        raise InvalidIdentifier(
            f"{what} {shown} has the wrong length: {fmt}.", kind="length"
        ) from None
    except InvalidFormat:
        raise InvalidIdentifier(f"{what} {shown} is not valid: {fmt}.", kind="format") from None
    except InvalidComponent:
        raise InvalidIdentifier(f"{what} {shown} is not valid: {component}.") from None
    except InvalidChecksum:
        expected = expected_check(number)
        hint = f" (expected {expected})" if expected else ""
        raise InvalidIdentifier(
            f"{what} {shown} has a wrong {check_name}{hint}.", kind="checksum", expected=expected
        ) from None
    except ValidationError:  # pragma: no cover - stdnum raises only the subclasses above
        raise InvalidIdentifier(f"{what} {shown} is not valid: {fmt}.", kind="format") from None


def validate_isikukood(value: str) -> str:
    """The 11-digit Estonian personal identification code (isikukood), checked."""
    return _stdnum_check(
        value,
        what="Personal code (isikukood)",
        validate=ik.validate,
        compact=_strip_spaces,
        fmt="it must be 11 digits GYYMMDDSSSC",
        expected_check=lambda n: _ik_check_digit(n[:10]),
        component="the first 7 digits (century digit 1-8 and birth date YYMMDD) "
        "are not a real date",
    )


def isikukood_birth_date(value: str) -> date:
    """The birth date encoded in a valid isikukood (``36805280109`` -> 1968-05-28)."""
    return ik.get_birth_date(validate_isikukood(value))


def validate_registrikood(value: str) -> str:
    """The 8-digit Estonian Business Register code (registrikood), checked."""
    return _stdnum_check(
        value,
        what="Registry code (registrikood)",
        validate=registrikood.validate,
        compact=_strip_spaces,
        fmt="it must be 8 digits",
        expected_check=lambda n: _ik_check_digit(n[:7]),
        component="it must start with 1 (company), 7 (state body), 8 (non-profit) "
        "or 9 (foundation)",
    )


def _kmkr_check_digit(digits8: str) -> str:
    total = sum(w * int(d) for w, d in zip(_KMKR_WEIGHTS, digits8, strict=False))
    return str(-total % 10)


def validate_kmkr(value: str) -> str:
    """The Estonian VAT number (KMKR) as ``"EE"`` + 9 digits, checked."""

    def compact(v: str) -> str:
        number = _strip_spaces(v).upper()
        return number[2:] if number.startswith("EE") else number

    digits = _stdnum_check(
        value,
        what="VAT number (KMKR)",
        validate=kmkr.validate,
        compact=compact,
        fmt="it must be EE followed by 9 digits",
        expected_check=lambda n: _kmkr_check_digit(n[:8]),
        component="it must be EE followed by 9 digits",
    )
    return "EE" + digits


def validate_eic(value: str) -> str:
    """The 16-character Energy Identification Code (EIC), checked."""

    def expected(number: str) -> str | None:
        check = eic.calc_check_digit(number)
        return None if check == "-" else check

    return _stdnum_check(
        value,
        what="EIC",
        validate=eic.validate,
        compact=lambda v: _strip_spaces(v).upper(),
        fmt="it must be 16 characters of A-Z, 0-9 and '-' and must not end with '-'",
        expected_check=expected,
        component="it must be 16 characters of A-Z, 0-9 and '-'",
        check_name="check character",
    )


def validate_iban(value: str) -> str:
    """The compact IBAN (upper case, no spaces), checked for the country's format."""
    text = _require_str(value, "IBAN")
    number = stdnum_iban.compact(text)
    shown = _shown(text)
    if not number:
        raise InvalidIdentifier("IBAN is empty.", kind="empty")
    try:
        return stdnum_iban.validate(number)
    except InvalidChecksum:
        raise InvalidIdentifier(
            f"IBAN {shown} has wrong check digits; check it for typing errors.", kind="checksum"
        ) from None
    except InvalidComponent:
        raise InvalidIdentifier(
            f"IBAN {shown} is not valid: unknown country code {number[:2]!r} "
            "or a wrong bank/account part."
        ) from None
    except ValidationError:
        raise InvalidIdentifier(
            f"IBAN {shown} is not valid: wrong length or characters for its country "
            f"(an Estonian IBAN is EE + 18 digits)."
        ) from None


# --- Generators (demo data) -----------------------------------------------------------------


def make_isikukood(*, birth_date: date, serial: int, male: bool) -> str:
    """A valid isikukood for a person born on ``birth_date`` (1800..2199), serial 0..999."""
    if not isinstance(birth_date, date):
        raise TypeError(f"birth_date must be a date, not {type(birth_date).__name__}")
    if not 1800 <= birth_date.year <= 2199:
        raise ValueError(f"An isikukood encodes birth years 1800..2199, not {birth_date.year}")
    if isinstance(serial, bool) or not isinstance(serial, int) or not 0 <= serial <= 999:
        raise ValueError(f"serial must be an int 0..999, not {serial!r}")
    century = (birth_date.year - 1800) // 100
    gender_digit = 2 * century + (1 if male else 2)
    first10 = f"{gender_digit}{birth_date:%y%m%d}{serial:03d}"
    return validate_isikukood(first10 + _ik_check_digit(first10))


def make_registrikood(base7: str) -> str:
    """A valid registrikood: ``base7`` (7 digits, first 1/7/8/9) and its check digit."""
    base7 = _require_str(base7, "A registry code base")
    if len(base7) != 7 or not base7.isascii() or not base7.isdigit():
        raise ValueError(f"Registry code base {base7!r} must be exactly 7 digits")
    if base7[0] not in "1789":
        raise ValueError(
            f"Registry code base {base7!r} must start with 1, 7, 8 or 9 (type of legal person)"
        )
    return validate_registrikood(base7 + _ik_check_digit(base7))


def make_eic(prefix15: str) -> str:
    """A valid EIC: ``prefix15`` (15 characters of A-Z, 0-9, '-') and its check character.

    Some prefixes have no valid EIC (their check character would be '-'); they raise
    :class:`ValueError`, so pick another prefix.
    """
    prefix = _require_str(prefix15, "An EIC prefix").upper()
    if len(prefix) != 15 or any(c not in _EIC_ALPHABET for c in prefix):
        raise ValueError(f"EIC prefix {prefix15!r} must be 15 characters of A-Z, 0-9 and '-'")
    check = eic.calc_check_digit(prefix)
    if check == "-":
        raise ValueError(
            f"EIC prefix {prefix15!r} has no valid EIC (its check character would be '-'); "
            "use another prefix"
        )
    return validate_eic(prefix + check)


def make_kmkr(base8: str) -> str:
    """A valid Estonian VAT number: ``"EE"`` + ``base8`` (8 digits) + check digit."""
    base8 = _require_str(base8, "A VAT number base")
    if len(base8) != 8 or not base8.isascii() or not base8.isdigit():
        raise ValueError(f"VAT number base {base8!r} must be exactly 8 digits")
    return validate_kmkr("EE" + base8 + _kmkr_check_digit(base8))
