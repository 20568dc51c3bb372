"""Predicted lanes: what a plan (or a dispatcher's hand-out order) says each worker will run, and when.

Pure. An assignment (worker -> test ids in run order: a plan's partitions, or the groups a dispatcher handed
each lane) is priced by a cost model (:class:`Costs`; a :class:`~partitioner.estimate.CostModel` is one):
start-up and the first class's setup as the lane's lead-in, then each test's estimate, and a class's setup
estimate at each class change -- so a plan's lane finishes at its partition's ``predicted_s``. The lanes are
:class:`~partitioner.timeline.model.Lane` values of kind ``predicted``, drawn by the same page as a run's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from partitioner import testids
from partitioner.plan import Plan
from partitioner.timeline.model import Bar, Gap, Lane, Timeline, worker_order

__all__ = [
    "SERIAL_LANE",
    "Costs",
    "dispatch_assignment",
    "lane_costs",
    "plan_assignment",
    "plan_timeline",
    "predicted_lanes",
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


def predicted_lanes(assignment: Iterable[tuple[str, Sequence[str]]], costs: Costs,
                    offsets: Mapping[str, float] | None = None) -> tuple[Lane, ...]:
    """Price an assignment of tests to lanes with a cost model.

    :param assignment: ``(worker, test ids in run order)`` per lane (:func:`plan_assignment`,
        :func:`dispatch_assignment`)
    :param costs: the cost model (start-up, per-test and per-class estimates)
    :param offsets: seconds from the origin at which a lane starts (default 0; a serial phase starts when
        the parallel one ends)
    :returns: one predicted lane per entry, in the given order; each lane's ``idle`` is measured to the
        latest predicted finish
    """
    built: list[tuple[str, tuple[Bar, ...], tuple[Gap, ...], float]] = []
    for worker, tests in assignment:
        clock = (offsets or {}).get(worker, 0.0)
        bars: list[Bar] = []
        gaps: list[Gap] = []
        current: str | None = None
        lead = costs.startup_s
        for test_id in tests:
            klass = testids.class_key(test_id)
            if klass != current:
                setup = costs.class_setup(klass).seconds
                if current is None:
                    setup += lead
                    if setup > 0.0:
                        gaps.append(Gap("lead-in", klass, "", clock, clock + setup))
                    clock += setup
                elif setup > 0.0:
                    gaps.append(Gap("setup", klass, current, clock, clock + setup))
                    clock += setup
                current = klass
            seconds = max(0.0, costs.test(test_id).seconds)
            bars.append(Bar(test_id, "predicted", clock, clock + seconds, worker))
            clock += seconds
        built.append((worker, tuple(bars), tuple(gaps), clock))
    end = max((finish for *_, finish in built), default=0.0)
    return tuple(Lane(w, "predicted", bars, gaps, finish, end - finish) for w, bars, gaps, finish in built)


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


def plan_timeline(plan: Plan, costs: Costs, title: str | None = None) -> Timeline:
    """A plan drawn before it runs: its predicted lanes, and its serial phase after the parallel one.

    :param costs: the cost model the plan was made with (``Planned.model``)
    """
    lanes = predicted_lanes(plan_assignment(plan), costs)
    if plan.serial:
        parallel_end = max((lane.finish for lane in lanes), default=0.0)
        serial = predicted_lanes([(SERIAL_LANE, plan.serial)], costs, {SERIAL_LANE: parallel_end})
        lanes = _reidle((*lanes, *serial))
    name = title or f"plan: {plan.concurrency} workers, {plan.strategy}, grouped by {plan.grouping}"
    return Timeline(name, None, (), lanes)


def _reidle(lanes: Sequence[Lane]) -> tuple[Lane, ...]:
    """``lanes`` with each idle tail measured to their common end."""
    end = max((lane.finish for lane in lanes), default=0.0)
    return tuple(Lane(lane.worker, lane.kind, lane.bars, lane.gaps, lane.finish, end - lane.finish)
                 for lane in lanes)


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
