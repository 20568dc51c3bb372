"""``partitioner exec``'s hooks into testr and stestr: our plans, dynamic dispatch, and an account of every test.

:func:`install` patches, in the one process where the tool runs (each for whichever tool is importable):

* where the tool partitions (stestr: ``scheduler.partition_tests``, reached through
  ``TestProcessorFixture.run_tests``, which shows the worker command; testr:
  ``TestListingFixture.partition_tests``): the plan of :func:`partitioner.hooks.plan_partitions`; under
  dynamic dispatch also a :class:`~partitioner.dispatch.server.Dispatcher` serving the same groups from a
  queue, its key in ``os.environ`` for the workers the tool starts;
* where the tool starts one partition's worker (stestr: ``TestProcessorFixture._start_process``; testr:
  ``TestListingFixture.run_tests`` of a one-partition fixture): under dynamic dispatch the shell command
  becomes its lane's, ``exec python -m partitioner.dispatch.lane ... -- COMMAND``; the tool reads the lane's
  stream as that worker's, tags it ``worker-N`` and stores it;
* where the tool stores the run (the repositories' ``get_inserter``): a tee that watches every event (which
  worker gave each test a final status), feeds the progress line, and, before the tool stores the run,
  writes a failure with the reason for every test it was given that never reported (a killed worker or
  lane, an interrupted run), then writes the plan record beside the run;
* SIGINT and SIGTERM while the tool runs (:meth:`Session.signals`): passed on to the workers instead of
  stopping the tool, so that the tool reads their streams to the end and stores the run; a third signal
  stops the tool.

Static stays static: ``--worker-file`` (stestr does not partition), ``--serial``, testr's
``instance_execute``, a randomized order, and worker commands a pull worker cannot stand in for (said once).

Shards (``exec --shard K/M``): where the tool sets up its run (stestr's ``TestProcessorFixture.setUp``, testr's
``TestListingFixture.setUp``), the tool's own selection is listed first (its test path, filters, load list,
exclusions: a copy of the fixture set up and thrown away), the suite is split
(:func:`partitioner.pipeline.select_shard`), and the fixture is set up with this shard's tests as its test
list, as ``--load-list`` would: the tool itself then runs only them, whether it partitions them or not (at
concurrency 1 stestr never calls ``partition_tests``). An empty shard stops the tool before it runs anything
(:class:`NothingToRun`).

One line on stderr says what each run was planned from (:func:`partitioner.render.runline.summary_line`).
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import os
import signal
import subprocess
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from partitioner import hooks
from partitioner.dispatch.command import RUNNERS, lane_shell_command, recognise_shell
from partitioner.dispatch.protocol import KEY_ENV
from partitioner.dispatch.queue import Queue, queue_from_costs
from partitioner.dispatch.record import Queued, dynamic_record, placement_key, static_record
from partitioner.dispatch.server import Dispatcher
from partitioner.errors import PartitionerError, UsageError
from partitioner.history.planrecord import PlanRecord, write_record
from partitioner.pipeline import Planned, ShardRun
from partitioner.run.parentdeath import dying_with_us
from partitioner.run.signals import describe_exit
from partitioner.run.stream import expanded
from partitioner.statuses import FINAL, INPROGRESS

PROG = "partitioner"
#: what StreamResult.status takes, in order (a call may pass them by position)
_FIELDS = ("test_id", "test_status", "test_tags", "runnable", "file_name", "file_bytes", "eof", "mime_type",
           "route_code", "timestamp")
_TEXT = "text/plain;charset=utf8"


#: run options that do not go through the tool's test list (so a shard could not restrict them)
UNSHARDABLE = ("--no-discover", "--pdb", "--isolated", "--analyze-isolation")


class NothingToRun(BaseException):  # not an error: it unwinds the tool, which catches Exception
    """This job's shard is empty: the tool must run nothing (an empty test list would make it run everything)."""


def _worker_tag(tags: object) -> str | None:
    """The ``worker-N`` tag of an event (the highest-numbered, as the history reader takes it)."""
    found = [t for t in tags or () if isinstance(t, str) and t.startswith("worker-")]  # type: ignore[attr-defined]
    return max(found, key=lambda t: (len(t), t)) if found else None


