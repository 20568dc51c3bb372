"""Longest group first onto the least-loaded worker, then a local search off the critical worker.

Greedy LPT is within 4/3 of optimal; the local search then moves or swaps groups away from the most
loaded worker while that strictly lowers the pair's larger load, so the makespan never gets worse than
the greedy start and the loop always ends (the sum of squared loads falls at every step).

Ties: measured groups of equal cost go in key order. Groups no history measured (every group, with no
history at all) are priced alike whatever they really cost, so their order decides where look-alikes land:
in key order, neighbours that differ only by a suffix (``ZoneTest[X]_Fast``/``_Pure``, ``ServersJSON``/
``ServersXML``, ``test_x(json)``/``test_x(xml)``) alternate, and on two workers every heavy twin lands on one
of them. Equal-cost unmeasured groups are therefore dealt in order of their *reversed* key: each suffix's
groups sit together and are dealt round the workers, so every worker gets its share of each variant.
"""

from __future__ import annotations

import bisect
import heapq
import math
import operator
from collections.abc import Iterable, Sequence
from itertools import islice

from partitioner.strategies.protocol import CostTable, GroupCost

#: above this many groups only moves are tried (each swap round sorts every worker's costs)
SWAP_LIMIT = 50_000
#: local-search work budget, in group visits; bounds the time on million-id inputs
WORK_BUDGET = 20_000_000
#: an improvement smaller than this (seconds) is noise
EPSILON = 1e-9
#: stop once the makespan is within this fraction of the lower bound: the rest is not worth the swaps
TOLERANCE = 1e-4
#: above this many equal groups, no-history plans deal in key order: ordering by reversed key costs about
#: 0.5 s per million groups, more than the rest of a million-id plan
SPREAD_LIMIT = 250_000


def spread(keys: Sequence[str], indices: Iterable[int]) -> list[int]:
    """``indices`` in the order of their reversed keys: groups that differ only by a suffix end up together,
    each suffix's groups one stretch (see the module docstring)."""
    return sorted(indices, key=lambda i: keys[i][::-1])


def _spread_unmeasured_ties(order: list[int], cost: Sequence[float], keys: Sequence[str], sizes: Sequence[int],
                            unmeasured: Sequence[int]) -> None:
    """Within each stretch of equal cost in ``order``, put the wholly unmeasured groups in :func:`spread` order
    (in place; measured groups keep their places, so plans from history alone do not change)."""
    if not any(unmeasured):
        return
    start = 0
    m = len(order)
    while start < m:
        end = start + 1
        while end < m and cost[order[end]] == cost[order[start]]:
            end += 1
        if end - start > 1:
            slots = [k for k in range(start, end) if unmeasured[order[k]] == sizes[order[k]]]
            if len(slots) > 1:
                for k, g in zip(slots, spread(keys, [order[k] for k in slots]), strict=True):
                    order[k] = g
        start = end


