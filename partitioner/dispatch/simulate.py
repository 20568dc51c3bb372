"""What dynamic dispatch is expected to do: greedy list scheduling of the queue; pure, no I/O.

The dispatcher hands the next group to whichever lane is idle first, so the expected timeline is list
scheduling in queue order: each item starts on the lane that frees first (ties: the lowest lane); under
``mono`` order that lane takes the item :func:`~partitioner.dispatch.queue.pick` gives it.
Graham's bound holds for any order: makespan <= total / N + the largest item; longest-first makes it
at most 4/3 of the optimum. Serial items run after every lane is idle, one after another.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from partitioner.dispatch.lookahead import LaneView, next_move
from partitioner.dispatch.queue import Queue, WorkItem, pick
from partitioner.errors import UsageError

#: what a fresh test process costs a lane under ``mono`` order: a fork of a worker that loaded the suite
FORK_S = 0.005


@dataclass(frozen=True)
class Slot:
    """One item's expected place on a lane.

    :ivar key: the group key
    :ivar start_s: expected start, seconds after the run began
    :ivar end_s: expected end
    :ivar serial: True for a serial item
    """

    key: str
    start_s: float
    end_s: float
    serial: bool = False


@dataclass(frozen=True)
class Timeline:
    """The expected per-lane timeline of a dynamic run.

    :ivar lanes: per lane, its slots in start order
    :ivar makespan_s: when the last item is expected to end
    :ivar parallel_s: when the parallel phase is expected to end (the serial phase starts then)
    :ivar total_s: the parallel items' summed cost
    :ivar lower_bound_s: max(total / N, largest parallel item) + start-up + serial cost: no schedule beats it
    """

    lanes: tuple[tuple[Slot, ...], ...]
    makespan_s: float
    parallel_s: float
    total_s: float
    lower_bound_s: float

    @property
    def order(self) -> tuple[str, ...]:
        """Group keys in expected start order (ties by lane)."""
        slots = sorted(((s.start_s, lane, s.key) for lane, row in enumerate(self.lanes) for s in row))
        return tuple(key for _, _, key in slots)


def simulate(queue: Queue | Sequence[WorkItem], lanes: int, *, startup_s: float = 0.0,
             overhead_s: float = 0.0, fork_s: float = FORK_S) -> Timeline:
    """The expected timeline of handing ``queue`` to ``lanes`` lanes.

    :param queue: a :class:`Queue`, or parallel items in hand-out order
    :param lanes: how many lanes run at once
    :param startup_s: seconds before a lane can take its first item (loading the suite)
    :param overhead_s: seconds each hand-out costs on top of the item (the round trip to the dispatcher)
    :param fork_s: seconds a fresh test process costs a lane (``mono`` order; not its first)
    :raises UsageError: ``lanes`` < 1
    """
    if lanes < 1:
        raise UsageError(f"cannot simulate {lanes} lanes: pass at least 1")
    items = tuple(queue.items) if isinstance(queue, Queue) else tuple(queue)
    serial = queue.serial if isinstance(queue, Queue) else ()
    order = queue.order if isinstance(queue, Queue) else "cost"
    rows: list[list[Slot]] = [[] for _ in range(lanes)]
    free = [(startup_s, lane) for lane in range(lanes)]
    heapq.heapify(free)
    todo = deque(items)  # taken from near the front: a list's pop would move the rest of a long queue each time
    last: dict[int, int] = {}
    while todo:
        at, lane = heapq.heappop(free)
        if order == "lookahead":
            ahead, restart = next_move(todo, last.get(lane), [LaneView(t, last.get(o)) for t, o in free], at)
            if ahead is None:
                continue  # it may run nothing queued: it waits till the end, its process kept
            if restart:
                last.pop(lane, None)  # left alone with groups it cannot reach: a fresh process
            index, fresh = ahead, False
        else:
            index, fresh = pick(todo, last.get(lane), order)
        item = todo[index]
        del todo[index]
        restart = fresh and lane in last  # a lane's first process is part of its start-up
        last[lane] = item.upto
        end = at + overhead_s + (fork_s if restart else 0.0) + item.cost
        rows[lane].append(Slot(item.key, at, end))
        heapq.heappush(free, (end, lane))
    parallel_end = max(at for at, _ in free) if items else (startup_s if serial else 0.0)
    # the serial phase starts when every lane is idle; it runs on the lane that freed first
    at = parallel_end
    first_free = min(free)[1] if items else 0
    for item in serial:
        end = at + overhead_s + item.cost
        rows[first_free].append(Slot(item.key, at, end, serial=True))
        at = end
    total = sum(item.cost for item in items)
    largest = max((item.cost for item in items), default=0.0)
    serial_total = sum(item.cost for item in serial)
    bound = startup_s + max(total / lanes, largest) + serial_total if items or serial else 0.0
    return Timeline(tuple(tuple(r) for r in rows), at if serial else parallel_end,
                    parallel_end, total, bound)
