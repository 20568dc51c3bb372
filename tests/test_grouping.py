"""Tests for partitioner.grouping: specs, testr/stestr regex semantics, resources, serial."""

from __future__ import annotations

import re

import testtools
from hypothesis import given
from hypothesis import strategies as st

from partitioner import testids
from partitioner.errors import ConfigError, PluginError, UsageError
from partitioner.grouping import (
    Group,
    GroupTable,
    group_tests,
    grouper_for_callback,
    make_grouper,
    merge_by_resources,
    serial_matcher,
    split_serial,
    tool_callback_regex,
)
from tests.hypothesis_strategies import any_ids, id_lists

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


def first_letter(test_id: str) -> str | None:
    """A group callback for any id: its first letter, or None (a group of its own) for the empty id."""
    return test_id[:1] or None


def raising_callback(test_id: str) -> str:
    """A group callback that fails on one id."""
    if test_id.endswith("bad"):
        raise KeyError(test_id)
    return test_id[:3]


def naive_groups(ids: list[str], key: object) -> list[Group]:
    """The grouping spelled out the slow way: a dict of sorted lists, sorted by key."""
    buckets: dict[str, list[str]] = {}
    for test_id in set(ids):
        buckets.setdefault(key(test_id), []).append(test_id)  # type: ignore[operator]
    return [Group(k, tuple(sorted(v))) for k, v in sorted(buckets.items())]


class TestGroupTable(testtools.TestCase):
    """The columnar table must hold exactly the groups the plain definition gives."""

    SPECS = ("class", "module", "none", r"regex:([^\.]*\.)*", r"regex:[a-c]", "tests.test_grouping:first_letter")

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
        grouper = make_grouper("tests.test_grouping:raising_callback")
        err = self.assertRaises(PluginError, group_tests, ["a.ok", "z.bad"], grouper)
        self.assertIn("'z.bad'", str(err))
        self.assertIn("KeyError", str(err))

    def test_callback_keys_none_empty_and_non_str(self) -> None:
        table = group_tests(["a", "b", "c"], CallbackGrouperFor({"a": None, "b": "", "c": 7}.get))
        self.assertEqual(["7", "a", "b"], list(table.keys))


def tool_callbacks(group_regex: str) -> list[object]:
    """The group callbacks the installed stestr and testrepository build, compiled from their own source."""
    import ast
    import inspect
    import textwrap

    import stestr.config_file
    import testrepository.testcommand

    found = []
    for module in (stestr.config_file, testrepository.testcommand):
        source = inspect.getsource(module)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef) and node.name == "group_callback" and node.args.defaults:
                namespace = {"re": re, "group_regex": group_regex}
                exec(textwrap.dedent(ast.get_source_segment(source, node) or ""), namespace)
                found.append(namespace["group_callback"])
    return found


class TestToolCallbacks(testtools.TestCase):
    """testr's and stestr's own group_regex callbacks become the same regex, grouped without a call per id."""

    def test_both_tools_callbacks_are_recognised(self) -> None:
        callbacks = tool_callbacks(r"([^\.]*\.)*")
        self.assertEqual(2, len(callbacks))
        for func in callbacks:
            self.assertEqual(r"([^\.]*\.)*", tool_callback_regex(func).pattern)  # type: ignore[arg-type,union-attr]
            self.assertEqual(r"regex:([^\.]*\.)*", grouper_for_callback(func).spec)  # type: ignore[arg-type]

    def test_lookalikes_are_not(self) -> None:
        pattern = re.compile(r"([^\.]*\.)*")

        def ternary(test_id: str, regex: re.Pattern[str] = pattern) -> str | None:
            match = regex.match(test_id)
            return match.group(0) if match else None

        def group_callback(test_id: str, regex: re.Pattern[str] = pattern) -> str | None:  # noqa: RET503
            match = regex.search(test_id)
            if match:
                return match.group(0)

        for func in (ternary, group_callback, lambda t: t, len, first_letter):
            self.assertIsNone(tool_callback_regex(func), func)  # type: ignore[arg-type]

    @given(st.lists(any_ids, max_size=40))
    def test_same_groups_as_calling_them(self, ids: list[str]) -> None:
        for regex in (r"([^\.]*\.)*", r"[a-c]+\.", r"(x)?"):
            for func in tool_callbacks(regex):
                fast = group_tests(ids, grouper_for_callback(func))  # type: ignore[arg-type]
                slow = group_tests(ids, CallbackGrouperFor(func))  # type: ignore[arg-type]
                self.assertEqual(list(slow), list(fast), regex)


def CallbackGrouperFor(func: object) -> object:
    from partitioner.grouping import CallbackGrouper

    return CallbackGrouper("callback:test", func)  # type: ignore[arg-type]


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
