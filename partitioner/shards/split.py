"""Split a suite's groups into M shards (one per CI job) balanced by predicted time, then each shard over N workers.

The unit is the pipeline's group (after resource merges and the serial split), never a test: a group is
never split, so a class's setup runs once and tests that share a resource stay on one machine. A shard's
predicted wall time is its N-worker plan's makespan plus its serial phase, so the split balances each
group's *contribution to wall time*: a parallel group of cost ``c`` adds about ``c / N`` (it shares the
shard with N workers), a serial group adds ``c`` (it runs alone). Those weights are dealt longest first
onto the lightest shard, with moves and swaps off the heaviest shard after (:class:`LongestFirst`, the
default strategy, used here whatever ``--strategy`` says, because shards must balance by time); so the
largest shard weighs at most ``total / M + largest weight`` (Graham's bound for greedy list scheduling),
and within 4/3 of the best split. Each shard is then planned over its N workers with the chosen strategy.

Determinism: items are sorted by key, ties are broken by key and then shard number, and nothing depends on
the order the ids came in. Jobs that give the same ids, settings and history get the same split, shard
for shard; :attr:`ShardedPlan.digest` names that split, so jobs can check that they agree.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from partitioner.costmodel import SECONDS, TESTS, CostModel
from partitioner.errors import UsageError
from partitioner.grouping import Group, GroupTable, Merge
from partitioner.history.model import History
from partitioner.plan import Partition, Plan, build_plan
from partitioner.strategies import CostTable, LongestFirst, Strategy

__all__ = ["Coverage", "Shard", "ShardedPlan", "lower_bound", "split_digest", "split_shards", "split_weights"]


@dataclass(frozen=True)
class Shard:
    """One CI job's share.

    :ivar index: the shard number, counting from 1
    :ivar plan: its tests over N workers (parallel phase, then its serial phase)
    :ivar groups: its group keys, sorted (parallel and serial groups alike)
    """

    index: int
    plan: Plan
    groups: tuple[str, ...]

    @property
    def tests(self) -> tuple[str, ...]:
        """Every test of the shard: worker 0's in run order, worker 1's, ..., then the serial phase."""
        return (*(t for p in self.plan.workers for t in p.tests), *self.plan.serial)

    @property
    def predicted_s(self) -> float:
        """Predicted wall time: the parallel phase's makespan (start-up included) plus the serial phase."""
        return self.plan.predicted_makespan_s + self.plan.serial_s

    @property
    def empty(self) -> bool:
        """Whether the shard has nothing to run (more shards than groups)."""
        return not self.groups


@dataclass(frozen=True)
class Coverage:
    """How a list of test ids compares with a split.

    :ivar missing: ids listed but in no shard (the split was made from another list: they would not run)
    :ivar stale: ids in a shard but not listed (removed since the split was made)
    """

    missing: tuple[str, ...]
    stale: tuple[str, ...]

    @property
    def exact(self) -> bool:
        return not self.missing and not self.stale


@dataclass(frozen=True)
class ShardedPlan:
    """The whole split: M shards, each planned over N workers.

    :ivar shards: exactly M shards, numbered 1..M
    :ivar concurrency: N, the workers of each shard
    :ivar strategy: the strategy that planned each shard's workers
    :ivar grouping: the grouping spec
    :ivar has_history: False when costs are test-count units (no timing history at all)
    :ivar total_s: predicted serial cost of every group (parallel and serial)
    :ivar lower_bound_s: no split can make its largest shard predict less (start-up excluded)
    :ivar startup_s: per-worker start-up seconds, in every shard's prediction
    :ivar history: the history the split was planned from, pinned (store URLs with ``?upto=N``), passwords
        hidden: what another job must read to plan the same split
    :ivar warnings: notes about the whole split (each shard's plan has its own)
    """

    shards: tuple[Shard, ...]
    concurrency: int
    strategy: str
    grouping: str
    has_history: bool
    total_s: float
    lower_bound_s: float
    startup_s: float = 0.0
    history: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def unit(self) -> str:
        """What the figures are in: seconds, or test-count units when there is no timing history."""
        return SECONDS if self.has_history else TESTS

    @property
    def count(self) -> int:
        """M, the number of shards."""
        return len(self.shards)

    @property
    def predicted_makespan_s(self) -> float:
        """The largest shard's predicted wall time."""
        return max((s.predicted_s for s in self.shards), default=0.0)

    @property
    def efficiency(self) -> float:
        """Lower bound over the largest shard's prediction (start-up excluded); 1.0 is perfect."""
        top = self.predicted_makespan_s - self.startup_s
        return self.lower_bound_s / top if top > 0 else 1.0

    @property
    def digest(self) -> str:
        """A short fingerprint of which tests each shard runs: equal digests, equal splits."""
        return split_digest([s.tests for s in self.shards])

    def shard(self, index: int) -> Shard:
        """Shard ``index`` (counting from 1).

        :raises UsageError: when there is no such shard
        """
        if not 1 <= index <= self.count:
            raise UsageError(f"shard {index} does not exist: the split has {self.count} shards (1 to {self.count})")
        return self.shards[index - 1]

    def coverage(self, test_ids: Iterable[str]) -> Coverage:
        """Compare ``test_ids`` (e.g. the suite listed again by a shard job) with the split."""
        listed = set(test_ids)
        planned = {t for s in self.shards for t in s.tests}
        return Coverage(tuple(sorted(listed - planned)), tuple(sorted(planned - listed)))


