"""The runner's live progress line, through a real pseudo-terminal: shown on a terminal, absent without one or
with --quiet, and the subunit stream on stdout byte for byte the same either way."""

from __future__ import annotations

import os
import subprocess
import sys

from partitioner.timeline.progress import ERASE
from tests.run.harness import RunnerTestCase
from tests.timeline.test_progress import Terminal

IDS = ["a.A.t1.nap", "a.A.t2.nap", "a.B.t1.nap", "a.C.t1.nap"]


class TestProgressLine(RunnerTestCase):
    def run_runner(self, *extra: str, tty: bool = True, ids: list[str] = IDS, status: int = 0) -> tuple[bytes, str]:
        terminal = self.useFixture(Terminal())
        argv = [sys.executable, "-m", "partitioner.run", "--dispatch", "static", "-j", "1", *extra,
                "--load-list", self.load_list(ids), "--", *self.inner]
        env = {**os.environ, "PYTHONHASHSEED": "0"}  # tag sets are written in hash order
        proc = subprocess.run(argv, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env,
                              stderr=terminal.slave if tty else subprocess.PIPE, check=False, timeout=60)
        self.assertEqual(status, proc.returncode)
        return proc.stdout, terminal.read() if tty else proc.stderr.decode()

    def test_on_a_terminal_it_appears_and_ends_cleanly(self) -> None:
        _, screen = self.run_runner()
        self.assertIn(f"{ERASE}partitioner.run: ", screen)
        self.assertIn("4/4 tests", screen)
        self.assertIn("1/1 workers busy", screen)
        self.assertTrue(screen.endswith(ERASE), "the line is erased at the end, leaving the terminal as it was")

    def test_absent_without_a_terminal_or_with_quiet(self) -> None:
        _, stderr = self.run_runner(tty=False)
        self.assertNotIn(ERASE, stderr)
        _, screen = self.run_runner("--quiet")
        self.assertNotIn(ERASE, screen)

    def test_the_stream_is_byte_for_byte_the_same_with_the_line(self) -> None:
        plain, _ = self.run_runner(tty=False)
        shown, screen = self.run_runner()
        self.assertIn(ERASE, screen)
        self.assertEqual(plain, shown)
        self.assertNotIn(b"partitioner.run:", shown)

    def test_a_warning_while_the_line_shows_gets_a_row_of_its_own(self) -> None:
        # the worker's fate used to be written after the line's text, on its row: "...workers busypartitioner.run:
        # worker-0 exited with status 3; ..."
        _, screen = self.run_runner(ids=["a.A.t1.nap", "a.A.t2.nap", "a.B.t1.crash", "a.C.t1.nap"], status=1)
        warning = "partitioner.run: worker-0 exited with status 3"
        self.assertIn(warning, screen)
        before, after = screen.split(warning, 1)
        self.assertIn("tests", before, "the line was drawn before the worker ended")
        self.assertTrue(before.endswith(ERASE), f"the line is erased before the warning: {before[-60:]!r}")
        self.assertNotIn(ERASE, after.split("\n", 1)[0], "the warning is one whole line")
        self.assertTrue(after.split("\n", 1)[1].startswith(f"{ERASE}partitioner.run: "), "then the line is back")
        self.assertTrue(screen.endswith(ERASE), "and erased at the end")
