"""Tests for partitioner.render: gold table and JSON, stestr worker files that stestr accepts."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import fixtures
import testtools
import yaml

from partitioner.grouping import Group
from partitioner.render import group_regex, render_json, render_table, render_worker_file, write_load_lists
from tests.test_plan import IDS, plan_for

GOLD = Path(__file__).parent / "gold"
ACTUAL = Path(__file__).parent / "actual"


def compare_gold(case: testtools.TestCase, name: str, text: str) -> None:
    """Compare with tests/gold/NAME; on mismatch write tests/actual/NAME (see gold/README.md)."""
    gold = GOLD / name
    expected = gold.read_text(encoding="utf-8") if gold.exists() else ""
    if text != expected:
        ACTUAL.mkdir(exist_ok=True)
        (ACTUAL / name).write_text(text, encoding="utf-8")
    case.assertEqual(expected, text, f"see tests/actual/{name}")


class TestGold(testtools.TestCase):
    def render(self, func: object, ids: list[str] = IDS, n: int = 3) -> str:
        out = io.StringIO()
        func(plan_for(ids, n), out)  # type: ignore[operator]
        return out.getvalue()

    def test_table(self) -> None:
        compare_gold(self, "plan.txt", self.render(render_table, [*IDS, "m.D.t[smoke]"]))

    def test_json(self) -> None:
        text = self.render(render_json, [*IDS, "m.D.t[smoke]"])
        compare_gold(self, "plan.json", text)
        doc = json.loads(text)
        self.assertEqual(1, doc["format_version"])
        self.assertEqual({"worker", "tests", "predicted_s", "groups"}, set(doc["workers"][0]))


class TestWorkerFile(testtools.TestCase):
    def test_one_anchored_regex_per_group_selecting_exactly_its_tests(self) -> None:
        ids = [*IDS, "m.A2.t1", "m.Ax.t(a.b)[smoke]"]
        plan = plan_for(ids, 2)
        groups = [Group(k, tuple(t for t in ids if t.startswith(k + "."))) for p in plan.workers for k in p.groups]
        out = io.StringIO()
        render_worker_file(plan, out, groups)
        doc = yaml.safe_load(out.getvalue())
        self.assertEqual(2, len(doc))
        for entry, part in zip(doc, plan.workers, strict=True):
            self.assertEqual(len(part.groups), len(entry["worker"]))
            selected = [t for t in ids if any(re.search(r, t) for r in entry["worker"])]
            self.assertEqual(sorted(part.tests), sorted(selected))

    def test_regex_falls_back_to_exact_ids_when_a_prefix_is_shared(self) -> None:
        group = Group("m.A", ("m.A.t1",))
        self.assertEqual(r"^m\.A\.", group_regex(group, ["m.A.t1"]))
        self.assertEqual(r"^m\.A\.t1$", group_regex(group, ["m.A.t1", "m.A.t2"]))
        quoted = Group("x", ("it's odd", "x y"))
        regex = group_regex(quoted, ["it's odd", "x y"])
        self.assertTrue(all(re.search(regex, t) for t in quoted.tests))


class TestLoadLists(testtools.TestCase):
    def test_one_file_per_worker(self) -> None:
        tmp = Path(self.useFixture(fixtures.TempDir()).path)
        plan = plan_for(IDS, 3)
        paths = write_load_lists(plan, tmp / "lists")
        self.assertEqual(["worker-0.list", "worker-1.list", "worker-2.list"], [p.name for p in paths])
        self.assertEqual(sorted(IDS), sorted(line for p in paths for line in p.read_text().split()))
