"""Tests for partitioner.grouping.spec: the spec language, testr/stestr regex semantics, callbacks."""

from __future__ import annotations

import re

import testtools
from hypothesis import given
from hypothesis import strategies as st

from partitioner.errors import ConfigError, PluginError, UsageError
from partitioner.grouping import (
    CLASS_REGEXES,
    CallbackGrouper,
    Group,
    RegexGrouper,
    group_tests,
    grouper_for_callback,
    make_grouper,
    tool_callback_regex,
)
from partitioner.sortedids import last_dot_runs
from tests.generators import any_ids
from tests.suites import tool_callbacks

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
        keys = self.keys("callback:tests.grouping.test_spec:callback_for_tests")
        self.assertEqual(["A", "B", "C", "setUpClass (p.m.B)"], sorted(keys))
        self.assertEqual(keys, self.keys("tests.grouping.test_spec:callback_for_tests"))

    def test_bad_specs(self) -> None:
        self.assertRaises(UsageError, make_grouper, "klass")
        err = self.assertRaises(UsageError, make_grouper, "regex:([a-")  # from --group-by: usage, exit 2
        self.assertIn("invalid group regex", str(err))
        err = self.assertRaises(ConfigError, make_grouper, "regex:([a-", "group_by in tox.ini")  # a file: exit 1
        self.assertIn("in group_by in tox.ini", str(err))
        self.assertRaises(ConfigError, make_grouper, "klass", ".testr.conf")
        self.assertRaises(PluginError, make_grouper, "callback:no_such_module_xyz:f")
        self.assertRaises(PluginError, make_grouper, "callback:tests.grouping.test_spec:nothing_here")


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
    return CallbackGrouper("callback:test", func)  # type: ignore[arg-type]


class TestClassRegexes(testtools.TestCase):
    """One set of spellings of tempest's class regex: every one groups exactly as matching it id by id."""

    @given(st.lists(any_ids, max_size=40))
    def test_each_spelling_keys_as_its_regex(self, ids: list[str]) -> None:
        ids = sorted(set(ids))
        for spelling in CLASS_REGEXES:
            grouper = make_grouper(f"regex:{spelling}")
            self.assertIsInstance(grouper, RegexGrouper)
            expected = [grouper(t) for t in ids]
            table = group_tests(ids, grouper)
            self.assertEqual(naive_groups(ids, grouper), list(table), spelling)
            self.assertEqual(sorted(expected), sorted(k for g in table for k in [g.key] * len(g.tests)))

    def test_block_keying_is_used_where_it_is_exact(self) -> None:
        plain = ["a.B.t1", "a.B.t2", "c.D.t"]
        for spelling in CLASS_REGEXES:
            found = RegexGrouper(spelling, re.compile(spelling)).runs(plain)
            self.assertEqual(last_dot_runs(plain), found, spelling)
        non_empty = RegexGrouper(r"([^\.]+\.)+", re.compile(r"([^\.]+\.)+"))
        for odd in (["a..b"], [".a.b"], ["a.b", ".c"]):
            self.assertIsNone(non_empty.runs(odd), odd)  # there "+" differs from "up to the last dot"
