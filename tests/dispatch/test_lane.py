"""Lanes with real pull workers on tiny suites: crashes, retries, workers that cannot start, lane usage."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

import fixtures
import testtools

from partitioner.dispatch import lane as lane_module
from partitioner.dispatch import protocol
from partitioner.dispatch.command import recognise
from partitioner.dispatch.host import HostOutcome, run_lanes
from partitioner.dispatch.queue import Queue, order_queue
from partitioner.dispatch.state import CRASHED, DONE
from partitioner.dispatch.supervisor import GRACE_S, Lane
from partitioner.run.signals import Interrupt
from partitioner.run.stream import MergedOutput
from tests.dispatch.helpers import PATCHES_STDLIB, Events, read_events, write_package

KILLER = '''
import os
import signal
import sys
import unittest


class K(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        print(f"setUpClass K in {os.getpid()}", file=sys.stderr)

    def test_1(self):
        pass

    def test_2(self):
        os.kill(os.getpid(), signal.SIGKILL)

    def test_3(self):
        pass


class P(unittest.TestCase):
    def test_1(self):
        pass

    def test_2(self):
        pass


class Doomed(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os._exit(3)

    def test_a(self):
        pass

    def test_b(self):
        pass
'''


SLOW = '''
import time
import unittest


class S(unittest.TestCase):
    def test_1(self):
        time.sleep(1.0)
'''


def processes_in(root: Path) -> list[int]:
    """Pids of live processes whose working directory is ``root`` (the workers run there)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/cwd") == str(root):
                    found.append(int(entry))
            except OSError:
                continue
    return found


