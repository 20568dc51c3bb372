"""Tests for partitioner.sortedids: keys of sorted ids a block at a time equal the keys id by id."""

from __future__ import annotations

import itertools
import re

import testtools
from hypothesis import given
from hypothesis import strategies as st

from partitioner import sortedids, testids
from tests.generators import any_ids


class TestClassRuns(testtools.TestCase):
    """class_runs keys a sorted list a class at a time; it must agree with class_key on every id."""

    def check(self, ids: list[str]) -> None:
        ids = sorted(set(ids))
        runs = sortedids.class_runs(ids)
        self.assertEqual([testids.class_key(t) for t in ids], [k for k, lo, hi in runs for _ in range(lo, hi)])
        self.assertEqual(len(ids), runs[-1][2] if runs else 0)
        for (k1, _, hi), (k2, lo, _) in itertools.pairwise(runs):
            self.assertEqual(hi, lo)  # contiguous
            self.assertNotEqual(k1, k2)  # maximal

    def test_nested_names_dotted_attrs_scenarios_and_empty_names(self) -> None:
        self.check(["a.B.t", "a.B.t[x]", "a.B.[x]", "a.B.", "a.B.sub.t", "a.B.t(s.c)", "a.B.t[1.2]", "a.B.u",
                    "setUpClass (a.B)", "a.B-1.t", "a.B.t y", "", ".", "..", "a..b", "a.B.t]", "a.B.t[x]y",
                    "a.BC.t", "[x]", "a.B.t[x][y]", "a.B.t[x](y)", "a", "a.B.t\nx"])

    def test_sub_ranges(self) -> None:
        ids = sorted(["a.A.t1", "a.A.t2", "a.B.t1", "a.B.t2", "a.C.t"])
        self.assertEqual([("a.A", 1, 2), ("a.B", 2, 4)], sortedids.class_runs(ids, 1, 4))
        self.assertEqual([], sortedids.class_runs(ids, 2, 2))

    @given(st.lists(any_ids, max_size=40))
    def test_agrees_with_class_key_on_any_ids(self, ids: list[str]) -> None:
        self.check(ids)


class TestLastDotRuns(testtools.TestCase):
    """last_dot_runs must agree with tempest's group_regex applied id by id, as testr/stestr apply it."""

    REGEX = re.compile(r"([^\.]*\.)*")

    def check(self, ids: list[str]) -> None:
        ids = sorted(set(ids))
        runs, classes = sortedids.last_dot_runs(ids)
        self.assertEqual(sortedids.class_runs(ids), classes)
        expected = [(m.group(0) if m and m.group(0) else t) for t, m in ((t, self.REGEX.match(t)) for t in ids)]
        self.assertEqual(expected, [k for k, lo, hi in runs for _ in range(lo, hi)])
        self.assertEqual(len(ids), runs[-1][2] if runs else 0)

    def test_forms(self) -> None:
        self.check(["a.b.c", "a.b.", "a.b.d[x]", "a.b.e(s.t)", "nodot", ".x", "a.bc.d", "x.y", "a.b.d[1.2]",
                    "setUpClass (a.b)", "", "..", "a.b/c.d"])

    @given(st.lists(any_ids, max_size=40))
    def test_agrees_with_the_regex_on_any_ids(self, ids: list[str]) -> None:
        self.check(ids)
