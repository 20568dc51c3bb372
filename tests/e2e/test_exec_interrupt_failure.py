"""What ``partitioner exec -- stestr run`` says after a Ctrl-C that came just after a test failed of itself: the real
stestr, static and dynamic dispatch, a real SIGINT to the process group 0.2 s after the failing test wrote its marker.

A new user's trial: class A's ``test_1_fails`` failed (``self.fail()``) and ``test_2_slow`` sleeps, class B's
``test_3_slow`` sleeps and ``test_4`` passes; the account said "of its 4 tests 0 ran, 3 were cut short and 1 never
started", where test_1_fails had ended with its own AssertionError, which the stored run keeps: any failure written in
the half second before the signal counted as the signal's. Now only one that says so does (a ``KeyboardInterrupt``,
partitioner's ``interrupted: ...``). And under dynamic dispatch the account line is the one line about the signal:
each lane added its own (``lane 0: 1 queued test recorded as a failure ...``, ``lane 1: 1 test it held never
reported ...``), all the queue's tests said under "lane 0"; a lane still says what is news, its worker that crashed.
"""

from __future__ import annotations

import re
import signal
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fixtures
import testtools

from partitioner.statuses import NOT_RUN, reason_line, unfinished
from tests.dispatch.helpers import Events, read_events
from tests.faults import kill_all, signal_job_when, start_job, survivors
from tests.suites import tool, tool_env

#: how long the run may take before it counts as hung
RUN_TIMEOUT_S = 60.0
#: the failing test's end, then the signal: as the trial sent it
SIGNAL_AFTER_S = 0.2

SUITE = '''
import os
import time
import unittest


class A(unittest.TestCase):
    def test_1_fails(self):
        open(os.environ["EXEC_MARKER"], "w").close()
        {ending}

    def test_2_slow(self):
        time.sleep(20)


class B(unittest.TestCase):
    def test_3_slow(self):
        time.sleep(20)

    def test_4(self):
        pass
'''

#: exec's account line after a signal (partitioner.dispatch.toolaccount.warning)
ACCOUNT = re.compile(r"^partitioner: warning: the run was interrupted \(SIGINT\): of its (\d+) tests (\d+) ran, (\d+) "
                     r"(?:was|were) cut short and (\d+) never started; the stored run is partial: .*$", re.MULTILINE)
FAILING = "pkg.test_x.A.test_1_fails"


class InterruptAfterAFailure:
    """The checks, for each dispatch mode (a mixin: the ``TestCase`` classes below are collected)."""

    DISPATCH = "dynamic"

    # what the subclasses get from testtools.TestCase
    assertEqual: Callable[..., None]
    assertIn: Callable[..., None]
    useFixture: Callable[..., Any]
    addCleanup: Callable[..., None]

    def interrupted(self, ending: str) -> tuple[int, str, Events]:
        """Run the suite with ``ending`` as test_1_fails' last line, SIGINT to the group 0.2 s after it began that
        line; the exit status, exec's stderr, and the stored run."""
        work = Path(self.useFixture(fixtures.TempDir()).path)
        self.addCleanup(kill_all, work)
        (work / "pkg").mkdir()
        (work / "pkg" / "__init__.py").write_text("")
        (work / "pkg" / "test_x.py").write_text(textwrap.dedent(SUITE).replace("{ending}", ending))
        (work / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./pkg\ntop_dir=./\n")
        marker = work / "failed"
        env = tool_env(PARTITIONER_CACHE_DIR=str(work / "cache"), TMPDIR=str(work), EXEC_MARKER=str(marker))
        subprocess.run([tool("stestr"), "init"], cwd=work, env=env, capture_output=True, check=True)
        proc = start_job([tool("partitioner"), "exec", "--dispatch", self.DISPATCH, "--", tool("stestr"), "run",
                          "--concurrency", "2"], work, env, work / "stderr")
        code = signal_job_when(proc, marker.exists, signal.SIGINT, "test_1_fails never ran",  # a Ctrl-C
                               work / "stderr", RUN_TIMEOUT_S, settle=SIGNAL_AFTER_S)
        self.assertEqual({}, survivors(work), "processes outlived the run")
        last = subprocess.run([tool("stestr"), "last", "--subunit"], cwd=work, env=tool_env(), capture_output=True,
                              check=False, timeout=60)
        return code, (work / "stderr").read_text(), read_events(last.stdout)

    def counts(self, err: str, stored: Events) -> tuple[int, int, int]:
        """The account line's ran, cut short and never started, checked against the stored run: a test ran when its
        result is its own (a pass, or a failure that does not say it did not run to its end)."""
        match = ACCOUNT.search(err)
        assert match is not None, err[-3000:]
        total, ran, cut, never = map(int, match.groups())
        finals = {t: s[-1] for t, s in stored.finals().items() if t != "process-returncode"}
        reasons = {t: reason_line(stored.attachment(t, "reason"), stored.attachment(t, "traceback"))
                   for t, s in finals.items() if s == "fail"}
        unstarted = [t for t, line in reasons.items() if line.startswith(NOT_RUN)]
        stopped = [t for t, line in reasons.items() if unfinished(line) and t not in unstarted]
        self.assertEqual((4, 4), (len(finals), total))
        self.assertEqual((4 - len(stopped) - len(unstarted), len(stopped), len(unstarted)), (ran, cut, never), err)
        return ran, cut, never

    def test_a_test_that_failed_just_before_the_signal_ran(self) -> None:
        code, err, stored = self.interrupted('self.fail("a real failure")')
        self.assertEqual(130, code, err)
        self.assertEqual(["fail"], stored.finals()[FAILING])
        self.assertIn("AssertionError: a real failure", stored.attachment(FAILING, "traceback"))
        ran, cut, never = self.counts(err, stored)
        self.assertEqual(1, ran, err)  # test_1_fails, which the account counted as cut short
        self.assertEqual(3, cut + never, err)


class TestStatic(InterruptAfterAFailure, testtools.TestCase):
    DISPATCH = "static"


class TestDynamic(InterruptAfterAFailure, testtools.TestCase):
    DISPATCH = "dynamic"

    def test_the_account_is_the_one_line_about_the_signal(self) -> None:
        _, err, stored = self.interrupted('self.fail("a real failure")')
        self.assertEqual([], [line for line in err.splitlines() if line.startswith("partitioner: lane")])
        self.assertEqual(1, len(ACCOUNT.findall(err)), err)
        self.assertEqual(4, sum(self.counts(err, stored)))

    def test_a_lane_still_says_its_worker_crashed_before_the_signal(self) -> None:
        code, err, stored = self.interrupted("os._exit(3)")
        self.assertEqual(130, code, err)
        lanes = [line for line in err.splitlines() if line.startswith("partitioner: lane")]
        self.assertEqual(1, len(lanes), err)
        self.assertRegex(lanes[0], rf"^partitioner: lane \d: its test process exited with status 3 during group "
                                   rf"{re.escape(FAILING)}: 1 running test recorded as a failure")
        self.assertIn("exited with status 3 while this test was running", stored.attachment(FAILING, "reason"))
