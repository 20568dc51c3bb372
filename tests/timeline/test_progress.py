"""The live progress line: its text and ETA, silence without a terminal, and a real pseudo-terminal that shows it
appear, update and end cleanly while the subunit stream on stdout stays byte-for-byte the same."""

from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from typing import IO

import fixtures
import subunit
import testtools

from partitioner.timeline.progress import ERASE, ProgressLine, format_eta

A = "pkg.mod.ATest"
B = "pkg.mod.BTest"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(fixtures.Fixture):
    """A pseudo-terminal of ``columns`` columns: ``self.stream`` writes to its slave, :meth:`read` drains it."""

    def __init__(self, columns: int = 100) -> None:
        super().__init__()
        self.columns = columns

    def _setUp(self) -> None:
        self.master, self.slave = pty.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, self.columns, 0, 0))
        attrs = termios.tcgetattr(self.slave)
        attrs[1] &= ~termios.OPOST  # no output processing: read back exactly what was written
        termios.tcsetattr(self.slave, termios.TCSANOW, attrs)
        self.stream: IO[str] = open(self.slave, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        self.addCleanup(os.close, self.master)
        self.addCleanup(os.close, self.slave)
        self.addCleanup(self.stream.close)

    def read(self, wait: float = 0.2) -> str:
        chunks = []
        while select.select([self.master], [], [], wait)[0]:
            chunks.append(os.read(self.master, 65536))
            wait = 0.05
        return b"".join(chunks).decode()


def events(progress: ProgressLine, clock: FakeClock) -> None:
    """Two workers: A.t1 passes (2 s), B.t1 fails (3 s), A.t2 is skipped, B.t2 passes."""
    progress.startTestRun()
    script = [(0.0, f"{A}.t1", "inprogress", "worker-0"), (0.0, f"{B}.t1", "inprogress", "worker-1"),
              (2.0, f"{A}.t1", "success", "worker-0"), (2.0, f"{A}.t2", "inprogress", "worker-0"),
              (2.5, f"{A}.t2", "skip", "worker-0"), (3.0, f"{B}.t1", "fail", "worker-1"),
              (3.0, f"{B}.t2", "inprogress", "worker-1"), (4.0, f"{B}.t2", "success", "worker-1")]
    start = clock.now
    for at, test, status, worker in script:
        clock.now = start + at
        progress.status(test_id=test, test_status=status, test_tags={worker})


class ProgressTextTest(testtools.TestCase):
    def test_counts_failures_and_busy_workers(self) -> None:
        clock = FakeClock()
        line = ProgressLine(None, total=4, workers=2, clock=clock)
        line.startTestRun()
        line.status(test_id=f"{A}.t1", test_status="inprogress", test_tags={"worker-0"})
        line.status(test_id=f"{B}.t1", test_status="inprogress", test_tags={"worker-0", "worker-1"})
        self.assertEqual("partitioner: 0/4 tests \u00b7 no failures \u00b7 2/2 workers busy", line.text())
        clock.now += 2
        line.status(test_id=f"{B}.t1", test_status="fail", test_tags={"worker-1"})
        line.status(test_id=f"{B}.t1", test_status="fail", file_name="traceback", file_bytes=b"x")  # same test
        self.assertEqual((1, 1), (line.done, line.failures))
        self.assertIn("1 failed \u00b7 1/2 workers busy", line.text())
        # no costs: 1 test done in 2 s on 2 workers is 4 worker-seconds a test; 3 left over 2 workers
        self.assertIn("ETA 6s", line.text())

    def test_eta_from_costs_per_lane(self) -> None:
        clock = FakeClock()
        costs = {f"{A}.t1": 10.0, f"{A}.t2": 5.0, f"{B}.t1": 4.0}
        lanes = {f"{A}.t1": "worker-0", f"{A}.t2": "worker-0", f"{B}.t1": "worker-1"}
        line = ProgressLine(None, total=3, costs=costs, workers=2, lanes=lanes, clock=clock)
        line.startTestRun()
        self.assertEqual(15.0, line.eta(), "the longest lane")
        line.status(test_id=f"{A}.t1", test_status="inprogress", test_tags={"worker-0"})
        clock.now += 4
        self.assertEqual(11.0, line.eta(), "a running test counts what is left of its prediction")
        clock.now += 20
        self.assertEqual(5.0, line.eta(), "an overrunning test is due any moment, not negative")
        line.status(test_id=f"{A}.t1", test_status="success", test_tags={"worker-0"})
        self.assertEqual(5.0, line.eta())

    def test_eta_from_costs_spread_over_workers_and_queue(self) -> None:
        clock = FakeClock()
        line = ProgressLine(None, total=3, costs={"a.B.t1": 6.0, "a.B.t2": 2.0, "a.C.t1": 4.0}, workers=2,
                            queue_left=lambda: 7, clock=clock)
        self.assertEqual(6.0, line.eta())
        self.assertTrue(line.text().endswith("queue 7 \u00b7 ETA 6s"), line.text())

    def test_format_eta(self) -> None:
        self.assertEqual(["0s", "45s", "1m00s", "3m05s", "1h02m"],
                         [format_eta(s) for s in (-1, 44.2, 60, 185, 3725)])

    def test_silent_without_a_terminal(self) -> None:
        for stream in (io.StringIO(), None):
            line = ProgressLine(stream, total=4, workers=2, interval=0)
            events(line, FakeClock())
            line.close()
            self.assertFalse(line.enabled)
            if stream is not None:
                self.assertEqual("", stream.getvalue())

    def test_never_on_standard_output(self) -> None:
        class StdoutLike(io.StringIO):
            def isatty(self) -> bool:
                return True

            def fileno(self) -> int:
                return 1

        stream = StdoutLike()
        line = ProgressLine(stream, total=1)
        line.startTestRun()
        line.close()
        self.assertEqual((False, ""), (line.enabled, stream.getvalue()))


class PseudoTerminalTest(testtools.TestCase):
    def test_appears_updates_and_ends_cleanly(self) -> None:
        tty = self.useFixture(Terminal(columns=60))
        clock = FakeClock()
        line = ProgressLine(tty.stream, total=4, workers=2, clock=clock, interval=0)
        self.assertTrue(line.enabled)
        events(line, clock)
        line.stopTestRun()
        line.status(test_id="late", test_status="success")  # after the end: nothing more is drawn
        screen = tty.read()
        self.assertTrue(screen.startswith(ERASE), repr(screen[:20]))
        self.assertTrue(screen.endswith(ERASE), "the line is erased at the end")
        drawn = [d for d in screen.split(ERASE) if d]
        self.assertEqual("partitioner: 0/4 tests \u00b7 no failures \u00b7 0/2 workers busy", drawn[0])
        self.assertIn("partitioner: 4/4 tests \u00b7 1 failed \u00b7 0/2 workers busy", drawn[-1])
        self.assertGreaterEqual(len(drawn), 8, "one redraw per event")
        self.assertTrue(all(len(d) <= 59 and "\n" not in d for d in drawn), "never wider than the terminal")

    def test_a_terminal_that_reports_no_size_gets_a_whole_line(self) -> None:
        # `script -qc ...` and some CI runners make a pseudo-terminal of size 0x0: the line was cut to 20 characters
        tty = self.useFixture(Terminal(columns=0))
        clock = FakeClock()
        line = ProgressLine(tty.stream, total=4, workers=2, clock=clock, interval=0)
        events(line, clock)
        line.close()
        drawn = [d for d in tty.read().split(ERASE) if d]
        self.assertIn("partitioner: 4/4 tests \u00b7 1 failed \u00b7 0/2 workers busy", drawn[-1])

    def test_quiet_draws_nothing_on_a_terminal(self) -> None:
        tty = self.useFixture(Terminal())
        line = ProgressLine(tty.stream, total=4, workers=2, quiet=True, interval=0)
        events(line, FakeClock())
        line.close()
        self.assertEqual("", tty.read(0.1))

    def test_redraws_at_most_every_interval(self) -> None:
        tty = self.useFixture(Terminal())
        clock = FakeClock()
        line = ProgressLine(tty.stream, total=4, workers=2, clock=clock, interval=10)
        events(line, clock)  # 4 seconds of events
        line.close()
        self.assertEqual(2, tty.read().count(ERASE), "the first draw and the final erase only")

    def test_lines_beside_it_erase_it_first_and_redraw_it_after(self) -> None:
        tty = self.useFixture(Terminal())
        clock = FakeClock()
        line = ProgressLine(tty.stream, total=4, workers=2, clock=clock, interval=10)
        line.startTestRun()
        said = line.beside()
        said.write("partitioner.run: warning: ")  # a partial line waits for its end: the redraw would erase it
        self.assertEqual(f"{ERASE}partitioner: 0/4 tests \u00b7 no failures \u00b7 0/2 workers busy", tty.read())
        said.write("one\npartitioner.run: two\n")
        drawn = f"{ERASE}partitioner: 0/4 tests \u00b7 no failures \u00b7 0/2 workers busy"
        self.assertEqual(f"{ERASE}partitioner.run: warning: one\npartitioner.run: two\n{drawn}", tty.read(),
                         "redrawn at once, whatever the interval")
        said.write("three")
        said.flush()  # still showing: a partial line still waits
        line.close()
        said.flush()
        self.assertEqual(f"{ERASE}three", tty.read(), "after the line is gone, written as it is")

    def test_lines_beside_a_line_that_is_not_drawn_pass_straight_through(self) -> None:
        stream = io.StringIO()
        line = ProgressLine(stream, total=4)
        said = line.beside()
        said.write("partitioner.run: note: x\n")
        self.assertEqual("partitioner.run: note: x\n", stream.getvalue())

    def test_ticker_moves_the_line_while_nothing_happens(self) -> None:
        tty = self.useFixture(Terminal())
        line = ProgressLine(tty.stream, total=4, costs={"a.B.t": 30.0}, workers=1)
        line.startTestRun()
        line.start_ticker(every=0.05)
        time.sleep(0.4)
        line.close()
        screen = tty.read()
        self.assertGreaterEqual(screen.count(ERASE), 4)
        self.assertTrue(screen.endswith(ERASE))


#: a child process: events from argv (JSON) to a subunit v2 stream on stdout and, when asked, a progress line on
#: stderr, exactly as the runner will tee them (testtools.CopyStreamResult)
CHILD = """
import datetime, json, sys
import subunit, testtools
from partitioner.timeline.progress import ProgressLine
events, with_progress = json.loads(sys.argv[1]), sys.argv[2] == "1"
out = subunit.StreamResultToBytes(sys.stdout.buffer)
targets = [out]
if with_progress:
    targets.append(ProgressLine(sys.stderr, total=len(events) // 2, workers=2, interval=0))
result = testtools.CopyStreamResult(targets)
result.startTestRun()
for test, status, worker, at in events:
    stamp = datetime.datetime.fromtimestamp(at, tz=datetime.timezone.utc)
    result.status(test_id=test, test_status=status, test_tags={worker}, timestamp=stamp)
result.stopTestRun()
sys.stdout.flush()
sys.stderr.write("done\\n")
"""


class ChildProcessTest(testtools.TestCase):
    """stderr on a pseudo-terminal, stdout a pipe: the line shows on the terminal, the stream is unchanged."""

    def run_child(self, with_progress: bool) -> tuple[bytes, str]:
        tty = self.useFixture(Terminal())
        script = [[f"{A}.t{i}", status, f"worker-{i % 2}", 1e9 + i + (0.5 if status != "inprogress" else 0)]
                  for i in range(6) for status in ("inprogress", "fail" if i == 3 else "success")]
        child = subprocess.run([sys.executable, "-c", CHILD, json.dumps(script), "1" if with_progress else "0"],
                               stdout=subprocess.PIPE, stderr=tty.slave, stdin=subprocess.DEVNULL,
                               check=True, timeout=60)
        return child.stdout, tty.read()

    def test_stream_is_byte_for_byte_the_same_with_the_line(self) -> None:
        plain, quiet_screen = self.run_child(False)
        shown, screen = self.run_child(True)
        self.assertEqual(plain, shown)
        self.assertEqual("done\n", quiet_screen)
        self.assertIn(f"{ERASE}partitioner: 6/6 tests \u00b7 1 failed", screen)
        self.assertTrue(screen.endswith(f"{ERASE}done\n"), "the line is erased before anything else is written")
        tests: list[dict[str, object]] = []
        parsed = testtools.StreamToDict(tests.append)
        parsed.startTestRun()
        subunit.ByteStreamToStreamResult(io.BytesIO(shown)).run(parsed)
        parsed.stopTestRun()
        self.assertEqual(6, len(tests))
        self.assertNotIn(b"partitioner:", shown)
