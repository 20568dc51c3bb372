"""Tests for partitioner.grouping.table: the columnar GroupTable against the plain definition."""

from __future__ import annotations

import testtools
from hypothesis import given
from hypothesis import strategies as st

from partitioner import sortedids, testids
from partitioner.errors import PluginError
from partitioner.grouping import Group, GroupTable, group_tests, make_grouper
from tests.generators import any_ids, id_lists
from tests.grouping.test_spec import CallbackGrouperFor, naive_groups


class TestGroupTable(testtools.TestCase):
    """The columnar table must hold exactly the groups the plain definition gives."""

    @given(id_lists(), st.randoms())
    def test_independent_of_input_order_and_duplicates(self, ids: list[str], rnd: object) -> None:
        shuffled = ids + ids[:3]
        rnd.shuffle(shuffled)  # type: ignore[attr-defined]
        grouper = make_grouper("class")
        self.assertEqual(group_tests(ids, grouper), group_tests(shuffled, grouper))

    SPECS = ("class", "module", "none", r"regex:([^\.]*\.)*", r"regex:[a-c]", "tests.grouping.test_spec:first_letter")

    @given(st.lists(any_ids, max_size=40))
    def test_equals_the_naive_grouping_for_every_spec(self, ids: list[str]) -> None:
        for spec in self.SPECS:
            grouper = make_grouper(spec)
            table = group_tests(ids + ids[:2], grouper)
            expected = naive_groups(ids, grouper)
            self.assertEqual(expected, list(table), spec)
            self.assertEqual(len(expected), len(table))
            self.assertEqual([len(g.tests) for g in expected], table.sizes())
            self.assertEqual(sorted(set(ids)), sorted(table.tests))
            classes = [tuple(sorted({testids.class_key(t) for t in g.tests})) for g in expected]
            self.assertEqual(classes, table.group_classes(), spec)
            self.assertEqual([len(c) for c in classes], table.class_counts(), spec)
            self.assertEqual([testids.class_key(g.tests[0]) for g in expected], table.first_classes())

    @given(st.lists(any_ids, max_size=40, unique=True), st.randoms())
    def test_class_runs_of_a_split_per_test_in_no_order_key_each_test_by_its_class(self, ids: list[str],
                                                                                      rnd: object) -> None:
        # stestr hands its ids over in set order; a split per test keeps that order, one test per group
        rnd.shuffle(ids)  # type: ignore[attr-defined]
        table = GroupTable(ids, ids, list(range(len(ids) + 1)))
        runs = table.class_runs
        self.assertEqual([(testids.class_key(t), i, i + 1) for i, t in enumerate(ids)], runs)
        by_group = [r for g in range(len(ids)) for r in sortedids.class_runs(ids, g, g + 1)]
        self.assertEqual(by_group, runs)  # what the general path gives, one group at a time

    def test_sequence_protocol_and_from_groups(self) -> None:
        table = group_tests(["b.B.t", "a.A.t2", "a.A.t1"], make_grouper("class"))
        self.assertEqual(Group("a.A", ("a.A.t1", "a.A.t2")), table[0])
        self.assertEqual(Group("b.B", ("b.B.t",)), table[-1])
        self.assertEqual((table[1],), table[1:])
        self.assertEqual(("b.B.t", "a.A.t1", "a.A.t2"), table.tests_of([1, 0]))
        self.assertEqual(table, GroupTable.from_groups(list(table)))
        self.assertEqual(table, tuple(table))
        self.assertTrue(table.one_class and table.ordered)
        self.assertRaises(IndexError, lambda: table[2])

    def test_keys_out_of_id_order_are_sorted_and_groups_stay_sorted(self) -> None:
        table = group_tests(["a1", "b2", "c1", "d2"], CallbackGrouperFor(lambda t: t[1]))
        self.assertFalse(table.ordered)
        self.assertEqual([Group("1", ("a1", "c1")), Group("2", ("b2", "d2"))], list(table))

    def test_callback_error_names_the_id(self) -> None:
        grouper = make_grouper("tests.grouping.test_spec:raising_callback")
        err = self.assertRaises(PluginError, group_tests, ["a.ok", "z.bad"], grouper)
        self.assertIn("'z.bad'", str(err))
        self.assertIn("KeyError", str(err))

    def test_callback_keys_none_empty_and_non_str(self) -> None:
        table = group_tests(["a", "b", "c"], CallbackGrouperFor({"a": None, "b": "", "c": 7}.get))
        self.assertEqual(["7", "a", "b"], list(table.keys))


