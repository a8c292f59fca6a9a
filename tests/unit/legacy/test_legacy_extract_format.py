"""An extract file that cannot be read is refused whole, naming the file and, where there is
one, the line: the header, a row's width, a NUL byte, the unit separator (the staging's field
separator), the record separator (its blocks' row separator), bytes not in the file's
encoding, a count or a control total not the manifest's."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from vool.domain.legacy import extract_format as fmt

SPEC = fmt.SPECS["balances"]  # KONTO_ID;SALDO, windows-1257, SALDO summed


def _manifest(rows: int, total: str) -> fmt.Manifest:
    return fmt.Manifest(
        kind="full",
        meta={},
        rows={SPEC.file_name: rows},
        encodings={SPEC.file_name: SPEC.encoding},
        control_totals={SPEC.file_name: Decimal(total)},
    )


def _read(tmp_path: Path, content: bytes, rows: int = 2, total: str = "12.50") -> list[fmt.Row]:
    (tmp_path / SPEC.file_name).write_bytes(content)
    return list(fmt.iter_rows(tmp_path, SPEC, _manifest(rows, total)))


GOOD = b"KONTO_ID;SALDO\r\n1001;10,00\r\n1002;2,50\r\n"


def test_a_good_file_is_read_with_its_lines(tmp_path: Path) -> None:
    assert _read(tmp_path, GOOD) == [
        fmt.Row(2, ("1001", "10,00")),
        fmt.Row(3, ("1002", "2,50")),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"KONTO;SALDO\r\n1001;10,00\r\n", r"SALDOD\.csv line 1: the header must be"),
        (GOOD + b"1003;1,00;x\r\n", r"SALDOD\.csv line 4: 3 fields, expected 2"),
        (GOOD.replace(b"1002", b"10\x0002"), r"SALDOD\.csv: contains a NUL byte"),
        (GOOD.replace(b"1002", b"10\x1f02"), r"SALDOD\.csv line 3: .*U\+001F"),
        (GOOD.replace(b"1002", b"10\x1e02"), r"SALDOD\.csv line 3: .*U\+001E \(record"),
        (
            b"\xef\xbb\xbf" + GOOD.replace(b"1002", b"10\xff02"),
            r"SALDOD\.csv: has a UTF-8 byte-order mark but byte 33 is not UTF-8",
        ),
        (GOOD + b"1003;1,00\r\n", r"SALDOD\.csv: 3 rows, the manifest says 2"),
        (GOOD.replace(b"2,50", b"2,49"), r"SALDO sums to 12,49, the manifest says 12,50"),
    ],
    ids=[
        "header",
        "width",
        "nul",
        "unit-separator",
        "record-separator",
        "encoding",
        "count",
        "control-total",
    ],
)
def test_an_unreadable_file_is_refused_naming_where(
    tmp_path: Path, content: bytes, message: str
) -> None:
    with pytest.raises(fmt.UnreadableExtract, match=message):
        _read(tmp_path, content)
