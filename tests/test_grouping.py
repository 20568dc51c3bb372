"""Tests for partitioner.grouping: specs, testr/stestr regex semantics, resources, serial."""

from __future__ import annotations

import re

import testtools
from hypothesis import given
from hypothesis import strategies as st

from partitioner.errors import ConfigError, PluginError, UsageError
from partitioner.grouping import Group, group_tests, make_grouper, merge_by_resources, serial_matcher, split_serial
from tests.hypothesis_strategies import id_lists

IDS = ["p.m.A.test_1[smoke]", "p.m.A.test_2", "p.m.B.test_1(s 1.0)", "p.n.C.test_1", "setUpClass (p.m.B)"]


def callback_for_tests(test_id: str) -> str | None:
    """A group callback used by test_callback (first letter of the class, None for fixtures)."""
    return None if test_id.startswith("setUp") else test_id.split(".")[2][0]


class TestGroupers(testtools.TestCase):
    def keys(self, spec: str) -> dict[str, tuple[str, ...]]:
        return {g.key: g.tests for g in group_tests(IDS, make_grouper(spec))}

    def test_class_is_attrs_and_scenario_aware_and_takes_fixtures(self) -> None:
        self.assertEqual({"p.m.A": ("p.m.A.test_1[smoke]", "p.m.A.test_2"),
                          "p.m.B": ("p.m.B.test_1(s 1.0)", "setUpClass (p.m.B)"),
                          "p.n.C": ("p.n.C.test_1",)}, self.keys("class"))

    def test_module(self) -> None:
        self.assertEqual(["p.m", "p.n"], sorted(self.keys("module")))

    def test_none(self) -> None:
        self.assertEqual(len(IDS), len(self.keys("none")))

    def test_regex_uses_group0_and_unmatched_stand_alone(self) -> None:
        keys = self.keys(r"regex:p\.m\.")
        self.assertEqual(3, len(keys["p.m."]))
        self.assertIn("p.n.C.test_1", keys)
        self.assertIn("setUpClass (p.m.B)", keys)  # re.match from the start, as testr does

    def test_tempest_group_regex_semantics(self) -> None:
        grouper = make_grouper(r"regex:([^\.]*\.)*")
        self.assertEqual("p.m.A.", grouper("p.m.A.test_1[smoke]"))
        self.assertEqual("nodots", grouper("nodots"))

    def test_callback(self) -> None:
        keys = self.keys("callback:tests.test_grouping:callback_for_tests")
        self.assertEqual(["A", "B", "C", "setUpClass (p.m.B)"], sorted(keys))
        self.assertEqual(keys, self.keys("tests.test_grouping:callback_for_tests"))

    def test_bad_specs(self) -> None:
        self.assertRaises(UsageError, make_grouper, "klass")
        err = self.assertRaises(ConfigError, make_grouper, "regex:([a-")
        self.assertIn("invalid group regex", str(err))
        self.assertRaises(PluginError, make_grouper, "callback:no_such_module_xyz:f")
        self.assertRaises(PluginError, make_grouper, "callback:tests.test_grouping:nothing_here")

    @given(id_lists(), st.randoms())
    def test_independent_of_input_order_and_duplicates(self, ids: list[str], rnd: object) -> None:
        shuffled = ids + ids[:3]
        rnd.shuffle(shuffled)  # type: ignore[attr-defined]
        grouper = make_grouper("class")
        self.assertEqual(group_tests(ids, grouper), group_tests(shuffled, grouper))


class TestResourcesAndSerial(testtools.TestCase):
    GROUPS = (Group("a.A", ("a.A.t1",)), Group("a.B", ("a.B.t1",)), Group("a.C", ("a.C.t1",)),
              Group("a.D", ("a.D.t1",)))

    def test_transitive_merge(self) -> None:
        res = [("quota", re.compile(r"a\.(A|B)\.")), ("port", re.compile(r"a\.(B|C)\."))]
        groups, merges = merge_by_resources(self.GROUPS, res)
        self.assertEqual(["a.D", "resource:port,quota"], [g.key for g in groups])
        self.assertEqual(("a.A", "a.B", "a.C"), merges[0].members)
        self.assertEqual(("a.A.t1", "a.B.t1", "a.C.t1"), groups[1].tests)

    def test_resource_matching_one_group_changes_nothing(self) -> None:
        groups, merges = merge_by_resources(self.GROUPS, [("x", re.compile("a.A"))])
        self.assertEqual(self.GROUPS, groups)
        self.assertEqual((), merges)

    def test_serial_by_attr_and_regex(self) -> None:
        groups = (Group("p.A", ("p.A.t[serial]", "p.A.u")), Group("p.B", ("p.B.t",)))
        parallel, serial = split_serial(groups, serial_matcher("[serial]"))
        self.assertEqual((("p.B",), ("p.A",)), (tuple(g.key for g in parallel), tuple(g.key for g in serial)))
        parallel, serial = split_serial(groups, serial_matcher(r"p\.B"))
        self.assertEqual(("p.B",), tuple(g.key for g in serial))
        self.assertRaises(ConfigError, serial_matcher, "(")
