"""End to end: repositories written by the real stestr and testr, and the real Berkeley DB times.dbm, read
read-only (tests/history/ covers the same readers on hand-built repositories)."""

from __future__ import annotations

import atexit
import json
import shutil
import subprocess
from pathlib import Path

import fixtures
import testtools

from partitioner.errors import HistoryError
from partitioner.history.repository import read_repository
from partitioner.history.subunit import read_stream
from partitioner.history.timesdbm import read_times_dbm
from partitioner.testids import canonical
from tests.history.test_repository import make_repo
from tests.suites import GEN_SUITE, RAW, GeneratedSuite, tool, tree_snapshot

BDB_TIMES = "Juniper__contrail-test__testrepository_times.dbm"


class _RealRepositories:
    """One generated suite run twice by the real stestr and twice by the real testr, built once per process.

    Each tool run takes a couple of seconds, so tests copy this project instead of re-running the tools.
    """

    def __init__(self) -> None:
        self.suite: GeneratedSuite | None = None
        self.failure: str | None = None
        self.stestr_v2 = b""

    def build(self) -> GeneratedSuite:
        if self.suite is not None:
            return self.suite
        if self.failure is not None:
            raise RuntimeError(self.failure)
        suite = GeneratedSuite(classes=10, serial_s=2)
        suite.setUp()
        atexit.register(suite.cleanUp)
        try:
            for _ in range(2):
                suite.run(tool("stestr"), "run", "--concurrency", "2", check=True)
            suite.run(tool("testr"), "init", check=True)
            for _ in range(2):
                suite.run(tool("testr"), "run", "--parallel", "--concurrency", "2", check=True)
            last = subprocess.run(  # binary output, so not suite.run (text mode)
                [tool("stestr"), "last", "--subunit"],
                check=False,
                cwd=suite.path,
                env=suite.env(),
                capture_output=True,
                timeout=120,
                stdin=subprocess.DEVNULL,
            )
            self.stestr_v2 = last.stdout
        except Exception as error:
            self.failure = f"building the real repositories failed: {error}"
            raise
        self.suite = suite
        return suite


REAL = _RealRepositories()


class RealProject(fixtures.Fixture):
    """A private copy of the project holding real ``.stestr`` and ``.testrepository`` repositories.

    :ivar path: the project directory
    :ivar tests: every test id of the generated suite (``[smoke]`` attributes included)
    """

    def _setUp(self) -> None:
        suite = REAL.build()
        self.path = Path(self.useFixture(fixtures.TempDir()).path) / "project"
        shutil.copytree(suite.path, self.path, symlinks=True)
        dataset = json.loads((self.path / "dataset.json").read_text())
        self.tests = {test for klass in dataset["classes"] for test in klass["tests"]}


