"""Fault injection, runs: the real testr and stestr on a small generated suite, with a test that crashes its worker
(kill -9, os._exit, exit 0 in silence, garbage on stdout) or hangs while SIGINT, SIGTERM or SIGKILL reaches one
process of the chain (the tool, the runner or a lane, the worker running the hung test, or the whole process
group as a terminal's Ctrl-C does), for each chain:

* ``runner``: the runner in ``.testr.conf`` under a plain ``testr run`` (static and dynamic dispatch);
* ``exec-testr``: ``partitioner exec -- testr run --parallel`` (dynamic: lanes; static: testr's own workers);
* ``exec-stestr``: ``partitioner exec -- stestr run`` (likewise).

After every run the same promises are checked (docs/reliability.md):

1. the tool ends by itself (no run hangs on a fault);
2. every listed test has exactly one final status in the stored run, or a documented limit applies and its exact
   shape is asserted (:func:`expected`);
3. no process of the run outlives the tool by more than the grace period (``tests.faults.GRACE_S``);
4. the run stored before is unchanged (nothing of ours writes into the repository), and no traceback of ours.

A few representative cases run by default; the whole matrix is marked ``slow`` (``PARTITIONER_SLOW_TESTS=1
pytest -m slow``, as ``.ci/run`` does). Skips when ../shared is absent.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import signal
import subprocess
import sys
import time
import unittest
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import fixtures
import pytest
import testtools

from tests.dispatch.helpers import Events, read_events
from tests.e2e.test_runner import inject, suite_ids, use_runner
from tests.faults import kill_all, processes_in, signal_job_when, start_job, survivors
from tests.suites import GEN_SUITE, GeneratedSuite, subunit_v2, tool, tool_env, tree_snapshot, two_test_project

_F = TypeVar("_F", bound=Callable[..., Any])

#: the test the hang or crash is planted in: the first test of the suite's first class (dispatched first)
VICTIM_CLASS = 0
#: how long the planted hang lasts: far longer than any run here may take
HANG_S = 90
#: how long a faulted run may take before it counts as hung
RUN_TIMEOUT_S = 45.0
#: bytes on a worker's stdout that python-subunit takes for the start of a packet (0xB3), then binary junk
GARBAGE = "import os; os.write(1, b'caf\\xb3 \\xb3\\x20\\x00\\x01 x\\xe0\\n')"
#: a run stored before the faulted one (``testr load``/``stestr load``), which must stay byte for byte
OLD_RUN = [("old.Old.test_1", "success", 1.0, 2.0, "worker-0"), ("old.Old.test_2", "fail", 2.0, 3.0, "worker-0")]


def slow(test: _F) -> _F:
    """A case of the full matrix: ``slow`` for pytest, and skipped unless PARTITIONER_SLOW_TESTS=1 (read when the
    module is imported, so that a skipped case is a skip even when it is also an expected failure)."""
    if os.environ.get("PARTITIONER_SLOW_TESTS") == "1":
        return pytest.mark.slow(test)  # type: ignore[no-any-return]

    @functools.wraps(test)
    def skipped(self: testtools.TestCase, *args: Any, **kwargs: Any) -> Any:
        self.skipTest("slow: set PARTITIONER_SLOW_TESTS=1 (CI does)")

    skipped.__dict__.pop("__unittest_expecting_failure__", None)
    return pytest.mark.slow(skipped)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Outcome:
    """What one faulted run left: the tool's exit status and stderr, the stored run (``None``: none was stored),
    the processes alive after the grace period, the stored run before it (bytes, before and after)."""

    returncode: int
    stderr: str
    stored: Events | None
    survivors: dict[int, str]
    old_before: Any
    old_after: Any
    seconds: float


class Matrix:
    """The cases, shared by every chain (a mixin: only the concrete ``TestCase`` classes below are collected)."""

    CHAIN = "runner"
    DISPATCH = "dynamic"
    TOOL = "testr"
    REPO = ".testrepository"

    # what the subclasses get from testtools.TestCase
    assertEqual: Callable[..., None]
    assertIn: Callable[..., None]
    assertNotIn: Callable[..., None]
    assertLess: Callable[..., None]
    assertNotEqual: Callable[..., None]
    skipTest: Callable[..., None]
    useFixture: Callable[..., Any]
    addCleanup: Callable[..., None]

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        if not GEN_SUITE.exists():
            self.skipTest(f"{GEN_SUITE} is missing")
        self.suite = self.useFixture(GeneratedSuite(classes=6, serial_s=2.0))
        self.cache = self.useFixture(fixtures.TempDir()).path
        if self.CHAIN == "runner":
            use_runner(self.suite, dispatch=self.DISPATCH)
        self.suite.run(tool(self.TOOL), "init", check=True)
        loaded = subprocess.run([tool(self.TOOL), "load"], input=subunit_v2(OLD_RUN), cwd=self.suite.path,
                                env=self.suite.env(), capture_output=True, check=False, timeout=60)
        self.assertEqual(0 if self.TOOL == "stestr" else 1, loaded.returncode, loaded.stderr)  # testr: 1 failed
        self.repo = self.suite.path / self.REPO
        self.addCleanup(kill_all, self.suite.path)

    # -- running --------------------------------------------------------------------------------------------

    def command(self) -> list[str]:
        if self.CHAIN == "runner":
            return [tool("testr"), "run"]
        run = ["run", "--parallel", "--concurrency", "2"] if self.TOOL == "testr" else ["run", "--concurrency", "2"]
        return [tool("partitioner"), "exec", "--dispatch", self.DISPATCH, "--", tool(self.TOOL), *run]

    def start(self) -> subprocess.Popen[bytes]:
        # a session of its own, as a terminal's job; SIGINT reset (a shell's background job inherits it ignored);
        # stderr to a file, so that a process outliving the tool cannot hold up the wait for the tool
        reset = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                 "os.execvp(sys.argv[1], sys.argv[1:])")
        outputs = Path(self.useFixture(fixtures.TempDir()).path)
        self.stderr_path, self.stdout_path = outputs / "stderr", outputs / "stdout"
        with self.stderr_path.open("wb") as stderr, self.stdout_path.open("wb") as stdout:
            return subprocess.Popen([sys.executable, "-c", reset, *self.command()], cwd=self.suite.path,
                                    env=self.suite.env(BENCH_SCALE="0.2", PARTITIONER_CACHE_DIR=self.cache),
                                    start_new_session=True, stdin=subprocess.DEVNULL, stdout=stdout,
                                    stderr=stderr)

    def finish(self, proc: subprocess.Popen[bytes], started: float) -> Outcome:
        try:
            proc.wait(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise AssertionError(f"the run did not end within {RUN_TIMEOUT_S:.0f} s") from None
        seconds = time.monotonic() - started
        alive = survivors(self.suite.path)
        err = self.stderr_path.read_bytes()
        runs = sorted(int(p.name) for p in self.repo.iterdir() if p.name.isdigit())
        stored = None
        if len(runs) > 1:
            last = subprocess.run([tool(self.TOOL), "last", "--subunit"], cwd=self.suite.path, env=self.suite.env(),
                                  capture_output=True, check=False, timeout=60)
            stored = read_events(last.stdout)
        old = self.repo / str(runs[0])
        return Outcome(proc.returncode, err.decode(errors="replace"), stored, alive, self.old_run, old.read_bytes(),
                       seconds)

    def run_planted(self, code: str) -> tuple[str, Outcome]:
        """Run the suite with ``code`` planted in the victim test; returns its id and the outcome."""
        victim = inject(self.suite, VICTIM_CLASS, code)
        self.old_run = tree_snapshot(self.repo)["0"][0]
        started = time.monotonic()
        return victim, self.finish(self.start(), started)

    def start_hung(self, prefix: str = "", victim_class: int = VICTIM_CLASS) -> tuple[str, subprocess.Popen[bytes],
                                                                                   float, int]:
        """Start the suite with a hang (``prefix`` first) planted in the first test of ``victim_class``, and wait
        until it hangs: the victim's id, the tool's process, when it started, the hung test process's pid."""
        pidfile = self.suite.path / "hung.pid"
        hang = f"{prefix}import os, time; open({str(pidfile)!r}, 'w').write(str(os.getpid())); time.sleep({HANG_S})"
        victim = inject(self.suite, victim_class, hang)
        self.old_run = tree_snapshot(self.repo)["0"][0]
        started = time.monotonic()
        proc = self.start()
        return victim, proc, started, self.await_hang(proc, pidfile, started)

    def run_signalled(self, target: str, signum: signal.Signals) -> tuple[str, Outcome]:
        """Run the suite with a hang planted in the victim test; once it hangs, send ``signum`` to ``target``."""
        victim, proc, started, worker = self.start_hung()
        if target == "group":
            os.killpg(proc.pid, signum)
        else:
            os.kill({"tool": proc.pid, "worker": worker}.get(target) or self.middle(worker), signum)
        if expected(self.CHAIN, self.DISPATCH, target, signum) == "waits":
            # testr stored what it had at once, but waits for the runner, which no one told: the limit is that it
            # still runs; the user's next Ctrl-C (which a terminal sends to the runner too) ends it
            time.sleep(3.0)
            self.assertEqual(None, proc.poll(), "testr ended by itself: the limit is gone, update the docs")
            os.kill(self.middle(worker), signal.SIGINT)
        return victim, self.finish(proc, started)

    def await_hang(self, proc: subprocess.Popen[bytes], pidfile: Path, started: float) -> int:
        """Wait for the planted hang to start (the test writes its pid into ``pidfile``), and a moment more; its
        pid. A run that ends first, or never gets there, fails the test with the tool's stderr."""
        deadline = started + RUN_TIMEOUT_S
        while not (pidfile.exists() and pidfile.read_text().strip()):
            if time.monotonic() > deadline or proc.poll() is not None:
                os.killpg(proc.pid, signal.SIGKILL)
                raise AssertionError(f"the planted hang never started (exit {proc.wait()}): "
                                     f"{self.stderr_path.read_text()[-2000:]}")
            time.sleep(0.05)
        time.sleep(0.5)
        return int(pidfile.read_text())

    def middle(self, worker: int) -> int:
        """The process between the tool and the hung worker: the runner, or the worker's lane."""
        if self.CHAIN == "runner":  # the python process, not the shell testr starts it with
            (runner,) = [pid for pid, argv in processes_in(self.suite.path, (b"partitioner.run",)).items()
                         if " -m partitioner.run " in argv and not argv.startswith(("/bin/sh", "sh "))]
            return runner
        # the lane reads the worker's stdout: its parent when the lane started it, not when the preloader forked it
        stream = os.readlink(f"/proc/{worker}/fd/1")
        lanes = [pid for pid, argv in processes_in(self.suite.path, (b"partitioner.dispatch.lane",)).items()
                 if not argv.startswith(("/bin/sh", "sh ")) and stream in _fds(pid)]
        if not lanes:
            self.assertEqual("static", self.DISPATCH, "no lane reads the worker's stream under dynamic dispatch")
            self.skipTest("no lane between the tool and its workers under static dispatch")
        (lane,) = lanes
        return lane

    # -- the promises -----------------------------------------------------------------------------------------

    def check(self, outcome: Outcome, victim: str, shape: str, victim_status: str = "fail") -> None:
        """The promises; ``shape`` is what the stored run must be: ``complete``, ``partial`` (a documented limit:
        what had reported, each test once) or ``none`` (no run stored: the tool itself was killed)."""
        self.assertEqual({}, outcome.survivors, "processes outlived the run")
        self.assertEqual(outcome.old_before, outcome.old_after, "the run stored before was changed")
        self.assertNotIn("/partitioner/", _tracebacks(outcome.stderr), "a traceback of ours")
        if shape in ("none", "waits"):
            shape = "none" if shape == "none" else "partial"
        if shape == "none":
            self.assertEqual(None, outcome.stored, "expected no stored run")
            return
        if outcome.stored is None:
            raise AssertionError(f"no run was stored (exit {outcome.returncode}): {outcome.stderr[-2000:]}")
        finals = {t: s for t, s in outcome.stored.finals().items() if t != "process-returncode"}
        self.assertEqual({}, {t: s for t, s in finals.items() if len(s) != 1}, "a test was stored twice")
        ids = suite_ids(self.suite)
        if shape == "partial":
            self.assertLess(len(set(finals) & ids), len(ids), "a partial run was expected (the limit changed?)")
            return
        self.assertEqual(set(), ids - set(finals), "tests missing from the stored run")
        if victim_status:
            self.assertEqual([victim_status], finals[victim], outcome.stderr[-2000:])

    # -- tests planted in the suite ------------------------------------------------------------------------------

    def check_planted(self, code: str, victim_status: str = "fail", exit_nonzero: bool = True) -> None:
        victim, outcome = self.run_planted(code)
        self.check(outcome, victim, "complete", victim_status)
        self.assertEqual(exit_nonzero, outcome.returncode != 0, outcome.stderr[-2000:])

    @slow
    def test_kill_9_in_a_test(self) -> None:
        self.check_planted("import os, signal; os.kill(os.getpid(), signal.SIGKILL)")

    @slow
    def test_os_exit_in_a_test(self) -> None:
        self.check_planted("import os; os._exit(3)")

    @slow
    def test_silent_exit_0_in_a_test(self) -> None:
        self.check_planted("import os; os._exit(0)")

    @slow
    def test_garbage_on_stdout(self) -> None:
        self.check_planted(GARBAGE, "success", False)

    # -- signals while a test hangs --------------------------------------------------------------------------------

    def check_signal(self, target: str, signum: signal.Signals) -> None:
        victim, outcome = self.run_signalled(target, signum)
        # the hung test's status is its runner's word (testr's and stestr's own workers may report a test that
        # a SIGINT cut short as passed): only that it has one is promised
        shape = expected(self.CHAIN, self.DISPATCH, target, signum)
        self.check(outcome, victim, shape, victim_status="")
        self.assertNotEqual(0, outcome.returncode)
        if self.CHAIN != "runner" and target in ("group", "tool") and signum != signal.SIGKILL and shape == "complete":
            # the tests that never started (after the hung one in its class) say so (a new user's trial: under a
            # static plan, and those a lane held, said "interrupted: ... before this test reported a result")
            assert outcome.stored is not None
            reasons = [outcome.stored.attachment(t, "reason") for t in outcome.stored.finals()]
            self.assertNotEqual([], [r for r in reasons if r.startswith(f"not run: the run was interrupted "
                                                                        f"({signum.name}) before this test")])

    @slow
    def test_sigint_to_the_group(self) -> None:
        self.check_signal("group", signal.SIGINT)

    @slow
    def test_sigterm_to_the_group(self) -> None:
        self.check_signal("group", signal.SIGTERM)

    @slow
    def test_sigint_to_the_tool(self) -> None:
        self.check_signal("tool", signal.SIGINT)

    @slow
    def test_sigterm_to_the_tool(self) -> None:
        self.check_signal("tool", signal.SIGTERM)

    @slow
    def test_sigkill_to_the_tool(self) -> None:
        self.check_signal("tool", signal.SIGKILL)

    @slow
    def test_sigint_to_the_runner_or_lane(self) -> None:
        self.check_signal("middle", signal.SIGINT)

    @slow
    def test_sigterm_to_the_runner_or_lane(self) -> None:
        self.check_signal("middle", signal.SIGTERM)

    @slow
    def test_sigkill_to_the_runner_or_lane(self) -> None:
        self.check_signal("middle", signal.SIGKILL)

    @slow
    def test_sigint_to_the_worker(self) -> None:
        self.check_signal("worker", signal.SIGINT)

    @slow
    def test_sigterm_to_the_worker(self) -> None:
        self.check_signal("worker", signal.SIGTERM)

    @slow
    def test_sigkill_to_the_worker(self) -> None:
        self.check_signal("worker", signal.SIGKILL)


