"""Tests for partitioner.render.table: the gold table, and its units."""

from __future__ import annotations

import io
import re

import testtools

from partitioner.estimate import build_cost_model
from partitioner.grouping import group_tests, make_grouper
from partitioner.history.model import NO_RUNS_YET, History
from partitioner.plan import build_plan
from partitioner.render import render_table
from partitioner.strategies import get_strategy
from tests.builders import IDS, plan_for
from tests.render.gold import compare_gold, rendered


class TestTable(testtools.TestCase):
    def test_gold(self) -> None:
        compare_gold(self, "plan.txt", rendered(render_table, [*IDS, "m.D.t[smoke]"]))

    def test_a_plan_without_history_is_in_test_counts_never_seconds(self) -> None:
        out = io.StringIO()
        render_table(plan_for([*IDS, "m.D.t[smoke]"], 2, History()), out)
        text = out.getvalue()
        self.assertIsNone(re.search(r"\d(\.\d)?s\b", text), text)
        self.assertIn("predicted makespan 5.0 units, lower bound 4.5 units", text)
        self.assertIn("measured 0 of 5 tests (no timing history: costs are test-count units, not seconds: a test "
                      "counts 1, a class's setup 1 (none when split per test), a test whose id says slow 10)", text)

    def test_a_first_run_s_empty_repository_is_a_note_not_a_warning(self) -> None:
        plan = build_plan(group_tests(IDS, make_grouper("class")), build_cost_model(IDS, History()),
                          get_strategy("lpt"), 2, "class", warnings=[f".stestr: {NO_RUNS_YET}", "something off"])
        text = io.StringIO()
        render_table(plan, text)
        self.assertIn(f"\nnote: .stestr: {NO_RUNS_YET}\n", text.getvalue())
        self.assertIn("\nwarning: something off\n", text.getvalue())