class TestRealRepositories(testtools.TestCase):
    """Repositories written by the real stestr and testr tools."""

    def setUp(self) -> None:
        super().setUp()
        if not GEN_SUITE.exists():  # here, not in the fixture: fixtures turn a skip into a setup error
            self.skipTest(f"{GEN_SUITE} missing; set PARTITIONER_SHARED")
        self.project = self.useFixture(RealProject())

    def check(self, dirname: str) -> None:
        repo = self.project.path / dirname
        before = tree_snapshot(self.project.path)
        runs, times, warnings = read_repository(repo)
        self.assertEqual(before, tree_snapshot(self.project.path))
        self.assertEqual((), warnings)
        self.assertEqual([f"{repo}/0", f"{repo}/1"], [run.run_id for run in runs])
        self.assertEqual([0, 1], [run.order for run in runs])
        for run in runs:
            self.assertEqual(self.project.tests, {r.test_id for r in run.records})
            self.assertEqual(len(self.project.tests), len(run.records))
            self.assertEqual({"success"}, {r.status for r in run.records})
            self.assertEqual(frozenset({"worker-0", "worker-1"}), run.workers)
            for record in run.records:
                self.assertIsNotNone(record.duration, record.test_id)
                self.assertGreater(record.duration or 0.0, 0.0, record.test_id)
        self.assertTrue(any("[smoke]" in test for test in self.project.tests))
        self.assertEqual({canonical(test) for test in self.project.tests}, set(times))
        self.assertTrue(all(value > 0 for value in times.values()))
        last = {canonical(r.test_id): r.duration for r in runs[-1].records}
        for test, seconds in times.items():
            self.assertAlmostEqual(last[test] or 0.0, seconds, delta=1e-5)

    def test_stestr(self) -> None:
        self.check(".stestr")

    def test_testr(self) -> None:
        self.check(".testrepository")

    def test_stored_v1_matches_stestr_last_v2(self) -> None:
        if not REAL.stestr_v2:
            self.skipTest("`stestr last --subunit` gave no output")
        runs, _, _ = read_repository(self.project.path / ".stestr")
        last = read_stream(REAL.stestr_v2, "stestr last --subunit")
        self.assertEqual(
            sorted((r.test_id, r.status, r.worker) for r in runs[-1].records),
            sorted((r.test_id, r.status, r.worker) for r in last.records),
        )

    def test_project_dir_with_both_needs_a_kind(self) -> None:
        error = self.assertRaises(HistoryError, read_repository, self.project.path)
        self.assertIn("holds both", str(error))
        runs, _, _ = read_repository(self.project.path, kind="testrepository")
        self.assertEqual(f"{self.project.path}/.testrepository/0", runs[0].run_id)
        shutil.rmtree(self.project.path / ".testrepository")
        before = tree_snapshot(self.project.path)
        runs, times, _ = read_repository(self.project.path)
        self.assertEqual(f"{self.project.path}/.stestr/1", runs[-1].run_id)
        self.assertTrue(times)
        self.assertEqual(before, tree_snapshot(self.project.path))

    def test_corrupt_run_is_skipped_with_a_warning(self) -> None:
        repo = self.project.path / ".stestr"
        stream = repo / "0"
        data = stream.read_bytes()
        stream.write_bytes(data[: data.index(b"\ntest: ", 500) + 20])  # cut inside a test
        (repo / "2").write_bytes(b"")
        before = tree_snapshot(self.project.path)
        runs, times, warnings = read_repository(repo)
        self.assertEqual(before, tree_snapshot(self.project.path))
        self.assertEqual([f"{repo}/1"], [run.run_id for run in runs])
        self.assertEqual(2, len(warnings))
        self.assertIn(f"{repo}/0: subunit v1 stream ends inside test", warnings[0])
        self.assertIn(f"{repo}/2: empty stream", warnings[1])
        self.assertTrue(all("\n" not in w and "run skipped" in w for w in warnings))
        self.assertTrue(times)


class TestRealTimesDbm(testtools.TestCase):
    """The Berkeley DB times.dbm of a real testrepository (../shared/data), which Python's dbm cannot open."""

    def test_berkeley_db_times(self) -> None:
        path = RAW / BDB_TIMES
        if not path.exists():
            self.skipTest(f"{path} missing: the shared real-data set is not available")
        before = path.stat().st_mtime_ns
        times, warnings = read_times_dbm(path)
        self.assertEqual({}, dict(times))
        self.assertEqual(
            (
                f"cannot read {path} (Berkeley DB database, which this Python's dbm cannot open); "
                f"per-test times will come from the stored run streams only",
            ),
            warnings,
        )
        self.assertEqual(before, path.stat().st_mtime_ns)
        self.assertFalse(any(path.parent.glob(f"{BDB_TIMES}.*")))

    def test_berkeley_db_in_a_repository(self) -> None:
        path = RAW / BDB_TIMES
        if not path.exists():
            self.skipTest(f"{path} missing: the shared real-data set is not available")
        repo = make_repo(self, ".testrepository")
        shutil.copyfile(path, repo / "times.dbm")
        before = tree_snapshot(repo)
        runs, times, warnings = read_repository(repo)
        self.assertEqual(before, tree_snapshot(repo))
        self.assertEqual((1, {}), (len(runs), dict(times)))
        self.assertIn("Berkeley DB", warnings[0])
