"""Cost-blind baseline: deal groups in key order round-robin."""

from __future__ import annotations

from collections.abc import Sequence

from partitioner.strategies.protocol import GroupCost


class RoundRobin:
    """Groups dealt one per worker in turn, sorted by key; ignores costs."""

    name = "roundrobin"
    cost_aware = False
    description = "cost-blind: groups dealt in key order, one per worker in turn"

    def assign(self, groups: Sequence[GroupCost], n: int) -> list[list[int]]:
        workers: list[list[int]] = [[] for _ in range(n)]
        for i in range(len(groups)):
            workers[i % n].append(i)
        return workers