def _fds(pid: int) -> set[str]:
    """What the open file descriptors of process ``pid`` point to (``pipe:[N]``, paths...)."""
    found = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                found.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
    return found


def expected(chain: str, dispatch: str, target: str, signum: signal.Signals) -> str:
    """The stored run a signal leaves: ``complete``, or a documented limit (docs/reliability.md, "Limits")."""
    if target == "tool" and signum == signal.SIGKILL:
        return "none"  # the tool is what stores the run
    if chain == "runner":
        if target in ("tool", "group") and signum == signal.SIGTERM:
            return "none"  # testr dies of SIGTERM (it has no handler) before storing anything
        if target == "group" and signum == signal.SIGINT:
            return "partial"  # testr stops reading at once; tests not started are in no stored record
        if target == "tool" and signum == signal.SIGINT:
            return "waits"  # testr alone: it stores what it has and waits for the runner, which no one told
        if target == "middle" and signum == signal.SIGKILL:
            return "partial"  # a killed runner cannot account for its tests; testr stores what it had
    return "complete"


def _tracebacks(stderr: str) -> str:
    """The tracebacks in ``stderr`` (a worker's own, of a test it was running, are the suite's business)."""
    return "\n".join(block for block in stderr.split("Traceback (most recent call last):")[1:])


