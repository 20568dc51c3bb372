"""Tests for partitioner.testids: every id form runners produce, and never a crash."""

from __future__ import annotations

import re
from pathlib import Path

import testtools
from hypothesis import given
from hypothesis import strategies as st

from partitioner import sortedids, testids
from partitioner.grouping import BUILTIN, group_tests
from tests.generators import any_ids, parametrised_ids


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


#: real zone names (tzdata), the parameters of a parametrised-class suite shaped like the one in issue 9:
#: ``...ZoneInfoTest[Europe/London]_Pure.test_folds`` (a class per zone and implementation)
ZONES = ("Africa/Abidjan", "America/Argentina/Buenos_Aires", "America/Port-au-Prince", "Antarctica/DumontDUrville",
         "Asia/Kolkata", "Australia/Lord_Howe", "EST5EDT", "Etc/GMT+1", "Etc/GMT-14", "Europe/London",
         "Europe/Zurich", "Pacific/Chatham", "UTC")
ZONE_METHODS = ("test_folds", "test_gaps", "test_unambiguous", "test_folds_from_utc", "test_time_fixed_offset",
                "test_time_variable_offset")
IDS = Path(__file__).resolve().parent / "data" / "ids"


def zoneinfo_ids() -> list[str]:
    return [f"tzdata_tests.test_zoneinfo.ZoneInfoTest[{zone}]_{impl}.{method}"
            for zone in ZONES for impl in ("Pure", "Fast") for method in ZONE_METHODS]


class TestBracketsInNames(testtools.TestCase):
    """Brackets, dots and parentheses inside class names belong to the class; only trailing ones are suffixes."""

    def test_parametrised_class(self) -> None:
        raw = "tzdata_tests.test_zoneinfo.ZoneInfoTest[Europe/London]_Pure.test_folds"
        parsed = testids.parse(raw)
        self.assertEqual(("tzdata_tests.test_zoneinfo.ZoneInfoTest[Europe/London]_Pure", "tzdata_tests.test_zoneinfo",
                          (), None, raw),
                         (parsed.class_key, parsed.module_key, parsed.attrs, parsed.scenario, parsed.key))
        self.assertEqual(raw, testids.canonical(raw))

    def test_dots_inside_brackets_do_not_split(self) -> None:
        raw = "pkg.mod.Zone[Etc/GMT+1.5]_Pure.test_x[id-1,smoke]"
        parsed = testids.parse(raw)
        self.assertEqual(("pkg.mod.Zone[Etc/GMT+1.5]_Pure", "pkg.mod", ("id-1", "smoke")),
                         (parsed.class_key, parsed.module_key, parsed.attrs))
        self.assertEqual("pkg.mod.Zone[Etc/GMT+1.5]_Pure.test_x", testids.canonical(raw))
        self.assertEqual("pkg.mod.Zone[Etc/GMT+1.5]_Pure", testids.class_key(raw))
        self.assertEqual("pkg.mod", testids.module_key(raw))

    def test_nested_scenario_parentheses(self) -> None:
        parsed = testids.parse("pkg.mod.C.test_x(call f(1.5))")
        self.assertEqual(("pkg.mod.C", "call f(1.5)"), (parsed.class_key, parsed.scenario))

    def test_scenario_kept_and_only_trailing_attrs_stripped(self) -> None:
        self.assertEqual("a.B[x].test_y(s[1])", testids.canonical("a.B[x].test_y[smoke](s[1])"))
        self.assertEqual("a.B[x].test_y(s)", testids.canonical("a.B[x].test_y(s)[smoke]"))
        self.assertEqual("a.B[x].test_y", testids.canonical("a.B[x].test_y"))

    def test_stestr_key_is_what_stestr_stores(self) -> None:
        # stestr's cleanup_test_name drops the first [...] anywhere: parametrised classes collapse there
        self.assertEqual("a.Zone_Pure.test_x[smoke]", testids.stestr_key("a.Zone[Europe/London]_Pure.test_x[smoke]"))
        self.assertEqual("a.B.test_x", testids.stestr_key("a.B.test_x[smoke]"))

    def test_zoneinfo_shaped_suite_keeps_a_class_and_a_key_per_parameter(self) -> None:
        ids = zoneinfo_ids()
        table = group_tests(ids, BUILTIN["class"])
        self.assertEqual(len(ZONES) * 2, len(table))
        self.assertEqual({len(ZONE_METHODS)}, set(table.sizes()))
        self.assertEqual(len(ids), len({testids.canonical(t) for t in ids}))
        self.assertEqual({"tzdata_tests.test_zoneinfo"}, {testids.module_key(t) for t in ids})
        self.assertEqual(sorted({testids.parse(t).class_key for t in ids}), list(table.keys))

    def test_tempest_unit_suite_listing(self) -> None:
        # `python -m subunit.run discover -t . ./tempest/tests --list` in the tempest 47.0.0 sdist
        ids = (IDS / "tempest-47.0.0-unit.txt").read_text(encoding="utf8").split()
        self.assertEqual(2498, len(ids))
        regex = re.compile(r"([^\.]*\.)*")  # tempest's group_regex: the class is the id up to its last dot
        for test_id in ids:
            base = test_id.split("[", 1)[0]
            expected = regex.match(base).group(0)[:-1]  # type: ignore[union-attr]
            self.assertEqual(expected, testids.class_key(test_id), test_id)
            self.assertEqual(base, testids.canonical(test_id))
        self.assertEqual(("foo",), testids.parse("tempest.tests.lib.test_base.TestAttr.test_has_one_attr[foo]").attrs)
        self.assertEqual(sortedids.class_runs(sorted(ids)), sortedids.last_dot_runs(sorted(ids))[1])

    @given(st.one_of(any_ids, parametrised_ids()))
    def test_history_key_keeps_the_class(self, raw: str) -> None:
        parsed = testids.parse(raw)
        if parsed.fixture:
            return
        key = testids.canonical(raw)
        self.assertEqual(parsed.class_key, testids.class_key(key))
        self.assertEqual(testids.class_key(raw), parsed.class_key)
        self.assertEqual(testids.module_key(raw), parsed.module_key)
