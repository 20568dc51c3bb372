"""Tests for partitioner.run / partitioner.runner: listing, spawning, merging, accounting, signals.

The inner command is a small fake runner written to a temp dir (:data:`FAKE`): it lists the ids in
``$FAKE_IDS`` and, for each id it is told to run, acts on the id's last dotted part (``ok``, ``fail``,
``crash``, ``sigkill``, ``garbage``, ``silent``, ``extra``, ``slow``, ``stubborn``, ``tick``). The runner is
called in-process with a round-robin planner, except where signals need a real process.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import fixtures
import subunit
import testtools
from testtools.testresult.doubles import StreamResult as RecordingStreamResult

from partitioner import listing, run, runner, runstream
from partitioner.errors import UsageError

FAKE = '''
import os, signal, sys, time
import subunit

out = subunit.StreamResultToBytes(sys.stdout.buffer)
ids = os.environ.get("FAKE_IDS", "").split()
args = sys.argv[1:]
if "--list" in args:
    for test_id in ids:
        out.status(test_id=test_id, test_status="exists")
    sys.exit(int(os.environ.get("FAKE_LIST_STATUS", "0")))
if "--load-list" in args:
    with open(args[args.index("--load-list") + 1]) as handle:
        ids = [line.strip() for line in handle if line.strip()]
marks = os.environ.get("FAKE_MARKS")
if marks:
    open(os.path.join(marks, str(os.getpid())), "w").close()
for test_id in ids:
    kind = test_id.rsplit(".", 1)[-1]
    if kind == "silent":
        sys.exit(int(os.environ.get("FAKE_SILENT_STATUS", "0")))
    out.status(test_id=test_id, test_status="inprogress")
    if kind == "crash":
        os._exit(3)
    if kind == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    if kind == "garbage":
        sys.stdout.buffer.write(b"not subunit \\xff garbage\\n")
        sys.stdout.buffer.flush()
    if kind == "extra":
        out.status(test_id="unplanned.ok", test_status="success")
    if kind == "tick":
        for _ in range(300):
            sys.stdout.buffer.write(b"tick\\n")
            sys.stdout.buffer.flush()
            time.sleep(0.1)
    if kind == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if kind in ("slow", "stubborn"):
        time.sleep(30)
    out.status(test_id=test_id, test_status="fail" if kind == "fail" else "success",
               test_tags={"worker-9", "keep"})
sys.exit(int(os.environ.get("FAKE_EXIT", "0")))
'''

# Drives the runner as its own process with the round-robin planner (for the signal tests).
# SIGINT is reset first: a shell's background job (how CI may start us) inherits it ignored.
DRIVER = '''
import signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
from partitioner import run
sys.exit(run.main(planner=run.round_robin_planner))
'''


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Kill ``proc`` if it is still running (a cleanup)."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()


class Events:
    """A parsed subunit v2 stream: the raw events plus per-test summaries."""

    def __init__(self, data: bytes) -> None:
        recorder = RecordingStreamResult()
        subunit.ByteStreamToStreamResult(io.BytesIO(data), non_subunit_name="stdout").run(recorder)
        self.events: list[tuple[Any, ...]] = [e for e in recorder._events if e[0] == "status"]

    def finals(self, test_id: str) -> list[str]:
        """The final statuses ``test_id`` reported, in order."""
        return [e[2] for e in self.events if e[1] == test_id and e[2] in runstream.FINAL_STATUSES]

    def final_ids(self) -> list[str]:
        """Every id with a final status, once per final status."""
        return [e[1] for e in self.events if e[1] is not None and e[2] in runstream.FINAL_STATUSES]

    def tags(self, test_id: str) -> set[str]:
        """The union of the tags of ``test_id``'s events."""
        return set().union(*(e[3] or set() for e in self.events if e[1] == test_id))

    def attachment(self, test_id: str | None, name: str) -> bytes:
        """The concatenated bytes of one attachment."""
        return b"".join(e[6] or b"" for e in self.events if e[1] == test_id and e[5] == name)


