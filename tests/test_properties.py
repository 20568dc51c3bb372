"""Property suite (Hypothesis), the other half of the fault-injection audit (issue 10): ``partitioner``'s commands
given generated ids, timings (NaN, infinities, negatives, huge values), config values and damaged inputs (streams
with flipped bytes and cuts, damaged repositories and caches) never raise out of ``partitioner.cli.main``; every
error is one line with exit status 1 (2 for usage); what they only read is left unchanged.

Each example runs the CLI in-process (``main`` with injected streams): an exception escaping it fails the example
with the traceback a user would have seen. The end-to-end fault suites are ``tests/e2e/test_faults_*.py``.
"""

from __future__ import annotations

import datetime
import dbm.dumb
import gzip
import io
import json
import math
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import fixtures
import testtools
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from partitioner.cli.main import main
from partitioner.listing import read_id_file
from tests.builders import stream
from tests.generators import any_ids, dotted_ids
from tests.suites import tree_snapshot

HYPOTHESIS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: numbers a timing may be: every float (NaN, infinities, negatives, subnormals, huge), and integers past a float
numbers = st.one_of(st.floats(), st.integers(min_value=-(10**30), max_value=10**400), st.just(1e308),
                    st.just(-0.0), st.just(1e6), st.just(1e6 + 1))
#: every timestamp a subunit v2 packet can carry (32-bit seconds since 1970): a run may claim 136 years
stamps = st.datetimes(min_value=datetime.datetime(1970, 1, 1), max_value=datetime.datetime(2106, 2, 7),
                      timezones=st.just(datetime.timezone.utc))
#: any JSON value, nested a little
json_values = st.recursive(st.none() | st.booleans() | numbers | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                      max_size=3), max_leaves=8)


class CLI(testtools.TestCase):
    """Runs the CLI in-process and checks the error contract."""

    def setUp(self) -> None:
        super().setUp()
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE_DIR",
                                                     self.useFixture(fixtures.TempDir()).path))

    @contextmanager
    def project(self) -> Iterator[Path]:
        """A fresh directory per example (Hypothesis runs the body many times in one test)."""
        with tempfile.TemporaryDirectory(prefix="partitioner-props-") as where:
            yield Path(where)

    def cli(self, *argv: str, stdin: bytes = b"") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), stdout=out, stderr=err, stdin=io.BytesIO(stdin))
        self.assertIn(code, (0, 1, 2), err.getvalue())
        errors = [line for line in err.getvalue().splitlines() if ": error: " in line]
        if code:
            self.assertEqual(1, len(err.getvalue().strip().splitlines()), err.getvalue())
            self.assertEqual(1, len(errors), err.getvalue())
            self.assertTrue(errors[0].startswith("partitioner"), errors[0])
            self.assertEqual("", out.getvalue())
        else:
            self.assertEqual([], errors)
        return code, out.getvalue(), err.getvalue()

    def plan(self, where: Path, *extra: str) -> tuple[int, dict[str, Any] | None, str]:
        code, out, err = self.cli("plan", "-n", "3", "-C", str(where), "--format", "json", *extra)
        doc = json.loads(out) if code == 0 else None
        if doc is not None:
            self.assertTrue(all(math.isfinite(w["predicted_s"]) for w in doc["workers"]), doc)
            self.assertTrue(math.isfinite(doc["predicted_makespan_s"]), doc)
        return code, doc, err


def planned_ids(doc: dict[str, Any]) -> list[str]:
    """Every id a JSON plan runs: the workers', then the serial phase's."""
    return [t for w in doc["workers"] for t in w["tests"]] + list(doc["serial"]["tests"])


