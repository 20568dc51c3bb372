"""The plan records the runner and ``partitioner exec`` write beside a run (:mod:`partitioner.history.planrecord`).

A static record is the plan: each worker's groups in run order, priced by the cost model, with predicted
start and stop times (start-up first, the serial phase after the longest worker, on ``worker-0`` where the
runner runs it). A dynamic record is the hand-out log: each lane's groups in the order it took them, with
the times it took and returned them, each priced as the queued items it held (:func:`handout_costs`: a batch
of a suite split per test costs the sum of its tests). Either is keyed by where the tests actually ran and
when the first of them started (:func:`placement_key`; :meth:`FirstStarts.key` takes the first start from the
events streamed by).

:func:`write_aside` writes a record from a forked child, so that the tool stores its run meanwhile: on a suite of
18,000 tests split per test, pricing, keying and encoding the record took 0.3-0.5 s of the tool's process right
before it stored the run.
"""

from __future__ import annotations

import datetime
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import testtools

from partitioner.history.planrecord import (
    FORMAT_VERSION,
    PlannedGroup,
    PlannedLane,
    PlanRecord,
    keyed,
    run_key,
    stamp_us,
)
from partitioner.statuses import FINAL, INPROGRESS

if TYPE_CHECKING:  # a static run (most runs of exec) needs neither the queue nor the dispatcher's state
    from partitioner.dispatch.queue import Queue
    from partitioner.dispatch.state import Outcome

#: a group as the plan prices it: (key, predicted seconds, test ids)
Queued = tuple[str, float, tuple[str, ...]]


def placement_key(placement: Mapping[str, int | str], first_start: int | None = None) -> str:
    """The run key of tests placed on workers (test id -> worker index, or its ``worker-N`` tag) whose first
    started at ``first_start`` (epoch microseconds, :meth:`FirstStarts.of`; ``None``: the placement's key alone,
    for a stream without timestamps). A writer keys its record with :meth:`FirstStarts.key`."""
    return run_key((((w if isinstance(w, str) else f"worker-{w}"), t) for t, w in placement.items()), first_start)


class FirstStarts(testtools.StreamResult):
    """Each test's start in the stream the tool stores, as it goes by: the writer's side of a run's first start.

    The history reader (testtools' ``StreamToDict``) makes a record of the events of one ``(test id, route)``
    up to a status other than ``inprogress``, and takes its start from the first of them: an ``exists`` event
    a worker sends before it runs the test is a record of its own, not the start. The same here: a test's start
    is the first timestamp of its first record that ends in a final status.
    """

    def __init__(self) -> None:
        super().__init__()
        self._open: dict[tuple[str, str | None], datetime.datetime | None] = {}
        self._first: dict[str, datetime.datetime] = {}

    def note(self, test_id: str | None, test_status: str | None, route_code: str | None,
             timestamp: datetime.datetime | None) -> None:
        """One event's test id, status, route and timestamp (any may be ``None``)."""
        if test_id is None:
            return
        key = (test_id, route_code)
        began = self._open.setdefault(key, timestamp)  # one call each: reader threads may call at once
        if test_status is not None and test_status != INPROGRESS:
            self._open.pop(key, None)
            if test_status in FINAL and began is not None:
                self._first.setdefault(test_id, began)

    def status(self, test_id: str | None = None, test_status: str | None = None,
               test_tags: set[str] | None = None, runnable: bool = True, file_name: str | None = None,
               file_bytes: bytes | None = None, eof: bool = False, mime_type: str | None = None,
               route_code: str | None = None, timestamp: datetime.datetime | None = None) -> None:
        self.note(test_id, test_status, route_code, timestamp)

    def of(self, placed: Iterable[str]) -> int | None:
        """The first start of the keyed tests among ``placed`` (the ids a run placed on workers), in epoch
        microseconds, for :func:`placement_key`; ``None`` when none of them carried a timestamp."""
        first = self._first
        stamps = [stamp_us(first[t]) for t in placed if t in first and keyed(t)]
        return min(stamps, default=None)

    def key(self, placement: Mapping[str, int | str]) -> str:
        """The key a run's plan record is written under: where its tests ran (test id -> worker index, or its
        ``worker-N`` tag) and when the first of them started (:meth:`of`); the placement's key alone when none of
        them carried a timestamp. The reader computes the same from the stored run
        (:func:`partitioner.history.planrecord.own_key`)."""
        return placement_key(placement, self.of(placement))


def static_record(lanes: Sequence[Sequence[Queued]], serial: Sequence[Queued] = (), startup_s: float = 0.0,
                  serial_worker: int = 0, unit: str | None = None) -> PlanRecord:
    """The record of a static plan: per worker its groups with predicted start and stop.

    :param lanes: per worker, its groups in run order
    :param serial: the serial phase's groups (they run after every worker, on ``serial_worker``)
    :param startup_s: each worker's predicted start-up before its first group
    :param unit: what the costs are in (the cost model's ``unit``: seconds, or test-count units without
        history); ``None`` leaves it to the reader to infer
    """
    rows: list[list[PlannedGroup]] = []
    ends = []
    for groups in lanes:
        clock = startup_s if groups else 0.0
        row = []
        for key, cost, tests in groups:
            row.append(PlannedGroup(key, tuple(tests), cost, clock, clock + cost))
            clock += cost
        rows.append(row)
        ends.append(clock)
    clock = max(ends, default=0.0)
    if serial:
        clock += startup_s
        while len(rows) <= serial_worker:
            rows.append([])
        for key, cost, tests in serial:
            rows[serial_worker].append(PlannedGroup(key, tuple(tests), cost, clock, clock + cost))
            clock += cost
    makespan = clock if serial else max(ends, default=0.0)
    return PlanRecord(FORMAT_VERSION, "static", len(lanes), makespan,
                      tuple(PlannedLane(f"worker-{i}", tuple(row)) for i, row in enumerate(rows)), unit)


