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

from partitioner.dispatch.toolaccount import (
    SIGNAL_SLACK_S,
    Ended,
    Failure,
    ended,
    failure,
    fate,
    unstarted,
    warning,
)
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
        failures = {"a.A.t1": Failure(at - 10.0, False),  # failed before the signal: it ran
                    # its process noted the Ctrl-C (its traceback's KeyboardInterrupt) before we did
                    "a.A.t2": Failure(at - SIGNAL_SLACK_S / 2, False, True),
                    "a.A.t3": Failure(at + 1.0, True, True),  # "not run: ...": never started
                    "a.B.t1": Failure(at + 1.0, False, True)}  # a lane's "interrupted: ..."
        self.assertEqual(Ended(2, 2, 1), ended(run, failures, at))
        self.assertFalse(ended(run, {}, at).partial)

    def test_a_test_that_failed_of_itself_just_before_the_signal_ran(self) -> None:
        # a new user's trial: test_1_fails failed (AssertionError) 0.2 s before the Ctrl-C, and was counted cut short
        run = ToolRun([("a.A.t1", "a.A.t2"), ("a.B.t3", "a.B.t4")], None)
        at = 1000.0
        failures = {"a.A.t1": Failure(at - 0.2, False, False),  # its own AssertionError: it ran
                    "a.A.t2": Failure(at + 1.0, False, True),  # cut short: the lane's "interrupted: ..."
                    "a.B.t3": Failure(at - 0.1, False, True),  # its own process's KeyboardInterrupt, before ours
                    "a.B.t4": Failure(at + 1.0, True, True)}  # never started
        self.assertEqual(Ended(1, 2, 1), ended(run, failures, at))
        # after the signal's own time any failure is cut short, as before: the signal may have caused it
        failures["a.A.t1"] = Failure(at + 0.1, False, False)
        self.assertEqual(Ended(0, 3, 1), ended(run, failures, at))
        # before the slack, even a failure that says it did not run to its end is no signal's (a crash earlier on)
        failures["a.A.t1"] = Failure(at - SIGNAL_SLACK_S - 0.1, False, True)
        self.assertEqual(Ended(1, 2, 1), ended(run, failures, at))

    def test_a_failure_s_time_and_whether_it_says_not_run(self) -> None:
        stamp = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
        self.assertEqual(Failure(stamp.timestamp(), True, True),
                         failure({"test_status": "fail", "timestamp": stamp, "file_name": "reason",
                                  "file_bytes": b"not run: x"}))
        self.assertEqual(Failure(stamp.timestamp(), False, True),
                         failure({"timestamp": stamp, "file_name": "reason",
                                  "file_bytes": b"interrupted: lane 0 received SIGINT"}))
        self.assertEqual(Failure(stamp.timestamp(), False, False),
                         failure({"timestamp": stamp, "file_name": "traceback",
                                  "file_bytes": b"not run"}))  # no reason: its own
        self.assertEqual(Failure(stamp.timestamp(), False, True),
                         failure({"timestamp": stamp, "file_name": "traceback",
                                  "file_bytes": b"Traceback (most recent call last):\n  ...\nKeyboardInterrupt\n"}))
        self.assertEqual(Failure(stamp.timestamp(), False, False),
                         failure({"timestamp": stamp, "file_name": "traceback",
                                  "file_bytes": b"Traceback (most recent call last):\n  ...\nAssertionError: x\n"}))
        # what the test's attachments said before its status, when the caller read them
        self.assertTrue(failure({"timestamp": stamp}, unfinished=True).unfinished)
        self.assertFalse(failure({"timestamp": stamp, "file_name": "reason", "file_bytes": b"interrupted: x"},
                                 unfinished=False).unfinished)
        when, *_ = failure({})
        self.assertAlmostEqual(time.time(), when, delta=5.0)  # no timestamp: when it was seen

    def test_the_warning_after_a_signal_counts_every_test_and_says_the_run_is_partial(self) -> None:
        run = ToolRun([("a.A.t1", "a.A.t2")], None)
        self.assertEqual("the run was interrupted (SIGTERM): of its 40 tests 33 ran, 1 was cut short and 6 never "
                         "started; the stored run is partial: those 7 are recorded as failures, and `stestr run "
                         "--failing` reruns them", warning(run, 3, True, signal.SIGTERM, Ended(33, 1, 6), "stestr"))
        self.assertIsNone(warning(run, 0, False, signal.SIGINT, Ended(40, 0, 0)))  # complete: exec says so

    def test_the_counts_after_a_signal_are_thousands_separated(self) -> None:
        run = ToolRun([("a.A.t1",)], None)
        tee = Tee(Recorder(), Session(), run)
        tee.outer = object()
        console = Console(Recorder(), Session())
        console.hidden = 2563
        tee.consoles = [console]
        self.assertEqual("the run was interrupted (SIGTERM): of its 3,659 tests 1,095 ran, 1 was cut short and 2,563 "
                         "never started; the stored run is partial: those 2,564 are recorded as failures (the tool's "
                         "failure count includes 1 of them; its output leaves out the 2,563 that never started), and "
                         "`stestr run --failing` reruns them",
                         warning(run, 0, True, signal.SIGTERM, Ended(1095, 1, 2563), "stestr"))
        console.hidden = 1
        self.assertIn("(the tool's failure count includes 1,000 of them; its output leaves out the 1 that never "
                      "started)", warning(run, 0, True, signal.SIGTERM, Ended(5, 1000, 1), "stestr") or "")

    def test_a_failure_the_signal_kept_from_starting(self) -> None:
        at = 1000.0
        self.assertTrue(unstarted(Failure(at, True, True), at))
        self.assertTrue(unstarted(Failure(at - SIGNAL_SLACK_S / 2, True, True), at))
        # before the signal: the run's own (a setUpClass failed)
        self.assertFalse(unstarted(Failure(at - 10.0, True, True), at))
        self.assertFalse(unstarted(Failure(at + 1.0, False, True), at))  # cut short

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