class LongestFirst:
    """Default strategy: LPT (ties by key, then worker index) plus move/swap local search."""

    name = "lpt"
    cost_aware = True
    description = "longest group first onto the least-loaded worker, then moves/swaps off the critical one"

    def __init__(self, max_rounds: int = 2000, spread_ties: bool = True) -> None:
        self.max_rounds = max_rounds
        #: deal equal-cost unmeasured groups in reversed-key order (False: key order, as before issue 9)
        self.spread_ties = spread_ties

    def assign(self, groups: Sequence[GroupCost], n: int) -> list[list[int]]:
        table = CostTable.of(groups)
        cost, keys, sizes = table.cost, table.keys, table.n_tests
        m = len(cost)
        if m and cost.count(cost[0]) == m and sizes.count(sizes[0]) == m:
            # equal costs and sizes: greedy deals groups in tie order, one per worker in turn; doing so
            # directly skips the heap on million-group inputs (no history, --group-by none)
            if self.spread_ties and m <= SPREAD_LIMIT and list(table.n_unmeasured) == list(sizes):
                order = spread(keys, range(m))
                return [sorted(order[w::n]) for w in range(n)]
            return [list(range(w, m, n)) for w in range(n)]
        # longest first, ties by key: groups arrive sorted by key, so a stable sort on cost alone does it
        if all(map(operator.lt, keys, islice(keys, 1, None))):
            order = sorted(range(m), key=[-c for c in cost].__getitem__)
        else:
            order = sorted(range(m), key=lambda i: (-cost[i], keys[i]))
        if self.spread_ties:
            _spread_unmeasured_ties(order, cost, keys, sizes, table.n_unmeasured)
        heap = [(0.0, 0, w) for w in range(n)]
        owner = [0] * m
        for i in order:
            load, count, w = heapq.heappop(heap)
            owner[i] = w
            heapq.heappush(heap, (load + cost[i], count + sizes[i], w))
        members: list[list[int]] = [[] for _ in range(n)]
        for i, w in enumerate(owner):
            members[w].append(i)
        loads = [math.fsum(map(cost.__getitem__, mine)) for mine in members]
        self._improve(cost, keys, members, loads, n)
        return [sorted(mine) for mine in members]

    def _improve(self, cost: Sequence[float], keys: Sequence[str], members: list[list[int]], loads: list[float],
                 n: int) -> None:
        if n < 2 or not cost:
            return
        bound = max(math.fsum(cost) / n, *cost)
        rounds = min(self.max_rounds, max(10, WORK_BUDGET // len(cost)))
        for _ in range(rounds):
            crit = max(range(n), key=lambda w: (loads[w], -w))
            top = loads[crit]
            if top <= bound * (1 + TOLERANCE) + EPSILON:
                return  # at the lower bound (within 0.01%): nothing meaningful left to gain
            best = self._best_move(cost, keys, members, loads, crit, n)
            if len(cost) <= SWAP_LIMIT:
                swap = self._best_swap(cost, keys, members, loads, crit, n)
                if swap is not None and (best is None or swap[0] < best[0] - EPSILON):
                    best = swap
            if best is None:
                return
            _, g, w, h = best
            self._move(cost, loads, members, g, crit, w)
            if h >= 0:
                self._move(cost, loads, members, h, w, crit)

    @staticmethod
    def _best_move(cost: Sequence[float], keys: Sequence[str], members: list[list[int]], loads: list[float],
                   crit: int, n: int) -> tuple[float, int, int, int] | None:
        """Moving group g from the critical worker to the lightest: (new pair max, g, lightest, -1)."""
        top = loads[crit]
        light = min(range(n), key=lambda w: (loads[w], w))
        best: tuple[float, int, int, int] | None = None
        for g in members[crit]:
            c = cost[g]
            pair = max(top - c, loads[light] + c)
            if pair < top - EPSILON and (best is None or (pair, keys[g]) < (best[0], keys[best[1]])):
                best = (pair, g, light, -1)
        return best

    @staticmethod
    def _best_swap(cost: Sequence[float], keys: Sequence[str], members: list[list[int]], loads: list[float],
                   crit: int, n: int) -> tuple[float, int, int, int] | None:
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
            ranked = sorted(members[w], key=lambda h: (cost[h], keys[h]))
            costs = [cost[h] for h in ranked]
            for g in members[crit]:
                target = cost[g] - gap / 2
                at = bisect.bisect_left(costs, target)
                for k in (at - 1, at):
                    if 0 <= k < len(ranked):
                        d = cost[g] - costs[k]
                        if EPSILON < d < gap - EPSILON:
                            pair = max(top - d, loads[w] + d)
                            if best is None or pair < best[0] - EPSILON:
                                best = (pair, g, w, ranked[k])
        return best

    @staticmethod
    def _move(cost: Sequence[float], loads: list[float], members: list[list[int]], g: int, src: int,
              dst: int) -> None:
        loads[src] -= cost[g]
        loads[dst] += cost[g]
        members[src].remove(g)
        members[dst].append(g)
