"""``partitioner explain``'s text lines (render/explain.py) for groups a split per test makes."""

from __future__ import annotations

import io
import re

import testtools

from partitioner.costmodel import MEASURED, NO_HISTORY_SETUP_ESTIMATE, NO_HISTORY_TEST_ESTIMATE, Estimate
from partitioner.grouping.table import Group
from partitioner.pipeline import Explanation
from partitioner.render.explain import render_text
from partitioner.strategies.protocol import GroupCost


def explained(setup_share: float, class_setup: float, tests: tuple[str, ...] = ("m.A.t1",)) -> str:
    cost = GroupCost("m.A.t1", 0.002 + setup_share, setup_share, 0.002, 0.0, len(tests), 0)
    e = Explanation("m.A.t1", Group("m.A.t1", tests), 0, 2, Estimate(0.002, MEASURED, 1), "m.A",
                    Estimate(class_setup, MEASURED, 1), cost)
    out = io.StringIO()
    render_text(e, out, "none")
    return out.getvalue()


class TestExplainText(testtools.TestCase):
    def test_a_test_alone_carries_its_share_of_its_class_setup_and_says_so(self) -> None:
        text = explained(0.027 / 40, 0.027)
        self.assertIn("(1 test, 0.0027s incl. 0.00068s class setup: its share of the class's 0.027s, grouping none)",
                      text)
        self.assertIn("class     m.A: setup 0.027s from measured", text)

    def test_a_share_too_small_for_milliseconds_is_still_a_figure(self) -> None:
        # a cheap class setup split over many tests: each test's share is well under a millisecond, which
        # rounded to the millisecond read "its share of 0.000s class setup"
        share = 0.004 / 14
        text = explained(share, 0.004)
        self.assertNotIn("0.000s", text)
        said = re.search(r"incl\. ([\d.e-]+)s class setup: its share of the class's ([\d.]+)s", text)
        assert said is not None, text
        self.assertAlmostEqual(share, float(said.group(1)), delta=share * 0.05)
        self.assertEqual(0.004, float(said.group(2)))

    def test_a_class_without_setup_says_zero_and_no_share(self) -> None:
        text = explained(0.0, 0.0)
        self.assertIn("incl. 0.000s class setup, grouping none", text)
        self.assertNotIn("share", text)

    def test_a_whole_class_carries_its_whole_setup(self) -> None:
        text = explained(0.027, 0.027, ("m.A.t1", "m.A.t2"))
        self.assertIn("(2 tests, 0.029s incl. 0.027s class setup, grouping none)", text)


def explained_without_history(setup_units: float, tests: tuple[str, ...] = ("m.A.t1",)) -> str:
    """The text for a plan with no history: test counts, the class's setup counted ``setup_units`` in the group."""
    cost = GroupCost(tests[0] if len(tests) == 1 else "m.A", len(tests) + setup_units, setup_units, 0.0, 0.0,
                     len(tests), 0)
    e = Explanation("m.A.t1", Group(cost.key, tests), 0, 2, NO_HISTORY_TEST_ESTIMATE, "m.A",
                    NO_HISTORY_SETUP_ESTIMATE, cost)
    out = io.StringIO()
    render_text(e, out, "none" if len(tests) == 1 else "class")
    return out.getvalue()


class TestExplainTextWithoutHistory(testtools.TestCase):
    def test_a_split_per_test_counts_no_class_setup_on_both_lines(self) -> None:
        # the model charges no class setup in a split per test (docs/estimation.md); the class line said
        # "setup 1 in test counts" under a group line saying "incl. 0 for class setup"
        text = explained_without_history(0.0)
        group = next(line for line in text.splitlines() if line.startswith("  group"))
        klass = next(line for line in text.splitlines() if line.startswith("  class"))
        self.assertIn("costs 1 in test counts", group)
        self.assertNotIn("setup 1", klass)
        self.assertIn("not counted in a split per test", klass)
        self.assertIn("from no history", klass)

    def test_a_class_group_counts_its_setup_1_on_both_lines(self) -> None:
        text = explained_without_history(1.0, ("m.A.t1", "m.A.t2"))
        self.assertIn("(2 tests, costs 3 in test counts incl. 1 for class setup, grouping class)", text)
        self.assertIn("class     m.A: setup 1 in test counts, from no history\n", text)