class TestSessionAccount(testtools.TestCase):
    """What the session makes of a run's events after a signal (dispatch/tools.py ``Session.observe``, through a
    :class:`Tee`): a failure's traceback comes in events of its own before its status."""

    def account(self, tracebacks: dict[str, bytes], before: float = 0.2) -> str:
        import io

        from partitioner.dispatch.tools import Session as ExecSession

        err = io.StringIO()
        session = ExecSession(stderr=err)
        run = ToolRun([("a.A.t1", "a.A.t2"), ("a.B.t3", "a.B.t4")], None)
        session.runs.append(run)
        tee = Tee(Recorder(), session, run)
        session.signum = signal.SIGINT
        signalled_at = session.signalled_at = 1_000_000.0

        def stamp(seconds: float) -> datetime.datetime:
            return datetime.datetime.fromtimestamp(signalled_at + seconds, datetime.timezone.utc)

        tee.startTestRun()
        for test_id in ("a.A.t1", "a.A.t2", "a.B.t3"):
            tee.status(test_id=test_id, test_status="inprogress", test_tags={"worker-0"}, timestamp=stamp(-5.0))
        for test_id, text in tracebacks.items():  # as testtools writes a failure: its details first, then its status
            tee.status(test_id=test_id, file_name="traceback", file_bytes=text[:20], mime_type="text/plain",
                       timestamp=stamp(-before))
            tee.status(test_id=test_id, file_name="traceback", file_bytes=text[20:], mime_type="text/plain",
                       eof=True, timestamp=stamp(-before))
            tee.status(test_id=test_id, test_status="fail", test_tags={"worker-0"}, timestamp=stamp(-before))
        tee.stopTestRun()  # a.B.t3 was running (cut short), a.B.t4 never started: the account writes both
        return err.getvalue()

    def test_a_test_that_failed_of_itself_just_before_the_signal_ran(self) -> None:
        err = self.account({"a.A.t1": b"Traceback (most recent call last):\n  File x\nAssertionError: boom\n",
                            "a.A.t2": b"Traceback (most recent call last):\n  File y\nKeyboardInterrupt\n"})
        self.assertIn("of its 4 tests 1 ran, 2 were cut short and 1 never started", err)

    def test_a_failure_long_before_the_signal_ran_whatever_it_says(self) -> None:
        err = self.account({"a.A.t1": b"Traceback (most recent call last):\n  File x\nAssertionError: boom\n",
                            "a.A.t2": b"Traceback (most recent call last):\n  File y\nKeyboardInterrupt\n"},
                           before=SIGNAL_SLACK_S + 1.0)
        self.assertIn("of its 4 tests 2 ran, 1 was cut short and 1 never started", err)


class TestALaneSignalledAlone(testtools.TestCase):
    """A signal to one lane alone stops the run's dispatcher while exec has none: the lane leaves the saying to exec
    (as after exec's own signal), and exec says it in one line."""

    class Dispatcher:
        def __init__(self, stopping: str | None) -> None:
            from partitioner.dispatch.state import Outcome

            self.state = type("State", (), {"stopping": stopping})()
            self._outcome = Outcome((), (), (), stopping)

        def outcome(self) -> object:
            return self._outcome

        def close(self) -> None:
            pass

    def account(self, stopping: str | None) -> str:
        import io

        from partitioner.dispatch.tools import Session as ExecSession

        err = io.StringIO()
        session = ExecSession(stderr=err)
        run = ToolRun([("a.A.t1", "a.A.t2")], None)
        run.dispatcher = self.Dispatcher(stopping)  # type: ignore[assignment]
        session.runs.append(run)
        tee = Tee(Recorder(), session, run)
        tee.startTestRun()
        for test_id, reason in (("a.A.t1", b"interrupted: lane 0 received SIGTERM, ..."),
                                ("a.A.t2", b"not run: the run was interrupted (SIGTERM) before this test was ...")):
            tee.status(test_id=test_id, test_status="fail", test_tags={"worker-0"}, file_name="reason",
                       file_bytes=reason, eof=True)
        tee.stopTestRun()
        return err.getvalue()

    def test_exec_says_a_lane_s_signal_stopped_the_run(self) -> None:
        self.assertEqual("partitioner: warning: the run was interrupted (SIGTERM), by a signal to one of its lanes, "
                         "not to exec: the tests it cut short or kept from starting are recorded as failures in the "
                         "stored run\n", self.account("the run was interrupted (SIGTERM)"))

    def test_nothing_when_no_signal_stopped_it(self) -> None:
        self.assertEqual("", self.account(None))
        self.assertEqual("", self.account("a test failed and the run stops at the first failure (--failfast)"))