def _cmdline(pid: int) -> bytes:
    """Process ``pid``'s command line (empty once it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


class LaneCase(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.root = Path(self.useFixture(fixtures.TempDir()).path).resolve()
        write_package(self.root, {"test_k": KILLER})
        self.inner = [sys.executable, "-m", "subunit.run", "discover", "-t", ".", "./pkg"]

    def run_queue(self, queue: Queue, lanes: int = 2, inner: list[str] | None = None) -> tuple[HostOutcome, Events,
                                                                                                 str]:
        out, err = io.BytesIO(), io.StringIO()
        command = recognise(inner or self.inner)
        assert command is not None
        with Interrupt() as interrupt:
            outcome = run_lanes(queue, command, lanes, MergedOutput(out), err, interrupt=interrupt, cwd=self.root)
        self.assertEqual([], processes_in(self.root), "a worker outlived the run")
        return outcome, read_events(out.getvalue()), err.getvalue()

    @staticmethod
    def ids(klass: str, *names: str) -> list[str]:
        return [f"pkg.test_k.{klass}.test_{n}" for n in names]


class TestCrashes(LaneCase):
    def test_the_running_test_fails_and_the_rest_of_its_group_runs_on_a_new_worker(self) -> None:
        k, p = self.ids("K", "1", "2", "3"), self.ids("P", "1", "2")
        outcome, events, err = self.run_queue(order_queue([("pkg.test_k.K", 3.0, k), ("pkg.test_k.P", 2.0, p)]))
        finals = events.finals()
        self.assertEqual({k[0]: ["success"], k[1]: ["fail"], k[2]: ["success"], p[0]: ["success"],
                          p[1]: ["success"]}, finals)
        self.assertIn("killed by SIGKILL (signal 9) while this test was running", events.attachment(k[1], "reason"))
        assert outcome.dispatch is not None
        handouts = [(h.key, h.outcome, h.tests, h.attempt) for h in outcome.dispatch.handouts]
        self.assertIn(("pkg.test_k.K", CRASHED, tuple(k), 1), handouts)
        self.assertIn(("pkg.test_k.K", DONE, (k[2],), 2), handouts)
        self.assertEqual(1, outcome.exit_code)
        self.assertRegex(err, r"partitioner.run: lane \d: its test process was killed by SIGKILL")
        self.assertRegex(err, r"lane \d ended in trouble")

    def test_a_group_that_kills_two_workers_is_reported_not_handed_out_again(self) -> None:
        doomed, p = self.ids("Doomed", "a", "b"), self.ids("P", "1", "2")
        outcome, events, err = self.run_queue(order_queue([("pkg.test_k.Doomed", 3.0, doomed),
                                                           ("pkg.test_k.P", 1.0, p)]))
        self.assertEqual({doomed[0]: ["fail"], doomed[1]: ["fail"], p[0]: ["success"], p[1]: ["success"]},
                         events.finals())
        reason = events.attachment(doomed[0], "reason")
        self.assertIn("handed out 2 times", reason)
        self.assertIn("exited with status 3", reason)
        assert outcome.dispatch is not None
        self.assertEqual(2, sum(1 for h in outcome.dispatch.handouts if h.key == "pkg.test_k.Doomed"))
        # said as the queue's tests, with their reason (it read as an error of the lane that wrote them)
        self.assertRegex(err, r"lane \d: 2 queued tests recorded as failures: .*handed out 2 times")

    def test_workers_that_cannot_load_the_suite_leave_every_test_failed_with_the_reason(self) -> None:
        inner = [sys.executable, "-m", "subunit.run", "discover", "-t", ".", "./nowhere"]
        p = self.ids("P", "1", "2")
        outcome, events, err = self.run_queue(order_queue([("pkg.test_k.P", 1.0, p)]), inner=inner)
        self.assertEqual({p[0]: ["fail"], p[1]: ["fail"]}, events.finals())
        self.assertIn("before it loaded the suite", events.attachment(p[0], "reason"))
        self.assertEqual(1, outcome.exit_code)
        self.assertNotIn("Traceback", err)

    def test_each_queued_id_is_reported_once_even_when_the_suite_lacks_it(self) -> None:
        ids = ["pkg.test_k.P.test_1", "pkg.test_k.P.test_gone"]
        outcome, events, _ = self.run_queue(order_queue([("pkg.test_k.P", 1.0, ids)]), lanes=3)
        self.assertEqual({ids[0]: ["success"], ids[1]: ["fail"]}, events.finals())
        self.assertEqual(1, outcome.exit_code)
        self.assertEqual({"worker-0", "worker-1", "worker-2"} & {t for e in events.events for t in e.tags},
                         {t for e in events.events for t in e.tags if t.startswith("worker-")})


ORDERED = '''
import os
import unittest

RAN = []


def ran(name):
    with open("ran.log", "a") as f:
        f.write("%s %d\\n" % (name, os.getpid()))
    RAN.append(name)


class A(unittest.TestCase):
    def test_1(self):
        self.assertEqual([], RAN, "a test ran in this process before")
        ran("A")


class B(unittest.TestCase):
    def test_1(self):
        ran("B")


class C(unittest.TestCase):
    def test_1(self):
        ran("C")
'''


class TestMonoWithoutForks(LaneCase):
    def test_a_worker_that_cannot_fork_is_replaced_for_each_later_fresh_process(self) -> None:
        # mono order: the longest groups (B, C) first, then A, which sorts before both: a fresh process. The suite
        # patched the standard library as it loaded, so the preloader declines and no worker forks: the lane
        # starts a new worker, which loads the suite itself
        write_package(self.root, {"test_o": ORDERED}, init=PATCHES_STDLIB)
        groups = [(f"pkg.test_o.{name}", cost, [f"pkg.test_o.{name}.test_1"]) for name, cost in
                  (("A", 1.0), ("B", 5.0), ("C", 3.0))]
        positions = {tests[0]: n for n, (_, _, tests) in enumerate(groups)}
        outcome, events, err = self.run_queue(order_queue(groups, order="mono", positions=positions))
        self.assertEqual({t: ["success"] for _, _, (t,) in groups}, events.finals(), err)
        self.assertEqual(0, outcome.exit_code, err)
        where = dict(line.split() for line in (self.root / "ran.log").read_text().splitlines())
        loaded = set((self.root / "imports.log").read_text().split())
        self.assertLessEqual(set(where.values()), loaded, "each test ran in a worker that loaded the suite")
        self.assertNotIn(where["A"], (where["B"], where["C"]))


HUNG = '''
import time
import unittest


class S(unittest.TestCase):
    def test_1(self):
        open("hung.started", "w").close()
        time.sleep(60.0)
'''


SLOW_IMPORT = '''
import time
import unittest

open("importing.started", "w").close()
time.sleep(30.0)


class S(unittest.TestCase):
    def test_1(self):
        pass
'''

class TestDispatcherGone(LaneCase):
    def test_a_lane_whose_dispatcher_goes_away_mid_group_ends_its_worker(self) -> None:
        import subprocess
        import time

        from partitioner.dispatch.command import lane_argv
        from partitioner.dispatch.server import Dispatcher

        write_package(self.root, {"test_k": KILLER, "test_hung": HUNG})
        hung = ["pkg.test_hung.S.test_1"]
        queue = order_queue([("pkg.test_hung.S", 9.0, hung), ("pkg.test_k.P", 1.0, self.ids("P", "1", "2"))])
        dispatcher = Dispatcher(queue, 1, track=True).start()
        proc = subprocess.Popen([*lane_argv(sys.executable, dispatcher.address, 0, self.inner)], cwd=self.root,
                                env={**os.environ, **dispatcher.lane_env()}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while not (self.root / "hung.started").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)
        closed = time.monotonic()
        dispatcher.close()  # as when the tool is killed: the lane is not told, its connection closes
        out, err = proc.communicate(timeout=30)
        # the lane noticed at once, not when the test ended: SIGTERM to its worker, SIGKILL after the grace
        self.assertLess(time.monotonic() - closed, GRACE_S + 5.0)
        self.assertEqual(1, proc.returncode)
        self.assertIn("the dispatcher went away", err.decode())
        self.assertNotIn("Traceback (most recent call last)", err.decode().split("pkg/test_hung")[0])
        self.assertEqual({hung[0]: ["fail"]}, read_events(out).finals())  # accounted for, once
        self.assertEqual([], processes_in(self.root))

    def test_a_lane_whose_dispatcher_goes_away_between_groups_ends_its_worker_cleanly(self) -> None:
        import subprocess
        import time

        from partitioner.dispatch.command import lane_argv
        from partitioner.dispatch.server import Dispatcher

        write_package(self.root, {"test_k": KILLER, "test_slow": SLOW})
        slow = ["pkg.test_slow.S.test_1"]
        # two lanes' worth of work for one lane: after the slow group the lane asks again and waits
        queue = order_queue([("pkg.test_slow.S", 9.0, slow)])
        dispatcher = Dispatcher(queue, 2).start()
        proc = subprocess.Popen(lane_argv(sys.executable, dispatcher.address, 0, self.inner), cwd=self.root,
                                env={**os.environ, **dispatcher.lane_env()}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while dispatcher.fates().get(slow[0]) != "ran" and time.monotonic() < deadline:
            time.sleep(0.02)
        dispatcher.close()
        out, err = proc.communicate(timeout=30)
        self.assertEqual({slow[0]: ["success"]}, read_events(out).finals())  # its group finished cleanly
        self.assertNotIn("Traceback", err.decode())
        self.assertEqual([], processes_in(self.root))

    def test_a_lane_interrupted_while_its_worker_loads_the_suite_ends_it_without_a_traceback(self) -> None:
        # Ctrl-C while the worker loads: nothing left running, no traceback, no wait. (CI on a loaded machine once
        # caught a worker still importing partitioner's own modules, which printed a traceback; that window is
        # not reproducible here, the supervisor now SIGKILLs a worker that is not ready yet.)
        import signal
        import subprocess
        import time

        from partitioner.dispatch.command import lane_argv
        from partitioner.dispatch.server import Dispatcher

        write_package(self.root, {"test_k": KILLER, "test_slow_import": SLOW_IMPORT})
        ids = ["pkg.test_slow_import.S.test_1"]
        dispatcher = Dispatcher(order_queue([("pkg.test_slow_import.S", 1.0, ids)]), 1).start()
        self.addCleanup(dispatcher.close)
        proc = subprocess.Popen(lane_argv(sys.executable, dispatcher.address, 0, self.inner), cwd=self.root,
                                env={**os.environ, **dispatcher.lane_env()}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while not (self.root / "importing.started").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        began = time.monotonic()
        _, err = proc.communicate(timeout=30)
        self.assertLess(time.monotonic() - began, GRACE_S)  # not the 30 s import, not the grace period
        self.assertNotIn("Traceback", err.decode())
        self.assertNotEqual(0, proc.returncode)
        self.assertEqual([], processes_in(self.root))


    def test_a_ctrl_c_while_a_lane_starts_prints_no_traceback(self) -> None:
        # The tool starts each lane through a shell: Ctrl-C reaches the whole process group, the lane's
        # interpreter included while it imports `site` and its modules (Python's own handler then printed
        # "Fatal Python error: init_import_site" or a KeyboardInterrupt traceback). Its shell holds SIGINT off
        # until the lane handles it; a lane interrupted before it asked for work leaves with 130.
        import signal
        import subprocess
        import time

        from partitioner.dispatch.command import lane_shell_command
        from partitioner.dispatch.server import Dispatcher

        ids = self.ids("P", "1", "2")
        for attempt in range(3):
            dispatcher = Dispatcher(order_queue([("pkg.test_k.P", 1.0, ids)]), 1).start()
            self.addCleanup(dispatcher.close)
            inner = " ".join(self.inner)
            shell = lane_shell_command(inner, sys.executable, dispatcher.address, 0, hold_sigint=True)
            assert shell is not None
            self.assertTrue(shell.startswith("trap '' INT; exec "), shell)
            proc = subprocess.Popen(shell, shell=True, cwd=self.root, env={**os.environ, **dispatcher.lane_env()},
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
            # from the moment its shell has exec'd the lane's interpreter (before that, a signal ends the shell
            # itself, as it would any command the tool starts: a millisecond's window, not the one this is about)
            while proc.poll() is None and _cmdline(proc.pid).split(b"\0")[0] != os.fsencode(sys.executable):
                time.sleep(0.0005)
            began = time.monotonic()
            while proc.poll() is None and time.monotonic() - began < 1.0:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGINT)
                time.sleep(0.003 * (attempt + 1))
            out, err = proc.communicate(timeout=30)
            self.assertNotIn("Traceback", err.decode())
            self.assertNotIn("Fatal Python error", err.decode())
            self.assertEqual(128 + signal.SIGINT, proc.returncode, err.decode())
            self.assertEqual({}, {t: s for t, s in read_events(out).finals().items() if s != ["fail"]})
        self.assertEqual([], processes_in(self.root))


class TestLaneProcessMessages(LaneCase):
    def test_a_lane_process_says_its_lines_as_partitioner_does(self) -> None:
        # under `partitioner exec` every other line reads `partitioner: ...`: a lane is named as the user knows it
        # (lane N), not by its module
        import subprocess

        from partitioner.dispatch.command import lane_argv
        from partitioner.dispatch.server import Dispatcher

        k = self.ids("K", "1", "2", "3")
        dispatcher = Dispatcher(order_queue([("pkg.test_k.K", 3.0, k)]), 1).start()
        self.addCleanup(dispatcher.close)
        proc = subprocess.run(lane_argv(sys.executable, dispatcher.address, 2, self.inner), check=False, cwd=self.root,
                              env={**os.environ, **dispatcher.lane_env()}, capture_output=True, timeout=60)
        said = [line for line in proc.stderr.decode().splitlines() if "killed by SIGKILL" in line]
        self.assertTrue(said, proc.stderr.decode())
        for line in said:
            self.assertTrue(line.startswith("partitioner: lane 2: "), line)
        self.assertNotIn("partitioner.dispatch.lane", proc.stderr.decode())
        self.assertEqual([], processes_in(self.root))


class TestLaneCommandLine(testtools.TestCase):
    def call(self, argv: list[str], env: dict[str, str] | None = None) -> tuple[int, bytes, str]:
        out, err = io.BytesIO(), io.StringIO()
        self.useFixture(fixtures.EnvironmentVariable(protocol.KEY_ENV, (env or {}).get(protocol.KEY_ENV)))
        code = lane_module.main(argv, stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    def test_an_inner_command_it_cannot_stand_in_for_is_a_usage_error(self) -> None:
        code, _, err = self.call(["--connect", "/x", "--lane", "0", "--", "pytest", "-q"],
                                 {protocol.KEY_ENV: "00"})
        self.assertEqual(2, code)
        self.assertIn("cannot stand in for `pytest -q`", err)
        self.assertTrue(err.startswith("partitioner: lane: error: "), err)

    def test_without_the_key_it_says_where_the_key_comes_from(self) -> None:
        code, _, err = self.call(["--connect", "/x", "--lane", "0", "--", "python", "-m", "subunit.run"])
        self.assertEqual(2, code)
        self.assertIn(protocol.KEY_ENV, err)

    def test_an_unreachable_dispatcher_fails_the_static_share_it_was_given(self) -> None:
        share = self.useFixture(fixtures.TempDir()).join("ids")
        Path(share).write_text("a.B.test_1\na.B.test_2\n")
        code, out, err = self.call(["--connect", "/nonexistent/socket", "--lane", "3", "--", "python", "-m",
                                    "subunit.run", "discover", "--load-list", share], {protocol.KEY_ENV: "00"})
        self.assertEqual(1, code)
        events = read_events(out)
        self.assertEqual({"a.B.test_1": ["fail"], "a.B.test_2": ["fail"]}, events.finals())
        self.assertIn("lane 3 could not reach the dispatcher", events.attachment("a.B.test_1", "reason"))
        self.assertIn("its 2 tests are recorded as failures", err)
        self.assertTrue(err.startswith("partitioner: lane 3: error: cannot reach the dispatcher"), err)

    def test_a_lane_process_loads_no_fixtures_and_still_writes_its_failures(self) -> None:
        # a lane runs no test: testtools is told that the optional fixtures (unittest.mock, asyncio) is absent
        import subprocess

        share = self.useFixture(fixtures.TempDir()).join("ids")
        Path(share).write_text("a.B.test_1\n")
        # the lane ends with os._exit (no atexit handlers): the probe looks at what it loaded just before
        probe = ("import os, runpy, sys\n"
                 "real_exit = os._exit\n"
                 "def leave(code):\n"
                 "    sys.stderr.write('LOADED %s %s %s\\n' % tuple(\n"
                 "        sys.modules.get(m) is not None for m in ('testtools', 'fixtures', 'asyncio')))\n"
                 "    sys.stderr.flush()\n"
                 "    real_exit(code)\n"
                 "os._exit = leave\n"
                 "runpy.run_module('partitioner.dispatch.lane', run_name='__main__', alter_sys=True)\n")
        proc = subprocess.run([sys.executable, "-c", probe, "--connect", "/nonexistent/socket", "--lane", "0", "--",
                               sys.executable, "-m", "subunit.run", "discover", "--load-list", share],
                              env={**os.environ, protocol.KEY_ENV: "00"}, capture_output=True, timeout=60,
                              check=False)
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assertIn(b"LOADED True False False", proc.stderr)
        self.assertEqual({"a.B.test_1": ["fail"]}, read_events(proc.stdout).finals())

    def test_a_testtools_that_needs_fixtures_still_loads_in_a_lane(self) -> None:
        import subprocess

        probe = ("import builtins, io, sys\n"
                 "sys.modules['fixtures'] = None  # what a lane process starts with\n"
                 "real_import = builtins.__import__\n"
                 "def strict(name, *args, **kwargs):\n"
                 "    if name == 'testtools' and 'fixtures' in sys.modules and sys.modules['fixtures'] is None:\n"
                 "        raise ImportError('this testtools needs fixtures')\n"
                 "    return real_import(name, *args, **kwargs)\n"
                 "builtins.__import__ = strict\n"
                 "from partitioner.dispatch.lane import _merged_output\n"
                 "output = _merged_output(io.BytesIO())\n"
                 "print(type(output).__name__, sys.modules.get('fixtures') is not None)\n")
        proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False)
        self.assertEqual(("MergedOutput True", 0), (proc.stdout.strip(), proc.returncode), proc.stderr)


class TestHostAccount(testtools.TestCase):
    """What the host says of queued tests no lane reported (dispatch/host.py ``_account``)."""

    def account(self, ids: list[str]) -> str:
        from partitioner.dispatch.host import _account
        from partitioner.run.stream import WorkerStream

        err = io.StringIO()
        outcome = HostOutcome(lanes=[0])
        _account(order_queue([("a.A", 1.0, ids)]), [WorkerStream(0, MergedOutput(io.BytesIO()))], outcome, err,
                 "partitioner.run")
        self.assertEqual(ids, outcome.unreported)
        return err.getvalue()

    def test_one_test_reads_in_the_singular(self) -> None:
        self.assertEqual("partitioner.run: 1 test never reported a result and is recorded as a failure\n",
                         self.account(["a.A.t1"]))

    def test_more_read_in_the_plural(self) -> None:
        self.assertEqual("partitioner.run: 2 tests never reported a result and are recorded as failures\n",
                         self.account(["a.A.t1", "a.A.t2"]))


class TestLaneLines(testtools.TestCase):
    """A lane's lines about the tests it writes as failed read in the singular for one."""

    def lane(self) -> tuple[Lane, io.StringIO]:
        command = recognise([sys.executable, "-m", "subunit.run", "discover"])
        assert command is not None
        err = io.StringIO()
        return Lane(0, command, MergedOutput(io.BytesIO()), err, Interrupt(), name="lane 0"), err

    def test_one_queued_test_with_one_other_reason(self) -> None:
        lane, err = self.lane()
        lane._write_reports([("a.A.t1", "not run: the run was interrupted")])
        self.assertEqual("lane 0: 1 queued test recorded as a failure: not run: the run was interrupted\n",
                         err.getvalue())
        lane, err = self.lane()
        lane._write_reports([("a.A.t1", "why"), ("a.A.t2", "why"), ("a.A.t3", "another")])
        self.assertEqual("lane 0: 3 queued tests recorded as failures: why (and 1 other reason)\n", err.getvalue())


