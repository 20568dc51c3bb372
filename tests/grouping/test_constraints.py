"""Tests for partitioner.grouping.constraints: resource merges and the serial split."""

from __future__ import annotations

import re

import testtools

from partitioner.config import Settings
from partitioner.errors import ConfigError
from partitioner.grouping import Group, make_grouper, merge_by_resources, serial_matcher, split_serial
from partitioner.grouping.constraints import default_serial
from partitioner.history.model import History
from partitioner.pipeline import Planned, plan_ids


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


class TestTempestSerial(testtools.TestCase):
    IDS = ("tempest.api.compute.test_a.ATest.test_1[id-1,smoke]", "tempest.api.compute.test_a.ATest.test_2",
           "tempest.serial_tests.api.admin.test_aggregates.AggregatesTest.test_1[id-2]",
           "tempest.serial_tests.scenario.test_aggregates_basic_ops.AggregatesBasicOps.test_1[id-3,slow]",
           "tempest.api.volume.test_v.VTest.test_1")

    def plan(self, settings: Settings) -> Planned:
        return plan_ids(list(self.IDS), 2, History(), make_grouper("class"), settings=settings)

    def test_tempest_serial_tests_are_serial_by_default(self) -> None:
        planned = self.plan(Settings())
        self.assertEqual(sorted(t for t in self.IDS if ".serial_tests." in t), sorted(planned.plan.serial))
        self.assertEqual(2, len(planned.serial_groups))
        self.assertNotIn("tempest.serial_tests", " ".join(t for w in planned.plan.workers for t in w.tests))

    def test_the_serial_option_replaces_the_default_and_none_turns_it_off(self) -> None:
        planned = self.plan(Settings(serial=r"test_v\."))
        self.assertEqual(("tempest.api.volume.test_v.VTest.test_1",), tuple(planned.plan.serial))
        self.assertEqual((), tuple(self.plan(Settings(serial="none")).plan.serial))
        self.assertEqual((), tuple(self.plan(Settings(serial="None")).plan.serial))

    def test_a_suite_without_serial_tests_has_no_serial_phase(self) -> None:
        self.assertIsNone(default_serial(["tempest.api.a.A.test_1", "pkg.serial_tests.S.test_1"]))
        matcher = default_serial(self.IDS)
        assert matcher is not None
        self.assertEqual([False, False, True, True, False], [matcher(t) for t in self.IDS])

    def test_sorted_ids_are_searched_by_bisection_with_the_same_answer(self) -> None:
        ids = sorted(self.IDS)
        for case in (ids, ids[:2], [t for t in ids if "serial" not in t], [], ["tempest.serial_tests"],
                       ["tempest.serial_tests.S.test_1"], ["tempest.serial_testsX.S.test_1"]):
            self.assertEqual(default_serial(case) is None, default_serial(case, ordered=True) is None, case)
