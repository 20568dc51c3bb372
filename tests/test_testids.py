"""Tests for partitioner.testids: every id form runners produce, and never a crash."""

from __future__ import annotations

import testtools
from hypothesis import given

from partitioner import testids
from tests.generators import any_ids


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
