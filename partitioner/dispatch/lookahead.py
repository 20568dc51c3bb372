"""The ``lookahead`` dispatch order: each test process runs its groups in increasing suite order, but a lane may
skip ahead to a long group that would otherwise end the run alone; pure, no I/O.

Under ``suite`` order every idle lane takes the earliest queued group, so each test process runs its tests in
increasing suite order, and a long group late in the suite starts late and can end the run alone (at N=8 on
the bench suites, 1.05-1.28 x the lower bound in simulation). ``lookahead`` keeps what makes ``suite`` safe for
suites whose tests lean on earlier ones (tempest's own unit suite): a test process's groups sort after the one
it ran last, as a stestr worker's share does (which, like a stestr worker's, may start anywhere in the suite).
What changes is which group: when a lane asks, :func:`pick_ahead` compares taking the earliest group it may run
with taking one of the few longest it may run, by playing each choice out on the predicted costs (every lane
then taking its earliest reachable group, the ``suite`` rule) and keeping the one with the earliest predicted
end, when it beats the earliest group's by a margin (:data:`SKIP_MARGIN`). The play-out charges every group's
possible overrun (:data:`OVERRUN`): the prices come from other runs, and a long group started late is what
ends a noisy run alone, so the long ones go early, as longest-first would send them.

A lane that skipped ahead cannot go back in its process: once nothing after its last group is queued, it
starts a fresh test process at the earliest queued group when the work left is worth a start-up
(:data:`RESTART_WORTH`, :func:`worth_restart`), else it waits while the other lanes run the rest; a lane left
alone with groups it cannot reach always starts a fresh process, as a lane whose worker died does.

Choices are only played out when one is long enough to matter (:data:`LONG_SHARE` of the predicted work per lane)
and the queue is short enough to replay cheaply (:data:`PLAYOUT_MAX` groups): otherwise the earliest group, as
``suite`` order. The constants were chosen in ``bench/order_sim.py`` on generated suites 1-6 and checked on 7-12
(docs/dispatch.md).
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from partitioner.dispatch.queue import WorkItem

#: the longest reachable groups compared with the earliest one
CANDIDATES = 3
#: a group shorter than this share of the predicted work left per lane is not worth skipping ahead for
LONG_SHARE = 0.1
#: in a play-out, a group may end this share of its predicted cost late (the run's end is the latest such
#: end): at sigma 0.3 a class costs up to twice its price, and one started late ends the run alone
OVERRUN = 1.0
#: a lane with nothing it may run starts a fresh process when the work left per lane is over this many
#: start-ups; else it waits
RESTART_WORTH = 3.0
#: above this many queued groups, no play-out (each costs one pass over the queue): the earliest group
PLAYOUT_MAX = 400
#: a skip must be predicted to end the run earlier by this share of the time left, over the lanes: the prices
#: are noisy, and a lane that skipped ahead may wait idle at the end, so a small predicted gain is no gain
#: (0.1 of the time left at N=4, 0.05 at N=8)
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


def stranded(items: Sequence[WorkItem], others: Sequence[LaneView]) -> bool:
    """True when none of ``others`` can ever run the earliest queued item (so the asking lane must)."""
    if not items:
        return False
    first = min(item.at for item in items)
    return not any(o.last is None or o.last < first for o in others)


def pick_ahead(items: Sequence[WorkItem], last: int | None, others: Sequence[LaneView], now: float) -> int | None:
    """Which of the queued ``items`` (in suite order) the asking lane takes, or ``None``: nothing it may run
    (it waits; :func:`next_move` says when it must start a fresh process instead).

    :param last: the suite position the asking lane's process reached (``None``: no process yet; it may take
        any item)
    :param others: every other live lane
    :param now: the dispatcher's clock (the same clock as :attr:`LaneView.free_at`)
    """
    mine = reachable(items, last)
    if not mine:
        return None
    earliest = min(mine, key=lambda i: (items[i].at, i))  # a retry is queued in front, at its own position
    if len(items) > PLAYOUT_MAX:
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
    best, best_end = earliest, suite_end - margin
    for index in longest[:CANDIDATES]:
        end = _play_out(items, order, positions, index, now, others)
        if end < best_end - 1e-9:
            best, best_end = index, end
    return best


def next_move(items: Sequence[WorkItem], last: int | None, others: Sequence[LaneView],
              now: float, restart_s: float = 0.0) -> tuple[int | None, bool]:
    """What the asking lane does, for the dispatcher and the simulation alike: ``(index, False)``, take that
    item in its process; ``(None, False)``, wait (other lanes will run what it cannot reach); ``(index, True)``,
    end its test process and take that item in a fresh one: it may run nothing queued, and it is left alone
    with items it cannot reach, or the work left is worth a start-up of ``restart_s`` (:func:`worth_restart`)."""
    index = pick_ahead(items, last, others, now)
    if index is not None:
        return index, False
    if items and (stranded(items, others) or worth_restart(items, others, now, restart_s)):
        return pick_ahead(items, None, others, now), True
    return None, False


def worth_restart(items: Sequence[WorkItem], others: Sequence[LaneView], now: float, restart_s: float) -> bool:
    """True when the queued work per lane is worth a fresh test process (:data:`RESTART_WORTH` start-ups)."""
    left = sum(item.cost for item in items) + sum(max(o.free_at - now, 0.0) for o in others)
    return left / (len(others) + 1) > RESTART_WORTH * restart_s


def _play_out(items: Sequence[WorkItem], order: Sequence[int], positions: Sequence[int], taken: int,
              now: float, others: Sequence[LaneView]) -> float:
    """The predicted end of the run if the asking lane takes ``items[taken]`` now and, from then on, every lane
    takes the earliest item it may run when it frees (a lane with none is done), each item charged its
    possible overrun (:data:`OVERRUN`) in the end it may make; ``inf`` when an item is left that no lane can
    reach. ``order``: the items' indices in suite order; ``positions``: their suite positions,
    in that order."""
    done = [False] * len(items)
    done[order.index(taken)] = True
    start = 0  # every index before it is done
    lanes: list[tuple[float, int, int]] = [(now + items[taken].cost, 0, items[taken].upto)]
    lanes.extend((max(o.free_at, now), n, -1 if o.last is None else o.last) for n, o in enumerate(others, 1))
    heapq.heapify(lanes)
    todo = len(items) - 1
    end = now + items[taken].cost * (1 + OVERRUN)
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
        end = max(end, free_at + item.cost * (1 + OVERRUN))
        heapq.heappush(lanes, (free_at + item.cost, lane, item.upto))
    if todo:
        return float("inf")
    return max([end, *(free_at for free_at, _, _ in lanes)])
