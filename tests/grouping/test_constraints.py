"""Tests for partitioner.grouping.constraints: resource merges and the serial split."""

from __future__ import annotations

import re

import testtools

from partitioner.errors import ConfigError
from partitioner.grouping import Group, merge_by_resources, serial_matcher, split_serial


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
