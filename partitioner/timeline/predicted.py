"""Predicted lanes: what a plan (or a dispatcher's hand-out order) says each worker will run, and when.

Pure. An assignment (worker -> test ids in run order: a plan's partitions, or the groups a dispatcher handed
each lane) is priced by a cost model (:class:`Costs`; a :class:`~partitioner.estimate.CostModel` is one):
start-up and the first class's setup as the lane's lead-in, then each test's estimate, and a class's setup
estimate at each class change -- so a plan's lane finishes at its partition's ``predicted_s``. Dynamic
dispatch's expected timeline (:func:`partitioner.dispatch.simulate.simulate`) is priced the same way from the
moment each group is handed out (:func:`simulated_lanes`), and a plan recorded beside a run
(:func:`recorded_lanes`) is drawn one bar per group. The lanes are
:class:`~partitioner.timeline.model.Lane` values of kind ``predicted``, drawn by the same page as a run's.

A cost model without timing history prices in test-count units, not seconds (its ``unit``); the lanes it
prices carry that unit, so the page and the command's summary say "units" where they would say seconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from partitioner import testids
from partitioner.costmodel import SECONDS
from partitioner.dispatch.queue import Queue
from partitioner.dispatch.simulate import Timeline as Expected
from partitioner.plan import Plan
from partitioner.timeline.model import Bar, Gap, Lane, Timeline, worker_order

__all__ = [
    "SERIAL_LANE",
    "Costs",
    "RecordedPlan",
    "dispatch_assignment",
    "lane_costs",
    "plan_assignment",
    "plan_lanes",
    "plan_timeline",
    "plan_title",
    "predicted_lanes",
    "recorded_lanes",
    "reidle",
    "simulated_lanes",
    "unit_of",
    "unpriced_batches",
]

#: the name of the predicted lane of a plan's serial phase (it starts when the parallel phase ends)
SERIAL_LANE = "serial"


class _HasSeconds(Protocol):
    @property
    def seconds(self) -> float: ...


class Costs(Protocol):
    """What predicted lanes are priced with (a :class:`~partitioner.estimate.CostModel` is one)."""

    @property
    def startup_s(self) -> float: ...

    def test(self, test_id: str) -> _HasSeconds: ...

    def class_setup(self, klass: str) -> _HasSeconds: ...


def unit_of(costs: object) -> str:
    """What ``costs`` (a cost model, a recorded plan) prices in: its ``unit`` (a
    :class:`~partitioner.estimate.CostModel`'s is test-count units when it has no history), seconds for a
    double that has none."""
    unit = getattr(costs, "unit", SECONDS)
    return unit if isinstance(unit, str) else SECONDS


#: one lane's work: ``(hand-out time or None, test ids)`` per segment; ``None`` continues where the lane is
_Segments = Sequence[tuple[float | None, Sequence[str]]]


def _priced(worker: str, segments: _Segments, costs: Costs, origin: float, startup: float
            ) -> tuple[str, tuple[Bar, ...], tuple[Gap, ...], float]:
    """One lane priced by ``costs``: ``(worker, bars, gaps, finish)``.

    The lane starts at ``origin``; its lead-in runs to the first test (``startup`` and the first class's
    setup, after any wait for the first hand-out). A class's setup is charged at each class change, and at
    the start of every handed-out segment (a dispatcher's group pays its setup wherever it lands).
    """
    clock = origin
    bars: list[Bar] = []
    gaps: list[Gap] = []
    current: str | None = None
    for handed_out, tests in segments:
        fresh = handed_out is not None
        if handed_out is not None and handed_out > clock:
            clock = handed_out
        for test_id in tests:
            klass = testids.class_key(test_id)
            if klass != current or fresh:
                setup = costs.class_setup(klass).seconds
                if current is None:
                    end = clock + startup + setup
                    if end > origin:
                        gaps.append(Gap("lead-in", klass, "", origin, end))
                    clock = end
                elif setup > 0.0:
                    gaps.append(Gap("setup", klass, current, clock, clock + setup))
                    clock += setup
                current, fresh = klass, False
            seconds = max(0.0, costs.test(test_id).seconds)
            bars.append(Bar(test_id, "predicted", clock, clock + seconds, worker))
            clock += seconds
    return worker, tuple(bars), tuple(gaps), clock


def _lanes(built: Sequence[tuple[str, tuple[Bar, ...], tuple[Gap, ...], float]], section: str,
           unit: str) -> tuple[Lane, ...]:
    """Lanes of kind ``predicted``, each idle tail measured to the latest finish among them."""
    end = max((finish for *_, finish in built), default=0.0)
    return tuple(Lane(w, "predicted", bars, gaps, finish, end - finish, section, unit)
                 for w, bars, gaps, finish in built)


def predicted_lanes(assignment: Iterable[tuple[str, Sequence[str]]], costs: Costs,
                    offsets: Mapping[str, float] | None = None, section: str = "") -> tuple[Lane, ...]:
    """Price an assignment of tests to lanes with a cost model.

    :param assignment: ``(worker, test ids in run order)`` per lane (:func:`plan_assignment`,
        :func:`dispatch_assignment`)
    :param costs: the cost model (start-up, per-test and per-class estimates)
    :param offsets: seconds from the origin at which a lane starts (default 0; a serial phase starts when
        the parallel one ends)
    :param section: the lanes' section (see :attr:`~partitioner.timeline.model.Lane.section`)
    :returns: one predicted lane per entry, in the given order, in the cost model's unit
        (:func:`unit_of`); each lane's ``idle`` is measured to the latest predicted finish
    """
    built = [_priced(worker, [(None, tests)], costs, (offsets or {}).get(worker, 0.0), costs.startup_s)
             for worker, tests in assignment]
    return _lanes(built, section, unit_of(costs))


def simulated_lanes(expected: Expected, queue: Queue, costs: Costs, section: str = "") -> tuple[Lane, ...]:
    """The lanes dynamic dispatch is expected to run: each group of :func:`~partitioner.dispatch.simulate.simulate`'s
    list schedule priced from the moment it is handed out, its serial items on a :data:`SERIAL_LANE` lane.

    :param expected: the simulation of ``queue`` (its lanes are ``worker-0``, ``worker-1``, ... as the
        dispatcher's lanes are tagged)
    :param queue: the queue simulated (the tests of each group)
    :param costs: the cost model the queue was priced with; ``expected`` should have been simulated with its
        ``startup_s``, which the first hand-out's time then holds
    :returns: a lane per simulated lane, then the serial lane when there are serial items
    """
    tests = {(item.serial, item.key): item.tests for item in queue.all_items()}
    built = []
    serial: list[tuple[float | None, Sequence[str]]] = []
    for index, row in enumerate(expected.lanes):
        built.append(_priced(f"worker-{index}", [(s.start_s, tests[(False, s.key)]) for s in row if not s.serial],
                             costs, 0.0, 0.0))
        serial += [(s.start_s, tests[(True, s.key)]) for s in row if s.serial]
    if serial:
        serial.sort(key=lambda segment: segment[0] or 0.0)
        built.append(_priced(SERIAL_LANE, serial, costs, serial[0][0] or 0.0, 0.0))
    return _lanes(built, section, unit_of(costs))


class RecordedGroup(Protocol):
    """**Protocol:** one group of a plan recorded beside a run (``history.planrecord.PlannedGroup``)."""

    @property
    def key(self) -> str: ...

    @property
    def tests(self) -> Sequence[str]: ...

    @property
    def predicted_s(self) -> float: ...

    @property
    def start_s(self) -> float | None: ...

    @property
    def stop_s(self) -> float | None: ...


class RecordedLane(Protocol):
    """**Protocol:** one worker of a recorded plan (``history.planrecord.PlannedLane``)."""

    @property
    def worker(self) -> str: ...

    @property
    def groups(self) -> Sequence[RecordedGroup]: ...


class RecordedPlan(Protocol):
    """**Protocol:** a plan recorded beside a run (``history.planrecord.PlanRecord``): the static plan, or
    what each lane of a dynamic run was handed, with each group's predicted seconds."""

    @property
    def dispatch(self) -> str: ...

    @property
    def workers(self) -> Sequence[RecordedLane]: ...


def _group_label(group: RecordedGroup) -> str:
    """A group bar's id: the test itself for a one-test group, else the key and how many tests it holds."""
    return group.tests[0] if len(group.tests) == 1 else f"{group.key} ({len(group.tests)} tests)"


#: the key the dispatcher gives a batch of a suite split per test (``Queue.batched``: first item, how many more)
_BATCH_KEY = re.compile(r" \(\+\d+ groups\)$")


def unpriced_batches(record: RecordedPlan) -> int:
    """How many hand-outs of a dynamic record are batches priced at nothing: a record written before records
    priced batches (a suite split per test is handed out in batches keyed ``"X (+311 groups)"``, and each got
    ``predicted_s`` 0). Such a record's lanes would show a fraction of the prediction (1.2 s for 24.7 s); its
    batches' costs are not in it, so it cannot be drawn. 0 for a static record and for one whose batches are
    priced.
    """
    if record.dispatch != "dynamic":
        return 0
    return sum(1 for lane in record.workers for group in lane.groups
               if len(group.tests) > 1 and _BATCH_KEY.search(group.key) and not group.predicted_s > 0.0)


def recorded_lanes(record: RecordedPlan, section: str = "", unit: str | None = None) -> tuple[Lane, ...]:
    """A recorded plan's lanes, one bar per group (a record keeps each group's prediction, not each test's).

    A static plan's group is drawn where the plan put it (its ``start_s``/``stop_s``), else after the group
    before it for its predicted seconds. A dynamic run's lane is drawn as the cost model priced what the lane
    was handed: from the first hand-out, each group for its predicted seconds, one after the other -- so the
    drawn finish is the lane's predicted finish, beside its actual one. In test-count units a dynamic lane
    starts at 0: its hand-out times are seconds, which do not add to units.

    :param unit: what the record's predictions are in (default: the record's ``unit``, if it says, else
        seconds); test-count units when the plan had no timing history
    """
    unit = unit or unit_of(record)
    built = []
    for lane in record.workers:
        bars: list[Bar] = []
        clock = 0.0
        for index, group in enumerate(lane.groups):
            planned = record.dispatch == "static" and group.start_s is not None
            handed = index == 0 and unit == SECONDS
            start = group.start_s if (planned or handed) and group.start_s is not None else clock
            stop = start + max(0.0, group.predicted_s)
            if planned and group.stop_s is not None:
                stop = max(start, group.stop_s)
            bars.append(Bar(_group_label(group), "predicted", start, stop, lane.worker))
            clock = stop
        gaps: tuple[Gap, ...] = ()
        if bars and bars[0].start > 0.0:
            gaps = (Gap("lead-in", lane.groups[0].key, "", 0.0, bars[0].start),)
        built.append((lane.worker, tuple(bars), gaps, clock))
    built.sort(key=lambda item: worker_order(item[0]))
    return _lanes(built, section, unit)


def plan_assignment(plan: Plan) -> list[tuple[str, Sequence[str]]]:
    """A plan's parallel partitions as ``(worker-N, tests)``, the tags the runner and stestr give them."""
    return [(f"worker-{p.worker}", p.tests) for p in plan.workers]


def dispatch_assignment(order: Iterable[tuple[int | str, Sequence[str]]]) -> list[tuple[str, Sequence[str]]]:
    """What each lane ran, from a dispatcher's hand-out order.

    :param order: ``(lane, group's test ids)`` in the order the groups were handed out; a lane is its
        index or its ``worker-N`` name
    :returns: ``(worker-N, tests in run order)`` per lane, lanes sorted
    """
    lanes: dict[str, list[str]] = {}
    for lane, tests in order:
        name = f"worker-{lane}" if isinstance(lane, int) else lane
        lanes.setdefault(name, []).extend(tests)
    return [(name, tuple(lanes[name])) for name in sorted(lanes, key=worker_order)]


def plan_lanes(plan: Plan, costs: Costs, section: str = "") -> tuple[Lane, ...]:
    """A plan's predicted lanes: its partitions, then its serial phase (if any) after the parallel one.

    :param costs: the cost model the plan was made with (``Planned.model``)
    """
    lanes = predicted_lanes(plan_assignment(plan), costs, section=section)
    if plan.serial:
        parallel_end = max((lane.finish for lane in lanes), default=0.0)
        serial = predicted_lanes([(SERIAL_LANE, plan.serial)], costs, {SERIAL_LANE: parallel_end}, section)
        lanes = reidle((*lanes, *serial))
    return lanes


def plan_title(plan: Plan) -> str:
    """What a plan's page is called: its workers, strategy and grouping."""
    return f"plan: {plan.concurrency} workers, {plan.strategy}, grouped by {plan.grouping}"


def plan_timeline(plan: Plan, costs: Costs, title: str | None = None) -> Timeline:
    """A plan drawn before it runs: its predicted lanes, and its serial phase after the parallel one.

    :param costs: the cost model the plan was made with (``Planned.model``)
    """
    return Timeline(title or plan_title(plan), None, (), plan_lanes(plan, costs))


def reidle(lanes: Sequence[Lane]) -> tuple[Lane, ...]:
    """``lanes`` with each idle tail measured to their common end."""
    end = max((lane.finish for lane in lanes), default=0.0)
    return tuple(replace(lane, idle=end - lane.finish) for lane in lanes)


def lane_costs(lanes: Iterable[Lane]) -> tuple[dict[str, float], dict[str, str]]:
    """What a progress line's ETA needs from predicted lanes: seconds per test and each test's lane.

    A test costs its bar plus the gap before it (the lead-in for a lane's first test, its class's setup at a
    class change), so the costs of a lane add up to its predicted finish less its start.

    :returns: ``(test id -> seconds, test id -> worker)``
    """
    costs: dict[str, float] = {}
    where: dict[str, str] = {}
    for lane in lanes:
        if not lane.bars:
            continue
        previous = min([lane.bars[0].start, *(g.start for g in lane.gaps)])
        for bar in lane.bars:
            costs[bar.test_id] = costs.get(bar.test_id, 0.0) + bar.stop - previous
            where[bar.test_id] = lane.worker
            previous = bar.stop
    return costs, where
