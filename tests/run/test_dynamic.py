"""The runner's dynamic dispatch: chosen by default for a command a pull worker stands in for, and the plan
record it leaves beside the run (static and dynamic)."""

from __future__ import annotations

import io
import os
import sys
from typing import Any

import fixtures
import testtools

from partitioner.history import planrecord
from partitioner.history.model import Run
from partitioner.history.subunit import read_stream
from partitioner.run import main
from tests.dispatch.helpers import read_events
from tests.run.harness import RealProject

SUITE = '''
import unittest


class A(unittest.TestCase):
    def test_1(self):
        pass

    def test_2(self):
        pass


class B(unittest.TestCase):
    def test_1(self):
        pass


class C(unittest.TestCase):
    def test_1(self):
        self.fail("planted")
'''


WHERE = '''
import os
import unittest


def _parent():
    with open("/proc/%d/cmdline" % os.getppid(), "rb") as f:
        return "preloader" if b"--serve" in f.read() else "other"


class W(unittest.TestCase):
    def test_1(self):
        with open("ran.log", "a") as f:
            f.write("%d %s\\n" % (os.getpid(), _parent()))

    def test_2(self):
        with open("ran.log", "a") as f:
            f.write("%d %s\\n" % (os.getpid(), _parent()))
'''


class TestDynamicRunner(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        project = self.useFixture(RealProject({"test_s": SUITE}))
        self.root, self.cache = project.root, project.cache

    def run_runner(self, *options: str) -> tuple[int, bytes, str]:
        out, err = io.BytesIO(), io.StringIO()
        code = main([*options, "-j", "2", "--", sys.executable, "-m", "subunit.run", "discover", "-t", ".",
                     "./pkg"], stdout=out, stderr=err, cwd=self.root)
        return code, out.getvalue(), err.getvalue()

    def stored(self, data: bytes) -> Run:
        """The run as the history reader reads it: testr stores the runner's stream as the runner wrote it (its
        timestamps too: a record's key holds the run's first start)."""
        return read_stream(data, "r")

    def test_dynamic_by_default_and_its_record_matches_the_run(self) -> None:
        code, out, err = self.run_runner()
        self.assertEqual(1, code, err)
        self.assertNotIn("note:", err)
        events = read_events(out)
        finals = events.finals()
        self.assertEqual({"pkg.test_s.A.test_1": ["success"], "pkg.test_s.A.test_2": ["success"],
                          "pkg.test_s.B.test_1": ["success"], "pkg.test_s.C.test_1": ["fail"]}, finals)
        record = planrecord.find_record(self.stored(out))
        assert record is not None
        self.assertEqual(("dynamic", 2), (record.dispatch, record.concurrency))
        handed = sorted(g.key for lane in record.workers for g in lane.groups)
        self.assertEqual(["pkg.test_s.A", "pkg.test_s.B", "pkg.test_s.C"], handed)
        for lane in record.workers:
            for group in lane.groups:
                assert group.start_s is not None and group.stop_s is not None
                self.assertLessEqual(group.start_s, group.stop_s)
        self.assertIsNotNone(record.predicted_makespan_s)

    def test_the_preloader_starts_before_the_plan_and_ends_with_the_run(self) -> None:
        from partitioner.dispatch import preload
        from partitioner.run import default_planner

        started: list[preload.Started] = []
        real = preload.start

        def recording(*args: Any, **kwargs: Any) -> preload.Started | None:
            one = real(*args, **kwargs)
            if one is not None:
                started.append(one)
            return one

        self.useFixture(fixtures.MonkeyPatch("partitioner.dispatch.preload.start", recording))
        alive_when_planned: list[bool] = []

        def planner(*args: Any, **kwargs: Any) -> Any:
            alive_when_planned.append(len(started) == 1 and started[0].proc.poll() is None)
            return default_planner(*args, **kwargs)

        out, err = io.BytesIO(), io.StringIO()
        code = main(["-j", "2", "--", sys.executable, "-m", "subunit.run", "discover", "-t", ".", "./pkg"],
                    stdout=out, stderr=err, cwd=self.root, planner=planner)
        self.assertEqual(1, code, err.getvalue())  # the planted failure
        self.assertEqual([True], alive_when_planned)  # loading the suite while the run was planned
        self.assertEqual(1, len(started))  # and the lanes' workers forked from it: no second one
        self.assertEqual(4, len(read_events(out.getvalue()).finals()))
        self.assertIsNotNone(started[0].proc.poll())
        assert started[0].owned is not None
        self.assertFalse(os.path.exists(started[0].owned))
        del started[:]  # none before the plan of a run asked to be static
        code, _, err_text = self.run_runner("--dispatch", "static")
        self.assertEqual(1, code, err_text)
        self.assertEqual([], started)
        del started[:]  # a split per test starts one too: the static plan it may keep forks its workers from it
        code, _, err_text = self.run_runner("--group-by", "none")
        self.assertEqual(1, code, err_text)
        self.assertEqual(1, len(started))
        self.assertIsNotNone(started[0].proc.poll())  # and it ends with the run

    def test_static_when_asked_and_its_record_is_the_plan(self) -> None:
        code, out, err = self.run_runner("--dispatch", "static")
        self.assertEqual(1, code, err)
        self.assertIn("worker-1", {t for e in read_events(out).events for t in e.tags})
        record = planrecord.find_record(self.stored(out))
        assert record is not None
        self.assertEqual("static", record.dispatch)
        planned = {g.key: lane.worker for lane in record.workers for g in lane.groups}
        self.assertEqual({"pkg.test_s.A", "pkg.test_s.B", "pkg.test_s.C"}, set(planned))

    def write_history(self, seconds: float, *more: str) -> str:
        """A history that measured the suite's tests (and the ids ``more``) at ``seconds`` each."""
        import json

        ids = ["pkg.test_s.A.test_1", "pkg.test_s.A.test_2", "pkg.test_s.B.test_1", "pkg.test_s.C.test_1", *more]
        path = self.root / "times.json"
        path.write_text(json.dumps({"format_version": 1, "tests": {t: [seconds] for t in ids}}))
        return str(path)

    def test_single_small_tests_with_history_run_static_unless_dynamic_is_asked_for(self) -> None:
        history = self.write_history(0.002)
        code, out, err = self.run_runner("--group-by", "none", "--history", history)
        self.assertEqual(1, code, err)
        self.assertEqual(1, err.count("dynamic dispatch is off"), err)
        self.assertIn("hand out 4 tests one at a time", err)
        record = planrecord.find_record(self.stored(out))
        assert record is not None
        self.assertEqual("static", record.dispatch)
        self.assertEqual(4, len(read_events(out).finals()))
        self.assertNotIn("does not apply", err)
        code, out, err = self.run_runner("--group-by", "none", "--history", history, "--dispatch-order", "mono")
        self.assertEqual(1, err.count("dynamic dispatch is off"), err)
        self.assertIn("the dispatch order mono (--dispatch-order) does not apply", err)
        code, out, err = self.run_runner("--group-by", "none", "--history", history, "--dispatch", "dynamic")
        self.assertNotIn("dynamic dispatch is off", err)
        record = planrecord.find_record(self.stored(out))
        assert record is not None
        self.assertEqual("dynamic", record.dispatch)

    def test_the_static_plan_it_keeps_forks_its_workers_from_the_preloaded_suite(self) -> None:
        # the static plan kept for small tests: each worker is a fork of the suite the preloader loaded while
        # the run was planned (partitioner.dispatch.direct), not a process loading it again
        (self.root / "pkg" / "test_where.py").write_text(WHERE)
        history = self.write_history(0.002, "pkg.test_where.W.test_1", "pkg.test_where.W.test_2")
        for preload, parent in (("", "preloader"), ("0", "other")):
            self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_PRELOAD", preload or None))
            (self.root / "ran.log").unlink(missing_ok=True)
            code, out, err = self.run_runner("--group-by", "none", "--history", history)
            self.assertEqual(1, code, err)  # the planted failure
            self.assertIn("dynamic dispatch is off", err)
            self.assertEqual(6, len(read_events(out).finals()), err)
            ran = [line.split() for line in (self.root / "ran.log").read_text().splitlines()]
            self.assertEqual([parent, parent], [p for _, p in ran], preload)

    def test_its_record_says_the_unit_the_plan_priced_in(self) -> None:
        history = self.write_history(0.2)
        for options, unit in (((), "tests"), (("--dispatch", "static"), "tests"),  # no history: test counts
                              (("--history", history), "s"), (("--history", history, "--dispatch", "static"), "s")):
            code, out, err = self.run_runner(*options)
            self.assertEqual(1, code, err)  # the planted failure
            record = planrecord.find_record(self.stored(out))
            assert record is not None
            self.assertEqual(unit, record.unit, options)

    def test_single_tests_the_history_prices_large_stay_dynamic(self) -> None:
        code, out, err = self.run_runner("--group-by", "none", "--history", self.write_history(0.2))
        self.assertEqual(1, code, err)  # the planted failure
        self.assertNotIn("dynamic dispatch is off", err)
        record = planrecord.find_record(self.stored(out))
        assert record is not None
        self.assertEqual("dynamic", record.dispatch)