def lead_fix(why: str) -> Callable[[_F], _F]:
    """Mark a case that fails until the lead applies the fix ``why`` names (pytest's xfail is strict: the case
    then fails as an unexpected success, a reminder to drop this marker)."""

    def mark(test: _F) -> _F:
        test.__doc__ = f"Expected to fail until fixed: {why}"
        return unittest.expectedFailure(test)  # type: ignore[no-any-return]

    return mark


class TestRunnerDynamic(Matrix, testtools.TestCase):
    CHAIN, DISPATCH = "runner", "dynamic"

    def test_fast_kill_9_in_a_test(self) -> None:
        self.check_planted("import os, signal; os.kill(os.getpid(), signal.SIGKILL)")

    def test_fast_sigterm_to_the_runner(self) -> None:
        self.check_signal("middle", signal.SIGTERM)


class TestRunnerStatic(Matrix, testtools.TestCase):
    CHAIN, DISPATCH = "runner", "static"

    def test_fast_sigkill_to_the_worker(self) -> None:
        self.check_signal("worker", signal.SIGKILL)

    @slow
    def test_sigkill_to_the_runner_or_lane(self) -> None:
        self.check_signal("middle", signal.SIGKILL)


class TestExecTestrDynamic(Matrix, testtools.TestCase):
    CHAIN, DISPATCH, TOOL, REPO = "exec-testr", "dynamic", "testr", ".testrepository"

    def test_fast_sigterm_to_the_tool(self) -> None:
        self.check_signal("tool", signal.SIGTERM)

    @slow
    def test_sigkill_to_the_tool(self) -> None:
        self.check_signal("tool", signal.SIGKILL)


