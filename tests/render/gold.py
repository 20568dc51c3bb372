"""Gold files: compare a rendering with tests/gold/NAME (see tests/gold/README.md)."""

from __future__ import annotations

import io
from pathlib import Path

import testtools

from tests.builders import plan_for

GOLD = Path(__file__).parent.parent / "gold"
ACTUAL = Path(__file__).parent.parent / "actual"


def compare_gold(case: testtools.TestCase, name: str, text: str) -> None:
    """Compare with tests/gold/NAME; on mismatch write tests/actual/NAME (see gold/README.md)."""
    gold = GOLD / name
    expected = gold.read_text(encoding="utf-8") if gold.exists() else ""
    if text != expected:
        ACTUAL.mkdir(exist_ok=True)
        (ACTUAL / name).write_text(text, encoding="utf-8")
    case.assertEqual(expected, text, f"see tests/actual/{name}")


def rendered(func: object, ids: list[str], n: int = 3) -> str:
    """What a plan renderer writes for ``ids`` planned on ``n`` workers."""
    out = io.StringIO()
    func(plan_for(ids, n), out)  # type: ignore[operator]
    return out.getvalue()
