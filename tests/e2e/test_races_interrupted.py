"""End to end: ``timeout`` stops ``partitioner exec -- stestr run`` mid-test (dynamic and static dispatch); the tests it
cut short are stored as failures ("interrupted: ..."), and neither ``partitioner races`` nor ``history summary``
counts them as failures: they say in one line that the run was interrupted (new user's trial: races proposed a rule
from the test running when the signal came, with "overlap 0.000 s" beside the one on the other worker)."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import time

import fixtures
import testtools

from partitioner.cli.main import main
from partitioner.history.repository import read_repository
from tests.e2e.test_runner import inject
from tests.faults import kill_all
from tests.suites import GEN_SUITE, GeneratedSuite, tool

#: the longest a run may take to reach the planted hang, and to end once signalled
WAIT_S = 60.0


class InterruptedRunE2E(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        if not GEN_SUITE.exists():
            self.skipTest(f"{GEN_SUITE} not found (set PARTITIONER_SHARED)")
        self.suite = self.useFixture(GeneratedSuite(classes=6, serial_s=2.0))
        self.cache = self.useFixture(fixtures.TempDir()).path
        self.addCleanup(kill_all, self.suite.path)
        self.suite.run(tool("stestr"), "init", check=True)
        self.suite.run(tool("stestr"), "run", "--concurrency", "2", check=True)  # a whole run to compare with

    def partitioner(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        status = main([*argv, "-C", str(self.suite.path)], stdout=out, stderr=err)
        return status, out.getvalue(), err.getvalue()

    def interrupt_mid_test(self, dispatch: str) -> str:
        """Run the suite through ``partitioner exec`` with a hang planted in a test; once it hangs, SIGTERM the
        process group as ``timeout`` does. Returns the hung test's id."""
        pidfile = self.suite.path / "hung.pid"
        victim = inject(self.suite, 0, f"import os, time; open({str(pidfile)!r}, 'w').write(str(os.getpid())); "
                                       "time.sleep(90)")
        command = [tool("partitioner"), "exec", "--dispatch", dispatch, "--", tool("stestr"), "run", "--concurrency",
                   "2"]
        proc = subprocess.Popen(command, cwd=self.suite.path, start_new_session=True, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=self.suite.env(PARTITIONER_CACHE_DIR=self.cache))
        deadline = time.monotonic() + WAIT_S
        while not (pidfile.exists() and pidfile.read_text().strip()):
            if time.monotonic() > deadline or proc.poll() is not None:
                os.killpg(proc.pid, signal.SIGKILL)
                raise AssertionError(f"the planted hang never started (exit {proc.wait()})")
            time.sleep(0.05)
        time.sleep(0.3)
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(WAIT_S)
        return victim

    def check_interrupted(self, dispatch: str) -> None:
        victim = self.interrupt_mid_test(dispatch)
        runs, _, _ = read_repository(self.suite.path / ".stestr")
        (stored,) = [r for r in runs[-1].records if r.test_id == victim]
        self.assertEqual("fail", stored.status)  # stored as failed, with its lane's (or exec's) reason
        self.assertTrue(stored.reason.startswith("interrupted: "), stored.reason)
        status, out, err = self.partitioner("races", "--format", "json")
        self.assertEqual(0, status, err)
        doc = json.loads(out)
        self.assertEqual([], doc["suspects"])
        (cut,) = doc["interrupted"]
        self.assertEqual(("1", "SIGTERM"), (cut["run"], cut["signal"]))
        self.assertIn(victim, cut["cut"])
        status, out, err = self.partitioner("races")
        self.assertEqual(0, status, err)
        self.assertRegex(out.splitlines()[0], r"^run 1 of \.stestr was interrupted \(SIGTERM\): its \d+ tests? cut "
                                              r"short (is|are) not counted as (a failure|failures)")
        self.assertIn("run 1 of .stestr has no failures: nothing to diagnose", out)
        status, out, err = self.partitioner("history", "summary")
        self.assertEqual(0, status, err)
        lines = out.splitlines()
        self.assertIn("0 failed at least once", lines[0])
        self.assertRegex(lines[1], r"^run 1 was interrupted \(SIGTERM\): its \d+ tests? cut short")

    def test_dynamic_dispatch(self) -> None:
        self.check_interrupted("dynamic")

    def test_static_dispatch(self) -> None:
        self.check_interrupted("static")