class TestExecTestrStatic(Matrix, testtools.TestCase):
    CHAIN, DISPATCH, TOOL, REPO = "exec-testr", "static", "testr", ".testrepository"

    @slow
    def test_sigkill_to_the_tool(self) -> None:
        self.check_signal("tool", signal.SIGKILL)

    @slow
    def test_garbage_on_stdout(self) -> None:
        self.check_planted(GARBAGE, "success", False)


class TestExecStestrDynamic(Matrix, testtools.TestCase):
    CHAIN, DISPATCH, TOOL, REPO = "exec-stestr", "dynamic", "stestr", ".stestr"

    def test_fast_sigkill_to_the_lane(self) -> None:
        self.check_signal("middle", signal.SIGKILL)

    def test_fast_garbage_on_stdout(self) -> None:
        self.check_planted(GARBAGE, "success", False)

    @slow
    def test_sigkill_to_the_tool(self) -> None:
        self.check_signal("tool", signal.SIGKILL)


class TestExecStestrStatic(Matrix, testtools.TestCase):
    CHAIN, DISPATCH, TOOL, REPO = "exec-stestr", "static", "stestr", ".stestr"

    def test_fast_os_exit_in_a_test(self) -> None:
        self.check_planted("import os; os._exit(3)")

    def test_fast_sigint_the_console_counts_the_tests_the_stored_run_has(self) -> None:
        # the tests a Ctrl-C left unreported were written as failures to the stored run alone: stestr's console
        # counted fewer tests, and called the one cut off "likely segfaulted or crashed Python". It counts every
        # stored test but those the signal kept from starting (test_exec_interrupt_console.py: it leaves them out)
        victim, outcome = self.run_signalled("group", signal.SIGINT)
        self.check(outcome, victim, "complete", victim_status="")  # the hung test's status is its runner's word
        assert outcome.stored is not None
        console = self.stdout_path.read_text(errors="replace")
        ran = re.search(r"Ran: (\d+) tests", console)
        assert ran is not None, console[-2000:]
        stored = {t for t in outcome.stored.finals() if t != "process-returncode"}
        unstarted = {t for t in stored if outcome.stored.attachment(t, "reason").startswith("not run:")}
        self.assertEqual(len(stored - unstarted), int(ran.group(1)), console[-2000:])
        self.assertNotIn("segfaulted", console)
        self.assertIn("the run was interrupted (SIGINT)", outcome.stderr)

    @slow
    def test_sigkill_to_the_tool(self) -> None:
        self.check_signal("tool", signal.SIGKILL)

    @slow
    def test_garbage_on_stdout(self) -> None:
        self.check_planted(GARBAGE, "success", False)


