"""The account of a tool's run as the tool stores it (dispatch/toolaccount.py): the warning and each worker's fate.

What it writes into the stored run is checked through the session (tests/dispatch/test_tools.py) and the real
tools (tests/e2e/test_dispatch_tools.py, test_sigterm.py).
"""

from __future__ import annotations

import signal
import subprocess
import sys

import testtools

from partitioner.dispatch.toolaccount import fate, warning
from partitioner.dispatch.toolrun import ToolRun
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


class TestFate(testtools.TestCase):
    def test_a_worker_never_started_or_ended(self) -> None:
        self.assertEqual("was never started", fate(None))
        proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
        self.assertEqual(describe_exit(3), fate(proc))  # waited for: its stream ended before it was reapable
