"""Tests for partitioner.history.timesdbm: dumb, damaged and unknown times.dbm files, read-only."""

from __future__ import annotations

import dbm.dumb

import testtools

from partitioner.history.repository import read_repository
from partitioner.history.timesdbm import read_times_dbm
from tests.history.test_repository import make_repo
from tests.suites import tree_snapshot


class TestTimesDbm(testtools.TestCase):
    def test_dumb_times_dbm(self) -> None:
        repo = make_repo(self, )
        with dbm.dumb.open(str(repo / "times.dbm"), "c") as db:
            db["a.B.test_0"] = "1.5"
            db["a.B.test_1[smoke]"] = "2.25"
            db["a.B.broken"] = "not-a-number"
        before = tree_snapshot(repo)
        runs, times, warnings = read_repository(repo)
        self.assertEqual(before, tree_snapshot(repo))
        self.assertEqual(1, len(runs))
        self.assertEqual({"a.B.test_0": 1.5, "a.B.test_1": 2.25}, dict(times))
        self.assertEqual(1, len(warnings))
        self.assertIn("ignored 1 entries", warnings[0])
        for name in ("times.dbm", "times.dbm.dat", "times.dbm.dir"):
            mapping, _ = read_times_dbm(repo / name)
            self.assertEqual({"a.B.test_0": 1.5, "a.B.test_1": 2.25}, dict(mapping))
        self.assertEqual(before, tree_snapshot(repo))

    def test_values_that_are_no_duration_are_ignored(self) -> None:
        repo = make_repo(self, )
        with dbm.dumb.open(str(repo / "times.dbm"), "c") as db:
            for number, value in enumerate(("nan", "inf", "-1", "1e308", "1000001", "1e6", "0")):
                db[f"a.B.test_{number}"] = value
        times, warnings = read_times_dbm(repo / "times.dbm")
        self.assertEqual({"a.B.test_5": 1e6}, dict(times))  # "0": no measurement (below), not a bad value
        self.assertEqual(("ignored 5 entries whose value is not a duration from 0 to 1e+06 seconds",),
                         tuple(w.split(": ", 1)[1].split(" (e.g.")[0] for w in warnings))

    def test_a_zero_is_no_measurement(self) -> None:
        # stestr stores 0.0 for a test an interrupted run recorded as failed without running it (start == stop):
        # read as a measurement, one Ctrl-C priced 68 of futurist's tests at nothing and the next plan at 3 s of 57
        repo = make_repo(self, )
        with dbm.dumb.open(str(repo / "times.dbm"), "c") as db:
            db["a.B.test_ran"] = "0.25"
            db["a.B.test_never_ran"] = "0.0"
            db["a.B.test_fast"] = "0.000004"
        times, warnings = read_times_dbm(repo / "times.dbm")
        self.assertEqual(({"a.B.test_ran": 0.25, "a.B.test_fast": 0.000004}, ()), (dict(times), warnings))

    def test_unknown_dbm_is_a_warning(self) -> None:
        repo = make_repo(self, )
        (repo / "times.dbm").write_bytes(b"this is no database at all")
        runs, times, warnings = read_repository(repo)
        self.assertEqual(1, len(runs))
        self.assertEqual({}, dict(times))
        self.assertEqual(
            (
                f"cannot read {repo}/times.dbm (unknown dbm format); per-test times will come from the "
                f"stored run streams only",
            ),
            warnings,
        )

    def test_damaged_dumb_dbm_is_a_warning(self) -> None:
        repo = make_repo(self, )
        (repo / "times.dbm.dat").write_bytes(b"")
        (repo / "times.dbm.dir").write_text("'a.B.c', (0, 4)\n'broken\n")
        before = tree_snapshot(repo)
        _, times, warnings = read_repository(repo)
        self.assertEqual(before, tree_snapshot(repo))
        self.assertEqual({}, dict(times))
        self.assertIn(f"cannot read {repo}/times.dbm (dbm.dumb: ", warnings[0])

    def test_missing_bare_dbm(self) -> None:
        times, warnings = read_times_dbm("/nonexistent/times.dbm")
        self.assertEqual({}, dict(times))
        self.assertIn("no such dbm database", warnings[0])