class RunnerTestCase(testtools.TestCase):
    """Shared set-up: a temp dir with the fake runner, and helpers to call the runner."""

    def setUp(self) -> None:
        super().setUp()
        self.dir = Path(self.useFixture(fixtures.TempDir()).path)
        (self.dir / "fake.py").write_text(FAKE)
        self.inner = [sys.executable, str(self.dir / "fake.py")]
        for name in ("FAKE_IDS", "FAKE_EXIT", "FAKE_LIST_STATUS", "FAKE_SILENT_STATUS", "FAKE_MARKS"):
            self.useFixture(fixtures.EnvironmentVariable(name))

    def load_list(self, ids: Sequence[str]) -> str:
        path = self.dir / "ids.list"
        path.write_text("".join(f"{i}\n" for i in ids))
        return str(path)

    def main(self, *argv: str, planner: run.Planner = run.round_robin_planner,
             inner: Sequence[str] | None = None) -> tuple[int, bytes, str]:
        out, err = io.BytesIO(), io.StringIO()
        full = [*argv, "--", *(self.inner if inner is None else inner)] if inner != [] else list(argv)
        status = run.main(full, planner=planner, stdout=out, stderr=err, cwd=self.dir)
        return status, out.getvalue(), err.getvalue()

    def run_ids(self, ids: Sequence[str], concurrency: int = 2) -> tuple[int, Events, str]:
        status, out, err = self.main("--concurrency", str(concurrency), "--load-list", self.load_list(ids))
        return status, Events(out), err

    def assertAccounted(self, events: Events, ids: Sequence[str]) -> None:
        for test_id in ids:
            self.assertEqual(1, len(events.finals(test_id)), f"{test_id}: {events.finals(test_id)}")


class TestMerging(RunnerTestCase):
    def test_all_pass_tags_each_worker_and_exits_0(self) -> None:
        ids = [f"t{n}.ok" for n in range(5)]
        status, events, err = self.run_ids(ids)
        self.assertEqual(0, status, err)
        self.assertAccounted(events, ids)
        self.assertEqual(sorted(ids), sorted(events.final_ids()))
        self.assertEqual({"worker-0", "keep"}, events.tags("t0.ok"))
        self.assertEqual({"worker-1", "keep"}, events.tags("t1.ok"))
        self.assertEqual({"1"}, {e[9] for e in events.events if e[1] == "t1.ok"})

    def test_a_failing_test_exits_1(self) -> None:
        status, events, _ = self.run_ids(["a.ok", "b.fail", "c.ok"])
        self.assertEqual(1, status)
        self.assertEqual(["fail"], events.finals("b.fail"))

    def test_garbage_on_stdout_becomes_an_attachment_and_the_stream_stays_valid(self) -> None:
        ids = ["a.garbage", "b.ok", "c.ok", "d.ok"]
        status, events, err = self.run_ids(ids)
        self.assertEqual(0, status, err)
        self.assertAccounted(events, ids)
        self.assertNotIn("subunit.parser", {e[1] for e in events.events})
        self.assertIn(b"not subunit \xff garbage", events.attachment(None, "stdout"))
        self.assertIn("worker-0", set().union(*(e[3] for e in events.events if e[5] == "stdout")))

    def test_ids_outside_the_share_pass_through(self) -> None:
        status, events, _ = self.run_ids(["a.extra", "b.ok"])
        self.assertEqual(0, status)
        self.assertEqual(["success"], events.finals("unplanned.ok"))
        self.assertIn("worker-0", events.tags("unplanned.ok"))

    def test_non_zero_exit_after_every_test_reported_exits_1(self) -> None:
        self.useFixture(fixtures.EnvironmentVariable("FAKE_EXIT", "4"))
        status, events, err = self.run_ids(["a.ok", "b.ok"])
        self.assertEqual(1, status)
        self.assertAccounted(events, ["a.ok", "b.ok"])
        self.assertIn("worker-0 exited with status 4 after all its tests reported", err)

    def test_serial_phase_runs_after_the_parallel_one_as_worker_0(self) -> None:
        def planner(test_ids: Sequence[str], concurrency: int, **_: object) -> run.Partition:
            return run.Partition((("a.ok", "b.ok"), ("c.ok",)), serial=("s.ok",), warnings=("careful",))

        status, out, err = self.main("--load-list", self.load_list(["a.ok", "b.ok", "c.ok", "s.ok"]),
                                     planner=planner)
        events = Events(out)
        self.assertEqual(0, status, err)
        self.assertIn("partitioner.run: warning: careful", err)
        self.assertEqual({"worker-0", "keep"}, events.tags("s.ok"))
        order = [e[1] for e in events.events if e[1] is not None]
        self.assertGreater(order.index("s.ok"), max(len(order) - 1 - order[::-1].index(t)
                                                    for t in ("a.ok", "b.ok", "c.ok")))


