"""partitioner exec's session (dispatch/tools.py) without a real tool: partitions, the watched inserter, and
the account written before the tool stores its run."""

from __future__ import annotations

import configparser
import contextlib
import datetime
import gc
import io
import os
import signal
import subprocess
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fixtures
import testtools
from testtools.testresult.doubles import StreamResult as Recorder

from partitioner import hooks
from partitioner.dispatch.preload import Started
from partitioner.dispatch.record import write_aside
from partitioner.dispatch.tools import NothingToRun, Session
from partitioner.errors import UsageError
from partitioner.history import digest, planrecord, prefetch
from partitioner.history.model import TestRecord
from partitioner.pipeline import PLAN_RUNS
from tests.builders import stream

IDS = ["a.A.t1", "a.A.t2", "a.B.t1", "a.C.t1"]
WORKER = "python -m subunit.run discover -t . ./tests --load-list /tmp/x"
#: the listing command of a suite in ./tests, after the interpreter, and its workers' (the preloader's tests)
LISTING = "-m subunit.run discover -t . ./tests --list"
RUN_WORKER = "-m subunit.run discover -t . ./tests --load-list /tmp/x"


class Inserter(Recorder):
    """What the tool stores (a recorder), with the ``stopTestRun`` return testr uses as the run id."""

    def stopTestRun(self) -> Any:
        super().stopTestRun()
        return 7


