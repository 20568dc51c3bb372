"""Tests for partitioner.testids: every id form runners produce, and never a crash."""

from __future__ import annotations

import itertools
import re

import testtools
from hypothesis import given
from hypothesis import strategies as st

from partitioner import testids
from tests.hypothesis_strategies import any_ids


class TestParse(testtools.TestCase):
    def test_dotted_method(self) -> None:
        parsed = testids.parse("pkg.mod.Class.test_x")
        self.assertEqual(("pkg.mod.Class", "pkg.mod", (), None),
                         (parsed.class_key, parsed.module_key, parsed.attrs, parsed.scenario))

    def test_tempest_attrs(self) -> None:
        parsed = testids.parse("tempest.api.volume.test_v.VolTest.test_a[id-1f2e-aa,smoke]")
        self.assertEqual("tempest.api.volume.test_v.VolTest", parsed.class_key)
        self.assertEqual(("id-1f2e-aa", "smoke"), parsed.attrs)

    def test_scenario_with_dots(self) -> None:
        parsed = testids.parse("pkg.mod.Class.test_x(version 1.2)")
        self.assertEqual(("pkg.mod.Class", "version 1.2"), (parsed.class_key, parsed.scenario))

    def test_attrs_and_scenario_either_order(self) -> None:
        for raw in ("p.m.C.test_x[smoke](s.1)", "p.m.C.test_x(s.1)[smoke]"):
            parsed = testids.parse(raw)
            self.assertEqual(("p.m.C", ("smoke",), "s.1"), (parsed.class_key, parsed.attrs, parsed.scenario), raw)

    def test_fixture_pseudo_tests_belong_to_their_class(self) -> None:
        self.assertEqual("pkg.mod.Class", testids.class_key("setUpClass (pkg.mod.Class)"))
        self.assertEqual("pkg.mod.Class", testids.class_key("tearDownClass (pkg.mod.Class)"))
        self.assertEqual("pkg.mod", testids.module_key("setUpModule (pkg.mod)"))

    def test_non_dotted_and_odd_ids_are_their_own_class(self) -> None:
        for raw in ("devstack", "", ".", "a test with spaces", "ünïcödé", "[x]"):
            self.assertEqual(raw, testids.class_key(raw))

    def test_doctest_is_grouped_by_module(self) -> None:
        self.assertEqual("pkg.mod", testids.class_key("pkg.mod.func"))

    @given(any_ids)
    def test_never_raises_and_keys_are_prefixes(self, raw: str) -> None:
        parsed = testids.parse(raw)
        self.assertIsInstance(parsed.class_key, str)
        if not parsed.fixture:
            self.assertTrue(raw.startswith(parsed.class_key))
            self.assertTrue(parsed.class_key.startswith(parsed.module_key))


class TestCanonical(testtools.TestCase):
    def test_strips_attrs_like_stestr(self) -> None:
        self.assertEqual("a.B.test_x", testids.canonical("a.B.test_x[id-1,smoke]"))
        self.assertEqual("a.B.test_x(s)", testids.canonical("a.B.test_x[smoke](s)"))
        self.assertEqual("a.B.test_x", testids.canonical("a.B.test_x"))


class TestClassRuns(testtools.TestCase):
    """class_runs keys a sorted list a class at a time; it must agree with class_key on every id."""

    def check(self, ids: list[str]) -> None:
        ids = sorted(set(ids))
        runs = testids.class_runs(ids)
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
        self.assertEqual([("a.A", 1, 2), ("a.B", 2, 4)], testids.class_runs(ids, 1, 4))
        self.assertEqual([], testids.class_runs(ids, 2, 2))

    @given(st.lists(any_ids, max_size=40))
    def test_agrees_with_class_key_on_any_ids(self, ids: list[str]) -> None:
        self.check(ids)


class TestLastDotRuns(testtools.TestCase):
    """last_dot_runs must agree with tempest's group_regex applied id by id, as testr/stestr apply it."""

    REGEX = re.compile(r"([^\.]*\.)*")

    def check(self, ids: list[str]) -> None:
        ids = sorted(set(ids))
        runs, classes = testids.last_dot_runs(ids)
        self.assertEqual(testids.class_runs(ids), classes)
        expected = [(m.group(0) if m and m.group(0) else t) for t, m in ((t, self.REGEX.match(t)) for t in ids)]
        self.assertEqual(expected, [k for k, lo, hi in runs for _ in range(lo, hi)])
        self.assertEqual(len(ids), runs[-1][2] if runs else 0)

    def test_forms(self) -> None:
        self.check(["a.b.c", "a.b.", "a.b.d[x]", "a.b.e(s.t)", "nodot", ".x", "a.bc.d", "x.y", "a.b.d[1.2]",
                    "setUpClass (a.b)", "", "..", "a.b/c.d"])

    @given(st.lists(any_ids, max_size=40))
    def test_agrees_with_the_regex_on_any_ids(self, ids: list[str]) -> None:
        self.check(ids)