class TestCtrlCInATerminal(testtools.TestCase):
    """Issue 9: a real Ctrl-C, typed into the terminal testr runs in (a pseudo-terminal), with the runner in
    ``.testr.conf``: every listed test should be in the stored run, as under ``partitioner exec``."""

    def hung_suite(self) -> tuple[GeneratedSuite, Path]:
        """A small suite under the runner (dynamic) whose victim class hangs, writing its pid to a file first."""
        suite = self.useFixture(GeneratedSuite(classes=6, serial_s=6.0))
        use_runner(suite, dispatch="dynamic")
        suite.run(tool("testr"), "init", check=True)
        pidfile = suite.path / "hung.pid"
        inject(suite, VICTIM_CLASS, f"import os, time; open({str(pidfile)!r}, 'w').write(str(os.getpid())); "
                                    f"time.sleep({HANG_S})")
        self.addCleanup(kill_all, suite.path)
        return suite, pidfile

    def test_every_test_is_stored_after_ctrl_c(self) -> None:
        import pty
        import select

        if not GEN_SUITE.exists():
            self.skipTest(f"{GEN_SUITE} is missing")
        suite, pidfile = self.hung_suite()
        env = suite.env()
        pid, master = pty.fork()
        if pid == 0:  # the child: testr, in the pseudo-terminal's session, as a shell would start it
            try:
                os.chdir(suite.path)
                os.execve(tool("testr"), [tool("testr"), "run"], env)
            finally:
                os._exit(127)
        self.addCleanup(os.close, master)
        deadline = time.monotonic() + RUN_TIMEOUT_S
        sent, status = False, None
        while status is None and time.monotonic() < deadline:
            if not sent and pidfile.exists() and pidfile.read_text().strip():
                time.sleep(0.5)
                os.write(master, b"\x03")  # the terminal turns it into SIGINT for its foreground process group
                sent = True
            if select.select([master], [], [], 0.1)[0]:
                with contextlib.suppress(OSError):
                    os.read(master, 65536)
            done, code = os.waitpid(pid, os.WNOHANG)
            status = code if done else None
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError("testr did not end after Ctrl-C")
        self.assertTrue(sent, "the planted hang never started")
        self.assertEqual({}, survivors(suite.path))
        last = subprocess.run([tool("testr"), "last", "--subunit"], cwd=suite.path, env=env, capture_output=True,
                              check=False, timeout=60)
        finals = {t: s for t, s in read_events(last.stdout).finals().items() if t != "process-returncode"}
        self.assertEqual(set(), suite_ids(suite) - set(finals), "tests missing from the stored run")

    def test_ctrl_z_stops_the_whole_job_and_fg_gives_the_runner_the_terminal_again(self) -> None:
        """A real job-control shell (bash -i) in a pseudo-terminal: Ctrl-Z stops testr and the runner and gives
        the shell its terminal back; ``fg`` continues both, the runner holds the terminal again, and a Ctrl-C
        then still stores every test."""
        import pty
        import shlex
        import shutil

        if not GEN_SUITE.exists():
            self.skipTest(f"{GEN_SUITE} is missing")
        bash = shutil.which("bash")
        if bash is None:
            self.skipTest("no bash")
        suite, pidfile = self.hung_suite()
        env = {**suite.env(), "PS1": "ready> ", "TERM": "dumb"}
        pid, master = pty.fork()
        if pid == 0:  # the child: an interactive shell with job control, as a user has
            try:
                os.chdir(suite.path)
                os.execve(bash, [bash, "--norc", "--noprofile", "-i"], env)
            finally:
                os._exit(127)
        self.addCleanup(os.close, master)
        self.addCleanup(lambda: _reap(pid))
        screen = _Screen(master)
        screen.expect(b"ready> ")
        os.write(master, f"{shlex.quote(tool('testr'))} run\n".encode())
        screen.until(lambda: pidfile.exists() and bool(pidfile.read_text().strip()), "the planted hang never started")
        time.sleep(0.5)
        runner = _runner_pid(suite)
        self.assertEqual(runner, os.tcgetpgrp(master), "the runner does not hold the terminal")
        os.write(master, b"\x1a")  # Ctrl-Z
        screen.expect(b"Stopped")
        screen.expect(b"ready> ")
        self.assertEqual(os.getpgid(pid), os.tcgetpgrp(master), "the shell did not get its terminal back")
        screen.until(lambda: _state(runner) == "T", "the runner was not stopped")
        testr = os.getpgid(runner)  # it rejoined testr's job
        self.assertEqual("T", _state(testr))
        os.write(master, b"fg\n")
        screen.until(lambda: os.tcgetpgrp(master) == runner, "the runner did not take the terminal again")
        self.assertNotEqual("T", _state(testr))
        time.sleep(0.5)
        os.write(master, b"\x03")  # Ctrl-C: the runner alone, as before the stop
        screen.expect(b"ready> ")
        self.assertEqual({}, survivors(suite.path))
        last = subprocess.run([tool("testr"), "last", "--subunit"], cwd=suite.path, env=suite.env(),
                              capture_output=True, check=False, timeout=60)
        finals = {t: s for t, s in read_events(last.stdout).finals().items() if t != "process-returncode"}
        self.assertEqual(set(), suite_ids(suite) - set(finals), "tests missing from the stored run")
        os.write(master, b"exit\n")


