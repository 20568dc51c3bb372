"""Plan values and the pure planning step: groups + cost model + strategy -> a frozen Plan.

Determinism: groups arrive sorted by key with sorted tests, strategies break ties by key, and inside a
worker groups run in key order, so the same ids in any order give an equal plan, byte for byte.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

from partitioner.costmodel import SECONDS, CostModel
from partitioner.errors import InputError, UsageError
from partitioner.grouping import Group, GroupTable, Merge
from partitioner.history.model import BALANCED_BY_CLASS, BALANCED_PER_TEST, NO_RUNS_YET, History
from partitioner.strategies import Strategy

#: warn when the history prices fewer than 1 in this many planned tests (by their own samples or times)
LITTLE_HISTORY_SHARE_INVERSE = 2
#: why stored runs name tests without timing them (the plan's warning when they explain its little history)
NOT_TIMED = "an interrupted run stores the tests it did not reach as failures, 'not run', with no timing"


@dataclass(frozen=True)
class Partition:
    """One worker's share.

    :ivar worker: worker index (the ``worker-N`` tag)
    :ivar tests: test ids in run order (groups together, groups in key order)
    :ivar groups: the group keys, in run order
    :ivar predicted_s: predicted seconds including class setups and start-up (0 when empty)
    """

    worker: int
    tests: tuple[str, ...]
    groups: tuple[str, ...]
    predicted_s: float


@dataclass(frozen=True)
class Plan:
    """A whole plan and its quality figures.

    :ivar workers: exactly ``concurrency`` partitions (some may be empty when groups < workers)
    :ivar serial: tests that must run alone after the parallel phase (``serial`` option), in order
    :ivar predicted_makespan_s: the largest partition's predicted seconds
    :ivar lower_bound_s: max(total / N, largest group) — no plan can beat it
    :ivar total_s: predicted serial cost of the parallel phase
    :ivar efficiency: lower bound / makespan (1.0 is perfect)
    :ivar estimated_share: share of total cost that was estimated rather than measured
    :ivar critical_group: the costliest group on the critical worker
    :ivar has_history: False when costs are test-count units (no timing history, or none that matched)
    :ivar merged: groups joined because they share a declared resource
    :ivar unit: what every cost figure is in: ``s`` (seconds) or ``tests`` (test counts, when ``has_history``
        is False): renderers print it instead of assuming seconds
    :ivar measured_tests: how many planned tests the history priced by their own samples or times
    """

    workers: tuple[Partition, ...]
    strategy: str
    grouping: str
    predicted_makespan_s: float
    lower_bound_s: float
    total_s: float
    efficiency: float
    estimated_share: float
    critical_group: str | None
    has_history: bool
    startup_s: float = 0.0
    serial: tuple[str, ...] = ()
    serial_s: float = 0.0
    warnings: tuple[str, ...] = ()
    merged: tuple[Merge, ...] = ()
    unit: str = SECONDS
    measured_tests: int = 0

    @property
    def concurrency(self) -> int:
        return len(self.workers)

    def worker_of_group(self, key: str) -> int | None:
        """The worker a group runs on, ``None`` when it is serial or unknown."""
        for part in self.workers:
            if key in part.groups:
                return part.worker
        return None

    def worker_of(self, test_id: str) -> int | None:
        """The worker a test runs on, ``None`` when it is not planned or runs in the serial phase."""
        for part in self.workers:
            if test_id in part.tests:
                return part.worker
        return None


def build_plan(groups: Sequence[Group], model: CostModel, strategy: Strategy, concurrency: int,
               grouping: str, serial: Sequence[Group] = (), warnings: Sequence[str] = (),
               history: History | None = None) -> Plan:
    """Assign ``groups`` to ``concurrency`` workers with ``strategy``.

    :param groups: groups sorted by key (a :class:`~partitioner.grouping.GroupTable`, as
        :func:`partitioner.grouping.group_tests` returns, or any sequence of groups)
    :param model: estimates for every test in ``groups`` and ``serial``
    :param serial: groups to run alone after the parallel phase (not partitioned)
    :param history: the history the model was built from: when it names sources yet times none of the tests,
        the note says so (and nothing when its own warnings have said why), never to go and find a history
    :raises UsageError: concurrency < 1
    :raises InputError: nothing to plan
    """
    if concurrency < 1:
        raise UsageError(f"concurrency must be at least 1, got {concurrency}; ask for one worker or more")
    table = GroupTable.from_groups(groups)
    serial_table = GroupTable.from_groups(serial)
    if not len(table) and not len(serial_table):
        raise InputError("no tests to plan: the test list is empty; check where the test ids come from "
                         "(the test list or the listing command)")
    costs = model.group_costs(table)
    assignment = strategy.assign(costs, concurrency)
    _check_assignment(assignment, len(table), concurrency, strategy.name)
    cost, keys = costs.cost, table.keys
    parts: list[Partition] = []
    for w, indices in enumerate(assignment):
        ordered = sorted(indices)  # groups arrive sorted by key, so index order is key order
        load = math.fsum(map(cost.__getitem__, ordered))
        parts.append(Partition(w, table.tests_of(ordered), tuple(map(keys.__getitem__, ordered)),
                               load + model.startup_s if ordered else 0.0))
    total = math.fsum(cost)
    estimated = math.fsum(costs.estimated_s)
    makespan = max((p.predicted_s for p in parts), default=0.0)
    bound = max(total / concurrency, max(cost, default=0.0))
    critical = max(parts, key=lambda p: (p.predicted_s, -p.worker))
    crit_group = None
    if critical.groups:
        where = assignment[critical.worker]
        top = max(map(cost.__getitem__, where))
        crit_group = max(keys[i] for i in where if cost[i] == top)
    serial_s = math.fsum(model.group_costs(serial_table).cost) if len(serial_table) else 0.0
    balanced = BALANCED_PER_TEST if table.per_test else BALANCED_BY_CLASS
    notes = [w.replace(BALANCED_BY_CLASS, balanced) for w in warnings]
    n_tests = len(table.tests) + len(serial_table.tests)
    if model.unmatched_history and model.untimed_tests * LITTLE_HISTORY_SHARE_INVERSE >= len(model.ids):
        # the runs name most tests but timed none: an interrupted run, not another suite's history
        notes.append(f"the timing history timed none of the {n_tests} tests: its stored runs name "
                     f"{model.untimed_tests} of them without timing them ({NOT_TIMED}): {balanced} as with no "
                     "history; a complete run records their timings")
    elif model.unmatched_history:
        notes.append(f"the timing history matched none of the {n_tests} tests: {balanced} as with no history; "
                     "check that the history comes from this suite (the same test path and ids)")
    elif not model.has_history:
        if any(NO_RUNS_YET in w for w in warnings) or (history is not None and history.warnings):
            pass  # that warning has said it (a store that cannot be read, a repository without runs)
        elif history is not None and history.sources:  # the history was given: telling to give one helps nobody
            notes.append(f"no timing history: {', '.join(history.sources)} timed none of these tests: {balanced}; "
                         "give the history of a run of this suite")
        else:
            notes.append(f"no timing history found: {balanced}; "
                         "pass --history or run the suite once under testr/stestr")
    elif model.measured_tests * LITTLE_HISTORY_SHARE_INVERSE < len(model.ids) and \
            (model.measured_tests + model.untimed_tests) * LITTLE_HISTORY_SHARE_INVERSE >= len(model.ids):
        # the runs name most tests but timed few: an interrupted run, not another suite's history
        notes.append(f"the timing history timed only {model.measured_tests} of {len(model.ids)} tests: its stored "
                     f"runs name {model.untimed_tests} more without timing them ({NOT_TIMED}); the others are "
                     "priced from their class's, module's or suite's mean; a complete run records their timings")
    elif model.measured_tests * LITTLE_HISTORY_SHARE_INVERSE < len(model.ids):
        notes.append(f"the timing history matched only {model.measured_tests} of {len(model.ids)} tests: the "
                     "others are priced from their class's, module's or suite's mean; check that the history "
                     "comes from this suite, or run it once to record timings")
    empty = sum(1 for p in parts if not p.tests)
    if empty and len(table):
        notes.append(f"{empty} of {concurrency} workers have nothing to run: only {len(table)} groups")
    return Plan(
        workers=tuple(parts),
        strategy=strategy.name,
        grouping=grouping,
        predicted_makespan_s=makespan,
        lower_bound_s=bound,
        total_s=total,
        efficiency=(bound / (makespan - model.startup_s)) if makespan > model.startup_s else 1.0,
        estimated_share=(estimated / total) if total > 0 else 0.0,
        critical_group=crit_group,
        has_history=model.has_history,
        startup_s=model.startup_s,
        serial=tuple(serial_table.tests),
        serial_s=serial_s,
        warnings=tuple(notes),
        unit=model.unit,
        measured_tests=model.measured_tests,
    )


def _check_assignment(assignment: Sequence[Sequence[int]], n_groups: int, n: int, name: str) -> None:
    placed = set(chain.from_iterable(assignment))
    if len(assignment) != n or sum(map(len, assignment)) != n_groups or len(placed) != n_groups or \
            (placed and (min(placed) < 0 or max(placed) >= n_groups)):
        raise RuntimeError(f"strategy {name!r} returned an invalid assignment")  # a bug, not bad input


@dataclass(frozen=True)
class Violation:
    """One broken plan invariant; ``describe()`` says which."""

    message: str

    def describe(self) -> str:
        return self.message


def validate(plan: Plan, test_ids: Sequence[str], groups: Sequence[Group]) -> list[Violation]:
    """Every invariant a plan must hold; an empty list means it is valid.

    N partitions; each id exactly once (parallel or serial); every group whole on one worker.
    """
    problems: list[Violation] = []
    placed = [t for p in plan.workers for t in p.tests] + list(plan.serial)
    if sorted(placed) != sorted(set(test_ids)):
        missing = set(test_ids) - set(placed)
        extra = len(placed) - len(set(placed))
        problems.append(Violation(f"ids not placed exactly once: {len(missing)} missing, {extra} duplicated"))
    where = {t: p.worker for p in plan.workers for t in p.tests}
    for group in groups:
        homes = {where.get(t, -1) for t in group.tests}
        if len(homes) > 1:
            problems.append(Violation(f"group {group.key!r} is split over workers {sorted(homes)}"))
    return problems
