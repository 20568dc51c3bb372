"""The tool's console behind partitioner exec's Tee (dispatch/toolrun.py, :class:`Console`): after a signal, a test the
signal kept from starting reaches the tool's inserter (the stored run) and not its console; everything else reaches
both, in order.

The real stestr and testr, interrupted, are in tests/e2e/test_exec_interrupt_console.py.
"""

from __future__ import annotations

import datetime
import io
import time
from collections.abc import Mapping
from typing import Any

import subunit
import testtools
from testtools.testresult.doubles import StreamResult as Recorder

from partitioner.dispatch.toolrun import Console, Tee, ToolRun, find_outer

NOT_RUN = "not run: the run was interrupted (SIGINT) before this test started; worker-1 was killed by SIGINT (signal 2)"


class Session:
    """The session as the Tee and its console see it: when the signal came."""

    signalled_at: float | None = None

    def observe(self, run: ToolRun, event: Mapping[str, Any]) -> None:
        pass

    def account(self, run: ToolRun) -> None:
        pass


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def statuses(result: Recorder) -> list[tuple[Any, ...]]:
    """The ``status`` events a recorder got, without the ``"status"`` in front."""
    return [e[1:] for e in result._events if e[0] == "status"]


class TestConsole(testtools.TestCase):
    def wire(self, *outputs: Any) -> tuple[Session, Recorder, Tee, testtools.CopyStreamResult]:
        """The tool's whole result as stestr and testr build it, ``CopyStreamResult([inserter, output])``, with our
        tee as the inserter, started through the patched ``startTestRun``."""
        session, inserter = Session(), Recorder()
        tee = Tee(inserter, session, ToolRun([("a.A.t1", "a.A.t2", "a.A.t3", "a.A.t4")], None))
        whole = testtools.CopyStreamResult([tee, *outputs])
        find_outer(testtools.CopyStreamResult.startTestRun)(whole)
        return session, inserter, tee, whole

    def test_after_the_signal_a_test_that_never_started_is_stored_and_left_off_the_console(self) -> None:
        console = Recorder()
        session, inserter, tee, whole = self.wire(console)
        self.assertIs(whole, tee.outer)
        self.assertEqual([tee, *tee.consoles], whole.targets)
        before = now()
        whole.status(test_id="a.A.t1", test_status="inprogress", route_code="0", timestamp=before)
        whole.status(test_id="a.A.t1", test_status="success", route_code="0", timestamp=before)
        whole.status(test_id="a.A.t2", test_status="inprogress", route_code="1", timestamp=before)
        session.signalled_at = time.time()
        whole.status(test_id="a.A.t3", test_status="inprogress", route_code="0", timestamp=now())
        whole.status(test_id="a.A.t3", file_name="stdout", file_bytes=b"out", route_code="0", timestamp=now())
        whole.status(test_id="a.A.t3", test_status="success", route_code="0", timestamp=now())  # a pass after it
        whole.status(test_id="a.A.t2", test_status="fail", file_name="reason", file_bytes=b"KeyboardInterrupt",
                     route_code="1", timestamp=now())  # cut short: the console saw its start
        tee.inject("a.A.t4", "worker-1", "1", NOT_RUN, started=False)  # the account's, as a lane's would be
        whole.stopTestRun()
        # the stored run: every event, as it came
        self.assertEqual(["a.A.t1"] * 2 + ["a.A.t2"] + ["a.A.t3"] * 3 + ["a.A.t2"] + ["a.A.t4"] * 2,
                         [e[0] for e in statuses(inserter)])
        self.assertEqual([e for e in statuses(inserter) if e[0] != "a.A.t4"], statuses(console))  # all but it
        self.assertEqual("stopTestRun", console._events[-1][0])
        self.assertEqual([1], [c.hidden for c in tee.consoles])

    def test_before_the_signal_a_not_run_failure_is_printed(self) -> None:
        # the lanes' other "not run: ..." (a module that failed to import, a setUpClass that failed, --failfast) are
        # the run's own failures: the console prints them as it always did
        console = Recorder()
        _, inserter, tee, whole = self.wire(console)
        whole.status(test_id="a.A.t1", test_status="inprogress", route_code="0", timestamp=now())
        whole.status(test_id="a.A.t1", test_status="fail", file_name="reason", file_bytes=b"not run: setUpClass of "
                     b"a.A failed", route_code="0", timestamp=now())
        self.assertEqual(inserter._events, console._events)
        self.assertEqual([0], [c.hidden for c in tee.consoles])

    def test_a_not_run_failure_whose_start_the_console_saw_is_printed(self) -> None:
        # left out, it would stay "inprogress" there: "exited without returning a status ... likely segfaulted"
        console = Recorder()
        session, _, _, whole = self.wire(console)
        whole.status(test_id="a.A.t1", test_status="inprogress", route_code="0", timestamp=now())
        session.signalled_at = time.time()
        whole.status(test_id="a.A.t1", test_status="fail", file_name="reason", file_bytes=NOT_RUN.encode(),
                     route_code="0", timestamp=now())
        self.assertEqual(["inprogress", "fail"], [e[1] for e in statuses(console)])

    def test_a_test_with_no_final_status_reaches_the_console_when_the_run_ends(self) -> None:
        console = Recorder()
        session, _, _, whole = self.wire(console)
        session.signalled_at = time.time()
        whole.status(test_id="a.A.t1", test_status="inprogress", route_code="0", timestamp=now())
        whole.status(test_id=None, file_name="stdout", file_bytes=b"not a test's", route_code="0")
        self.assertEqual([None], [e[0] for e in statuses(console)])  # not a test's output: at once
        whole.stopTestRun()
        self.assertEqual([("status", None, None), ("status", "a.A.t1", "inprogress"), ("stopTestRun",)],
                         [e[:3] for e in console._events[1:]])

    def test_a_subunit_output_is_a_copy_of_the_stored_run(self) -> None:
        # `stestr run --subunit` / `testr run --subunit`: a stream for another program, kept whole
        out = io.BytesIO()
        session, _, tee, whole = self.wire(subunit.StreamResultToBytes(out))
        self.assertEqual([], tee.consoles)
        session.signalled_at = time.time()
        tee.inject("a.A.t4", "worker-1", "1", NOT_RUN, started=False)
        self.assertIn(NOT_RUN.encode(), out.getvalue())
        self.assertNotIsInstance(whole.targets[1], Console)
