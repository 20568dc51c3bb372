"""One run of the tool under ``partitioner exec``, as :class:`partitioner.dispatch.tools.Session` keeps it: its
partitions, workers and dispatcher (:class:`ToolRun`), the tool's inserter watched (:class:`Tee`: every event goes
on unchanged, the session sees it, notes each test's start for the plan record's key (:attr:`ToolRun.starts`,
``dispatch.record.FirstStarts.key``), and before the tool stores the run the session accounts for every test), and
the plan record of a static run (:func:`plan_record`).

The tests partitioner records as failed because they did not run to their end (never started, cut short by a signal,
on a worker that died, or stopped by a Ctrl-C in their own process: :func:`~partitioner.statuses.unfinished`) keep
the time the tool stored for them before (:meth:`Tee._times_kept`). The tool's inserter times every test whose
result has a start and an end, so a ``timeout`` that left 110 tests unstarted wrote 0 s for each into ``times.dbm``,
and plain ``stestr run --failing`` then put 114 of 115 tests on one worker. Plain stestr stores nothing of a run it
was interrupted in, and no time for a test its dead worker never ended.

After a signal, the tool's console leaves out the tests the signal kept from starting (:class:`Console`): the
stored run has each as a failure, ``not run: the run was interrupted (SIGINT) before this test started; ...``
(the lanes', the queue's and the account's), but the console printed a block for each, twice with stestr's
subunit-trace (as it came, and under "Failed N tests"): about 36,000 lines for a ``timeout`` three seconds into
python-novaclient's 3,659 tests, where plain stestr prints the running tests' ``KeyboardInterrupt`` and a summary.
The tool copies every event to its inserter (our :class:`Tee`) and to its console-facing result, the other targets
of the ``testtools.CopyStreamResult`` it stores through (stestr's and testr's ``load`` alike); :func:`find_outer`
puts a :class:`Console` in front of those, so what the inserter gets, and the stored run, is unchanged. Only a
``--subunit`` output (``subunit.StreamResultToBytes``, a copy of the run for another program) keeps them. exec's
account line says how many the console left out (:func:`partitioner.dispatch.toolaccount.warning`).
"""

from __future__ import annotations

import contextlib
import datetime
import os
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from partitioner.statuses import INPROGRESS, reason_line, unfinished

if TYPE_CHECKING:  # only a dynamic run has them: a static run's process does not import them
    from partitioner.dispatch.preload import Started
    from partitioner.dispatch.queue import Queue
    from partitioner.dispatch.record import FirstStarts, Queued
    from partitioner.dispatch.server import Dispatcher
    from partitioner.history.planrecord import PlanRecord
    from partitioner.pipeline import Planned  # (nor the planner, until the tool lists its tests)

#: what StreamResult.status takes, in order (a call may pass them by position)
FIELDS = ("test_id", "test_status", "test_tags", "runnable", "file_name", "file_bytes", "eof", "mime_type",
           "route_code", "timestamp")
_TEXT = "text/plain;charset=utf8"


def _tool_key(test_id: str) -> str:
    """``test_id`` as stestr keys its ``times.dbm`` (``stestr.utils.cleanup_test_name``: the first ``[...]``
    dropped); testr keys it by the id itself."""
    start, end = test_id.find("["), test_id.find("]")
    return test_id[:start] + test_id[end + 1:] if 0 < start < end else test_id


def worker_tag(tags: object) -> str | None:
    """The ``worker-N`` tag of an event (the highest-numbered, as the history reader takes it)."""
    best: str | None = None
    for tag in tags or ():  # type: ignore[attr-defined]
        if isinstance(tag, str) and tag.startswith("worker-") and \
                (best is None or (len(tag), tag) > (len(best), best)):
            best = tag
    return best


class Watcher(Protocol):
    """**Protocol:** what a :class:`Tee` reports to (the session)."""

    #: when the first signal came (epoch seconds), or None: the tool's :class:`Console` holds tests back after it
    signalled_at: float | None

    def observe(self, run: ToolRun, event: Mapping[str, Any]) -> None: ...

    def account(self, run: ToolRun) -> None: ...


