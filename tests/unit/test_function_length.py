"""The project's rule, checked: a function in the domain or the use cases longer than
``LIMIT`` lines (signature, docstring and body, as Python counts them) is a sign to stop and
give its parts names. A long one that cannot be split yet goes in ``ALLOWED`` with the reason
and the most lines it may have; an entry that no longer needs its allowance fails too, so the
list only shrinks."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "vool"
LAYERS = ("domain", "usecases")
LIMIT = 80


@dataclass(frozen=True)
class Allowance:
    most_lines: int
    why: str  # and who will split it


# "path/relative/to/src/vool.py:Qualified.name" -> its allowance. Empty: every function in the
# two layers fits. Keep it so.
ALLOWED: dict[str, Allowance] = {}


def _functions(path: Path) -> list[tuple[str, int]]:
    """``(qualified name, lines)`` of every function and method in ``path``."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                found.append((name, (child.end_lineno or child.lineno) - child.lineno + 1))
                visit(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), "")
    return found


@cache
def _lengths() -> dict[str, int]:
    lengths: dict[str, int] = {}
    for layer in LAYERS:
        for path in sorted((SRC / layer).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            where = path.relative_to(SRC).as_posix()
            for name, lines in _functions(path):
                lengths[f"{where}:{name}"] = lines
    return lengths


def test_the_scan_sees_the_layers() -> None:
    lengths = _lengths()
    assert len(lengths) > 500
    assert "domain/tariffs/rating.py:rate_month" in lengths
    assert "usecases/demo/seed.py:_Seeder.master_chunk" in lengths


def test_no_function_in_the_domain_or_the_use_cases_is_too_long() -> None:
    too_long = {
        key: lines
        for key, lines in _lengths().items()
        if lines > (ALLOWED[key].most_lines if key in ALLOWED else LIMIT)
    }
    assert not too_long, (
        f"Over {LIMIT} lines (split them into named parts, or, with a reason, allow them "
        f"in ALLOWED): "
        + ", ".join(f"{key} ({lines} lines)" for key, lines in sorted(too_long.items()))
    )


def test_every_allowance_is_still_needed() -> None:
    lengths = _lengths()
    stale = [key for key in ALLOWED if lengths.get(key, 0) <= LIMIT]
    assert not stale, f"No longer over {LIMIT} lines (or gone): remove from ALLOWED: {stale}"
