"""End to end: an interrupted ``testr run`` with the runner in ``.testr.conf`` leaves testr's ``times.dbm`` entry of
every test the runner failed for not running to its end as it was (docs/runner.md, "The times testr keeps").

testrepository times each test it stores, and each failure once more as it writes its ``failing`` file: before, the
runner's failures for the tests a signal kept from starting (written at one instant) and those it cut short (ending
when the signal came) overwrote their entries with ~0 s and partial times, and a Ctrl-C that reached testr as well
left the tests testr held as running at 0 s; testr's own scheduler then piled them onto one worker.

Each case interrupts the second run of a generated suite (the first one, all passed, times every test): a Ctrl-C in
a real terminal (the runner takes the terminal's foreground, so it alone gets it; docs/runner.md), SIGTERM to the
runner alone, and SIGINT to the whole process group (testr stops reading at once).
"""

from __future__ import annotations

import contextlib
import dbm
import io
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import fixtures
import testtools

from partitioner.cli.main import main as partitioner
from partitioner.statuses import NOT_RUN, TESTR_RETURNCODE, unfinished
from tests.e2e.test_runner import Stored, inject, kill_group, runners_in, suite_ids, use_runner, workers_in
from tests.faults import kill_all
from tests.suites import GEN_SUITE, GeneratedSuite, tool

#: the longest a run may take to reach its first test, and to end once signalled
WAIT_S = 60.0
#: how long each class's first test runs on after it marks that it started: the signal comes while one runs
SLEEP_S = 0.8


def times_dbm(root: Path) -> dict[str, bytes]:
    """``.testrepository/times.dbm`` as testr wrote it: raw id -> the stored string."""
    with contextlib.closing(dbm.open(str(root / ".testrepository" / "times.dbm"), "r")) as db:
        return {key.decode(): bytes(db[key]) for key in db.keys()}  # noqa: SIM118 - gdbm cannot be iterated


