"""The plan as the runner takes it: plain data (:class:`Shares`), the planner behind it (:class:`Planner`,
:func:`default_planner`), and the check that it covers every id exactly once (:func:`complete`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from partitioner.errors import RunnerError

#: a group as the planner prices it: (key, predicted seconds, test ids)
Queued = tuple[str, float, tuple[str, ...]]


@dataclass(frozen=True)
class Shares:
    """A plan as the runner needs it: plain data (each worker's share of the ids, and its groups).

    :ivar workers: one tuple of ids per parallel worker (some may be empty)
    :ivar serial: ids to run in one worker after every parallel worker finished
    :ivar warnings: lines to print as ``partitioner.run: warning: ...`` (``note:`` for those
        :func:`partitioner.history.model.is_note` calls notes)
    :ivar groups: per worker, its groups in run order (what dynamic dispatch queues, and the plan record);
        empty when the planner gives none (consecutive tests of a class then make a group)
    :ivar serial_groups: the serial phase's groups
    :ivar startup_s: predicted start-up of a worker
    :ivar has_history: the costs are seconds from a history (else test counts)
    :ivar measured_tests: how many of the tests the history measured
    :ivar progress_costs: computes ``(test id -> predicted seconds, test id -> worker-N)`` for the
        progress line's ETA (called only when the line is drawn)
    """

    workers: tuple[tuple[str, ...], ...]
    serial: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    groups: tuple[tuple[Queued, ...], ...] = ()
    serial_groups: tuple[Queued, ...] = ()
    startup_s: float = 0.0
    progress_costs: Callable[[], tuple[Mapping[str, float], Mapping[str, str]]] | None = None
    has_history: bool = False
    measured_tests: int = 0


class Planner(Protocol):
    """**Protocol:** split ``test_ids`` into ``concurrency`` shares (raises PartitionerError on bad input)."""

    def __call__(self, test_ids: Sequence[str], concurrency: int, *, cwd: Path, history: Sequence[str],
                 group_by: str | None, strategy: str | None) -> Shares: ...


def default_planner(test_ids: Sequence[str], concurrency: int, *, cwd: Path, history: Sequence[str],
                    group_by: str | None, strategy: str | None) -> Shares:
    """Plan with :func:`partitioner.pipeline.plan_for_directory` (config files, history, strategy)."""
    try:
        from partitioner.pipeline import plan_for_directory
    except ImportError as exc:
        raise RunnerError(f"cannot load the planner (partitioner.pipeline): {exc}; reinstall partitioner") \
            from exc

    planned = plan_for_directory(test_ids, concurrency, cwd, history=history, group_by=group_by,
                                 strategy=strategy)
    plan, model = planned.plan, planned.model
    tests = {g.key: g.tests for g in planned.all_groups}
    costs = dict(zip(planned.groups.keys, model.group_costs(planned.groups).cost, strict=True))
    serial_costs = model.group_costs(planned.serial_groups).cost if len(planned.serial_groups) else []

    def progress_costs() -> tuple[Mapping[str, float], Mapping[str, str]]:
        from partitioner.timeline.predicted import lane_costs, plan_assignment, predicted_lanes

        if not plan.has_history:  # test-count units, not seconds: the ETA comes from the run itself
            return {}, {}
        return lane_costs(predicted_lanes(plan_assignment(plan), model))

    return Shares(
        tuple(tuple(w.tests) for w in plan.workers), tuple(plan.serial), tuple(plan.warnings),
        groups=tuple(tuple((k, costs[k], tuple(tests[k])) for k in w.groups) for w in plan.workers),
        serial_groups=tuple((g.key, cost, tuple(g.tests)) for g, cost in zip(planned.serial_groups, serial_costs,
                                                                                strict=True)),
        startup_s=model.startup_s, progress_costs=progress_costs, has_history=plan.has_history,
        measured_tests=model.measured_tests)


def complete(partition: Shares, test_ids: Sequence[str]) -> tuple[list[list[str]], list[str], list[str]]:
    """Check the plan covers ``test_ids`` exactly once; returns (shares, serial, notes) repaired if not.

    An id the planner dropped is dealt to the shares in turn; an id planned twice runs once.
    """
    seen: set[str] = set()
    notes: list[str] = []
    shares: list[list[str]] = []
    for tests in (*partition.workers, partition.serial):
        kept = [t for t in tests if t not in seen]
        if len(kept) != len(tests):
            notes.append(f"the plan listed {len(tests) - len(kept)} test ids twice; each runs once")
        seen.update(kept)
        shares.append(kept)
    serial = shares.pop()
    if not shares:
        shares.append([])
    missing = [t for t in dict.fromkeys(test_ids) if t not in seen]
    if missing:
        notes.append(f"the plan left out {len(missing)} test ids; they were dealt to the workers in turn")
        for n, test_id in enumerate(missing):
            shares[n % len(shares)].append(test_id)
    return shares, serial, notes
