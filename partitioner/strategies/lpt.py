"""Longest group first onto the least-loaded worker, then a local search off the critical worker.

Greedy LPT is within 4/3 of optimal; the local search then moves or swaps groups away from the most
loaded worker while that strictly lowers the pair's larger load, so the makespan never gets worse than
the greedy start and the loop always ends (the sum of squared loads falls at every step).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from partitioner.estimate import GroupCost

#: swaps are quadratic in the critical worker's groups; above this many groups only moves are tried
SWAP_LIMIT = 4000
#: an improvement smaller than this (seconds) is noise
EPSILON = 1e-9


class LongestFirst:
    """Default strategy: LPT (ties by key, then worker index) plus move/swap local search."""

    name = "lpt"
    cost_aware = True
    description = "longest group first onto the least-loaded worker, then moves/swaps off the critical one"

    def __init__(self, max_rounds: int = 2000) -> None:
        self.max_rounds = max_rounds

    def assign(self, groups: Sequence[GroupCost], n: int) -> list[list[int]]:
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
        workers: list[list[int]] = [[] for _ in range(n)]
        for i, w in enumerate(owner):
            workers[w].append(i)
        return workers

    def _improve(self, groups: Sequence[GroupCost], owner: list[int], loads: list[float], n: int) -> None:
        if n < 2 or not groups:
            return
        members: list[list[int]] = [[] for _ in range(n)]
        for i, w in enumerate(owner):
            members[w].append(i)
        for _ in range(self.max_rounds):
            crit = max(range(n), key=lambda w: (loads[w], -w))
            top = loads[crit]
            best: tuple[float, int, int, int] | None = None  # (new pair max, group, other worker, swap group)
            light = min(range(n), key=lambda w: (loads[w], w))
            if light != crit:
                for g in members[crit]:
                    c = groups[g].cost
                    pair = max(top - c, loads[light] + c)
                    if pair < top - EPSILON and (best is None or (pair, g) < (best[0], best[1])):
                        best = (pair, g, light, -1)
            if len(members[crit]) <= SWAP_LIMIT and len(groups) <= SWAP_LIMIT * 4:
                for w in range(n):
                    if w == crit:
                        continue
                    for g in members[crit]:
                        cg = groups[g].cost
                        for h in members[w]:
                            delta = cg - groups[h].cost
                            if delta <= EPSILON:
                                continue
                            pair = max(top - delta, loads[w] + delta)
                            if pair < top - EPSILON and (best is None or pair < best[0] - EPSILON):
                                best = (pair, g, w, h)
            if best is None:
                return
            _, g, w, h = best
            self._move(groups, owner, loads, members, g, crit, w)
            if h >= 0:
                self._move(groups, owner, loads, members, h, w, crit)

    @staticmethod
    def _move(groups: Sequence[GroupCost], owner: list[int], loads: list[float], members: list[list[int]],
              g: int, src: int, dst: int) -> None:
        owner[g] = dst
        loads[src] -= groups[g].cost
        loads[dst] += groups[g].cost
        members[src].remove(g)
        members[dst].append(g)
