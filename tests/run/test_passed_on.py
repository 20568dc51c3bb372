"""partitioner.run.signals.PassedOn: a signal passed on to the processes a tool started reaches the program a
shell runs, and whatever still runs after the grace (or at a second signal) is killed."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import fixtures
import testtools

from partitioner.run.signals import PassedOn, shell_programs

#: a Python program that writes its pid to the file named first, then sleeps; ``ignore``: SIGTERM ignored
SLEEPER = ("import os, signal, sys, time\n"
           "if sys.argv[2] == 'ignore':\n"
           "    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
           "open(sys.argv[1] + '.tmp', 'w').write(str(os.getpid()))\n"
           "os.rename(sys.argv[1] + '.tmp', sys.argv[1])\n"
           "time.sleep(60)\n")
#: how long a process may take to end before the test calls it a hang
BOUND_S = 20.0


class TestPassedOn(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        if not Path("/proc/self/stat").exists():
            self.skipTest("no /proc")
        self.dir = Path(self.useFixture(fixtures.TempDir()).path)
        (self.dir / "sleeper.py").write_text(SLEEPER)

    def start(self, how: str = "default", name: str = "pid", shell: bool = True) -> tuple[subprocess.Popen[bytes], int]:
        """A sleeper started as the tools start a worker, through ``sh -c`` with a command the shell does not
        replace itself with (``; true`` after it), or directly; ``(process, the sleeper's pid)``."""
        pidfile = self.dir / name
        argv = [sys.executable, str(self.dir / "sleeper.py"), str(pidfile), how]
        proc = subprocess.Popen(f"{shlex.join(argv)}; true", shell=True) if shell else subprocess.Popen(argv)
        self.addCleanup(self.reap, proc)
        deadline = time.monotonic() + BOUND_S
        while not pidfile.exists():
            self.assertLess(time.monotonic(), deadline, "the sleeper never started")
            time.sleep(0.02)
        pid = int(pidfile.read_text())
        self.addCleanup(self.kill, pid)
        return proc, pid

    @staticmethod
    def reap(proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.kill()
        proc.wait()

    @staticmethod
    def kill(pid: int) -> None:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)

    @staticmethod
    def ended(pid: int) -> bool:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        return state in ("Z", "X")

    def wait_ended(self, proc: subprocess.Popen[bytes], pid: int) -> float:
        """Seconds until both the shell and its program have ended."""
        began = time.monotonic()
        proc.wait(BOUND_S)
        while not self.ended(pid):
            self.assertLess(time.monotonic() - began, BOUND_S, "the program outlived its shell")
            time.sleep(0.02)
        return time.monotonic() - began

    def test_a_shell_s_program_is_found(self) -> None:
        proc, pid = self.start()
        self.assertEqual([pid], [p for p, _ in shell_programs(proc.pid)])
        self.assertEqual([], shell_programs(pid))  # a program, no shell

    def test_the_program_under_a_shell_gets_the_signal(self) -> None:
        proc, pid = self.start()
        with PassedOn(ours=lambda proc: False, kill_after=3 * BOUND_S) as passed:
            passed.pass_on([proc], signal.SIGTERM, repeated=False)
            self.wait_ended(proc, pid)  # at once: no kill comes within the bound
        self.assertEqual(-signal.SIGTERM, proc.returncode)

    def test_what_ignores_the_signal_is_killed_after_the_grace(self) -> None:
        under_shell, pid = self.start("ignore", "a")
        direct, direct_pid = self.start("ignore", "b", shell=False)
        with PassedOn(ours=lambda proc: False, kill_after=0.5) as passed:
            passed.pass_on([under_shell, direct], signal.SIGTERM, repeated=False)
            time.sleep(0.2)
            self.assertFalse(self.ended(pid), "killed before the grace")
            self.wait_ended(under_shell, pid)
            self.wait_ended(direct, direct_pid)
        self.assertEqual(-signal.SIGKILL, direct.returncode)

    def test_a_second_signal_kills_at_once(self) -> None:
        proc, pid = self.start("ignore")
        with PassedOn(ours=lambda proc: False, kill_after=3 * BOUND_S) as passed:
            passed.pass_on([proc], signal.SIGTERM, repeated=False)
            proc.wait(BOUND_S)  # the shell ended; the program it ran ignores SIGTERM and runs on
            self.assertFalse(self.ended(pid))
            passed.pass_on([proc], signal.SIGTERM, repeated=True)
            self.wait_ended(proc, pid)

    def test_one_of_ours_gets_the_second_signal_and_the_longer_grace(self) -> None:
        proc, pid = self.start("ignore", shell=False)
        with PassedOn(ours=lambda proc: True, kill_after=0.0, ours_kill_after=1.5) as passed:
            passed.pass_on([proc], signal.SIGTERM, repeated=False)
            passed.pass_on([proc], signal.SIGTERM, repeated=True)  # passed on, not a kill: it ignores it
            time.sleep(0.5)
            self.assertIsNone(proc.poll(), "one of ours was killed before its own grace")
            self.assertLess(self.wait_ended(proc, pid), BOUND_S)
        self.assertEqual(-signal.SIGKILL, proc.returncode)

    def test_nothing_is_killed_once_the_tool_returned(self) -> None:
        proc, _ = self.start("ignore", shell=False)
        with PassedOn(ours=lambda proc: False, kill_after=0.3) as passed:
            passed.pass_on([proc], signal.SIGTERM, repeated=False)
            passed.__exit__(None, None, None)
            time.sleep(0.8)
            self.assertIsNone(proc.poll())