def split_digest(shards: Sequence[Sequence[str]]) -> str:
    """The fingerprint of a split given each shard's tests (order inside a shard does not matter)."""
    text = json.dumps([sorted(tests) for tests in shards], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _weights(parallel: GroupTable, serial: GroupTable, model: CostModel, concurrency: int
             ) -> tuple[list[str], list[float], list[int], list[bool]]:
    """Keys, wall-time weights, sizes and serial flags of every item, sorted by key."""
    items: list[tuple[str, float, int, bool]] = []
    for table, is_serial in ((parallel, False), (serial, True)):
        if len(table):
            costs = model.group_costs(table)
            scale = 1.0 if is_serial else 1.0 / concurrency
            items.extend(zip(costs.keys, (c * scale for c in costs.cost), costs.n_tests, [is_serial] * len(costs),
                             strict=True))
    items.sort(key=lambda item: item[0])
    return [i[0] for i in items], [i[1] for i in items], [i[2] for i in items], [i[3] for i in items]


def split_weights(weights: Sequence[float], keys: Sequence[str], sizes: Sequence[int], shards: int) -> list[list[int]]:
    """Which items (indices, ascending) each of ``shards`` shards gets, balancing the sums of ``weights``.

    ``keys`` must be sorted; they break ties. Deterministic: equal inputs give equal outputs.
    """
    n = len(weights)
    table = CostTable(keys, list(weights), [0.0] * n, [0.0] * n, [0.0] * n, list(sizes), [0] * n)
    return LongestFirst().assign(table, shards)


def lower_bound(parallel_costs: Sequence[float], serial_costs: Sequence[float], shards: int, concurrency: int
                ) -> float:
    """What no split into ``shards`` shards of ``concurrency`` workers can beat (start-up excluded).

    A shard takes at least its parallel cost over N plus its serial cost, so the largest takes at least the
    mean of that over the shards; and no shard can finish before its largest group.
    """
    spread = (math.fsum(parallel_costs) / concurrency + math.fsum(serial_costs)) / shards
    return max(spread, max(parallel_costs, default=0.0), max(serial_costs, default=0.0))


def _empty_plan(concurrency: int, strategy: str, grouping: str, has_history: bool) -> Plan:
    workers = tuple(Partition(w, (), (), 0.0) for w in range(concurrency))
    return Plan(workers, strategy, grouping, 0.0, 0.0, 0.0, 1.0, 0.0, None, has_history)


def split_shards(parallel: Sequence[Group], serial: Sequence[Group], model: CostModel, shards: int,
                 concurrency: int, strategy: Strategy, grouping: str, merged: Sequence[Merge] = (),
                 history: Sequence[str] = (), warnings: Sequence[str] = (),
                 planned_from: History | None = None) -> ShardedPlan:
    """Split the groups into ``shards`` shards and plan each over ``concurrency`` workers.

    :param parallel: the parallel phase's groups (a pipeline's ``Planned.groups``)
    :param serial: the serial phase's groups (``Planned.serial_groups``)
    :param model: estimates for every test in both
    :param strategy: what plans each shard's workers (the split itself is always longest-first)
    :param merged: the resource merges, to show in the plan of the shard that holds each
    :param history: the pinned history sources, passwords hidden (recorded in the result)
    :param warnings: notes to carry (e.g. the history's warnings)
    :param planned_from: the history ``model`` was built from (a pipeline's ``Planned.history``), so that each
        shard's notes say what it did or did not time, and nothing where its warnings said why; default: a
        history of the ``history`` sources. Never the advice to go and give a history that was given.
    :raises UsageError: ``shards`` or ``concurrency`` below 1
    """
    if shards < 1:
        raise UsageError(f"the number of shards must be at least 1, got {shards}; ask for one shard or more")
    if concurrency < 1:
        raise UsageError(f"concurrency must be at least 1, got {concurrency}; ask for one worker or more")
    if planned_from is None and history:
        planned_from = History(sources=tuple(history))
    parallel_table, serial_table = GroupTable.from_groups(parallel), GroupTable.from_groups(serial)
    keys, weights, sizes, is_serial = _weights(parallel_table, serial_table, model, concurrency)
    by_key = {g.key: g for table in (parallel_table, serial_table) for g in table}
    built: list[Shard] = []
    for number, members in enumerate(split_weights(weights, keys, sizes, shards), 1):
        mine = [keys[i] for i in members]
        if not mine:
            built.append(Shard(number, _empty_plan(concurrency, strategy.name, grouping, model.has_history), ()))
            continue
        plan = build_plan([by_key[keys[i]] for i in members if not is_serial[i]], model, strategy, concurrency,
                          grouping, serial=[by_key[keys[i]] for i in members if is_serial[i]], history=planned_from)
        own = set(mine)
        held = tuple(m for m in merged if m.key in own)
        built.append(Shard(number, replace(plan, merged=held) if held else plan, tuple(mine)))
    parallel_costs = list(model.group_costs(parallel_table).cost) if len(parallel_table) else []
    serial_costs = list(model.group_costs(serial_table).cost) if len(serial_table) else []
    notes = list(warnings)
    idle = sum(1 for s in built if s.empty)
    if idle:
        notes.append(f"{idle} of {shards} shards have nothing to run: only {len(keys)} groups")
    return ShardedPlan(
        shards=tuple(built),
        concurrency=concurrency,
        strategy=strategy.name,
        grouping=grouping,
        has_history=model.has_history,
        total_s=math.fsum(parallel_costs) + math.fsum(serial_costs),
        lower_bound_s=lower_bound(parallel_costs, serial_costs, shards, concurrency),
        startup_s=model.startup_s,
        history=tuple(history),
        warnings=tuple(notes),
    )
