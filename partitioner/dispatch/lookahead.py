"""The ``lookahead`` dispatch order: suite order, except that a lane may skip ahead to a long group that would
otherwise end the run alone; pure, no I/O.

Under ``suite`` order every idle lane takes the earliest queued group, so each test process runs its tests in
increasing suite order, and a long group late in the suite starts late and can end the run alone (at N=8 on
the bench suites, 1.05-1.28 x the lower bound in simulation). ``lookahead`` keeps what makes ``suite`` safe for
suites whose tests lean on earlier ones (tempest's own unit suite): a test process's first group is the earliest
queued one, and its later groups sort after the one it ran last, as a stestr worker's share does. What changes
is which later group: when a lane asks, :func:`pick_ahead` compares taking the earliest group it may run with
taking one of the few longest it may run, by playing each choice out on the predicted costs (every lane then
taking its earliest reachable group, the ``suite`` rule) and keeping the one with the earliest predicted end,
when it beats the earliest group's by a margin (:data:`SKIP_MARGIN`), or at all when the group alone outlasts
the work left per lane (it bounds the run).
A lane that skipped ahead cannot go back: once nothing after its last group is queued it waits (its process
keeps its state) while other lanes run the earlier groups; a skip is only taken when another lane can still
reach every queued group, and a lane left alone with groups it cannot reach starts a fresh test process, as a
lane whose worker died does.

Choices are only played out when one is long enough to matter (:data:`LONG_SHARE` of the predicted work per lane)
and the queue is short enough to replay cheaply (:data:`PLAYOUT_MAX` groups): otherwise the earliest group, as
``suite`` order; above :data:`PLAYOUT_MAX`, the first queued group the lane may run (:func:`first_reachable`).
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from partitioner.dispatch.queue import WorkItem

#: the longest reachable groups compared with the earliest one
CANDIDATES = 3
#: a group shorter than this share of the predicted work left per lane is not worth skipping ahead for
LONG_SHARE = 0.1
#: above this many queued groups, no play-out (each costs one pass over the queue): the earliest group
PLAYOUT_MAX = 400
#: a skip must be predicted to end the run earlier by this share of the time left, over the lanes: the prices
#: are noisy, and a lane that skipped ahead may wait idle at the end, so a small predicted gain is no gain
#: (0.1 of the time left at N=4, 0.05 at N=8; chosen in ``bench/order_sim.py`` on suites 1-6, checked on 7-12)
SKIP_MARGIN = 0.4


@dataclass(frozen=True)
class LaneView:
    """Another lane as the dispatcher sees it when a lane asks.

    :ivar free_at: when it is predicted to ask next (now, if it holds nothing; its group's start plus its
        predicted cost otherwise, at least now)
    :ivar last: the suite position its test process reached; ``None`` when it has no process yet (it may start
        anywhere: at the earliest queued group)
    """

    free_at: float
    last: int | None


def reachable(items: Sequence[WorkItem], last: int | None) -> list[int]:
    """Indices of the ``items`` a lane whose process reached ``last`` may run next (all of them without one)."""
    if last is None:
        return list(range(len(items)))
    return [i for i, item in enumerate(items) if item.at > last]


def first_reachable(items: Iterable[WorkItem], last: int | None) -> int | None:
    """The index of the first of the ``items`` (in queue order) a lane whose process reached ``last`` may run.

    What a long queue is handed out by, where :func:`pick_ahead` plays nothing out: the queue is in suite order
    (a retried group goes back in front), so the first item after ``last`` is, but for a retry, the earliest, and
    finding it looks only at the items before it (a lane's process is rarely past the front of a long queue).
    A pick that scanned the whole queue made every hand-out cost the queue's length: a plan of 20,000 classes
    took 26 s to simulate."""
    for index, item in enumerate(items):
        if last is None or item.at > last:
            return index
    return None


def stranded(items: Sequence[WorkItem], others: Sequence[LaneView]) -> bool:
    """True when none of ``others`` can ever run the earliest queued item (so the asking lane must)."""
    if not items:
        return False
    first = min(item.at for item in items)
    return not any(o.last is None or o.last < first for o in others)


def pick_ahead(items: Sequence[WorkItem], last: int | None, others: Sequence[LaneView], now: float) -> int | None:
    """Which of the queued ``items`` (in suite order) the asking lane takes, or ``None``: nothing it may run
    (it waits; :func:`next_move` says when it must start a fresh process instead).

    :param last: the suite position the asking lane's process reached (``None``: no process yet; it takes the
        earliest item, as under ``suite`` order)
    :param others: every other live lane
    :param now: the dispatcher's clock (the same clock as :attr:`LaneView.free_at`)
    """
    if len(items) > PLAYOUT_MAX:
        return first_reachable(items, last)
    mine = reachable(items, last)
    if not mine:
        return None
    earliest = min(mine, key=lambda i: (items[i].at, i))  # a retry is queued in front, at its own position
    if last is None:
        return earliest
    left = sum(item.cost for item in items) + sum(max(o.free_at - now, 0.0) for o in others)
    lanes = len(others) + 1
    floor = LONG_SHARE * left / lanes
    longest = sorted((i for i in mine if i != earliest and items[i].cost >= floor), key=lambda i: -items[i].cost)
    if not longest:
        return earliest
    order = sorted(range(len(items)), key=lambda i: items[i].at)
    positions = [items[i].at for i in order]
    suite_end = _play_out(items, order, positions, earliest, now, others)
    margin = SKIP_MARGIN / lanes * (suite_end - now) if suite_end != float("inf") else 0.0
    best, best_end = earliest, suite_end
    for index in longest[:CANDIDATES]:
        end = _play_out(items, order, positions, index, now, others)
        # a group that alone outlasts the work left per lane bounds the run: every second it starts later is a
        # second on the makespan, so any predicted gain takes it (the margin is for skips that only rebalance)
        wanted = best_end - (0.0 if items[index].cost >= left / lanes else margin)
        if end < wanted - 1e-9:
            best, best_end = index, end
    return best


def next_move(items: Sequence[WorkItem], last: int | None, others: Sequence[LaneView],
              now: float) -> tuple[int | None, bool]:
    """What the asking lane does, for the dispatcher and the simulation alike: ``(index, False)``, take that
    item in its process; ``(None, False)``, wait (other lanes will run what it cannot reach); ``(index, True)``,
    left alone with items it cannot reach: end its test process and take the earliest in a fresh one."""
    index = pick_ahead(items, last, others, now)
    if index is not None:
        return index, False
    if stranded(items, others):
        return pick_ahead(items, None, others, now), True
    return None, False


def _play_out(items: Sequence[WorkItem], order: Sequence[int], positions: Sequence[int], taken: int,
              now: float, others: Sequence[LaneView]) -> float:
    """The predicted end of the run if the asking lane takes ``items[taken]`` now and, from then on, every lane
    takes the earliest item it may run when it frees (a lane with none is done); ``inf`` when an item is left
    that no lane can reach. ``order``: the items' indices in suite order; ``positions``: their suite positions,
    in that order."""
    done = [False] * len(items)
    done[order.index(taken)] = True
    start = 0  # every index before it is done
    lanes: list[tuple[float, int, int]] = [(now + items[taken].cost, 0, items[taken].upto)]
    lanes.extend((max(o.free_at, now), n, -1 if o.last is None else o.last) for n, o in enumerate(others, 1))
    heapq.heapify(lanes)
    todo = len(items) - 1
    end = now
    while todo and lanes:
        free_at, lane, reached = heapq.heappop(lanes)
        while start < len(done) and done[start]:
            start += 1
        at = max(start, bisect.bisect_right(positions, reached))
        while at < len(done) and done[at]:
            at += 1
        if at == len(done):
            end = max(end, free_at)
            continue
        done[at] = True
        todo -= 1
        item = items[order[at]]
        heapq.heappush(lanes, (free_at + item.cost, lane, item.upto))
    if todo:
        return float("inf")
    return max([end, *(free_at for free_at, _, _ in lanes)])