@dataclass
class _Run:
    """One run of the tool: its partitions, workers, dispatcher, and what its stored stream holds so far."""

    partitions: list[tuple[str, ...]]
    planned: Planned | None
    dispatcher: Dispatcher | None = None
    queue: Queue | None = None
    started_at: float = field(default_factory=time.monotonic)
    index: dict[str, int] = field(default_factory=dict)
    procs: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    finals: dict[str, str] = field(default_factory=dict)
    running: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    routes: dict[str, str | None] = field(default_factory=dict)
    cond: threading.Condition = field(default_factory=threading.Condition)
    tee: _Tee | None = None
    done: bool = False

    def __post_init__(self) -> None:
        self.index = {min(p): i for i, p in enumerate(self.partitions) if p}

    def lane_of(self, test_ids: Sequence[str] | None) -> int | None:
        return self.index.get(min(test_ids)) if test_ids else None


class _Tee:
    """The tool's inserter, watched: every event goes on unchanged, and the session sees it too."""

    def __init__(self, inserter: Any, session: Session, run: _Run) -> None:
        self._inserter = inserter
        self._session = session
        self._run = run
        self._lock = threading.RLock()
        run.tee = self

    def startTestRun(self) -> Any:
        return self._inserter.startTestRun()

    def status(self, *args: Any, **kwargs: Any) -> None:
        event = dict(zip(_FIELDS, args, strict=False))
        event.update(kwargs)
        with self._lock:
            self._inserter.status(**event)
        self._session.observe(self._run, event)

    def inject(self, test_id: str, worker: str, route: str | None, reason: str, started: bool) -> None:
        """Write ``test_id`` as failed with a ``reason``, on its worker's route, as if its worker had."""
        now = datetime.datetime.now(datetime.timezone.utc)
        events: list[dict[str, Any]] = []
        if not started:
            events.append({"test_id": test_id, "test_status": INPROGRESS, "test_tags": {worker},
                           "route_code": route, "timestamp": now})
        events.append({"test_id": test_id, "test_status": "fail", "test_tags": {worker}, "route_code": route,
                       "file_name": "reason", "file_bytes": reason.encode(), "mime_type": _TEXT, "eof": True,
                       "timestamp": now})
        for event in events:
            self.status(**event)

    def stopTestRun(self) -> Any:
        with contextlib.suppress(Exception):  # the account must never keep the tool from storing the run
            self._session.account(self._run)
        return self._inserter.stopTestRun()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inserter, name)


