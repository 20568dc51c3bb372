"""Plan records written aside (dispatch/record.py): a forked child writes, the parent goes on, then reaps it."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import fixtures
import testtools

from partitioner.dispatch.record import wait_aside, write_aside


class TestWriteAside(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.out = Path(self.useFixture(fixtures.TempDir()).path) / "written"

    def write_pid(self) -> None:
        self.out.write_text(str(os.getpid()))

    def test_the_work_runs_in_a_child_and_is_done_once_reaped(self) -> None:
        self.useFixture(fixtures.MonkeyPatch("threading.active_count", lambda: 1))  # other tests' leftover threads
        pid = write_aside(self.write_pid)
        assert pid is not None
        self.assertTrue(wait_aside(pid, 30.0))
        self.assertEqual(str(pid), self.out.read_text())  # written by the child, not by this process
        self.assertTrue(wait_aside(pid, 0.0))  # reaped already: nothing to wait for

    def test_a_child_that_fails_leaves_nothing_behind_and_says_nothing(self) -> None:
        self.useFixture(fixtures.MonkeyPatch("threading.active_count", lambda: 1))

        def fail() -> None:
            raise RuntimeError("boom")

        pid = write_aside(fail)
        assert pid is not None
        self.assertTrue(wait_aside(pid, 30.0))
        self.assertFalse(self.out.exists())

    def test_with_another_thread_alive_it_does_not_fork_and_the_caller_writes(self) -> None:
        stop = threading.Event()
        thread = threading.Thread(target=stop.wait, daemon=True)
        thread.start()
        self.addCleanup(thread.join)
        self.addCleanup(stop.set)
        self.assertIsNone(write_aside(self.write_pid))
        self.assertFalse(self.out.exists())  # not run: the caller runs it itself

    def test_a_child_still_running_is_left_to_finish(self) -> None:
        self.useFixture(fixtures.MonkeyPatch("threading.active_count", lambda: 1))
        gate = Path(self.out.parent / "gate")

        def slow() -> None:
            while not gate.exists():
                threading.Event().wait(0.01)
            self.write_pid()

        pid = write_aside(slow)
        assert pid is not None
        self.assertFalse(wait_aside(pid, 0.05))
        gate.write_text("go")
        self.assertTrue(wait_aside(pid, 30.0))
        self.assertEqual(str(pid), self.out.read_text())
