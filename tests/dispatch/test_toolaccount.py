"""The account of a tool's run as the tool stores it (dispatch/toolaccount.py): the warning and each worker's fate.

What it writes into the stored run is checked through the session (tests/dispatch/test_tools.py) and the real
tools (tests/e2e/test_dispatch_tools.py, test_sigterm.py).
"""

from __future__ import annotations

import datetime
import signal
import subprocess
import sys
import time

import testtools
from testtools.testresult.doubles import StreamResult as Recorder

from partitioner.dispatch.toolaccount import SIGNAL_SLACK_S, Ended, ended, failure, fate, unstarted, warning
from partitioner.dispatch.toolrun import Console, Tee, ToolRun
from partitioner.run.signals import describe_exit


class TestWarning(testtools.TestCase):
    def test_what_never_reported_is_said_once_with_the_signal_when_there_was_one(self) -> None:
        run = ToolRun([("a.A.t1", "a.A.t2")], None)
        self.assertIsNone(warning(run, 0, False, None))
        self.assertEqual("1 test never reported a result: recorded as a failure in the stored run",
                         warning(run, 1, False, None))
        self.assertEqual("the run was interrupted (SIGINT): 2 tests never reported a result: recorded as failures "
                         "in the stored run", warning(run, 2, False, signal.SIGINT))

    def test_tests_the_lanes_wrote_for_are_said_so(self) -> None:
        run = ToolRun([("a.A.t1",)], None)
        line = warning(run, 0, True, signal.SIGTERM)
        self.assertIsNotNone(line)
        self.assertIn("(SIGTERM): the tests it cut short or kept from starting", line or "")


class Session:
    """The session as a Tee reports to it."""

    signalled_at: float | None = None

    def observe(self, run: ToolRun, event: object) -> None:
        pass

    def account(self, run: ToolRun) -> None:
        pass


class TestEnded(testtools.TestCase):
    def test_each_test_by_how_it_ended_after_the_signal(self) -> None:
        run = ToolRun([("a.A.t1", "a.A.t2", "a.A.t3"), ("a.B.t1", "a.B.t2")], None)
        at = 1000.0
        failures = {"a.A.t1": (at - 10.0, False),  # failed before the signal: it ran
                    "a.A.t2": (at - SIGNAL_SLACK_S / 2, False),  # its process noted the Ctrl-C before we did
                    "a.A.t3": (at + 1.0, True),  # "not run: ...": never started
                    "a.B.t1": (at + 1.0, False)}  # a lane's "interrupted: ..."
        self.assertEqual(Ended(2, 2, 1), ended(run, failures, at))
        self.assertFalse(ended(run, {}, at).partial)

    def test_a_failure_s_time_and_whether_it_says_not_run(self) -> None:
        stamp = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
        self.assertEqual((stamp.timestamp(), True), failure({"test_status": "fail", "timestamp": stamp,
                                                             "file_name": "reason", "file_bytes": b"not run: x"}))
        self.assertEqual((stamp.timestamp(), False), failure({"timestamp": stamp, "file_name": "reason",
                                                              "file_bytes": b"interrupted: lane 0 received SIGINT"}))
        self.assertEqual((stamp.timestamp(), False), failure({"timestamp": stamp, "file_name": "traceback",
                                                              "file_bytes": b"not run"}))  # no reason: its own
        when, _ = failure({})
        self.assertAlmostEqual(time.time(), when, delta=5.0)  # no timestamp: when it was seen

    def test_the_warning_after_a_signal_counts_every_test_and_says_the_run_is_partial(self) -> None:
        run = ToolRun([("a.A.t1", "a.A.t2")], None)
        self.assertEqual("the run was interrupted (SIGTERM): of its 40 tests 33 ran, 1 was cut short and 6 never "
                         "started; the stored run is partial: those 7 are recorded as failures, and `stestr run "
                         "--failing` reruns them", warning(run, 3, True, signal.SIGTERM, Ended(33, 1, 6), "stestr"))
        self.assertIsNone(warning(run, 0, False, signal.SIGINT, Ended(40, 0, 0)))  # complete: exec says so

    def test_a_failure_the_signal_kept_from_starting(self) -> None:
        at = 1000.0
        self.assertTrue(unstarted((at, True), at))
        self.assertTrue(unstarted((at - SIGNAL_SLACK_S / 2, True), at))
        self.assertFalse(unstarted((at - 10.0, True), at))  # before the signal: the run's own (a setUpClass failed)
        self.assertFalse(unstarted((at + 1.0, False), at))  # cut short

    def test_the_warning_says_what_the_tools_console_counted_and_left_out(self) -> None:
        run = ToolRun([("a.A.t1", "a.A.t2")], None)
        tee = Tee(Recorder(), Session(), run)
        tee.outer = object()  # through the tool's whole result, whose console is behind a Console
        console = Console(Recorder(), Session())
        tee.consoles = [console]

        def line(end: Ended) -> str | None:
            return warning(run, 0, True, signal.SIGINT, end, "stestr")

        self.assertIn("those 7 are recorded as failures (the tool's failure count includes them), and",
                      line(Ended(33, 7, 0)) or "")
        console.hidden = 6
        self.assertIn("those 7 are recorded as failures (the tool's failure count includes 1 of them; its output "
                      "leaves out the 6 that never started), and `stestr run --failing` reruns them",
                      line(Ended(33, 1, 6)) or "")
        self.assertIn("those 6 are recorded as failures (the tool's output leaves them out), and",
                      line(Ended(33, 0, 6)) or "")
        console.hidden = 1
        self.assertIn("that one is recorded as a failure (the tool's output leaves it out), and `stestr run "
                      "--failing` reruns it", line(Ended(33, 0, 1)) or "")
        tee.consoles = []  # `stestr run --subunit`: its stream has them all
        self.assertIn("(the tool's failure count includes it)", line(Ended(33, 0, 1)) or "")


class TestFate(testtools.TestCase):
    def test_a_worker_never_started_or_ended(self) -> None:
        self.assertEqual("was never started", fate(None))
        proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
        self.assertEqual(describe_exit(3), fate(proc))  # waited for: its stream ended before it was reapable
