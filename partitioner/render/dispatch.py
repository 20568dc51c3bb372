"""A plan under dynamic dispatch: the queue order and the expected per-lane timeline (``plan --dispatch dynamic``).

:class:`DispatchView` is what the table and JSON renderings show besides the plan: the groups in the order
the dispatcher hands them out (its dispatch order, ``lookahead`` by default; serial groups after), and the timeline
:func:`partitioner.dispatch.simulate.simulate` expects (each group to the lane that frees first).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from partitioner.costmodel import SECONDS, UNIT_SUFFIX
from partitioner.dispatch.queue import ORDERS, Queue, queue_from_costs
from partitioner.dispatch.simulate import Timeline, simulate
from partitioner.figures import figure, number
from partitioner.pipeline import Planned
from partitioner.render.output import plural

#: how many queue entries the table shows (JSON has them all)
SHOWN = 10


@dataclass(frozen=True)
class DispatchView:
    """The queue and its simulated timeline.

    :ivar queue: what the dispatcher hands out
    :ivar timeline: the expected per-lane timeline
    """

    queue: Queue
    timeline: Timeline
    order: str = ORDERS[0]

    @property
    def lanes(self) -> int:
        return len(self.timeline.lanes)


def dynamic_view(planned: Planned, concurrency: int, order: str = ORDERS[0]) -> DispatchView:
    """The dispatch view of a plan (its groups, cost model, serial groups) on ``concurrency`` lanes (no more
    lanes than parallel groups), the queue in ``order`` (``suite``: sorted ids, as discovery sorts)."""
    queue = queue_from_costs(planned.groups, planned.model, planned.serial_groups, order)
    lanes = max(1, min(concurrency, len(queue.items)))
    return DispatchView(queue, simulate(queue, lanes, startup_s=planned.model.startup_s), order)


def _r(value: float) -> float:
    return round(value, 3)


def dispatch_to_dict(view: DispatchView | None) -> dict[str, object]:
    """The ``dispatch`` member of the JSON plan: ``{"mode": "static"}``, or the queue and its timeline."""
    if view is None:
        return {"mode": "static"}
    timeline = view.timeline
    return {
        "mode": "dynamic",
        "order": view.order,
        "lanes": view.lanes,
        "predicted_makespan_s": _r(timeline.makespan_s),
        "lower_bound_s": _r(timeline.lower_bound_s),
        "queue": [{"group": item.key, "predicted_s": _r(item.cost), "tests": len(item.tests), "serial": item.serial}
                  for item in view.queue.all_items()],
        "timeline": [{"lane": lane, "end_s": _r(row[-1].end_s if row else 0.0),
                      "groups": [{"group": slot.key, "start_s": _r(slot.start_s), "end_s": _r(slot.end_s),
                                  "serial": slot.serial} for slot in row]}
                     for lane, row in enumerate(timeline.lanes)],
    }


def render_dispatch_table(view: DispatchView, out: IO[str], unit: str = SECONDS) -> None:
    """The expected lanes, the head of the queue, and the simulated makespan, for people.

    :param unit: what the figures are in, :data:`~partitioner.costmodel.SECONDS` or test counts (the plan's)
    """
    suffix = UNIT_SUFFIX[unit]
    timeline = view.timeline
    tests = {item.key: len(item.tests) for item in view.queue.all_items()}
    orders = {"cost": "longest first", "mono": "longest first, each process in suite order",
              "lookahead": "in suite order (lanes may skip ahead to long groups)"}
    how = orders.get(view.order, "in suite order")
    out.write(f"dynamic dispatch: {len(view.queue.items)} groups queued {how} on {view.lanes} lanes"
              f"{f', then {len(view.queue.serial)} serial groups alone' if view.queue.serial else ''}\n")
    out.write(f"{'lane':>6}  {'groups':>6}  {'tests':>6}  {'expected end':>12}\n")
    for lane, row in enumerate(timeline.lanes):
        end = row[-1].end_s if row else 0.0
        out.write(f"{lane:>6}  {len(row):>6}  {sum(tests[s.key] for s in row):>6}  "
                  f"{number(end, unit):>11}{suffix}\n")
    out.write(f"queue, {how}:\n")
    for n, item in enumerate(view.queue.items[:SHOWN], 1):
        out.write(f"{n:>6}. {item.key} ({figure(item.cost, unit)}, {plural(len(item.tests), 'test')})\n")
    if len(view.queue.items) > SHOWN:
        out.write(f"{'':>6}  ... {len(view.queue.items) - SHOWN} more (--format json lists them all)\n")
    out.write(f"predicted makespan {figure(timeline.makespan_s, unit)} (simulated), lower bound "
              f"{figure(timeline.lower_bound_s, unit)}\n")