@dataclass
class ToolRun:
    """One run of the tool: its partitions, workers, dispatcher, and what its stored stream holds so far."""

    partitions: list[tuple[str, ...]]
    planned: Planned | None
    dispatcher: Dispatcher | None = None
    #: the process that loads the suite once and forks the lanes' workers, while they run
    preloader: Started | None = None
    queue: Queue | None = None
    started_at: float = field(default_factory=time.monotonic)
    index: dict[str, int] = field(default_factory=dict)
    procs: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    finals: dict[str, str] = field(default_factory=dict)
    running: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    tee: Tee | None = None
    #: each test's first timestamp in the stream the tool stores (its :class:`Tee` notes them)
    starts: FirstStarts | None = None
    done: bool = False

    def __post_init__(self) -> None:
        self.index = {min(p): i for i, p in enumerate(self.partitions) if p}

    def lane_of(self, test_ids: Sequence[str] | None) -> int | None:
        return self.index.get(min(test_ids)) if test_ids else None

    def close(self) -> None:
        """Stop the run's preloader and its dispatcher, if it has them, and take their variables out of
        ``os.environ`` (the next run's workers must not find them)."""
        if self.preloader is not None:
            from partitioner.dispatch.spawn import PRELOAD_ENV

            self.preloader.stop()
            self.preloader = None
            os.environ.pop(PRELOAD_ENV, None)
        if self.dispatcher is not None:
            from partitioner.dispatch.protocol import KEY_ENV

            self.dispatcher.close()
            os.environ.pop(KEY_ENV, None)


class Tee:
    """The tool's inserter, watched: every event goes on unchanged, and the session sees it too.

    What :meth:`inject` writes goes through the tool's whole result (:attr:`outer`, when :func:`find_outer`
    found it), so the tool's console reports those tests as the stored run has them; written to the inserter
    alone, the console counted fewer tests than the stored run and called a test cut off by a Ctrl-C one that
    "likely segfaulted or crashed Python".
    """

    def __init__(self, inserter: Any, session: Watcher, run: ToolRun) -> None:
        self._inserter = inserter
        self._session = session
        self._run = run
        self._lock = threading.RLock()
        #: the tool's result that copies each event to this inserter and to the tool's console
        #: (``testtools.CopyStreamResult([inserter, output])``, stestr's and testr's alike), once it started
        self.outer: Any = None
        run.tee = self
        from partitioner.dispatch.record import FirstStarts  # loaded with the planner, before the tool stores

        self._starts = run.starts = FirstStarts()
        #: the tests whose failure says they did not run to their end (:func:`~partitioner.statuses.unfinished`)
        self._unrun: set[str] = set()
        #: a test's ``reason`` and ``traceback`` attachments until its result (they may come in events before it)
        self._texts: dict[str, dict[str, bytes]] = {}
        #: the tool's console-facing results, each behind a :class:`Console` (:func:`find_outer`)
        self.consoles: list[Console] = []

    def startTestRun(self) -> Any:
        return self._inserter.startTestRun()

    def status(self, *args: Any, **kwargs: Any) -> None:
        event = kwargs
        if args:  # testtools passes keywords; a caller may pass them by position
            event = dict(zip(FIELDS, args, strict=False))
            event.update(kwargs)
        with self._lock:
            self._inserter.status(**event)
            self._starts.note(event.get("test_id"), event.get("test_status"), event.get("route_code"),
                              event.get("timestamp"))
            self._note_unrun(event)
        self._session.observe(self._run, event)

    def _note_unrun(self, event: Mapping[str, Any]) -> None:
        """Note a test whose failure says it did not run to its end (:func:`~partitioner.statuses.unfinished`), from
        its attachments."""
        test_id, name, status = event.get("test_id"), event.get("file_name"), event.get("test_status")
        if test_id is None:
            return
        data = event.get("file_bytes")  # a memoryview from the tool's subunit parser
        if name in ("reason", "traceback") and isinstance(data, (bytes, bytearray, memoryview)) and data:
            texts = self._texts.setdefault(test_id, {})
            texts[name] = texts.get(name, b"") + bytes(data)
        if status is None or status in ("exists", INPROGRESS):
            return
        got = {k: v.decode("utf-8", "replace") for k, v in self._texts.pop(test_id, {}).items()}
        if status == "fail" and unfinished(reason_line(got.get("reason", ""), got.get("traceback", ""))):
            self._unrun.add(test_id)
        elif self._unrun:
            self._unrun.discard(test_id)

    def unfinished(self, test_id: str) -> bool:
        """Whether the last result of ``test_id`` written so far is a failure whose reason, else traceback, says it
        did not run to its end (:func:`~partitioner.statuses.unfinished`: its own process's ``KeyboardInterrupt``,
        or partitioner's reasons), from its attachments, which may come in events before its status (exec's account
        after a signal tells a test the signal cut short from one that failed of itself just before it)."""
        return test_id in self._unrun

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
        target = self.outer if self.outer is not None else self  # the console counts them too, as stored
        for event in events:
            target.status(**event)

    def stopTestRun(self) -> Any:
        with contextlib.suppress(Exception):  # the account must never keep the tool from storing the run
            self._session.account(self._run)
        with self._times_kept():
            return self._inserter.stopTestRun()

    @contextlib.contextmanager
    def _times_kept(self) -> Iterator[None]:
        """While the tool stores the run: the tests that did not run to their end are left out of the times it
        writes to ``times.dbm`` (see the module docstring), so that file keeps what an earlier run measured.

        stestr's and testrepository's inserters (stestr 2.6-4.x, testrepository 0.0.20-0.0.22 alike) time each
        test as it ends (``_handle_test`` into ``_times``) and write ``_times`` as they store the run; storing it
        they also write the ``failing`` file through a second inserter of the same kind, which times the failures
        again. So the tests are taken out of this inserter's ``_times``, and the class's ``_handle_test`` skips
        them until the run is stored. An inserter without these stores as it would.
        """
        times = getattr(self._inserter, "_times", None)
        owner = next((k for k in type(self._inserter).__mro__ if "_handle_test" in vars(k)), None)
        if not self._unrun or not isinstance(times, dict) or owner is None:
            yield
            return
        unrun = {*self._unrun, *(_tool_key(t) for t in self._unrun)}
        with self._lock:
            for key in unrun:
                times.pop(key, None)
        handle = vars(owner)["_handle_test"]

        def kept(inserter: Any, test_dict: Mapping[str, Any]) -> Any:
            return None if test_dict.get("id") in unrun else handle(inserter, test_dict)

        setattr(owner, "_handle_test", kept)  # noqa: B010 - the tool's class, for this store only
        try:
            yield
        finally:
            setattr(owner, "_handle_test", handle)  # noqa: B010

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inserter, name)