class TestIds(CLI):
    @HYPOTHESIS
    @given(st.lists(any_ids, max_size=12))
    def test_any_text_ids_are_planned_once_each_or_refused_in_one_line(self, ids: list[str]) -> None:
        with self.project() as where:
            data = "\n".join(ids).encode("utf-8", "surrogatepass")
            (where / "ids.txt").write_bytes(data)
            _code, doc, err = self.plan(where, "--tests", str(where / "ids.txt"))
            if doc is None:
                self.assertTrue(any(why in err for why in ("the test list is empty", "holds the control character",
                                                           "is not UTF-8 text")), err)
                return
            read = read_id_file(str(where / "ids.txt"))
            planned = planned_ids(doc)
            self.assertEqual(sorted(set(read)), sorted(planned))  # each id once, none invented, none lost
            for test_id in planned:
                self.assertIn(test_id.encode(), data)  # never changed on the way

    @HYPOTHESIS
    @given(st.binary(max_size=300))
    def test_any_bytes_as_a_test_list(self, data: bytes) -> None:
        with self.project() as where:
            (where / "ids.bin").write_bytes(data)
            _code, doc, _ = self.plan(where, "--tests", str(where / "ids.bin"))
            if doc is not None:
                for test_id in planned_ids(doc):
                    self.assertIn(test_id.encode(), data)

    @HYPOTHESIS
    @given(st.binary(max_size=200), st.booleans())
    def test_any_bytes_on_stdin_as_ids_or_history(self, data: bytes, as_history: bool) -> None:
        with self.project() as where:
            (where / "ids.txt").write_text("a.B.test_1\na.C.test_2\n")
            argv = ["--tests", str(where / "ids.txt"), "--history", "-"] if as_history else ["--tests", "-"]
            self.cli("plan", "-n", "2", "-C", str(where), *argv, stdin=data)


class TestTimings(CLI):
    @HYPOTHESIS
    @given(st.dictionaries(dotted_ids(), st.lists(json_values, max_size=3), min_size=1, max_size=4),
           st.lists(json_values, max_size=2))
    def test_a_json_timing_file_of_any_values(self, tests: dict[str, list[Any]], startup: list[Any]) -> None:
        with self.project() as where:
            (where / "ids.txt").write_text("".join(f"{t}\n" for t in tests))
            text = json.dumps({"format_version": 1, "tests": tests, "startup": startup})
            (where / "t.json").write_text(text)
            code, _doc, err = self.plan(where, "--tests", str(where / "ids.txt"), "--history", str(where / "t.json"))
            valid = all(isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1e6
                        for values in [*tests.values(), startup] for v in values)
            self.assertEqual(0 if valid else 1, code, err)

    @HYPOTHESIS
    @given(st.dictionaries(dotted_ids(), st.one_of(numbers.map(repr), st.binary(max_size=6).map(repr)),
                           min_size=1, max_size=5))
    def test_times_dbm_of_any_values(self, times: dict[str, str]) -> None:
        with self.project() as where:
            repo = where / ".stestr"
            repo.mkdir()
            (repo / "format").write_text("1\n")
            with dbm.dumb.open(str(repo / "times.dbm"), "c") as db:
                for test_id, value in times.items():
                    db[test_id] = value
            (where / "ids.txt").write_text("".join(f"{t}\n" for t in times))
            before = tree_snapshot(repo)
            code, _doc, err = self.plan(where, "--tests", str(where / "ids.txt"))
            self.assertEqual(0, code, err)  # values that are no duration are ignored, with a warning
            self.assertEqual(before, tree_snapshot(repo))

    @HYPOTHESIS
    @given(st.lists(st.tuples(dotted_ids(), stamps, stamps), min_size=1, max_size=5))
    def test_streams_with_any_timestamps(self, tests: list[tuple[str, datetime.datetime, datetime.datetime]]) -> None:
        import subunit

        with self.project() as where:
            out = io.BytesIO()
            writer = subunit.StreamResultToBytes(out)
            for test_id, start, stop in tests:
                writer.status(test_id=test_id, test_status="inprogress", timestamp=start)
                writer.status(test_id=test_id, test_status="success", timestamp=stop)
            (where / "run.subunit").write_bytes(out.getvalue())
            (where / "ids.txt").write_text("".join(f"{t}\n" for t, _, _ in tests))
            code, _doc, err = self.plan(where, "--tests", str(where / "ids.txt"), "--history",
                                       str(where / "run.subunit"))
            self.assertEqual(0, code, err)

    @HYPOTHESIS
    @given(st.lists(st.one_of(numbers, st.text(max_size=4), st.none()), min_size=1, max_size=6))
    @example([math.nan])
    @example([1e308, 1e308])
    def test_hooks_get_test_times_of_any_values(self, values: list[Any]) -> None:
        from partitioner.errors import PartitionerError
        from partitioner.hooks import partition_tests

        ids = [f"a.B.test_{n}" for n in range(len(values))]

        class Repository:
            def get_test_times(self, wanted: list[str]) -> dict[str, Any]:
                return {"known": dict(zip(wanted, values, strict=True)), "unknown": set()}

        try:
            parts = partition_tests(ids, 2, Repository())
        except PartitionerError:
            return
        self.assertEqual(sorted(ids), sorted(t for part in parts for t in part))


