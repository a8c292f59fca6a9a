"""The partition joins by an identifier as the validation compares it: two texts that
``common.identifiers`` reads as one code are one node."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from vool.common import identifiers
from vool.domain.legacy import partition

PERSONAL = identifiers.make_isikukood(birth_date=dt.date(1976, 1, 1), serial=101, male=True)
REGISTRY = identifiers.make_registrikood("1020003")
REFERENCE = identifiers.make_reference_number(1234567)
EIC = identifiers.make_eic("38ZEE-00625607-")


def _spaced(code: str) -> str:
    """The code as a person might type it: spaces inside and around, a no-break space."""
    return f" {code[:3]} {code[3:6]}\u00a0{code[6:]} ".lower()


@pytest.mark.parametrize(
    ("kind", "code", "check"),
    [
        ("eic", EIC, identifiers.validate_eic),
        ("code", PERSONAL, identifiers.validate_isikukood),
        ("code", REGISTRY, identifiers.validate_registrikood),
        ("reference", REFERENCE, identifiers.validate_reference_number),
    ],
)
def test_an_identifier_joins_by_its_compact_form(
    kind: str, code: str, check: Callable[[str], str]
) -> None:
    text = _spaced(code)
    assert check(text) == code  # the validation takes the text for the code
    assert partition.node_value(kind, text) == partition.node_value(kind, code)


def test_an_old_key_joins_stripped_only() -> None:
    assert partition.node_value("accounts", " A 1 ") == "A 1"
