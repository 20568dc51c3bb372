"""The planning pipeline: test ids + settings + history -> group, cost, constrain, assign -> a :class:`Planned`.

:func:`plan_ids` is pure (history already loaded); :func:`plan_for_directory` first reads what a run in a
project directory would (its config files, its repositories), flags over files over defaults
(:meth:`partitioner.config.Settings.choose`). The CLI, the runner and the hooks all plan through here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from partitioner import testids
from partitioner.config import Settings, load_settings
from partitioner.costmodel import CostModel, Estimate
from partitioner.errors import InputError
from partitioner.estimate import build_cost_model
from partitioner.grouping import (
    Group,
    Grouper,
    GroupTable,
    group_tests,
    make_grouper,
    merge_by_resources,
    serial_matcher,
    split_serial,
)
from partitioner.grouping.constraints import default_serial
from partitioner.history import load_history_for
from partitioner.history.model import History
from partitioner.plan import Plan, build_plan
from partitioner.strategies import DEFAULT, GroupCost, get_strategy


@dataclass(frozen=True)
class Planned:
    """A plan with what produced it (what ``explain`` and the renderers need besides the plan).

    :ivar groups: the parallel phase's groups (resource merges applied)
    :ivar serial_groups: the groups of the serial phase
    :ivar model: the estimates the plan rests on
    """

    plan: Plan
    groups: GroupTable
    serial_groups: GroupTable
    model: CostModel

    @property
    def all_groups(self) -> tuple[Group, ...]:
        """Parallel and serial groups together."""
        return (*self.groups, *self.serial_groups)

    def explain(self, test_id: str) -> Explanation:
        """Where ``test_id`` goes and why.

        :raises InputError: when the test is not in the plan (close ids are suggested)
        """
        planned_ids = {t for g in self.all_groups for t in g.tests}
        if test_id not in planned_ids:
            near = sorted(t for t in planned_ids if t.startswith(testids.parse(test_id).base))[:3]
            hint = f"; did you mean {', '.join(near)}?" if near else "; check the id against the test list"
            raise InputError(f"{test_id!r} is not in the test list{hint}")
        group = next(g for g in self.all_groups if test_id in g.tests)
        klass = testids.class_key(test_id)
        return Explanation(test_id, group, self.plan.worker_of(test_id), self.plan.concurrency,
                           self.model.test(test_id), klass, self.model.class_setup(klass), self.model.group_cost(group))


@dataclass(frozen=True)
class Explanation:
    """Where one test goes and what it is estimated to cost.

    :ivar worker: its worker, ``None`` for the serial phase
    :ivar estimate: the test's own estimate and its source
    :ivar klass: its class key; ``setup`` is that class's setup estimate
    :ivar cost: its whole group's cost on one worker
    """

    test: str
    group: Group
    worker: int | None
    concurrency: int
    estimate: Estimate
    klass: str
    setup: Estimate
    cost: GroupCost


#: how many of a repository's newest runs planning reads: enough for RECENT samples of a test that is
#: sometimes filtered out or failing, while the time to plan stays flat as a repository grows (python-subunit
#: parses about 20,000 events a second); older runs are still read by ``races`` and ``history``
PLAN_RUNS = 10


def plan_ids(test_ids: Sequence[str], concurrency: int, history: History, grouper: Grouper,
             strategy: str | None = None, settings: Settings | None = None) -> Planned:
    """Pure planning of ``test_ids`` given a loaded history.

    Duplicate ids are planned once (and reported in the plan's warnings).
    """
    settings = settings or Settings()
    table = group_tests(test_ids, grouper)  # sorted (linear on nearly sorted listings), duplicates dropped
    notes = list(history.warnings)
    if len(table.tests) != len(test_ids):
        notes.append(f"{len(test_ids) - len(table.tests)} duplicate test ids ignored: each id is planned once")
    if concurrency > max(1, len(table.tests)):  # more workers than tests: the rest would only cost memory
        notes.append(f"{concurrency} workers asked for, but there are only {len(table.tests)} tests: "
                     f"planned for {max(1, len(table.tests))}")
        concurrency = max(1, len(table.tests))
    model = build_cost_model(table, history)
    groups, merges = merge_by_resources(table, [(r.name, r.pattern) for r in settings.resources])
    matcher = (serial_matcher(settings.serial, settings.where.get("serial", "serial")) if settings.serial
               else default_serial(table.tests))  # tempest's serial_tests, unless `serial` says otherwise
    parallel, serial = split_serial(groups, matcher)
    plan = build_plan(parallel, model, get_strategy(strategy), concurrency, grouper.spec, serial=serial,
                      warnings=notes)
    if merges:
        plan = replace(plan, merged=merges)
        share = plan.total_s / max(1, concurrency)
        merged_keys = {m.key for m in merges}
        merged = GroupTable.from_groups([g for g in parallel if g.key in merged_keys])
        costs = dict(zip(merged.keys, model.group_costs(merged).cost, strict=True))
        extra = [f"resource group {m.key} ({len(m.members)} groups, {costs.get(m.key, 0.0):.1f}s) is larger "
                 f"than the balanced share {share:.1f}s: it bounds the makespan"
                 for m in merges if costs.get(m.key, 0.0) > share]
        if extra:
            plan = replace(plan, warnings=plan.warnings + tuple(extra))
    return Planned(plan, parallel, serial, model)


def resolve(cwd: Path, settings: Settings, history: Sequence[str] = (), group_by: str | None = None,
            stdin: IO[bytes] | None = None) -> tuple[History, Grouper]:
    """The history and grouper a run in ``cwd`` uses (flags first, then the config files, then defaults)."""
    grouping = settings.choose("group_by", group_by, "class")
    sources = settings.choose("history", tuple(history), ())
    loaded = load_history_for(cwd, sources.value, stdin, newest=PLAN_RUNS)
    return loaded, make_grouper(grouping.value, grouping.where)


def plan_for_directory(test_ids: Sequence[str], concurrency: int, cwd: Path, history: Sequence[str] = (),
                       group_by: str | None = None, strategy: str | None = None,
                       stdin: IO[bytes] | None = None, settings: Settings | None = None) -> Planned:
    """Plan ``test_ids`` the way a run in ``cwd`` would: its config files, its repositories.

    Flags given here override the config files; ``settings`` saves reading them again.
    """
    settings = settings or load_settings(cwd)
    loaded, grouper = resolve(cwd, settings, history, group_by, stdin)
    chosen = settings.choose("strategy", strategy, DEFAULT).value
    return plan_ids(test_ids, concurrency, loaded, grouper, chosen, settings)