class TestNeverLoseATest(RunnerTestCase):
    def assertUnreported(self, events: Events, test_id: str, *words: str) -> None:
        statuses = [e[2] for e in events.events if e[1] == test_id and e[2] is not None]
        self.assertEqual("inprogress", statuses[0])
        self.assertEqual("fail", statuses[-1])
        reason = events.attachment(test_id, "reason").decode()
        for word in ("never reported", *words):
            self.assertIn(word, reason)

    def test_crash_halfway_fails_the_rest_of_the_share(self) -> None:
        ids = ["a.ok", "b.ok", "c.crash", "d.ok", "e.ok", "f.ok"]
        status, events, err = self.run_ids(ids)
        self.assertEqual(1, status)
        self.assertAccounted(events, ids)
        self.assertEqual(["success"], events.finals("a.ok"))
        self.assertEqual(["success"], events.finals("d.ok"))  # worker-1's share is unaffected
        for test_id in ("c.crash", "e.ok"):
            self.assertUnreported(events, test_id, "worker-0", "exited with status 3")
            self.assertIn("worker-0", events.tags(test_id))
        self.assertIn("partitioner.run: worker-0 exited with status 3; 2 of its 3 tests never reported", err)

    def test_sigkill_is_named_in_the_reason(self) -> None:
        ids = ["a.ok", "b.sigkill", "c.ok", "d.ok"]
        status, events, err = self.run_ids(ids)
        self.assertEqual(1, status)
        self.assertAccounted(events, ids)
        self.assertUnreported(events, "b.sigkill", "worker-1", "SIGKILL")
        self.assertUnreported(events, "d.ok", "worker-1", "SIGKILL")
        self.assertIn("worker-1 was killed by SIGKILL (signal 9); 2 of its 2 tests", err)

    def test_worker_exiting_without_output(self) -> None:
        for exit_status in ("0", "2"):
            self.useFixture(fixtures.EnvironmentVariable("FAKE_SILENT_STATUS", exit_status))
            ids = ["a.silent", "b.ok", "c.ok"]
            status, events, err = self.run_ids(ids)
            self.assertEqual(1, status, err)
            self.assertAccounted(events, ids)
            self.assertUnreported(events, "a.silent", f"exited with status {exit_status}")
            self.assertUnreported(events, "c.ok", "worker-0")
            self.assertEqual(["success"], events.finals("b.ok"))

    def test_unstartable_inner_command_is_an_error(self) -> None:
        status, _, err = self.main("--load-list", self.load_list(["a.ok"]),
                                   inner=[str(self.dir / "missing-runner")])
        self.assertEqual(1, status)
        self.assertEqual(1, len(err.splitlines()))
        self.assertIn("cannot start the inner command", err)

    def test_plan_that_drops_or_repeats_ids_is_repaired(self) -> None:
        partition = run.Partition((("a", "b"), ("b",)), serial=("a",))
        shares, serial, notes = run.complete(partition, ["a", "b", "c"])
        self.assertEqual([["a", "b", "c"], []], shares)
        self.assertEqual([], serial)
        self.assertEqual(3, len(notes))