class TestLaneLinesAfterASignal(testtools.TestCase):
    """After a signal, a lane under ``partitioner exec`` (its dispatcher tracks: the session's) leaves what the
    signal did to exec's one account line; under the runner it says its lines as before."""

    def lane(self, accounted: bool) -> tuple[Lane, io.StringIO, io.BytesIO]:
        import signal

        command = recognise([sys.executable, "-m", "subunit.run", "discover"])
        assert command is not None
        err, out = io.StringIO(), io.BytesIO()
        interrupt = Interrupt()
        interrupt.signum = signal.SIGINT
        lane = Lane(1, command, MergedOutput(out), err, interrupt, name="partitioner: lane 1")
        lane.accounted = accounted
        return lane, err, out

    def written(self, lane: Lane, out: io.BytesIO) -> dict[str, list[str]]:
        lane.relay.output.flush()
        return read_events(out.getvalue()).finals()

    def test_the_tests_it_held_are_written_and_left_unsaid_under_exec(self) -> None:
        for accounted, lines in ((True, 0), (False, 2)):
            lane, err, out = self.lane(accounted)
            lane.held = {"a.A.t1": "a.A", "a.A.t2": "a.A", "a.A.t3": "a.A"}
            lane.relay.last["a.A.t1"] = "inprogress"  # cut short; t2 and t3 never started
            lane._account()
            self.assertEqual({t: ["fail"] for t in lane.held}, self.written(lane, out))
            self.assertEqual(lines, len(err.getvalue().splitlines()), err.getvalue())
        self.assertIn("partitioner: lane 1: 2 tests it held never started and are recorded as failures (not run)\n",
                      err.getvalue())  # the runner's lanes, as before

    def test_the_queue_s_tests_the_signal_kept_from_starting_are_left_unsaid_and_the_rest_said(self) -> None:
        interrupted = ("not run: the run was interrupted (SIGINT) before this test was handed to a worker")
        killer = "not run: group a.K was handed out 2 times and its test process died each time (...)"
        lane, err, out = self.lane(True)
        lane._write_reports([("a.A.t1", interrupted), ("a.A.t2", interrupted)])
        self.assertEqual("", err.getvalue())
        lane._write_reports([("a.A.t3", interrupted), ("a.K.t1", killer)])  # news: a group that kills
        self.assertEqual(f"partitioner: lane 1: 1 queued test recorded as a failure: {killer}\n", err.getvalue())
        self.assertEqual({t: ["fail"] for t in ("a.A.t1", "a.A.t2", "a.A.t3", "a.K.t1")}, self.written(lane, out))
        lane, err, _ = self.lane(False)
        lane._write_reports([("a.A.t1", interrupted)])
        self.assertEqual(f"partitioner: lane 1: 1 queued test recorded as a failure: {interrupted}\n",
                         err.getvalue())

    def test_before_a_signal_and_after_losing_its_dispatcher_it_says_them(self) -> None:
        lane, err, _ = self.lane(True)
        lane.interrupt.signum = None
        lane.held = {"a.A.t1": "a.A"}
        lane._account()  # its worker died at the end of the run: news
        self.assertIn("1 test it held never reported and is recorded as a failure", err.getvalue())
        lane, err, _ = self.lane(True)
        lane.gone = True  # no account may follow
        lane._write_reports([("a.A.t1", "not run: the run was interrupted (SIGINT)")])
        self.assertIn("1 queued test recorded as a failure", err.getvalue())

    def test_a_dispatcher_that_tracks_is_exec_s(self) -> None:
        lane, _, _ = self.lane(False)
        lane._welcomed({"op": "welcome", "track": False})  # the runner's
        self.assertFalse(lane.accounted)
        lane._welcomed({"op": "welcome", "track": True})  # exec's session (dispatch/tools.py)
        self.assertTrue(lane.accounted)
