"""Longest group first onto the least-loaded worker, then a local search off the critical worker.

Greedy LPT is within 4/3 of optimal; the local search then moves or swaps groups away from the most
loaded worker while that strictly lowers the pair's larger load, so the makespan never gets worse than
the greedy start and the loop always ends (the sum of squared loads falls at every step).
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Sequence

from partitioner.estimate import GroupCost

#: above this many groups only moves are tried (each swap round sorts every worker's costs)
SWAP_LIMIT = 50_000
#: local-search work budget, in group visits; bounds the time on million-id inputs
WORK_BUDGET = 20_000_000
#: an improvement smaller than this (seconds) is noise
EPSILON = 1e-9
#: stop once the makespan is within this fraction of the lower bound: the rest is not worth the swaps
TOLERANCE = 1e-4


class LongestFirst:
    """Default strategy: LPT (ties by key, then worker index) plus move/swap local search."""

    name = "lpt"
    cost_aware = True
    description = "longest group first onto the least-loaded worker, then moves/swaps off the critical one"

    def __init__(self, max_rounds: int = 2000) -> None:
        self.max_rounds = max_rounds

    def assign(self, groups: Sequence[GroupCost], n: int) -> list[list[int]]:
        workers: list[list[int]] = [[] for _ in range(n)]
        first = groups[0] if groups else None
        if first is not None and all(g.cost == first.cost and g.n_tests == first.n_tests for g in groups):
            # equal costs and sizes: greedy with ties by key deals groups in key order, one per worker in
            # turn; doing so directly skips the heap on million-group inputs (no history, --group-by none)
            for i in range(len(groups)):
                workers[i % n].append(i)
            return workers
        order = sorted(range(len(groups)), key=lambda i: (-groups[i].cost, groups[i].key))
        heap = [(0.0, 0, w) for w in range(n)]
        owner = [0] * len(groups)
        for i in order:
            load, count, w = heapq.heappop(heap)
            owner[i] = w
            heapq.heappush(heap, (load + groups[i].cost, count + groups[i].n_tests, w))
        loads = [0.0] * n
        for i, w in enumerate(owner):
            loads[w] += groups[i].cost
        self._improve(groups, owner, loads, n)
        for i, w in enumerate(owner):
            workers[w].append(i)
        return workers

    def _improve(self, groups: Sequence[GroupCost], owner: list[int], loads: list[float], n: int) -> None:
        if n < 2 or not groups:
            return
        bound = max(sum(loads) / n, *(g.cost for g in groups))
        members: list[list[int]] = [[] for _ in range(n)]
        for i, w in enumerate(owner):
            members[w].append(i)
        rounds = min(self.max_rounds, max(10, WORK_BUDGET // len(groups)))
        for _ in range(rounds):
            crit = max(range(n), key=lambda w: (loads[w], -w))
            top = loads[crit]
            if top <= bound * (1 + TOLERANCE) + EPSILON:
                return  # at the lower bound (within 0.01%): nothing meaningful left to gain
            best = self._best_move(groups, members, loads, crit, n)
            if len(groups) <= SWAP_LIMIT:
                swap = self._best_swap(groups, members, loads, crit, n)
                if swap is not None and (best is None or swap[0] < best[0] - EPSILON):
                    best = swap
            if best is None:
                return
            _, g, w, h = best
            self._move(groups, owner, loads, members, g, crit, w)
            if h >= 0:
                self._move(groups, owner, loads, members, h, w, crit)

    @staticmethod
    def _best_move(groups: Sequence[GroupCost], members: list[list[int]], loads: list[float], crit: int,
                   n: int) -> tuple[float, int, int, int] | None:
        """Moving group g from the critical worker to the lightest: (new pair max, g, lightest, -1)."""
        top = loads[crit]
        light = min(range(n), key=lambda w: (loads[w], w))
        best: tuple[float, int, int, int] | None = None
        for g in members[crit]:
            c = groups[g].cost
            pair = max(top - c, loads[light] + c)
            if pair < top - EPSILON and (best is None or (pair, groups[g].key) < (best[0], groups[best[1]].key)):
                best = (pair, g, light, -1)
        return best

    @staticmethod
    def _best_swap(groups: Sequence[GroupCost], members: list[list[int]], loads: list[float], crit: int,
                   n: int) -> tuple[float, int, int, int] | None:
        """Swapping g (critical) with a smaller h on worker w: the best (new pair max, g, w, h).

        The pair's max is ``max(top - d, load_w + d)`` with ``d = cost_g - cost_h``: it improves iff
        ``0 < d < top - load_w`` and is best at ``d = (top - load_w) / 2``, so for each g the best h is
        found by bisecting w's sorted costs.
        """
        top = loads[crit]
        best: tuple[float, int, int, int] | None = None
        for w in range(n):
            gap = top - loads[w]
            if w == crit or gap <= EPSILON or not members[w]:
                continue
            ranked = sorted(members[w], key=lambda h: (groups[h].cost, groups[h].key))
            costs = [groups[h].cost for h in ranked]
            for g in members[crit]:
                target = groups[g].cost - gap / 2
                at = bisect.bisect_left(costs, target)
                for k in (at - 1, at):
                    if 0 <= k < len(ranked):
                        d = groups[g].cost - costs[k]
                        if EPSILON < d < gap - EPSILON:
                            pair = max(top - d, loads[w] + d)
                            if best is None or pair < best[0] - EPSILON:
                                best = (pair, g, w, ranked[k])
        return best

    @staticmethod
    def _move(groups: Sequence[GroupCost], owner: list[int], loads: list[float], members: list[list[int]],
              g: int, src: int, dst: int) -> None:
        owner[g] = dst
        loads[src] -= groups[g].cost
        loads[dst] += groups[g].cost
        members[src].remove(g)
        members[dst].append(g)