class TestSignals(RunnerTestCase):
    def start(self, ids: Sequence[str], workers: int) -> tuple[subprocess.Popen[bytes], Path]:
        (self.dir / "driver.py").write_text(DRIVER)
        marks = self.dir / "marks"
        marks.mkdir()
        env = dict(os.environ, FAKE_MARKS=str(marks))
        proc = subprocess.Popen([sys.executable, str(self.dir / "driver.py"), "--concurrency", "2",
                                 "--load-list", self.load_list(ids), "--", *self.inner],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=self.dir)
        self.addCleanup(stop, proc)
        deadline = time.monotonic() + 20
        while len(list(marks.iterdir())) < workers and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # let the fast tests report
        return proc, marks

    def interrupt(self, signum: int, ids: Sequence[str]) -> tuple[int, Events, str, float, Path]:
        proc, marks = self.start(ids, 2)
        began = time.monotonic()
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
        return proc.returncode, Events(out), err.decode(), time.monotonic() - began, marks

    def assertWorkersGone(self, marks: Path) -> None:
        for mark in marks.iterdir():
            self.assertRaises(ProcessLookupError, os.kill, int(mark.name), 0)

    def test_sigint_stops_workers_and_fails_the_rest_as_interrupted(self) -> None:
        ids = ["a.ok", "b.ok", "c.slow", "d.slow", "e.ok", "f.ok"]
        status, events, err, took, marks = self.interrupt(signal.SIGINT, ids)
        self.assertEqual(130, status, err)
        self.assertLess(took, 10)
        self.assertAccounted(events, ids)
        self.assertEqual(["success"], events.finals("a.ok"))
        for test_id in ("c.slow", "d.slow", "e.ok", "f.ok"):
            self.assertEqual(["fail"], events.finals(test_id))
            self.assertIn("interrupted: the runner received SIGINT", events.attachment(test_id, "reason").decode())
        self.assertIn("(interrupted)", err)
        self.assertWorkersGone(marks)

    def test_an_ignored_signal_stays_ignored(self) -> None:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        self.addCleanup(signal.signal, signal.SIGINT, previous)
        with runner.Interrupt() as interrupt:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            self.assertIsNone(interrupt.signum)
            self.assertIs(signal.SIG_IGN, signal.getsignal(signal.SIGINT))

    def test_sigterm_exits_143_and_kills_a_worker_that_ignores_sigterm(self) -> None:
        ids = ["a.stubborn", "b.slow"]
        status, events, err, took, marks = self.interrupt(signal.SIGTERM, ids)
        self.assertEqual(143, status, err)
        self.assertGreater(took, runner.GRACE_S - 0.5)
        self.assertAccounted(events, ids)
        self.assertIn("SIGKILL", events.attachment("a.stubborn", "reason").decode())
        self.assertIn("SIGTERM", events.attachment("b.slow", "reason").decode())
        self.assertWorkersGone(marks)


    def test_a_signal_before_a_phase_starts_fails_its_tests_as_never_started(self) -> None:
        interrupt = runner.Interrupt()
        interrupt.signum = signal.SIGINT
        out, err = io.BytesIO(), io.StringIO()
        outcome = runner.run_phases([[["a.ok"], ["b.ok"]], [["s.ok"]]], runner.InnerCommand(tuple(self.inner)),
                                    out, err, interrupt=interrupt)
        events = Events(out.getvalue())
        self.assertEqual(130, outcome.exit_code)
        self.assertAccounted(events, ["a.ok", "b.ok", "s.ok"])
        self.assertIn("worker-0 was never started", events.attachment("s.ok", "reason").decode())
        self.assertEqual(["a.ok", "b.ok", "s.ok"], outcome.unreported)


    def test_closed_stdout_stops_the_workers(self) -> None:
        proc, marks = self.start(["a.ok", "b.slow", "c.tick"], 2)
        began = time.monotonic()
        assert proc.stdout is not None
        proc.stdout.close()
        _, err = proc.communicate(timeout=30)
        self.assertLess(time.monotonic() - began, 10)
        self.assertEqual(1, proc.returncode)
        self.assertIn(b"stdout was closed", err)
        self.assertNotIn(b"Traceback", err)
        self.assertWorkersGone(marks)