class Session:
    """What ``partitioner exec`` adds to one tool's process (see the module docstring).

    :param dispatch: ``dynamic``, ``static``, or ``None`` for the default (dynamic where possible, else the
        ``[partitioner] dispatch`` option decides)
    :param quiet: no notes and no progress line
    :param stderr: where notes go
    :param order: the dispatch order, ``suite`` or ``cost`` (``None``: the ``dispatch_order`` option, else suite)
    :param history: history sources that replace the ``history`` option and the tool's repository
    :param shard: ``K/M``, ``K`` (with ``plan_file``) or ``auto``: run only this job's shard of the suite
    :param plan_file: the plan file the split comes from (else every job splits from the pinned history)
    :param env: where ``--shard auto`` reads the CI's variables (default ``os.environ``)
    """

    def __init__(self, dispatch: str | None = None, quiet: bool = False, stderr: IO[str] | None = None,
                 order: str | None = None, history: Sequence[str] = (), shard: str | None = None,
                 plan_file: str | None = None, env: Mapping[str, str] | None = None) -> None:
        self.dispatch = dispatch
        self.order = order
        self.quiet = quiet
        self.stderr = stderr if stderr is not None else sys.stderr
        self.history = tuple(history)
        self.shard = shard
        self.plan_file = plan_file
        self.env = env if env is not None else os.environ
        #: this job's shard, once the tool's test list was restricted to it
        self.shard_run: ShardRun | None = None
        self.runs: list[_Run] = []
        #: tests written as failures because nothing else reported them, over all runs
        self.injected = 0
        #: the first signal while the tool ran, or None
        self.signum: int | None = None
        self._signals = 0
        self._noted: set[str] = set()
        #: every worker process the tool started (signals are passed on to them)
        self.children: list[subprocess.Popen[bytes]] = []
        self._progress: Any = None
        self._originals: list[tuple[Any, str, Any]] = []

    # -- messages --------------------------------------------------------------------------------

    def note(self, line: str) -> None:
        """One ``partitioner: note: ...`` line, once per text, unless quiet."""
        if not self.quiet and line not in self._noted:
            self._noted.add(line)
            with contextlib.suppress(OSError, ValueError):
                self.stderr.write(f"{PROG}: note: {line}\n")
                self.stderr.flush()

    def warn(self, line: str) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.stderr.write(f"{PROG}: warning: {line}\n")
            self.stderr.flush()

    # -- planning --------------------------------------------------------------------------------

    def _mode(self, command: str | None, why_static: str | None) -> str:
        """``dynamic`` or ``static`` for a run whose worker command is ``command``."""
        from pathlib import Path

        from partitioner.config import DEFAULT, load_settings

        settings = load_settings(Path.cwd())
        self.order = settings.choose("dispatch_order", self.order, "suite").value
        choice = settings.choose("dispatch", self.dispatch, "dynamic")
        if choice.value == "static":
            return "static"
        asked = "" if choice.where == DEFAULT else f" (asked for by {choice.where})"
        if why_static is not None:
            self.note(f"dynamic dispatch{asked} is off for {why_static}: each worker's share is fixed before "
                      "the run")
            return "static"
        if command is None or recognise_shell(command) is None:
            self.note(f"dynamic dispatch{asked} needs a worker command `python -m RUNNER ...` with RUNNER one "
                      f"of {', '.join(RUNNERS)}; `{command}` is not one, so each worker's share is fixed before "
                      "the run (--dispatch static silences this note)")
            return "static"
        return "dynamic"

    def partition(self, test_ids: Sequence[str], concurrency: int, repository: object,
                  group_callback: Callable[[str], object] | None, command: str | None,
                  why_static: str | None = None) -> list[list[str]]:
        """The tool's partitions; under dynamic dispatch also the dispatcher its lanes will ask."""
        self._finish_open_runs()
        mode = self._mode(command, why_static) if concurrency > 1 and test_ids else "static"
        parts, planned = hooks.plan_partitions(test_ids, concurrency, repository, group_callback,
                                               warn_serial=mode == "static", history=self.history, warn=self.warn)
        run = _Run([tuple(p) for p in parts if p], planned)
        self.runs.append(run)
        if mode == "dynamic" and planned is not None and len(run.partitions) > 0:
            # stestr hands its ids over in set order: suite order is id order, as discovery sorts
            run.queue = queue_from_costs(planned.groups, planned.model, planned.serial_groups, self.order or "suite")
            run.dispatcher = Dispatcher(run.queue, len(run.partitions), track=True).start()
            os.environ.update(run.dispatcher.lane_env())  # the workers the tool starts inherit it
        if planned is not None:
            self.summary(planned, "dynamic" if run.dispatcher is not None else "static")
        self._start_progress(run, planned)
        return parts

    def summary(self, planned: Planned, mode: str) -> None:
        """The one line about a run's plan (:func:`partitioner.render.runline.summary_line`), unless quiet."""
        from partitioner.render.runline import summary_line

        shard = self.shard_run.describe() if self.shard_run is not None else None
        self.say(summary_line(planned, mode, self.order, shard))

    def say(self, line: str) -> None:
        """One ``partitioner: ...`` line, unless quiet."""
        if not self.quiet:
            with contextlib.suppress(OSError, ValueError):
                self.stderr.write(f"{PROG}: {line}\n")
                self.stderr.flush()

    # -- shards ----------------------------------------------------------------------------------

    def check_shardable(self, argv: Sequence[str]) -> None:
        """Refuse a shard for runs that do not go through the tool's test list.

        :raises UsageError: for ``--no-discover``, ``--pdb``, ``--isolated``, ``--analyze-isolation``
        """
        if self.shard is None:
            return
        found = [a for a in argv if a.split("=", 1)[0] in UNSHARDABLE]
        if found:
            raise UsageError(f"--shard cannot split a run with {found[0]}: it runs tests that do not go through the "
                             "tool's test list; drop one of them")

    def restrict(self, fixture: Any, setup: Callable[[Any], Any]) -> Any:
        """Set up the tool's top-level fixture with this job's shard of its own selection as its test list.

        :raises NothingToRun: when the shard is empty
        """
        if self.shard_run is None:
            probe = copy.copy(fixture)  # set up and thrown away: the tool's own listing and selection
            if probe.test_ids is None and not probe.test_filters:
                probe.test_filters = [""]  # matches every id: makes either tool list its suite
            setup(probe)
            try:
                listed = list(dict.fromkeys(probe.test_ids or ()))
                concurrency = int(getattr(probe, "concurrency", 1) or 1)
            finally:
                probe.cleanUp()
            from pathlib import Path

            from partitioner.pipeline import select_shard

            self.shard_run = select_shard(sorted(listed), self.shard or "auto", Path.cwd(), self.env,
                                          plan_file=self.plan_file, concurrency=concurrency, history=self.history)
            if self.shard_run.stale:
                self.warn(f"{len(self.shard_run.stale)} tests of shard {self.shard_run.spec} in {self.plan_file} "
                          "are no longer listed: left out")
            if not self.shard_run.tests:
                self.say(f"{self.shard_run.describe()}: nothing to run")
                raise NothingToRun
            if concurrency <= 1:  # the tool will not partition: no plan of ours, so the shard is the summary
                self.say(f"{self.shard_run.describe()}; 1 worker: the tool runs them as it would")
        mine = set(self.shard_run.tests)
        selected = [t for t in fixture.test_ids if t in mine] if fixture.test_ids is not None else \
            list(self.shard_run.tests)
        fixture.test_ids = selected
        return setup(fixture)

    def _start_progress(self, run: _Run, planned: Planned | None) -> None:
        from partitioner.timeline.progress import ProgressLine

        if self._progress is not None or self.quiet or not ProgressLine(self.stderr).enabled:
            return
        try:
            drawing = not os.isatty(sys.stdout.fileno())
        except (AttributeError, OSError, ValueError):
            drawing = True
        if not drawing:  # the tool prints its results on the same terminal: a progress line would garble them
            return
        costs: Mapping[str, float] = {}
        lanes: Mapping[str, str] = {}
        if planned is not None and planned.plan.has_history:
            from partitioner.timeline.predicted import lane_costs, plan_assignment, predicted_lanes

            costs, lanes = lane_costs(predicted_lanes(plan_assignment(planned.plan), planned.model))
        dispatcher = run.dispatcher
        same_workers = planned is not None and len(run.partitions) == len(planned.plan.workers)
        self._progress = ProgressLine(self.stderr, total=sum(map(len, run.partitions)), costs=costs,
                                      workers=max(1, len(run.partitions)),
                                      lanes=lanes if dispatcher is None and same_workers else None,
                                      queue_left=dispatcher.left if dispatcher is not None else None, label=PROG)
        self._progress.startTestRun()
        self._progress.start_ticker()

    # -- workers ---------------------------------------------------------------------------------

    def worker_command(self, run: _Run | None, test_ids: Sequence[str] | None, command: str) -> tuple[str, int | None]:
        """The shell command that starts the worker of the partition holding ``test_ids``, and its index."""
        if run is None:
            return command, None
        index = run.lane_of(test_ids)
        if index is None:
            return command, None
        if run.dispatcher is not None:
            return lane_shell_command(command, sys.executable, run.dispatcher.address, index) or command, index
        if recognise_shell(command) is not None:
            return f"exec {command}", index  # a signal passed on reaches the worker, not only its shell
        return command, index

    def started(self, run: _Run | None, index: int | None, proc: Any) -> None:
        """The tool started the worker of partition ``index``: watched, and under static dispatch its stream
        relayed (:mod:`partitioner.dispatch.staticrelay`) before the tool reads it, as a lane relays its worker's."""
        if not isinstance(proc, subprocess.Popen):
            return
        self.children.append(proc)
        if run is not None and index is not None:
            run.procs[index] = proc
            if run.dispatcher is None:
                from partitioner.dispatch.staticrelay import relay_stdout

                relay_stdout(proc, f"worker-{index}")

    def current(self) -> _Run | None:
        """The run under way (partitioned, not yet stored), if any."""
        return self.runs[-1] if self.runs and not self.runs[-1].done else None

    # -- what the tool stores ----------------------------------------------------------------------

    def inserter(self, inserter: Any) -> Any:
        """The tool's inserter, watched (when a run of ours is under way)."""
        run = self.current()
        if run is None or run.tee is not None:
            return inserter
        return _Tee(inserter, self, run)

    def observe(self, run: _Run, event: Mapping[str, Any]) -> None:
        test_id, status = event.get("test_id"), event.get("test_status")
        if test_id is None or status is None:
            return
        worker = _worker_tag(event.get("test_tags"))
        with run.cond:
            run.routes[test_id] = event.get("route_code")
            if status in FINAL:
                if worker is not None:
                    run.finals[test_id] = worker
                run.running.pop(test_id, None)
            elif status == INPROGRESS and test_id not in run.finals:
                run.running[test_id] = (worker, event.get("route_code"))
        if self._progress is not None:
            self._progress.status(**event)

    def account(self, run: _Run) -> None:
        """Before the tool stores the run: every test it was given that never reported fails, with the reason;
        then the plan record is written beside the run."""
        dispatcher = run.dispatcher
        reasons: dict[str, str] = {}
        holder: dict[str, int] = {}
        if dispatcher is not None:
            if self.signum is not None:
                dispatcher.interrupt(f"the run was interrupted ({signal.Signals(self.signum).name})")
            outcome = dispatcher.outcome()
            reasons = dict(outcome.pending)
            for handout in outcome.handouts:
                holder.update(dict.fromkeys(handout.tests, handout.lane))
        missing = 0
        for index, part in enumerate(run.partitions):
            for test_id in (part if dispatcher is None else ()):
                holder.setdefault(test_id, index)
        planned_ids = [t for part in run.partitions for t in part]
        with run.cond:
            ran = expanded(run.finals)
            left = [t for t in planned_ids if t not in run.finals and t not in ran]
            running = dict(run.running)
        for test_id in left:
            index = holder.get(test_id, 0)
            proc = run.procs.get(index)
            fate = "was never started" if proc is None else describe_exit(proc.poll())
            if test_id in reasons and reasons[test_id].endswith("while this test was running"):
                why = f"lane {index} {fate} while this test was running"  # a lane killed under the tool
            elif test_id in reasons:
                why = reasons[test_id]
            elif self.signum is not None:
                why = (f"interrupted: partitioner exec received {signal.Signals(self.signum).name}, and worker-"
                       f"{index} {fate} before this test reported a result")
            else:
                why = f"worker-{index} {fate}, and this test never reported a result"
            worker, route = running.get(test_id, (None, None))
            started = test_id in running
            assert run.tee is not None
            run.tee.inject(test_id, worker or f"worker-{index}", route if started else str(index), why, started)
            missing += 1
        if missing:
            self.injected += missing
            self.warn(f"{missing} test(s) never reported a result: recorded as failures in the stored run")
        if self._progress is not None:
            self._progress.close()
            self._progress = None
        self._record(run)
        self._close(run)
        run.done = True

    def _record(self, run: _Run) -> None:
        with run.cond:
            placement = dict(run.finals)
        if run.dispatcher is not None and run.queue is not None:
            startup = run.planned.model.startup_s if run.planned is not None else 0.0
            record = dynamic_record(run.queue, run.dispatcher.outcome(), len(run.partitions), run.started_at,
                                    startup)
        elif run.planned is not None:
            record = _static_record(run)
        else:
            return
        write_record(record, placement_key(placement))

    def _close(self, run: _Run) -> None:
        if run.dispatcher is not None:
            run.dispatcher.close()
            os.environ.pop(KEY_ENV, None)

    def _finish_open_runs(self) -> None:
        for run in self.runs:
            self._close(run)

    # -- signals ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def signals(self) -> Iterator[None]:
        """While the tool runs: SIGINT/SIGTERM are passed on to the workers and lanes, and the tool keeps
        reading their streams, so that it stores every result; the third signal stops the tool."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

        def handle(signum: int, frame: types.FrameType | None) -> None:
            self._signals += 1
            if self._signals >= 3:
                for s, handler in previous.items():
                    signal.signal(s, handler)
                raise KeyboardInterrupt
            if self.signum is None:
                self.signum = signum
            run = self.current()
            if run is not None and run.dispatcher is not None:
                run.dispatcher.interrupt(f"the run was interrupted ({signal.Signals(signum).name})")
            for proc in self.children:  # a Ctrl-C reached them too: they count signals that close as one
                if proc.poll() is None:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(proc.pid, signum)

        for s, handler in previous.items():
            if handler is not signal.SIG_IGN:
                signal.signal(s, handle)
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    # -- patching --------------------------------------------------------------------------------

    def install(self, tools: Sequence[str] = ("stestr", "testr")) -> list[str]:
        """Patch the tools (each only when importable); returns which were hooked."""
        hooked = []
        for tool in ("stestr", "testr"):
            if tool not in tools:
                continue
            try:
                patches = _stestr_patches(self) if tool == "stestr" else _testr_patches(self)
            except ImportError:
                continue
            for owner, name, replacement in patches:
                self._originals.append((owner, name, getattr(owner, name)))
                setattr(owner, name, replacement)
            hooked.append(tool)
        return hooked

    def uninstall(self) -> None:
        """Undo the patches and close what is still open."""
        while self._originals:
            owner, name, original = self._originals.pop()
            setattr(owner, name, original)
        self._finish_open_runs()
        if self._progress is not None:
            self._progress.close()
            self._progress = None


def _static_record(run: _Run) -> PlanRecord:
    planned = run.planned
    assert planned is not None
    model = planned.model
    costs = dict(zip(planned.groups.keys, model.group_costs(planned.groups).cost, strict=True))
    tests = {g.key: tuple(g.tests) for g in planned.all_groups}
    order = {min(p.tests): p for p in planned.plan.workers if p.tests}
    lanes: list[list[Queued]] = []
    for part in run.partitions:
        plan_part = order.get(min(part))
        if plan_part is None:
            lanes.append([])
            continue
        lanes.append([(k, costs.get(k, 0.0), tests[k]) for k in plan_part.groups])
    return static_record(lanes, (), model.startup_s)


# -- the patches ---------------------------------------------------------------------------------------


def _stestr_patches(session: Session) -> list[tuple[Any, str, Any]]:
    from stestr import scheduler
    from stestr.repository import abstract
    from stestr.test_processor import TestProcessorFixture

    run_tests = TestProcessorFixture.run_tests
    start = TestProcessorFixture._start_process
    set_up = TestProcessorFixture.setUp
    get_inserter = abstract.AbstractRepository.get_inserter
    current: list[Any] = []

    def partition_tests(test_ids: Sequence[str], concurrency: int, repository: object = None,
                        group_callback: Callable[[str], object] | None = None,
                        randomize: bool = False) -> list[list[str]]:
        fixture = current[-1] if current else None
        why = "a randomized order (--random)" if randomize or getattr(fixture, "randomize", False) else None
        try:
            return session.partition(test_ids, concurrency, repository, group_callback,
                                     getattr(fixture, "cmd", None), why)
        except PartitionerError as exc:
            sys.stderr.write(f"partitioner: error: {exc}\n")
            raise SystemExit(1) from None

    def fixture_run_tests(self: Any) -> Any:
        current.append(self)
        try:
            return run_tests(self)
        finally:
            current.pop()

    def start_process(self: Any, cmd: str) -> Any:
        index = None
        worker = cmd == getattr(self, "cmd", None) and getattr(self, "concurrency", 1) == 1  # not the listing
        if worker:
            cmd, index = session.worker_command(session.current(), self.test_ids, cmd)
        with _static_workers_die_with_us(session, self if worker else None):
            proc = start(self, cmd)
        if worker:
            session.started(session.current(), index, proc)
        return proc

    def inserter(self: Any, *args: Any, **kwargs: Any) -> Any:
        return session.inserter(get_inserter(self, *args, **kwargs))

    def fixture_set_up(self: Any) -> Any:
        if session.shard is None or current:  # a partition's own fixture, or no shard
            return set_up(self)
        return _restricting(session, self, set_up)

    return [(scheduler, "partition_tests", partition_tests), (TestProcessorFixture, "run_tests", fixture_run_tests),
            (TestProcessorFixture, "_start_process", start_process), (TestProcessorFixture, "setUp", fixture_set_up),
            (abstract.AbstractRepository, "get_inserter", inserter)]


@contextlib.contextmanager
def _static_workers_die_with_us(session: Session, owner: Any) -> Iterator[None]:
    """While the tool starts a worker of a static run: the ``preexec_fn`` it passes (``owner._clear_SIGPIPE``,
    stestr's fixture's or testr's UI's) also ties the worker to our process (:mod:`partitioner.run.parentdeath`),
    so that a SIGKILLed ``partitioner exec`` leaves none running. Lanes are left alone: a lane that loses us ends
    its worker itself, cleanly."""
    run = session.current()
    original = getattr(owner, "_clear_SIGPIPE", None)
    preexec = dying_with_us(original)
    if owner is None or original is None or preexec is original or (run is not None and run.dispatcher is not None):
        yield
        return
    own = owner.__dict__.get("_clear_SIGPIPE") if hasattr(owner, "__dict__") else None
    try:
        owner._clear_SIGPIPE = preexec
    except AttributeError:  # a slotted object: start the worker as the tool would
        yield
        return
    try:
        yield
    finally:
        if own is None:
            del owner._clear_SIGPIPE
        else:
            owner._clear_SIGPIPE = own


def _restricting(session: Session, fixture: Any, set_up: Callable[[Any], Any]) -> Any:
    """:meth:`Session.restrict` inside the tool: a bad shard or plan file is one error line and exit 1."""
    try:
        return session.restrict(fixture, set_up)
    except PartitionerError as exc:
        sys.stderr.write(f"partitioner: error: {exc}\n")
        raise SystemExit(exc.exit_code) from None


def _testr_patches(session: Session) -> list[tuple[Any, str, Any]]:
    from testrepository import repository
    from testrepository.testcommand import TestListingFixture

    run_tests = TestListingFixture.run_tests
    set_up = TestListingFixture.setUp
    get_inserter = repository.AbstractRepository.get_inserter
    current: list[Any] = []

    def per_instance(fixture: Any) -> bool:
        parser = getattr(fixture, "_parser", None)
        return fixture._instance_source is not None and parser is not None and \
            parser.has_option("DEFAULT", "instance_execute")

    def partition_tests(self: Any, test_ids: Sequence[str], concurrency: int) -> list[list[str]]:
        why = "instance_execute (testr's per-instance commands)" if per_instance(self) else None
        try:
            return session.partition(test_ids, concurrency, self.repository, self._group_callback,
                                     getattr(self, "cmd", None), why)
        except PartitionerError as exc:
            sys.stderr.write(f"partitioner: error: {exc}\n")
            raise SystemExit(1) from None

    def fixture_run_tests(self: Any) -> Any:
        index = None
        run = session.current()
        if self.concurrency == 1 and self.test_ids and not per_instance(self):
            self.cmd, index = session.worker_command(run, self.test_ids, self.cmd)
        current.append(self)
        try:
            with _static_workers_die_with_us(session, getattr(self, "ui", None) if self.concurrency == 1 else None):
                procs = run_tests(self)
        finally:
            current.pop()
        if self.concurrency == 1 and procs:  # a partition's worker, or the one test command (our runner?)
            session.started(run, index, procs[0])
        return procs

    def inserter(self: Any, *args: Any, **kwargs: Any) -> Any:
        return session.inserter(get_inserter(self, *args, **kwargs))

    def fixture_set_up(self: Any) -> Any:
        if session.shard is None or current:  # a partition's own fixture, or no shard
            return set_up(self)
        return _restricting(session, self, set_up)

    return [(TestListingFixture, "partition_tests", partition_tests), (TestListingFixture, "run_tests",
                                                                        fixture_run_tests),
            (TestListingFixture, "setUp", fixture_set_up), (repository.AbstractRepository, "get_inserter", inserter)]