class _Screen:
    """What a pseudo-terminal's master has shown so far, read as it comes."""

    def __init__(self, master: int) -> None:
        self.master = master
        self.seen = b""

    def _read(self, timeout: float) -> None:
        import select

        if select.select([self.master], [], [], timeout)[0]:
            with contextlib.suppress(OSError):
                self.seen += os.read(self.master, 65536)

    def expect(self, text: bytes) -> None:
        """Wait until ``text`` shows (after what was expected before: each call consumes up to its match)."""
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while text not in self.seen:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never showed: {self.seen[-2000:]!r}")
            self._read(0.1)
        self.seen = self.seen[self.seen.index(text) + len(text):]

    def until(self, condition: Callable[[], bool], why: str) -> None:
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"{why}: {self.seen[-2000:]!r}")
            self._read(0.05)


def _state(pid: int) -> str:
    """A process's state letter (``T``: stopped), or ``""`` when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][:1]
    except OSError:
        return ""


def _runner_pid(suite: GeneratedSuite) -> int:
    (runner,) = [pid for pid, argv in processes_in(suite.path, (b"partitioner.run",)).items()
                 if " -m partitioner.run " in argv and not argv.startswith(("/bin/sh", "sh "))]
    return runner


def _reap(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.waitpid(pid, 0)


#: a test module whose listing (and only it) waits in ``load_tests``, outside the loader's catch of import errors,
#: after writing its pid: a SIGINT there is a ``KeyboardInterrupt`` traceback unless the listing holds SIGINT off
SLOW_LISTING = '''import os, sys, time, unittest


class T(unittest.TestCase):
    def test_a(self):
        pass

    def test_b(self):
        pass


def load_tests(loader, tests, pattern):
    if "--list" in sys.argv:
        with open("listing.tmp", "w") as out:
            out.write(str(os.getpid()))
        os.rename("listing.tmp", "listing.pid")
        time.sleep(60)
    return tests
'''


class TestCtrlCWhileTheToolLists(testtools.TestCase):
    """A Ctrl-C (SIGINT to the process group) while ``partitioner exec`` waits for the tool's test listing: exit
    130, ``partitioner: interrupted``, no traceback (testr's listing printed its ``KeyboardInterrupt``: stestr's
    was held off already), nothing stored, no process left."""

    def check(self, name: str, *run: str) -> None:
        work = Path(self.useFixture(fixtures.TempDir()).path)
        self.addCleanup(kill_all, work)
        (work / "pkg").mkdir()
        (work / "pkg" / "__init__.py").write_text("")
        (work / "pkg" / "test_x.py").write_text(SLOW_LISTING)
        (work / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./pkg\ntop_dir=./\n")
        (work / ".testr.conf").write_text(
            "[DEFAULT]\ntest_command=${PYTHON:-python} -m subunit.run discover -t ./ ./pkg $LISTOPT $IDOPTION\n"
            "test_id_option=--load-list $IDFILE\ntest_list_option=--list\n")
        env = tool_env(PARTITIONER_CACHE_DIR=str(work / "cache"), TMPDIR=str(work))
        subprocess.run([tool(name), "init"], cwd=work, env=env, capture_output=True, check=True)
        repo = work / (".stestr" if name == "stestr" else ".testrepository")
        before = tree_snapshot(repo)
        reset = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                 "os.execvp(sys.argv[1], sys.argv[1:])")
        with (work / "stderr").open("wb") as stderr:
            proc = subprocess.Popen([sys.executable, "-c", reset, tool("partitioner"), "exec", "--", tool(name), *run],
                                    cwd=work, env=env, start_new_session=True, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=stderr)
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while not (work / "listing.pid").exists():
            if time.monotonic() > deadline or proc.poll() is not None:
                os.killpg(proc.pid, signal.SIGKILL)
                raise AssertionError(f"the listing never started (exit {proc.wait()}): {(work / 'stderr').read_text()}")
            time.sleep(0.05)
        time.sleep(0.3)
        os.killpg(proc.pid, signal.SIGINT)
        try:
            code = proc.wait(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError("exec did not end after the SIGINT") from None
        self.assertEqual({}, survivors(work), "processes outlived the run")
        err = (work / "stderr").read_text()  # read after the listing is gone: it wrote there too
        self.assertEqual(130, code, err)
        self.assertNotIn("Traceback", err)
        self.assertEqual(["partitioner: interrupted before the tool asked for a plan (as it started or listed its "
                          "tests, or ran them unsplit)"], err.strip().splitlines())
        # nothing stored (times.dbm may now exist, empty: the tool's own get_test_times made it, opened beside the
        # listing as the tool opens it before a run; its mtime moves the directory's)
        after = {k: v for k, v in tree_snapshot(repo).items() if not k.startswith("times.dbm") and k != "."}
        self.assertEqual({k: v for k, v in before.items() if k != "."}, after, "the repository changed")

    def test_testr(self) -> None:
        self.check("testr", "run", "--parallel", "--concurrency", "2")

    def test_stestr(self) -> None:
        self.check("stestr", "run", "--concurrency", "2")


#: ``sitecustomize`` for ``partitioner exec`` alone (its workers and lanes load it too, and do nothing): a slow
#: moment after the tests ran, marked by a file, for a signal to land in. ``storing``: stestr stores the run (its
#: stream renamed into place, times.dbm written); ``closing``: after the tool returned, exec closes its session
#: (``Session.uninstall``: the dispatcher, the preloader, the plan record's wait); ``exit``: Python's finalization,
#: after exec returned its status, when the interpreter has reset SIGINT and SIGTERM to their default actions
SLOW_AFTER_THE_TOOL = '''import os, sys, time

if os.path.basename(sys.argv[0]) == "partitioner" and "exec" in sys.argv:
    def mark(name, _open=open, _join=os.path.join, _where=os.environ["EXEC_MARKERS"]):
        with _open(_join(_where, name), "w"):
            pass

    if os.environ["EXEC_SLOW"] == "storing":
        from stestr.repository import file

        store = file._SafeInserter.stopTestRun

        def slow_store(self):
            mark("slow")
            time.sleep(2)
            store(self)

        file._SafeInserter.stopTestRun = slow_store
    elif os.environ["EXEC_SLOW"] == "closing":
        from partitioner.dispatch import tools

        uninstall = tools.Session.uninstall

        def slow_uninstall(self):
            mark("slow")
            time.sleep(2)
            uninstall(self)
            mark("closed")

        tools.Session.uninstall = slow_uninstall
    else:
        class _Last:
            def __del__(self, _sleep=time.sleep, _mark=mark):
                _mark("slow")
                _sleep(2)

        _last = _Last()
'''


class TestSignalAfterTheTests(testtools.TestCase):
    """SIGINT to ``partitioner exec`` once the tool has run every test and stored the run: exec was seen to end
    with status -2 (killed by SIGINT in Python's finalization), and a signal while it closed its session cut the
    closing short with a ``KeyboardInterrupt``. The stored run is whole in either case."""

    def run_signalled(self, when: str) -> tuple[int, str, Path]:
        work = Path(self.useFixture(fixtures.TempDir()).path)
        self.addCleanup(kill_all, work)
        two_test_project(work)
        site = work / "site"
        site.mkdir()
        (site / "sitecustomize.py").write_text(SLOW_AFTER_THE_TOOL)
        markers = work / "markers"
        markers.mkdir()
        env = tool_env(PARTITIONER_CACHE_DIR=str(work / "cache"), TMPDIR=str(work), PYTHONPATH=str(site),
                       EXEC_MARKERS=str(markers), EXEC_SLOW=when)
        subprocess.run([tool("stestr"), "init"], cwd=work, env=env, capture_output=True, check=True)
        proc = start_job([tool("partitioner"), "exec", "--", tool("stestr"), "run", "--concurrency", "2"], work, env,
                         work / "stderr")
        code = signal_job_when(proc, (markers / "slow").exists, signal.SIGINT,  # a Ctrl-C
                               "exec never reached the slow moment", work / "stderr", RUN_TIMEOUT_S)
        self.assertEqual({}, survivors(work), "processes outlived the run")
        last = subprocess.run([tool("stestr"), "last", "--subunit"], cwd=work, env=tool_env(), capture_output=True,
                              check=False, timeout=60)
        finals = read_events(last.stdout).finals()
        self.assertEqual({"pkg.test_x.T.test_a": ["success"], "pkg.test_x.T.test_b": ["success"]},
                         {t: s for t, s in finals.items() if t != "process-returncode"}, "the stored run")
        return code, (work / "stderr").read_text(), markers

    def test_while_the_tool_stores_the_run(self) -> None:
        code, err, _ = self.run_signalled("storing")
        self.assertEqual(130, code, err)
        self.assertNotIn("Traceback", err)

    def test_while_exec_closes_its_session(self) -> None:
        code, err, markers = self.run_signalled("closing")
        self.assertEqual(130, code, err)
        self.assertNotIn("Traceback", err)
        self.assertTrue((markers / "closed").exists(), "the session's closing was cut short")

    def test_while_python_finalizes(self) -> None:
        # exec had its status (0: every test passed): the signal is ignored; it was a death by SIGINT (-2)
        code, err, _ = self.run_signalled("exit")
        self.assertEqual(0, code, err)
        self.assertNotIn("Traceback", err)