def dynamic_record(queue: Queue, outcome: Outcome, lanes: int, started_at: float,
                   startup_s: float = 0.0, unit: str | None = None) -> PlanRecord:
    """The record of a dynamic run: per lane the groups it took, in order, with hand-out and return times.

    Each hand-out is priced by :func:`handout_costs` (a batch by the sum of its items), so a lane's groups add up
    to what the cost model predicted for the work it was handed.

    :param queue: the queue as planned (not :meth:`~partitioner.dispatch.queue.Queue.batched`: the dispatcher
        batches it itself)

    :param started_at: the dispatcher clock when the run started (times are seconds after it)
    :param startup_s: the cost model's start-up, for the simulated (predicted) makespan
    :param unit: what the queue's costs are in (the cost model's ``unit``); ``None`` leaves it to the reader
    """
    cost = handout_costs(queue)
    rows: dict[int, list[PlannedGroup]] = {}
    for handout in outcome.handouts:
        stop = None if handout.ended_at is None else handout.ended_at - started_at
        rows.setdefault(handout.lane, []).append(PlannedGroup(
            handout.key, handout.tests, cost(handout.tests), handout.handed_at - started_at, stop))
    from partitioner.dispatch.simulate import simulate

    predicted = simulate(queue, max(1, lanes), startup_s=startup_s).makespan_s
    return PlanRecord(FORMAT_VERSION, "dynamic", lanes, predicted,
                      tuple(PlannedLane(f"worker-{i}", tuple(rows.get(i, ()))) for i in range(lanes)), unit)


def handout_costs(queue: Queue) -> Callable[[Sequence[str]], float]:
    """What a hand-out of ``queue`` was predicted to cost, from the ids it held: the summed cost of the queued
    items it holds tests of.

    The dispatcher does not hand out ``queue``'s items one by one: a suite split per test is handed out in
    batches of consecutive items (:meth:`~partitioner.dispatch.queue.Queue.batched`), keyed ``"X (+311 groups)"``,
    which no item of ``queue`` is; a retry holds only the tests of its item that had not started. Every id
    belongs to one item, so a hand-out's ids name the items it is made of: a batch costs the sum of its items,
    an item (or its retry) its own cost. Ids the queue does not hold cost nothing.
    """
    item_of: dict[str, tuple[bool, str]] = {}
    costs: dict[tuple[bool, str], float] = {}
    for item in queue.all_items():
        slot = (item.serial, item.key)
        costs[slot] = item.cost
        for test_id in item.tests:
            item_of[test_id] = slot

    def cost(tests: Sequence[str]) -> float:
        slots = dict.fromkeys(item_of[t] for t in tests if t in item_of)  # in order: the same sum every time
        return sum(costs[slot] for slot in slots)

    return cost


#: seconds a record-writing child may take before SIGALRM ends it (it never outlives a wedge)
ASIDE_LIMIT_S = 120


def write_aside(work: Callable[[], None]) -> int | None:
    """Run ``work`` (writing a plan record) in a forked child; the parent goes on at once.

    Forks only where it is safe: a platform with ``fork`` and a process with no other Python thread (no lock
    can be held by a thread the child lacks). The child ignores SIGINT (the record of an interrupted run is
    still written), ends by SIGALRM after :data:`ASIDE_LIMIT_S`, writes nothing to stdout or stderr and leaves
    by ``os._exit`` (no atexit handler, no flush of the parent's buffers).

    :returns: the child's pid for :func:`wait_aside`, or ``None`` when it did not fork: ``work`` has not run
    """
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return None
    try:
        pid = os.fork()
    except OSError:
        return None
    if pid:
        return pid
    status = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.alarm(ASIDE_LIMIT_S)
        work()
        status = 0
    finally:
        os._exit(status)


def wait_aside(pid: int, timeout_s: float) -> bool:
    """Reap the child :func:`write_aside` started, waiting at most ``timeout_s``; ``False``: still running (it is
    left to finish on its own)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # reaped already
            return True
        if done:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)


def queued_groups(shares: Iterable[Iterable[str]]) -> list[Queued]:
    """Groups for tests a planner gave without groups: consecutive tests of one class, unpriced."""
    from partitioner.testids import class_key

    out: list[Queued] = []
    taken: set[str] = set()

    def add(klass: str, tests: list[str]) -> None:
        key, n = klass, 2
        while key in taken:
            key, n = f"{klass}#{n}", n + 1
        taken.add(key)
        out.append((key, 0.0, tuple(tests)))

    for share in shares:
        current: list[str] = []
        klass = ""
        for test_id in share:
            this = class_key(test_id)
            if current and this != klass:
                add(klass, current)
                current = []
            klass = this
            current.append(test_id)
        if current:
            add(klass, current)
    return out
