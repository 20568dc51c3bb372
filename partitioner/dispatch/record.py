"""The plan records the runner and ``partitioner exec`` write beside a run (:mod:`partitioner.history.planrecord`).

A static record is the plan: each worker's groups in run order, priced by the cost model, with predicted
start and stop times (start-up first, the serial phase after the longest worker, on ``worker-0`` where the
runner runs it). A dynamic record is the hand-out log: each lane's groups in the order it took them, with
the times it took and returned them. Either is keyed by where the tests actually ran (:func:`placement_key`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from partitioner.dispatch.queue import Queue
from partitioner.dispatch.simulate import simulate
from partitioner.dispatch.state import Outcome
from partitioner.history.planrecord import FORMAT_VERSION, PlannedGroup, PlannedLane, PlanRecord, run_key

#: a group as the plan prices it: (key, predicted seconds, test ids)
Queued = tuple[str, float, tuple[str, ...]]


def placement_key(placement: Mapping[str, int | str]) -> str:
    """The run key of tests placed on workers (test id -> worker index, or its ``worker-N`` tag)."""
    return run_key(((w if isinstance(w, str) else f"worker-{w}"), t) for t, w in placement.items())


def static_record(lanes: Sequence[Sequence[Queued]], serial: Sequence[Queued] = (), startup_s: float = 0.0,
                  serial_worker: int = 0) -> PlanRecord:
    """The record of a static plan: per worker its groups with predicted start and stop.

    :param lanes: per worker, its groups in run order
    :param serial: the serial phase's groups (they run after every worker, on ``serial_worker``)
    :param startup_s: each worker's predicted start-up before its first group
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
                      tuple(PlannedLane(f"worker-{i}", tuple(row)) for i, row in enumerate(rows)))


def dynamic_record(queue: Queue, outcome: Outcome, lanes: int, started_at: float,
                   startup_s: float = 0.0) -> PlanRecord:
    """The record of a dynamic run: per lane the groups it took, in order, with hand-out and return times.

    :param started_at: the dispatcher clock when the run started (times are seconds after it)
    :param startup_s: the cost model's start-up, for the simulated (predicted) makespan
    """
    cost = {(item.serial, item.key): item.cost for item in queue.all_items()}
    rows: dict[int, list[PlannedGroup]] = {}
    for handout in outcome.handouts:
        stop = None if handout.ended_at is None else handout.ended_at - started_at
        rows.setdefault(handout.lane, []).append(PlannedGroup(
            handout.key, handout.tests, cost.get((handout.serial, handout.key), 0.0),
            handout.handed_at - started_at, stop))
    predicted = simulate(queue, max(1, lanes), startup_s=startup_s).makespan_s
    return PlanRecord(FORMAT_VERSION, "dynamic", lanes, predicted,
                      tuple(PlannedLane(f"worker-{i}", tuple(rows.get(i, ()))) for i in range(lanes)))


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