class TestDigestCache(testtools.TestCase):
    def test_an_entry_with_values_that_are_no_duration_is_a_miss(self) -> None:
        from partitioner.history.digest import _decode

        for bad in ("NaN", "Infinity", "-1", "1e308"):
            entry = (f'{{"version": 1, "tests": 1, "passing": [["a.B.t"], [{bad}]], "not_passing": [[], []], '
                     '"setup": [[], []], "firsts": [[], []]}')
            self.assertIsNone(_decode(entry), bad)


class TestConfigValues(CLI):
    @HYPOTHESIS
    @given(st.sampled_from(["group_by", "strategy", "history", "concurrency", "resources", "serial", "dispatch",
                            "dispatch_order", "nonsense", "group-by"]),
           st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=20))
    def test_any_ini_value(self, option: str, value: str) -> None:
        with self.project() as where:
            (where / "ids.txt").write_text("a.B.test_1\na.C.test_2\n")
            (where / "tox.ini").write_text(f"[partitioner]\n{option} = {value}\n", encoding="utf-8")
            self.plan(where, "--tests", str(where / "ids.txt"))
            self.cli("concurrency", "-C", str(where))

    @HYPOTHESIS
    @given(st.sampled_from(["group_by", "strategy", "history", "concurrency", "resources", "serial", "dispatch",
                            "dispatch_order", "nonsense"]), json_values)
    def test_any_toml_value(self, option: str, value: Any) -> None:
        with self.project() as where:
            (where / "ids.txt").write_text("a.B.test_1\na.C.test_2\n")
            (where / "pyproject.toml").write_text(f"[tool.partitioner]\n{option} = {toml(value)}\n", encoding="utf-8")
            self.plan(where, "--tests", str(where / "ids.txt"))

    @HYPOTHESIS
    @given(st.text(max_size=60))
    def test_any_pyproject_text(self, text: str) -> None:
        with self.project() as where:
            (where / "ids.txt").write_text("a.B.test_1\n")
            (where / "pyproject.toml").write_text(text, encoding="utf-8", errors="surrogatepass")
            self.plan(where, "--tests", str(where / "ids.txt"))

    @HYPOTHESIS
    @given(st.text(max_size=12), st.sampled_from([("plan", "--concurrency"), ("plan", "--group-by"),
                                                  ("plan", "--strategy"), ("plan", "--format"), ("plan", "--dispatch"),
                                                  ("plan", "--directory"), ("concurrency", "--within"),
                                                  ("concurrency", "--max")]))
    def test_any_option_value(self, value: str, where_option: tuple[str, str]) -> None:
        assume("\x00" not in value)  # no command line can hold a NUL
        command, option = where_option
        with self.project() as where:
            (where / "ids.txt").write_text("a.B.test_1\n")
            self.cli(command, "--tests", str(where / "ids.txt"), f"{option}={value}")
            self.cli("history", "merge", f"--keep={value}", str(where / "ids.txt"))


