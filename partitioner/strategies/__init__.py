"""Scheduling strategies: the registry, and lookup by name (the contract is in :mod:`.protocol`).

Third-party strategies register through the ``partitioner.strategies`` entry-point group.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from partitioner.errors import PluginError, UsageError
from partitioner.strategies.lpt import LongestFirst as LongestFirst
from partitioner.strategies.protocol import CostTable as CostTable
from partitioner.strategies.protocol import GroupCost as GroupCost
from partitioner.strategies.protocol import Strategy as Strategy
from partitioner.strategies.roundrobin import RoundRobin as RoundRobin
from partitioner.strategies.testr import TestrCompatible as TestrCompatible

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


__all__ = ["DEFAULT", "STRATEGIES", "CostTable", "GroupCost", "LongestFirst", "RoundRobin", "Strategy",
           "TestrCompatible", "get_strategy"]