class Console:
    """One of the tool's console-facing results, fed as the tool feeds it, except that after the signal a test the
    signal kept from starting never reaches it (see the module docstring).

    Before the signal every event goes straight on. After it, a test's events are held from its first until its
    final status, and dropped when that says it never started (:func:`partitioner.dispatch.toolaccount.unstarted`,
    as exec's account counts it) and the console has not seen its start; else they go on in order. What is still
    held when the run ends goes on then.

    :ivar hidden: how many tests were left out
    """

    def __init__(self, target: Any, watcher: Watcher) -> None:
        self._target = target
        self._watcher = watcher
        #: (test id, route) -> its events since the signal, until its final status
        self._held: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
        self.hidden = 0

    def status(self, **event: Any) -> None:
        test_id, status = event.get("test_id"), event.get("test_status")
        since = self._watcher.signalled_at
        if test_id is None or since is None:  # nothing is held before the signal
            self._target.status(**event)
            return
        key = (test_id, event.get("route_code"))
        held = self._held.setdefault(key, [])
        held.append(event)
        if status is None or status in ("exists", INPROGRESS):
            return
        del self._held[key]
        if status == "fail" and any(e.get("test_status") == INPROGRESS for e in held):
            from partitioner.dispatch.toolaccount import failure, unstarted  # loaded by the session already

            if unstarted(failure(event), since):
                self.hidden += 1
                return
        for one in held:
            self._target.status(**one)

    def stopTestRun(self) -> Any:
        held, self._held = self._held, {}
        for events in held.values():  # a test with no final status: the console says what it would
            for one in events:
                self._target.status(**one)
        return self._target.stopTestRun()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


def find_outer(start_test_run: Any) -> Any:
    """``testtools.CopyStreamResult.startTestRun``, made to tell a :class:`Tee` among its targets that it is the
    tool's whole result (:attr:`Tee.outer`), and to put a :class:`Console` in front of each other target but a
    ``--subunit`` output (:attr:`Tee.consoles`)."""

    def started(copy: Any, *args: Any, **kwargs: Any) -> Any:
        targets = list(getattr(copy, "targets", ()))
        tee = next((t for t in targets if isinstance(t, Tee) and t.outer is None), None)
        if tee is not None:
            from subunit import StreamResultToBytes  # the tool's: it reads its workers' streams with it

            tee.outer = copy
            tee.consoles = [Console(t, tee._session) for t in targets
                            if not isinstance(t, (Tee, Console, StreamResultToBytes))]
            consoles = iter(tee.consoles)
            copy.targets = [t if isinstance(t, (Tee, Console, StreamResultToBytes)) else next(consoles)
                            for t in targets]
        return start_test_run(copy, *args, **kwargs)

    return started


def plan_record(run: ToolRun) -> PlanRecord:
    """The plan record of a static run: each partition's planned groups, in plan order."""
    from partitioner.dispatch.record import static_record  # loaded with the planner (dispatch.tools.PLANNER)

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
    return static_record(lanes, (), model.startup_s, unit=model.unit)
