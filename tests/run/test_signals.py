"""Tests for partitioner.run.signals (through a real runner process): SIGINT, SIGTERM, a closed stdout."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from partitioner.run import Interrupt
from partitioner.run.phases import GRACE_S
from tests.run.harness import DRIVER, Events, RunnerTestCase, stop


class TestSignals(RunnerTestCase):
    def start(self, ids: Sequence[str], workers: int) -> tuple[subprocess.Popen[bytes], Path]:
        (self.dir / "driver.py").write_text(DRIVER)
        marks = self.dir / "marks"
        marks.mkdir()
        env = dict(os.environ, FAKE_MARKS=str(marks))
        proc = subprocess.Popen([sys.executable, str(self.dir / "driver.py"), "--concurrency", "2",
                                 "--load-list", self.load_list(ids), "--", *self.inner],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=self.dir)
        self.addCleanup(stop, proc)
        deadline = time.monotonic() + 20
        while len(list(marks.iterdir())) < workers and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # let the fast tests report
        return proc, marks

    def interrupt(self, signum: int, ids: Sequence[str]) -> tuple[int, Events, str, float, Path]:
        proc, marks = self.start(ids, 2)
        began = time.monotonic()
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
        return proc.returncode, Events(out), err.decode(), time.monotonic() - began, marks

    def assertWorkersGone(self, marks: Path) -> None:
        for mark in marks.iterdir():
            self.assertRaises(ProcessLookupError, os.kill, int(mark.name), 0)

    def test_sigint_stops_workers_and_fails_the_rest_as_interrupted(self) -> None:
        ids = ["a.ok", "b.ok", "c.slow", "d.slow", "e.ok", "f.ok"]
        status, events, err, took, marks = self.interrupt(signal.SIGINT, ids)
        self.assertEqual(130, status, err)
        self.assertLess(took, 10)
        self.assertAccounted(events, ids)
        self.assertEqual(["success"], events.finals("a.ok"))
        for test_id in ("c.slow", "d.slow", "e.ok", "f.ok"):
            self.assertEqual(["fail"], events.finals(test_id))
        for test_id in ("c.slow", "d.slow"):  # running: cut short
            self.assertIn("interrupted: the runner received SIGINT", events.attachment(test_id, "reason").decode())
        for test_id in ("e.ok", "f.ok"):  # their workers never reached them
            self.assertIn("not run: the run was interrupted (SIGINT) before this test started; worker-",
                          events.attachment(test_id, "reason").decode())
        self.assertIn("(interrupted)", err)
        self.assertWorkersGone(marks)

    def test_an_ignored_signal_stays_ignored(self) -> None:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        self.addCleanup(signal.signal, signal.SIGINT, previous)
        with Interrupt() as interrupt:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            self.assertIsNone(interrupt.signum)
            self.assertIs(signal.SIG_IGN, signal.getsignal(signal.SIGINT))

    def test_sigterm_exits_143_and_kills_a_worker_that_ignores_sigterm(self) -> None:
        ids = ["a.stubborn", "b.slow"]
        status, events, err, took, marks = self.interrupt(signal.SIGTERM, ids)
        self.assertEqual(143, status, err)
        self.assertGreater(took, GRACE_S - 0.5)
        self.assertAccounted(events, ids)
        self.assertIn("SIGKILL", events.attachment("a.stubborn", "reason").decode())
        self.assertIn("SIGTERM", events.attachment("b.slow", "reason").decode())
        self.assertWorkersGone(marks)

    def test_closed_stdout_stops_the_workers(self) -> None:
        proc, marks = self.start(["a.ok", "b.slow", "c.tick"], 2)
        began = time.monotonic()
        assert proc.stdout is not None
        proc.stdout.close()
        _, err = proc.communicate(timeout=30)
        self.assertLess(time.monotonic() - began, 10)
        self.assertEqual(1, proc.returncode)
        self.assertIn(b"stdout was closed", err)
        self.assertNotIn(b"Traceback", err)
        self.assertWorkersGone(marks)