def toml(value: Any) -> str:
    """``value`` written as a TOML value (inline tables for dicts)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value) if abs(value) < 2**63 else json.dumps(str(value))
    if value is None:
        return '""'
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml(v)}" for k, v in value.items()) + "}"


def _records() -> bytes:
    from tests.builders import rec

    return stream([rec(f"a.B.test_{n}", f"worker-{n % 2}", float(n), n + 0.5 + n / 10,
                       "fail" if n == 3 else "success") for n in range(6)])


class TestDamagedInputs(CLI):
    """Streams and repositories with flipped bytes and cuts, damaged caches: one line at worst, and read-only."""

    IDS = "".join(f"a.B.test_{n}\n" for n in range(6))

    @HYPOTHESIS
    @given(st.data(), st.sampled_from(["v2", "gzip"]))
    def test_a_damaged_stream_as_history(self, data: st.DataObject, form: str) -> None:
        raw = _records()
        body = bytearray(gzip.compress(raw, mtime=0) if form == "gzip" else raw)
        damage(data, body)
        with self.project() as where:
            (where / "ids.txt").write_text(self.IDS)
            (where / "run.subunit").write_bytes(bytes(body))
            before = tree_snapshot(where)
            self.plan(where, "--tests", str(where / "ids.txt"), "--history", str(where / "run.subunit"))
            self.cli("history", "export", "--history", str(where / "run.subunit"), "-C", str(where))
            self.assertEqual(before, tree_snapshot(where))

    @HYPOTHESIS
    @given(st.data(), st.sampled_from(["0", "1", "format", "times.dbm.dat", "times.dbm.dir", "next-stream"]))
    def test_a_damaged_repository(self, data: st.DataObject, victim: str) -> None:
        with self.project() as where:
            repo = where / ".stestr"
            repo.mkdir()
            (repo / "format").write_text("1\n")
            (repo / "0").write_bytes(_records())
            (repo / "1").write_bytes(_records())
            (repo / "next-stream").write_text("2\n")
            with dbm.dumb.open(str(repo / "times.dbm"), "c") as db:
                db["a.B.test_1"] = "0.5"
            body = bytearray((repo / victim).read_bytes())
            damage(data, body)
            (repo / victim).write_bytes(bytes(body))
            (where / "ids.txt").write_text(self.IDS)
            before = tree_snapshot(repo)
            self.plan(where, "--tests", str(where / "ids.txt"))
            self.cli("history", "summary", "-C", str(where))
            self.cli("explain", "a.B.test_1", "--tests", str(where / "ids.txt"), "-C", str(where))
            self.cli("races", "-C", str(where))
            self.assertEqual(before, tree_snapshot(repo))

    @HYPOTHESIS
    @given(st.lists(st.one_of(st.binary(max_size=40), json_values.map(json.dumps)), min_size=1, max_size=3))
    def test_a_damaged_cache_is_a_miss(self, junk: list[Any]) -> None:
        with self.project() as where:
            repo = where / ".stestr"
            repo.mkdir()
            (repo / "format").write_text("1\n")
            (repo / "0").write_bytes(_records())
            (where / "ids.txt").write_text(self.IDS)
            code, first, err = self.plan(where, "--tests", str(where / "ids.txt"))
            self.assertEqual(0, code, err)
            entries = sorted(Path(self.cache_dir()).glob("*.json"))
            self.assertNotEqual([], entries)
            for entry, content in zip(entries, junk * len(entries), strict=False):
                entry.write_bytes(content if isinstance(content, bytes) else content.encode())
            code, again, err = self.plan(where, "--tests", str(where / "ids.txt"))
            self.assertEqual((0, first), (code, again), err)

    def cache_dir(self) -> str:
        import os

        return os.environ["PARTITIONER_CACHE_DIR"]


def damage(data: st.DataObject, body: bytearray) -> None:
    """Flip a few bytes of ``body`` and maybe cut it, as Hypothesis draws."""
    if body:
        for _ in range(data.draw(st.integers(min_value=0, max_value=3))):
            index = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
            body[index] = data.draw(st.integers(min_value=0, max_value=255))
    if data.draw(st.booleans()):
        del body[data.draw(st.integers(min_value=0, max_value=len(body))):]