class TestSession(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        cwd = os.getcwd()
        os.chdir(tmp)
        self.addCleanup(os.chdir, cwd)
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE_DIR", str(Path(tmp) / "cache")))
        self.err = io.StringIO()
        self.addCleanup(gc.unfreeze)  # a session that plans freezes what lives; uninstall (or this) thaws it

    def stored(self, inserter: Inserter) -> dict[str, list[tuple[str, set[str], bytes]]]:
        out: dict[str, list[tuple[str, set[str], bytes]]] = {}
        for event in inserter._events:
            if event[0] == "status" and event[1] is not None:
                out.setdefault(event[1], []).append((event[2], set(event[3] or ()), bytes(event[6] or b"")))
        return out

    def test_what_lives_when_the_run_is_planned_is_frozen_until_the_session_ends(self) -> None:
        gc.unfreeze()
        session = Session("static", stderr=self.err)
        session.partition(IDS, 2, None, lambda t: t.rsplit(".", 1)[0], WORKER)
        self.assertGreater(gc.get_freeze_count(), 0)  # the run's full collections skip the tool and the plan
        session.uninstall()
        self.assertEqual(0, gc.get_freeze_count())

    def test_a_worker_command_that_runs_partitioners_runner_is_said_to_nest(self) -> None:
        # `partitioner exec -- testr run --parallel` where .testr.conf's test_command is the runner's line
        runner = f"{sys.executable} -m partitioner.run -j 4 -- python -m subunit.run discover --load-list /tmp/x"
        session = Session(None, stderr=self.err)
        session.partition(IDS, 2, None, lambda t: t.rsplit(".", 1)[0], runner)
        session.partition(IDS, 2, None, lambda t: t.rsplit(".", 1)[0], runner)
        warnings = [line for line in self.err.getvalue().splitlines() if "partitioner's runner" in line]
        self.assertEqual(1, len(warnings), self.err.getvalue())
        self.assertIn("partitioner: warning: ", warnings[0])
        self.assertIn("each of the tool's 2 workers runs the runner", warnings[0])
        self.assertIn("not --parallel", warnings[0])
        self.assertNotIn("dynamic dispatch needs", self.err.getvalue())  # the warning says it all
        session.uninstall()
        quiet = io.StringIO()
        session = Session(None, stderr=quiet)
        session.partition(IDS, 2, None, lambda t: t.rsplit(".", 1)[0], WORKER)  # the runner's own workers
        session.partition(IDS, 1, None, lambda t: t.rsplit(".", 1)[0], runner)  # `testr run`: one runner
        self.assertNotIn("partitioner's runner", quiet.getvalue())
        session.uninstall()

    def test_static_every_test_without_a_result_fails_with_why_before_the_run_is_stored(self) -> None:
        session = Session("static", stderr=self.err)
        parts = session.partition(IDS, 2, None, lambda t: t.rsplit(".", 1)[0], WORKER)
        self.assertEqual(sorted(IDS), sorted(t for p in parts for t in p))
        inserter = Inserter()
        tee = session.inserter(inserter)
        tee.startTestRun()
        done = parts[0][0]
        tee.status(test_id=done, test_status="inprogress", test_tags={"worker-0"}, route_code="0")
        tee.status(test_id=done, test_status="success", test_tags={"worker-0"}, route_code="0")
        self.assertEqual(7, tee.stopTestRun())
        stored = self.stored(inserter)
        self.assertEqual(set(IDS), set(stored))
        for test_id in set(IDS) - {done}:
            self.assertEqual("fail", stored[test_id][-1][0])
            self.assertIn(b"was never started, and this test never reported a result", b"".join(
                e[2] for e in stored[test_id]))
        self.assertEqual(len(IDS) - 1, session.injected)
        # the tee alone, not the tool's whole result: the tool's console never saw them, and the line says no more
        self.assertIn(f"{len(IDS) - 1} tests never reported a result: recorded as failures in the stored run\n",
                      self.err.getvalue())
        session.uninstall()

    def test_the_tools_failure_count_includes_the_tests_that_never_reported(self) -> None:
        # after a Ctrl-C stestr says "Failed: M", M counting ours: our line says so, in the singular for one
        session = Session("static", stderr=self.err)
        parts = session.partition(IDS, 2, None, lambda t: t.rsplit(".", 1)[0], WORKER)
        inserter = Inserter()
        summary = testtools.StreamSummary()
        outer = testtools.CopyStreamResult([session.inserter(inserter), summary])  # the tool's whole result
        outer.startTestRun()
        left = parts[1][-1]
        for worker, part in enumerate(parts):
            for test_id in part:
                if test_id != left:
                    outer.status(test_id=test_id, test_status="success", test_tags={f"worker-{worker}"},
                                 route_code=str(worker))
        outer.stopTestRun()
        self.assertEqual("fail", self.stored(inserter)[left][-1][0])
        self.assertEqual(1, len(summary.errors) + len(summary.failures))  # the tool counted it a failure
        self.assertIn("1 test never reported a result: recorded as a failure in the stored run (the tool's "
                      "failure count includes it)\n", self.err.getvalue())
        session.uninstall()

    def test_after_a_signal_the_account_says_what_ran_was_cut_short_and_never_started(self) -> None:
        # a Ctrl-C turned the running test into a failure in its own process (KeyboardInterrupt) and every other test
        # had reported: the account said nothing, and exec then called the run "stored complete"
        session = Session("static", stderr=self.err)
        parts = session.partition(IDS, 2, None, lambda t: t.rsplit(".", 1)[0], WORKER)
        inserter = Inserter()
        outer = testtools.CopyStreamResult([session.inserter(inserter), testtools.StreamSummary()])
        outer.startTestRun()
        now = datetime.datetime.now(datetime.timezone.utc)
        before = now - datetime.timedelta(seconds=5)
        cut, failed_before = parts[0][-1], parts[1][-1]
        for worker, part in enumerate(parts):
            for test_id in part:
                if test_id not in (cut, failed_before):
                    outer.status(test_id=test_id, test_status="success", test_tags={f"worker-{worker}"},
                                 route_code=str(worker), timestamp=before)
        outer.status(test_id=failed_before, test_status="fail", test_tags={"worker-1"}, route_code="1",
                     timestamp=before)  # a failure of its own, before the signal: it ran
        outer.status(test_id=cut, test_status="inprogress", test_tags={"worker-0"}, route_code="0", timestamp=before)
        session.signum = signal.SIGINT
        now = datetime.datetime.now(datetime.timezone.utc)  # the signal's time to the microsecond: its own counts
        outer.status(test_id=cut, file_name="traceback", file_bytes=b"Traceback:\n  File x\nKeyboardInterrupt\n",
                     mime_type="text/plain", eof=True, test_tags={"worker-0"}, route_code="0", timestamp=now)
        outer.status(test_id=cut, test_status="fail", test_tags={"worker-0"}, route_code="0", timestamp=now)
        outer.stopTestRun()
        self.assertEqual(0, session.injected)
        self.assertTrue(session.interrupt_said)  # exec adds no "stored complete" line
        self.assertIn(f"the run was interrupted (SIGINT): of its {len(IDS)} tests {len(IDS) - 1} ran, 1 was cut short "
                      "and 0 never started; the stored run is partial: that one is recorded as a failure (the "
                      "tool's failure count includes it), and `", self.err.getvalue())
        session.uninstall()

    def test_after_a_signal_a_run_whose_tests_all_reported_is_said_to_be_complete_elsewhere(self) -> None:
        session = Session("static", stderr=self.err)
        parts = session.partition(IDS, 2, None, lambda t: t.rsplit(".", 1)[0], WORKER)
        tee = session.inserter(Inserter())
        tee.startTestRun()
        session.signum = signal.SIGINT
        for worker, part in enumerate(parts):
            for test_id in part:  # a pass after the signal ran all the same
                tee.status(test_id=test_id, test_status="success", test_tags={f"worker-{worker}"},
                           route_code=str(worker), timestamp=datetime.datetime.now(datetime.timezone.utc))
        tee.stopTestRun()
        self.assertFalse(session.interrupt_said)  # exec says "stored complete": it is
        self.assertNotIn("interrupted", self.err.getvalue())
        session.uninstall()

    def test_exec_writes_a_static_runs_plan_record_aside_and_it_is_there_once_the_session_ends(self) -> None:
        self.useFixture(fixtures.MonkeyPatch("threading.active_count", lambda: 1))  # other tests' leftover threads
        forked: list[int | None] = []

        def spy(work: Callable[[], None]) -> int | None:
            forked.append(write_aside(work))
            return forked[-1]

        self.useFixture(fixtures.MonkeyPatch("partitioner.dispatch.record.write_aside", spy))  # imported when used
        session = Session("static", stderr=self.err)
        session.records_aside = True
        parts = session.partition(IDS, 2, None, lambda t: t.rsplit(".", 1)[0], WORKER)
        tee = session.inserter(Inserter())
        tee.startTestRun()
        began = datetime.datetime(2026, 12, 5, 1, 2, 3, 456789, tzinfo=datetime.timezone.utc)
        for worker, part in enumerate(parts):
            for n, test_id in enumerate(part):
                at = began + datetime.timedelta(seconds=worker + n)
                tee.status(test_id=test_id, test_status="inprogress", test_tags={f"worker-{worker}"}, timestamp=at)
                tee.status(test_id=test_id, test_status="success", test_tags={f"worker-{worker}"}, timestamp=at)
        tee.stopTestRun()
        self.assertEqual(1, len(forked))
        self.assertIsNotNone(forked[0])  # a child writes it while the tool stores the run
        session.uninstall()  # waits for the child
        records = list((Path.cwd() / "cache" / "plans").glob("*.json"))
        self.assertEqual(1, len(records))
        record = planrecord.decode(records[0].read_text())
        assert record is not None
        self.assertEqual(("static", sorted(IDS)), (record.dispatch, sorted(t for _, t in record.pairs())))
        self.assertEqual("tests", record.unit)  # no history: its figures are test counts, and it says so
        # keyed by the run's first start too, so the next run with the same tests on the same workers keeps its own
        pairs = [(f"worker-{worker}", test_id) for worker, part in enumerate(parts) for test_id in part]
        self.assertEqual(planrecord.run_key(pairs, planrecord.stamp_us(began)), records[0].stem)

    def test_dynamic_starts_a_dispatcher_and_puts_its_key_in_the_environment(self) -> None:
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_DISPATCH_KEY"))
        session = Session(None, stderr=self.err)
        session.partition(IDS, 2, None, lambda t: t.rsplit(".", 1)[0], WORKER)
        run = session.current()
        assert run is not None and run.dispatcher is not None
        self.assertIn("PARTITIONER_DISPATCH_KEY", os.environ)
        command, index = session.worker_command(run, list(run.partitions[1]), WORKER)
        self.assertEqual(1, index)
        # its shell holds SIGINT off the lane's start, as we handle SIGINT: a Ctrl-C then prints no traceback
        self.assertTrue(command.startswith("trap '' INT; exec "), command)
        self.assertIn("-m partitioner.dispatch.lane", command)
        self.assertIn("--lane 1 --sigint --", command)
        with patched_signal(signal.SIGINT, signal.SIG_IGN):  # under nohup: the lanes ignore it as we do
            command, _ = session.worker_command(run, list(run.partitions[1]), WORKER)
        self.assertTrue(command.startswith("exec "), command)
        self.assertNotIn("--sigint", command)
        # the plan's makespan is the static split's, and the line says so; the run's is the queue's (plan --dispatch
        # dynamic simulates it)
        [line] = [x for x in self.err.getvalue().splitlines() if "dynamic dispatch (lookahead order)" in x]
        self.assertRegex(line, r"predicted makespan [\d.]+ units for the static plan, not the dynamic queue "
                               r"\(`partitioner plan --dispatch dynamic` simulates the queue\)$")
        self.assertNotIn("(the static plan's)", line)
        session.uninstall()
        self.assertNotIn("PARTITIONER_DISPATCH_KEY", os.environ)

    def test_a_signal_before_the_tool_planned_a_run_stops_it_and_later_ones_are_passed_on(self) -> None:
        def signalled(session: Session) -> None:
            with session.signals():
                os.kill(os.getpid(), signal.SIGTERM)
                for _ in range(100):  # the handler runs between bytecodes of this thread
                    time.sleep(0.01)

        session = Session("static", stderr=self.err)
        self.assertRaises(KeyboardInterrupt, signalled, session)  # starting up or listing: it would run them all
        self.assertEqual(signal.SIGTERM, session.signum)
        # the KeyboardInterrupt may be swallowed where it lands (inside an import's lock callback Python prints it
        # as ignored, and the tool went on): the tool's request for a plan stops it then
        self.assertRaises(KeyboardInterrupt, session.partition, IDS, 2, None, None, WORKER)
        self.assertEqual([], session.runs)
        session.uninstall()
        session = Session("static", stderr=self.err)
        session.partition(IDS, 2, None, lambda t: t.rsplit(".", 1)[0], WORKER)
        signalled(session)  # a run is planned: the tool goes on, reads what its workers wrote and stores it
        self.assertEqual(signal.SIGTERM, session.signum)
        session.uninstall()

    def test_timeouts_second_signal_before_a_run_is_planned_does_not_kill_exec(self) -> None:
        # `timeout` signals exec, then exec's process group: the second, while the first's KeyboardInterrupt
        # unwinds the tool, must not meet the default handler (exec died with no clean-up: its preloader, started
        # while the tool listed its tests, was never stopped)
        session = Session("static", stderr=self.err)
        raised = 0
        try:
            with session.signals():
                try:
                    os.kill(os.getpid(), signal.SIGTERM)
                    for _ in range(100):  # the handler runs between bytecodes of this thread
                        time.sleep(0.01)
                except KeyboardInterrupt:
                    raised += 1
                    os.kill(os.getpid(), signal.SIGTERM)  # the group's copy: counted as the same signal
                    for _ in range(20):
                        time.sleep(0.01)
        finally:
            session.uninstall()
        self.assertEqual(1, raised)
        self.assertEqual(signal.SIGTERM, session.signum)
        self.assertEqual(signal.SIG_DFL, signal.getsignal(signal.SIGTERM))  # put back once the tool is done

    def test_a_command_no_pull_worker_can_stand_in_for_stays_static_and_says_so_once(self) -> None:
        session = Session(None, stderr=self.err)
        for _ in range(2):
            session.partition(IDS, 2, None, None, "./run-tests.sh $IDFILE")
            run = session.current()
            assert run is not None
            self.assertIsNone(run.dispatcher)
        self.assertEqual(1, self.err.getvalue().count("dynamic dispatch needs a worker command"))
        session.uninstall()

    def test_the_history_read_while_the_tool_lists_is_the_one_the_plan_uses(self) -> None:
        repo = Path.cwd() / ".stestr"
        repo.mkdir()
        (repo / "format").write_text("1\n")
        (repo / "0").write_bytes(stream([TestRecord(t, "success", 0.0, 2.0 if t == "a.C.t1" else 0.5, "worker-0",
                                                    frozenset({"worker-0"})) for t in IDS]))
        tool_repo = types.SimpleNamespace(base=str(repo))
        read: list[str] = []
        real = digest.planning_history

        def counting(path: object, *args: Any, **kwargs: Any) -> Any:
            read.append(threading.current_thread().name)
            return real(path, *args, **kwargs)  # type: ignore[arg-type]

        self.patch(digest, "planning_history", counting)  # the prefetch thread imports it when it runs
        self.patch(hooks, "planning_history", counting)
        session = Session("static", stderr=self.err)
        session.listing(tool_repo)
        parts = session.partition(IDS, 2, tool_repo, lambda t: t.rsplit(".", 1)[0], WORKER)
        self.assertEqual(["partitioner-prefetch"], read)  # read once, beside the listing, not again in the hook
        self.assertEqual([["a.A.t1", "a.A.t2", "a.B.t1"], ["a.C.t1"]], sorted(parts))  # planned from it
        session.partition(IDS, 2, tool_repo, lambda t: t.rsplit(".", 1)[0], WORKER)  # no listing: the hook reads
        self.assertEqual(["partitioner-prefetch", "MainThread"], read)
        session.uninstall()
        pinned = Session("static", stderr=self.err, history=[str(repo)])
        pinned.listing(tool_repo)  # the plan comes from --history: nothing read from the tool's repository
        self.assertIsNone(prefetch.take(str(repo), PLAN_RUNS))
        pinned.uninstall()

    def listing_fixture(self, concurrency: int = 2, grouped: bool = True, **more: Any) -> types.SimpleNamespace:
        """A tool's top-level fixture as it lists its tests (stestr's and testr's name their listing ``list_cmd``)."""
        Path("tests").mkdir(exist_ok=True)
        return types.SimpleNamespace(concurrency=concurrency, list_cmd=f"{sys.executable} {LISTING}",
                                     _group_callback=(lambda t: t.rsplit(".", 1)[0]) if grouped else None, **more)

    def listing_started(self, dispatch: str | None = None) -> tuple[Session, Started | None]:
        """A session whose tool started listing its tests, and the preloader that started meanwhile, if any."""
        session = Session(dispatch, stderr=self.err)
        session.preload_early = True
        session.listing(None, self.listing_fixture())
        early = session._early
        assert early is not None
        early._thread.join()
        return session, early.started

    def listed(self, dispatch: str | None = None) -> tuple[Session, Started]:
        """:meth:`listing_started`, where a preloader must have started."""
        session, started = self.listing_started(dispatch)
        assert started is not None and started.owned is not None
        return session, started

    def test_the_preloader_starts_while_the_tool_lists_and_the_run_takes_it(self) -> None:
        session, started = self.listed()
        self.assertIsNone(started.proc.poll())  # loading the suite while the tool lists it
        session.partition(IDS, 2, None, lambda t: t.rsplit(".", 1)[0], f"{sys.executable} {RUN_WORKER}")
        run = session.current()
        assert run is not None and run.dispatcher is not None
        self.assertIs(started, run.preloader)  # the run's lanes connect to it: no second load
        self.assertEqual(started.path, os.environ["PARTITIONER_PRELOAD"])
        session.uninstall()
        self.assertIsNotNone(started.proc.poll())
        self.assertFalse(os.path.exists(started.owned))

    def test_a_preloader_started_for_another_command_or_a_static_run_is_stopped(self) -> None:
        for dispatch, command in ((None, f"{sys.executable} -m testtools.run discover --load-list /tmp/x"),
                                  (None, "./run-tests.sh $IDFILE")):
            session, started = self.listed(dispatch)
            session.partition(IDS, 2, None, lambda t: t.rsplit(".", 1)[0], command)
            self.assertIsNotNone(started.proc.poll(), command)  # stopped as the run was planned
            self.assertFalse(os.path.exists(started.owned))
            run = session.current()
            assert run is not None
            self.assertIsNot(started, run.preloader)
            session.uninstall()

    def test_a_listing_without_a_plan_leaves_no_preloader(self) -> None:
        session, started = self.listed()
        session.uninstall()  # the listing failed, or `stestr list`: the tool never asked for a plan
        self.assertIsNotNone(started.proc.poll())
        self.assertIsNone(session._early)

    def test_no_preloader_before_the_plan_where_the_run_will_not_be_dynamic(self) -> None:
        instance_execute = configparser.ConfigParser()
        instance_execute.read_string("[DEFAULT]\ninstance_execute = run-on $INSTANCE_ID $COMMAND\n")
        cases: list[tuple[str, str | None, bool, dict[str, Any]]] = [
            ("one worker", None, True, {"concurrency": 1}),
            ("--dispatch static", "static", True, {}),
            ("--random", None, True, {"randomize": True}),
            ("--worker-file", None, True, {"worker_path": "workers.yaml"}),
            ("instance_execute", None, True, {"_instance_source": object(), "_parser": instance_execute}),
            ("PARTITIONER_PRELOAD=0", None, True, {}),
        ]
        for label, dispatch, grouped, more in cases:
            env = "0" if label.startswith("PARTITIONER_PRELOAD") else None
            with fixtures.EnvironmentVariable("PARTITIONER_PRELOAD", env):
                session = Session(dispatch, stderr=self.err)
                session.preload_early = True
                concurrency = more.pop("concurrency", 2)
                session.listing(None, self.listing_fixture(concurrency, grouped, **more))
                self.assertIsNone(session._early, label)
                session.uninstall()
        for asked, started in (("static", False), ("dynamic", True)):  # the option, read beside the listing
            Path(".testr.conf").write_text(f"[DEFAULT]\ntest_command=true\n[partitioner]\ndispatch = {asked}\n")
            session, early = self.listing_started()
            self.assertEqual(started, early is not None, asked)
            session.uninstall()
        session = Session(None, stderr=self.err)  # exec sets it only for a command that runs tests
        session.listing(None, self.listing_fixture())
        self.assertIsNone(session._early)
        session.uninstall()

    def test_a_preloader_starts_for_a_split_per_test_and_testrs_instance_source(self) -> None:
        # a split per test may keep the static plan, whose workers are forked from the preloader too
        # (partitioner.dispatch.direct); testr always has an instance source (the test command itself), and
        # only instance_execute in its configuration makes workers run elsewhere
        plain = configparser.ConfigParser()
        plain.read_string("[DEFAULT]\ntest_command=true\n")
        for label, more in (("split per test", {}), ("testr's own instance source", {"_instance_source": object(),
                                                                                     "_parser": plain})):
            session = Session(None, stderr=self.err)
            session.preload_early = True
            session.listing(None, self.listing_fixture(2, grouped=bool(more), **more))
            early = session._early
            self.assertIsNotNone(early, label)
            assert early is not None
            early._thread.join()
            self.assertIsNotNone(early.started, label)
            session.uninstall()

    def test_the_planner_loads_while_the_tool_lists_not_before(self) -> None:
        # what exec imports before the tool starts its listing is on the run's critical path; the planner is not
        code = ("import sys; from partitioner.dispatch.tools import PLANNER, Session; s = Session('static'); "
                "s.install(); before = [m for m in PLANNER + ('partitioner.pipeline', 'partitioner.config', "
                "'partitioner.history.digest', 'partitioner.history.planrecord', 'partitioner.history.model') "
                "if m in sys.modules]; "
                "from partitioner.history import prefetch; import types, os; "
                "s.listing(types.SimpleNamespace(base=os.getcwd())); prefetch.take(os.getcwd(), 10); "
                "print(before, all(m in sys.modules for m in PLANNER)); s.uninstall()")
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        self.assertEqual("[] True", proc.stdout.strip(), proc.stderr)


class Fixture:
    """A tool's top-level fixture double: lists its suite (filtered) when it has to, as stestr and testr do."""

    SUITE = [f"a.C{c}.t{t}" for c in range(6) for t in range(2)]

    def __init__(self, test_ids: list[str] | None = None, test_filters: list[str] | None = None,
                 concurrency: int = 2) -> None:
        self.test_ids = test_ids
        self.test_filters = test_filters
        self.wanted = concurrency
        self.set_up = 0
        self.cleaned = False

    def setUp(self) -> None:
        import re

        self.set_up += 1
        self.concurrency = self.wanted
        if self.test_ids is None and (self.wanted > 1 or self.test_filters):
            self.test_ids = list(self.SUITE)
        if self.test_ids is not None and self.test_filters:
            self.test_ids = [t for t in self.test_ids if any(re.search(f, t) for f in self.test_filters)]

    def cleanUp(self) -> None:
        self.cleaned = True


class TestShardSession(testtools.TestCase):
    """exec --shard: the tool's own selection, split, and its test list restricted to this job's shard."""

    def setUp(self) -> None:
        super().setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        cwd = os.getcwd()
        os.chdir(tmp)
        self.addCleanup(os.chdir, cwd)
        self.addCleanup(gc.unfreeze)
        self.err = io.StringIO()

    def test_every_job_runs_its_share_of_the_tools_own_selection(self) -> None:
        seen: list[str] = []
        for k in (1, 2, 3):
            session = Session(stderr=self.err, shard=f"{k}/3")
            fixture = Fixture(test_filters=["C[0-4]"], concurrency=1)
            session.restrict(fixture, Fixture.setUp)
            assert fixture.test_ids is not None
            seen.extend(fixture.test_ids)
            self.assertEqual(1, fixture.set_up)  # the probe was a copy
        self.assertEqual(sorted(t for t in Fixture.SUITE if "C5" not in t), sorted(seen))
        self.assertIn("1 worker: the tool runs them as it would", self.err.getvalue())

    def test_an_empty_shard_stops_the_tool_and_unshardable_runs_are_refused(self) -> None:
        session = Session(stderr=self.err, shard="9/9")
        self.assertRaises(NothingToRun, session.restrict, Fixture(), Fixture.setUp)
        self.assertIn("shard 9/9 of split", self.err.getvalue())
        error = self.assertRaises(UsageError, Session(shard="1/2").check_shardable, ["run", "--isolated"])
        self.assertIn("--shard cannot split a run with --isolated", str(error))
        Session().check_shardable(["run", "--isolated"])  # no shard: nothing to refuse

    def test_the_summary_line_names_the_shard_history_measured_tests_and_dispatch(self) -> None:
        session = Session("static", stderr=self.err, shard="1/2")
        fixture = Fixture()
        session.restrict(fixture, Fixture.setUp)
        assert fixture.test_ids is not None
        session.partition(fixture.test_ids, 2, None, lambda t: t.rsplit(".", 1)[0], WORKER)
        [line] = [line for line in self.err.getvalue().splitlines() if "listed test ids on 2 workers" in line]
        self.assertRegex(line, r"^partitioner: shard 1/2 of split \w+: 6 of 12 tests, predicted [\d.]+ units "
                               r"\(split by test counts: the jobs share no timing history; .*\); "
                               r"6 listed test ids on 2 workers, static plan; history: none \(costs in test-count "
                               r"units\); "
                               r"0 of 6 ids measured; predicted makespan [\d.]+ units$")
        quiet = io.StringIO()
        Session("static", quiet=True, stderr=quiet).partition(IDS, 2, None, None, WORKER)
        self.assertNotIn("test ids on 2 workers", quiet.getvalue())
        session.uninstall()


@contextlib.contextmanager
def patched_signal(signum: int, handler: Any) -> Iterator[None]:
    previous = signal.signal(signum, handler)
    try:
        yield
    finally:
        signal.signal(signum, previous)