class TestCommandLine(RunnerTestCase):
    def test_list_passes_the_listing_through_with_its_status(self) -> None:
        self.useFixture(fixtures.EnvironmentVariable("FAKE_IDS", "x.ok y.ok"))
        expected = subprocess.run([*self.inner, "--list"], capture_output=True, check=True).stdout
        status, out, _ = self.main("--list")
        self.assertEqual((0, expected), (status, out))
        self.useFixture(fixtures.EnvironmentVariable("FAKE_LIST_STATUS", "5"))
        self.assertEqual(5, self.main("--list")[0])

    def test_without_load_list_every_listed_test_runs(self) -> None:
        self.useFixture(fixtures.EnvironmentVariable("FAKE_IDS", "x.ok y.ok z.fail"))
        status, out, _ = self.main("--concurrency", "3")
        events = Events(out)
        self.assertEqual(1, status)
        self.assertEqual(["x.ok", "y.ok", "z.fail"], sorted(events.final_ids()))
        self.assertEqual({"worker-2", "keep"}, events.tags("z.fail"))

    def test_concurrency_defaults_to_the_config_files(self) -> None:
        (self.dir / ".testr.conf").write_text("[partitioner]\nconcurrency = 3\n")
        status, out, _ = self.main("--load-list", self.load_list(["a.ok", "b.ok", "c.ok", "d.ok"]))
        self.assertEqual(0, status)
        self.assertEqual({"worker-2", "keep"}, Events(out).tags("c.ok"))

    def test_failed_listing_is_one_error_line(self) -> None:
        self.useFixture(fixtures.EnvironmentVariable("FAKE_LIST_STATUS", "3"))
        status, out, err = self.main()
        self.assertEqual((1, b""), (status, out))
        self.assertRegex(err, r"^partitioner.run: error: listing the tests with .* failed: it exited with status 3")

    def test_plain_text_listing_is_accepted(self) -> None:
        self.assertEqual(["a.b", "c"], listing.parse_listing(b"a.b\n\nc\na.b\n"))

    def test_empty_id_list_runs_nothing(self) -> None:
        status, out, err = self.main("--load-list", self.load_list([]))
        self.assertEqual((0, b""), (status, out))
        self.assertIn("note:", err)
        self.useFixture(fixtures.EnvironmentVariable("FAKE_IDS", ""))
        self.assertEqual((0, b""), self.main()[:2])

    def test_testr_pseudo_test_is_not_run(self) -> None:
        status, events, err = self.run_ids(["process-returncode", "a.ok"])
        self.assertEqual(0, status)
        self.assertEqual(["a.ok"], events.final_ids())
        self.assertIn("pseudo-test process-returncode", err)

    def test_bad_input_is_one_line_with_the_right_status(self) -> None:
        cases: list[tuple[tuple[str, ...], list[str] | None, int, str]] = [
            ((), [], 2, "no inner test command"),
            (("--concurrency", "0"), None, 2, "at least 1"),
            (("--concurrency", "many"), None, 2, "whole number"),
            (("--load-list", str(self.dir / "nope.list")), None, 1, "cannot read the --load-list file"),
            (("--id-option=--load-list",), None, 2, "{file}"),
            (("--bogus",), None, 2, "unrecognized arguments"),
        ]
        for argv, inner, expected, words in cases:
            status, out, err = self.main(*argv, inner=inner)
            self.assertEqual(expected, status, err)
            self.assertEqual(b"", out)
            self.assertEqual(1, len(err.splitlines()), err)
            self.assertTrue(err.startswith("partitioner.run: error: "), err)
            self.assertIn(words, err)

    def test_idoption_after_the_double_dash_is_refused(self) -> None:
        self.assertRaises(UsageError, runner.InnerCommand.from_options, ["python", "--list"], "--list",
                          "--load-list {file}")

    def test_id_option_template(self) -> None:
        command = runner.InnerCommand.from_options(["t"], "--list-tests", "--ids={file} -v")
        self.assertEqual(["t", "--ids=/x", "-v"], command.run_argv(Path("/x")))
        self.assertEqual(["t", "--list-tests"], command.list_argv())

    def test_help_documents_every_option(self) -> None:
        proc = subprocess.run([sys.executable, "-m", "partitioner.run", "--help"], capture_output=True,
                              text=True, check=False)
        self.assertEqual(0, proc.returncode)
        for option in ("--concurrency", "--list", "--load-list", "--id-option", "--list-option", "--history",
                       "--group-by", "--strategy", "130"):
            self.assertIn(option, proc.stdout)

    def test_missing_inner_command_from_a_real_process(self) -> None:
        proc = subprocess.run([sys.executable, "-m", "partitioner.run", "--list"], capture_output=True,
                              text=True, check=False)
        self.assertEqual(2, proc.returncode)
        self.assertEqual(1, len(proc.stderr.splitlines()), proc.stderr)
