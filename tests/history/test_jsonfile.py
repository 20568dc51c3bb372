"""Tests for partitioner.history.jsonfile: round trip, determinism, merging, validation."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import MappingProxyType

import fixtures
import testtools
from hypothesis import given, settings
from hypothesis import strategies as st

from partitioner.errors import HistoryError
from partitioner.history.jsonfile import (
    MAX_SECONDS,
    all_durations,
    dumps_samples,
    is_duration,
    merge_samples,
    parse_samples,
    read_samples,
    write_samples,
)
from partitioner.history.model import Samples


def samples(
    tests: dict[str, list[float]] | None = None,
    setup: dict[str, list[float]] | None = None,
    startup: list[float] | None = None,
) -> Samples:
    return Samples(
        tests=MappingProxyType({k: tuple(v) for k, v in (tests or {}).items()}),
        setup=MappingProxyType({k: tuple(v) for k, v in (setup or {}).items()}),
        startup=tuple(startup or ()),
    )


EXAMPLE = samples(
    tests={"pkg.mod.B.test_b": [0.5, 0.75], "pkg.mod.A.test_a": [1.0]},
    setup={"pkg.mod.B": [4.0, 3.5]},
    startup=[1.25, 1.5],
)

_seconds = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
_ids = st.text(alphabet="abcdefghij._", min_size=1, max_size=12)


def _same(a: Samples, b: Samples) -> bool:
    return (dict(a.tests), dict(a.setup), a.startup) == (dict(b.tests), dict(b.setup), b.startup)


class TestRoundTrip(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.dir = Path(self.useFixture(fixtures.TempDir()).path)

    def test_write_then_read(self) -> None:
        path = self.dir / "times.json"
        with path.open("w") as stream:
            write_samples(stream, EXAMPLE)
        self.assertTrue(_same(EXAMPLE, read_samples(path)))

    def test_deterministic_bytes(self) -> None:
        first, second = self.dir / "a.json", self.dir / "b.json"
        first.write_text(dumps_samples(EXAMPLE))
        reordered = samples(
            tests={"pkg.mod.A.test_a": [1.0], "pkg.mod.B.test_b": [0.5, 0.75]},
            setup={"pkg.mod.B": [4.0, 3.5]},
            startup=[1.25, 1.5],
        )
        second.write_text(dumps_samples(reordered))
        text = first.read_text()
        self.assertEqual(text, second.read_text())
        self.assertTrue(text.endswith("}\n"))
        self.assertEqual(json.dumps(json.loads(text), sort_keys=True, indent=1) + "\n", text)
        self.assertEqual(["format_version", "setup", "startup", "tests"], list(json.loads(text)))
        self.assertLess(text.index("pkg.mod.A.test_a"), text.index("pkg.mod.B.test_b"))

    def test_write_to_streams(self) -> None:
        text = io.StringIO()
        write_samples(text, EXAMPLE)
        binary = io.BytesIO()
        write_samples(binary, EXAMPLE)
        self.assertEqual(dumps_samples(EXAMPLE), text.getvalue())
        self.assertEqual(dumps_samples(EXAMPLE).encode(), binary.getvalue())

    def test_empty_samples(self) -> None:
        path = self.dir / "empty.json"
        path.write_text(dumps_samples(Samples()))
        self.assertTrue(_same(Samples(), read_samples(path)))

    def test_setup_and_startup_are_optional(self) -> None:
        read = parse_samples('{"format_version": 1, "tests": {"a.B.c": [1, 2.5]}}', "x")
        self.assertEqual({"a.B.c": (1.0, 2.5)}, dict(read.tests))
        self.assertEqual(({}, ()), (dict(read.setup), read.startup))

    def test_attribute_ids_are_canonicalized(self) -> None:
        read = parse_samples('{"format_version": 1, "tests": {"a.B.c": [1], "a.B.c[smoke]": [2]}}', "x")
        self.assertEqual({"a.B.c": (1.0, 2.0)}, dict(read.tests))

    @settings(max_examples=40, deadline=None, database=None)
    @given(
        st.dictionaries(_ids, st.lists(_seconds, max_size=4), max_size=5),
        st.dictionaries(_ids, st.lists(_seconds, max_size=4), max_size=3),
        st.lists(_seconds, max_size=4),
    )
    def test_round_trip_property(
        self, tests: dict[str, list[float]], setup: dict[str, list[float]], startup: list[float]
    ) -> None:
        tests = {k: v for k, v in tests.items() if "[" not in k}
        original = samples(tests, setup, startup)
        self.assertTrue(_same(original, parse_samples(dumps_samples(original), "p")))


class TestMerge(testtools.TestCase):
    def test_concatenates_in_order_and_keeps_newest(self) -> None:
        old = samples({"t": [1, 2, 3], "u": [9]}, {"C": [1]}, [0.1, 0.2])
        new = samples({"t": [4, 5]}, {"C": [2], "D": [3]}, [0.3])
        merged = merge_samples([old, new], keep=3)
        self.assertEqual({"t": (3.0, 4.0, 5.0), "u": (9.0,)}, dict(merged.tests))
        self.assertEqual({"C": (1.0, 2.0), "D": (3.0,)}, dict(merged.setup))
        self.assertEqual((0.1, 0.2, 0.3), merged.startup)
        self.assertEqual(["t", "u"], list(merged.tests))

    def test_default_keeps_twenty(self) -> None:
        many = [samples({"t": [float(i)]}, startup=[float(i)]) for i in range(30)]
        merged = merge_samples(many)
        self.assertEqual(tuple(float(i) for i in range(10, 30)), merged.tests["t"])
        self.assertEqual(20, len(merged.startup))

    def test_nothing_to_merge(self) -> None:
        self.assertTrue(_same(Samples(), merge_samples([])))

    def test_keep_must_be_positive(self) -> None:
        self.assertRaises(ValueError, merge_samples, [EXAMPLE], keep=0)


class TestValidation(testtools.TestCase):
    def assertRejected(self, text: str | bytes, *fragments: str) -> None:
        error = self.assertRaises(HistoryError, parse_samples, text, "/ci/times.json")
        message = str(error)
        self.assertNotIn("\n", message)
        self.assertTrue(message.startswith("/ci/times.json: "), message)
        for fragment in fragments:
            self.assertIn(fragment, message)

    def test_bad_json(self) -> None:
        self.assertRejected('{"format_version": 1,', "invalid JSON at line 1", "expected {")

    def test_not_utf8(self) -> None:
        self.assertRejected(b"\xff\xfe{", "not UTF-8")

    def test_top_level_array(self) -> None:
        self.assertRejected("[1, 2]", "top level is an array")

    def test_missing_version(self) -> None:
        self.assertRejected('{"tests": {}}', "no format_version")

    def test_newer_version(self) -> None:
        self.assertRejected('{"format_version": 2, "tests": {}}', "unsupported format_version 2", "reads 1")

    def test_version_as_string_or_bool(self) -> None:
        self.assertRejected('{"format_version": "1", "tests": {}}', "unsupported format_version '1'")
        self.assertRejected('{"format_version": true, "tests": {}}', "unsupported format_version True")

    def test_missing_tests(self) -> None:
        self.assertRejected('{"format_version": 1}', "'tests' is null")

    def test_tests_not_an_object(self) -> None:
        self.assertRejected('{"format_version": 1, "tests": [1]}', "'tests' is an array, not an object")

    def test_sample_not_a_list(self) -> None:
        self.assertRejected('{"format_version": 1, "tests": {"a": 1.5}}', "'tests['a']' is a number")

    def test_negative_or_string_or_nan_sample(self) -> None:
        self.assertRejected('{"format_version": 1, "tests": {"a": [-1]}}', "item 0 is -1")
        self.assertRejected('{"format_version": 1, "tests": {"a": [1, "2"]}}', "item 1 is '2'")
        self.assertRejected('{"format_version": 1, "tests": {"a": [NaN]}}', "NaN")
        self.assertRejected('{"format_version": 1, "tests": {"a": [1e999]}}', "item 0 is inf")
        # issue 10 item 2: 1e308 seconds overflowed every sum of costs (OverflowError out of math.fsum)
        self.assertRejected('{"format_version": 1, "tests": {"a": [1e308]}}', "item 0 is 1e+308, not a number of "
                            "seconds from 0 to 1e+06")
        self.assertRejected('{"format_version": 1, "tests": {}, "startup": [1000000.5]}', "item 0 is 1000000.5")
        self.assertRejected('{"format_version": 1, "tests": {"a": [1' + "0" * 400 + ']}}', "not a number of seconds")

    def test_bad_setup_and_startup(self) -> None:
        self.assertRejected('{"format_version": 1, "tests": {}, "setup": []}', "'setup' is an array")
        self.assertRejected('{"format_version": 1, "tests": {}, "startup": {}}', "'startup' is an object")

    def test_missing_file(self) -> None:
        error = self.assertRaises(HistoryError, read_samples, "/nonexistent/times.json")
        self.assertIn("/nonexistent/times.json: no such file", str(error))


#: values a get_test_times or a damaged digest may hold: durations, and every kind of damage next to them
_VALUES = st.one_of(
    st.floats(min_value=0, max_value=MAX_SECONDS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-3, max_value=3),
    st.integers(min_value=10**308, max_value=10**310),  # too large for a float
    st.booleans(),
    st.none(),
    st.text(max_size=2),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), -0.0, MAX_SECONDS, MAX_SECONDS * 1.5]),
)


class TestAllDurations(testtools.TestCase):
    """``all_durations`` (the million-value check on the planning path) says what ``is_duration`` says of each."""

    @given(st.lists(_VALUES, max_size=12))
    @settings(max_examples=400, deadline=None)
    def test_it_agrees_with_is_duration_on_every_value(self, values: list[object]) -> None:
        self.assertEqual(all(map(is_duration, values)), all_durations(values))

    def test_one_nan_or_infinity_anywhere_among_floats_fails_the_whole(self) -> None:
        for bad in (float("nan"), float("inf"), -1.0, MAX_SECONDS * 2):
            for at in (0, 2, 4):
                values: list[object] = [0.5, 1.0, 2.0, 3.0]
                values.insert(at, bad)
                self.assertFalse(all_durations(values), (bad, at))
        self.assertFalse(all_durations([float("inf"), float("-inf")]))  # sums to NaN, max is inf

    def test_plain_floats_and_ints_in_range_pass_and_an_empty_list_too(self) -> None:
        self.assertTrue(all_durations([0, 0.0, 1, 2.5, MAX_SECONDS]))
        self.assertTrue(all_durations({}.values()))
        self.assertFalse(all_durations([0.5, True]))  # a bool is not a duration