class TimesKeptAfterAnInterruption:
    """The cases, mixed into a ``testtools.TestCase`` per dispatch (a class each, not testscenarios: under pytest 9
    a scenario's clone runs its test method on the instance pytest made, whose ``setUp`` never ran)."""

    dispatch = "dynamic"

    def setUp(self) -> None:
        super().setUp()
        if not GEN_SUITE.exists():
            self.skipTest(f"{GEN_SUITE} is missing")
        self.suite = self.useFixture(GeneratedSuite(classes=6, serial_s=3.0))
        self.env = self.suite.env(PARTITIONER_CACHE_DIR=self.useFixture(fixtures.TempDir()).path)
        self.addCleanup(kill_all, self.suite.path)
        use_runner(self.suite, dispatch=self.dispatch)
        self.ids = suite_ids(self.suite)
        self.marks = self.suite.path / "started"
        self.marks.mkdir()
        classes = len(json.loads((self.suite.path / "dataset.json").read_text())["classes"])
        for n in range(classes):  # each class's first test marks that its process runs tests, and runs on a while
            inject(self.suite, n, f"import os, time; open(os.path.join({str(self.marks)!r}, str(os.getpid())), 'a')"
                                  f".close(); time.sleep({SLEEP_S})")
        self.run_testr("init")
        first = self.run_testr("run")
        self.assertEqual(0, first.returncode, first.stdout + first.stderr)
        self.assertEqual(self.ids, set(times_dbm(self.suite.path)))

    def run_testr(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([tool("testr"), *argv], cwd=self.suite.path, env=self.env, capture_output=True,
                              text=True, check=False, timeout=120, stdin=subprocess.DEVNULL)

    def stored(self) -> Stored:
        proc = subprocess.run([tool("testr"), "last", "--subunit"], cwd=self.suite.path, env=self.env,
                              capture_output=True, check=False, timeout=60)
        return Stored(proc.stdout)

    def start(self) -> None:
        """Before a run: no test process has marked that it runs tests."""
        for mark in self.marks.iterdir():
            mark.unlink()

    def both_workers_run(self) -> bool:
        """Whether a test runs in two test processes (each worker has one running, or had: a signal then finds
        tests of both workers' that ended, one running, and others never started)."""
        return len(list(self.marks.iterdir())) >= 2

    def wait_for_both_workers(self, proc: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + WAIT_S
        while not self.both_workers_run():
            if time.monotonic() > deadline or proc.poll() is not None:
                raise AssertionError("the workers never both ran a test")
            time.sleep(0.02)
        time.sleep(SLEEP_S / 4)

    # -- the three ways a run is interrupted ---------------------------------------------------------------------

    def ctrl_c_in_a_terminal(self) -> str:
        """``testr run`` in a pseudo-terminal of its own, and a Ctrl-C typed there once a test runs; returns what
        testr's console printed."""
        self.start()
        pid, fd = pty.fork()
        if pid == 0:  # the child: testr, with the terminal's Ctrl-C as a shell would leave it
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                os.chdir(self.suite.path)
                os.execve(tool("testr"), [tool("testr"), "run"], self.env)
            finally:
                os._exit(127)
        console = bytearray()
        typed = False
        deadline = time.monotonic() + WAIT_S
        try:
            while time.monotonic() < deadline:
                if not typed and self.both_workers_run():
                    time.sleep(SLEEP_S / 4)
                    os.write(fd, b"\x03")
                    typed = True
                if select.select([fd], [], [], 0.05)[0]:
                    try:
                        chunk = os.read(fd, 65536)
                    except OSError:  # EIO: the terminal's last process is gone
                        break
                    if not chunk:
                        break
                    console += chunk
            _, status = os.waitpid(pid, 0)
        finally:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            os.close(fd)
        self.assertTrue(typed, console.decode(errors="replace"))
        self.assertEqual(1, os.waitstatus_to_exitcode(status), console.decode(errors="replace"))
        return console.decode(errors="replace")

    def sigterm_to_the_runner(self) -> str:
        """``testr run``, and SIGTERM to the runner alone once a test runs; returns testr's stdout."""
        self.start()
        proc = subprocess.Popen([tool("testr"), "run"], cwd=self.suite.path, env=self.env, start_new_session=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.addCleanup(kill_group, proc)
        self.wait_for_both_workers(proc)
        (runner,) = runners_in(self.suite.path)
        os.kill(runner, signal.SIGTERM)
        out, _ = proc.communicate(timeout=WAIT_S)
        self.assertEqual(1, proc.returncode, out)
        return out.decode(errors="replace")

    def sigint_to_the_group(self) -> None:
        """``testr run`` in a session of its own, and SIGINT to the whole process group once a test runs."""
        self.start()
        reset = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                 "os.execv(sys.argv[1], sys.argv[1:])")
        proc = subprocess.Popen([sys.executable, "-c", reset, tool("testr"), "run"], cwd=self.suite.path,
                                env=self.env, start_new_session=True, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(kill_group, proc)
        self.wait_for_both_workers(proc)
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(WAIT_S)
        self.assertNotEqual(0, proc.returncode)
        gone_by = time.monotonic() + 15
        while (workers_in(self.suite.path) or runners_in(self.suite.path)) and time.monotonic() < gone_by:
            time.sleep(0.1)

    # -- what is checked ---------------------------------------------------------------------------------------

    def unfinished_failures(self, stored: Stored) -> dict[str, str]:
        """The stored run's failures of tests that did not run to their end: test id -> the reason's first line."""
        found = {}
        for test_id, finals in stored.finals.items():
            if finals != ["fail"] or test_id == TESTR_RETURNCODE:
                continue
            line = (stored.reason(test_id).strip().splitlines() or
                    stored.detail(test_id, "traceback").strip().splitlines()[-1:] or [""])[0]
            self.assertTrue(unfinished(line), f"{test_id}: {line!r}")
            found[test_id] = line
        return found

    def assertKept(self, before: dict[str, bytes], failed: dict[str, str]) -> None:
        after = times_dbm(self.suite.path)
        self.assertEqual({t: before[t] for t in failed}, {t: after.get(t) for t in failed},
                         "times.dbm entries of tests that did not run to their end changed")

    def check_a_whole_interrupted_run(self, before: dict[str, bytes], signal_name: str) -> dict[str, str]:
        stored = self.stored()
        self.assertEqual(set(), self.ids - set(stored.finals), "tests missing from the stored run")
        self.assertEqual({}, {t: s for t, s in stored.finals.items() if len(s) != 1})
        failed = self.unfinished_failures(stored)
        never_started = {t for t, line in failed.items() if line.startswith(NOT_RUN)}
        self.assertNotEqual(set(), never_started)
        self.assertNotEqual(set(), set(failed) - never_started, "no test was cut short")
        self.assertKept(before, failed)
        self.assertLessEqual(set(failed), set(self.run_testr("failing", "--list").stdout.split()))
        # races and history summary: not run or cut short, never failures
        out, err = io.StringIO(), io.StringIO()
        self.assertEqual(0, partitioner(["races", "--format", "json", "-C", str(self.suite.path)], stdout=out,
                                        stderr=err), err.getvalue())
        doc = json.loads(out.getvalue())
        self.assertEqual([], doc["suspects"])
        last = doc["interrupted"][-1]
        self.assertEqual(signal_name, last["signal"])
        self.assertEqual(len(never_started), last["unreached"])
        self.assertEqual(set(failed) - never_started, set(last["cut"]))
        out = io.StringIO()
        self.assertEqual(0, partitioner(["history", "summary", "-C", str(self.suite.path)], stdout=out,
                                        stderr=io.StringIO()))
        self.assertIn(" 0 failed at least once", out.getvalue().splitlines()[0])
        return failed

    def test_a_ctrl_c_in_a_terminal_keeps_the_times_and_stores_every_test(self) -> None:
        before = times_dbm(self.suite.path)
        console = self.ctrl_c_in_a_terminal()
        failed = self.check_a_whole_interrupted_run(before, "SIGINT")
        # testr's console prints a block for each stored failure, the never-started ones too (docs/runner.md)
        self.assertEqual(len(failed) + 1, console.count("FAIL: "), console)  # and process-returncode

    def test_sigterm_to_the_runner_keeps_the_times_and_stores_every_test(self) -> None:
        before = times_dbm(self.suite.path)
        self.sigterm_to_the_runner()
        self.check_a_whole_interrupted_run(before, "SIGTERM")

    def test_sigint_to_the_group_stores_only_the_tests_that_ended_and_no_time_of_any_other(self) -> None:
        # testr stops reading at once: it stores the tests that ended before, and no test it held as running (it
        # would store each as a failure timed 0 s)
        before = times_dbm(self.suite.path)
        self.sigint_to_the_group()
        stored = self.stored()
        ended = {t for t, finals in stored.finals.items() if finals == ["success"]}
        self.assertLess(len(ended), len(self.ids))
        self.assertEqual({}, {t: s for t, s in stored.finals.items() if s != ["success"]})
        after = times_dbm(self.suite.path)
        self.assertEqual({t: before[t] for t in self.ids - ended}, {t: after[t] for t in self.ids - ended})


class TestTimesKeptDynamic(TimesKeptAfterAnInterruption, testtools.TestCase):
    dispatch = "dynamic"


class TestTimesKeptStatic(TimesKeptAfterAnInterruption, testtools.TestCase):
    dispatch = "static"
