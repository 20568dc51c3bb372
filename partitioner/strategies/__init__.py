"""Scheduling strategies: the Strategy protocol, the registry, and lookup by name.

A strategy sees only costed groups (sorted by key) and a worker count, and returns which group indices
each worker gets. Grouping, estimation and rendering are not its business, so a new strategy is small.
Third-party strategies register through the ``partitioner.strategies`` entry-point group.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import Protocol

from partitioner.errors import PluginError, UsageError
from partitioner.estimate import GroupCost
from partitioner.strategies.lpt import LongestFirst as LongestFirst
from partitioner.strategies.roundrobin import RoundRobin as RoundRobin
from partitioner.strategies.testr import TestrCompatible as TestrCompatible


class Strategy(Protocol):
    """**Protocol:** assign costed groups to ``n`` workers.

    ``assign`` gets groups sorted by key and returns exactly ``n`` lists of group indices that together
    hold every index once. It must be deterministic: equal inputs give equal outputs.
    """

    name: str
    cost_aware: bool
    description: str

    def assign(self, groups: Sequence[GroupCost], n: int) -> list[list[int]]: ...


DEFAULT = "lpt"

STRATEGIES: dict[str, Strategy] = {
    "lpt": LongestFirst(),
    "testr": TestrCompatible(),
    "roundrobin": RoundRobin(),
}


def _load_entry_points() -> None:
    for ep in entry_points(group="partitioner.strategies"):
        if ep.name in STRATEGIES:
            continue
        try:
            STRATEGIES[ep.name] = ep.load()()
        except Exception as exc:  # a broken plugin must not break the built-in strategies
            raise PluginError(f"strategy plugin {ep.name!r} ({ep.value}) failed to load: {exc}") from exc


def get_strategy(name: str | None) -> Strategy:
    """The strategy called ``name`` (default ``lpt``); an unknown name lists the valid ones."""
    name = name or DEFAULT
    if name not in STRATEGIES:
        _load_entry_points()
    if name not in STRATEGIES:
        raise UsageError(f"unknown strategy {name!r}; choose one of: {', '.join(sorted(STRATEGIES))}")
    return STRATEGIES[name]


__all__ = ["DEFAULT", "STRATEGIES", "LongestFirst", "RoundRobin", "Strategy", "TestrCompatible",
           "get_strategy"]
