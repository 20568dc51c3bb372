"""The planning pipeline: test ids + settings + history -> group, cost, constrain, assign -> a :class:`Planned`.

:func:`plan_ids` is pure (history already loaded); :func:`plan_for_directory` first reads what a run in a
project directory would (its config files, its repositories), flags over files over defaults
(:meth:`partitioner.config.Settings.choose`). The CLI, the runner and the hooks all plan through here, and
read their history through :func:`load_planning_history` (repositories from digests, stores aggregated).

Shards (one CI job each): :func:`plan_shards` splits a suite into M shards from one history,
:func:`select_shard` is what one shard job runs, from the same pinned history or from a plan file made once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

from partitioner import testids
from partitioner.config import Choice, Settings, listing_tool, load_settings
from partitioner.costmodel import CostModel, Estimate
from partitioner.errors import InputError, UsageError
from partitioner.estimate import build_cost_model
from partitioner.figures import figure
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
from partitioner.history import PLAN_RUNS  # its home is the history package (exec reads it early)
from partitioner.history.model import FEWER_TESTS_MARK, History
from partitioner.plan import Plan, build_plan
from partitioner.shards import Shard, ShardedPlan, ShardSpec, parse_shard, split_shards
from partitioner.strategies import DEFAULT, GroupCost, get_strategy


@dataclass(frozen=True)
class Planned:
    """A plan with what produced it (what ``explain`` and the renderers need besides the plan).

    :ivar groups: the parallel phase's groups (resource merges applied)
    :ivar serial_groups: the groups of the serial phase
    :ivar model: the estimates the plan rests on
    :ivar history: the history it was planned from (its sources, warnings, runs digested and unread)
    :ivar grouping_from: where the grouping came from: a flag, a config file (or its missing ``group_regex``),
        the default, or the tool's own ``group_regex`` callback (empty when the caller did not say)
    """

    plan: Plan
    groups: GroupTable
    serial_groups: GroupTable
    model: CostModel
    history: History = field(default_factory=History)
    grouping_from: str = ""

    @property
    def all_groups(self) -> tuple[Group, ...]:
        """Parallel and serial groups together."""
        return (*self.groups, *self.serial_groups)

    def explain(self, test_id: str, listed_from: str = "") -> Explanation:
        """Where ``test_id`` goes and why.

        :param listed_from: what the test list is and where it came from (the CLI's
            :meth:`partitioner.cli.selection.Selection.describe`), for the error when the id is not in it
        :raises InputError: when the test is not in the plan (close ids are suggested)
        """
        planned_ids = {t for g in self.all_groups for t in g.tests}
        if test_id not in planned_ids:
            near = sorted(t for t in planned_ids if t.startswith(testids.parse(test_id).base))[:3]
            which = f" ({listed_from})" if listed_from else ""
            if near:
                hint = f"; did you mean {', '.join(near)}?"
            elif listed_from:  # a list other than the run's is the usual cause: say how to list the same tests
                hint = ("; check the id, or list the tests as the run does (--test-path DIR or --tests FILE, "
                        "and the same filters)")
            else:
                hint = "; check the id against the test list"
            raise InputError(f"{test_id!r} is not in the test list{which}{hint}")
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
        notes.append(f"{concurrency} {FEWER_TESTS_MARK} {'is' if len(table.tests) == 1 else 'are'} only "
                     f"{len(table.tests)} test{'' if len(table.tests) == 1 else 's'}: "
                     f"planned for {max(1, len(table.tests))}")
        concurrency = max(1, len(table.tests))
    model = build_cost_model(table, history)
    groups, merges = merge_by_resources(table, [(r.name, r.pattern) for r in settings.resources])
    matcher = (serial_matcher(settings.serial, settings.where.get("serial", "serial")) if settings.serial
               else default_serial(table.tests, table.ordered))  # tempest's serial_tests unless `serial` is set
    parallel, serial = split_serial(groups, matcher)
    plan = build_plan(parallel, model, get_strategy(strategy), concurrency, grouper.spec, serial=serial,
                      warnings=notes, history=history)
    if merges:
        plan = replace(plan, merged=merges)
        share = plan.total_s / max(1, concurrency)
        merged_keys = {m.key for m in merges}
        merged = GroupTable.from_groups([g for g in parallel if g.key in merged_keys])
        costs = dict(zip(merged.keys, model.group_costs(merged).cost, strict=True))
        extra = [f"resource group {m.key} ({len(m.members)} groups, {figure(costs.get(m.key, 0.0), plan.unit)}) is "
                 f"larger than the balanced share {figure(share, plan.unit)}: it bounds the makespan"
                 for m in merges if costs.get(m.key, 0.0) > share]
        if extra:
            plan = replace(plan, warnings=plan.warnings + tuple(extra))
    return Planned(plan, parallel, serial, model, history)


def _repository_spec(spec: str, cwd: Path) -> list[tuple[Path, str | None]]:
    """The repositories a history source names (``stestr:X``, ``testrepository:X``, or a directory that is or
    holds one), else ``[]`` (a stream, a timing file, a URL: read by the loaders)."""
    from partitioner.history.repository import REPOSITORY_DIRS, discover, repository_kind

    kind, sep, rest = spec.partition(":")
    try:
        if sep and kind in REPOSITORY_DIRS and rest:
            path = Path(rest) if Path(rest).is_absolute() else cwd / rest
            return [(path, kind)] if path.is_dir() else []
        path = Path(spec) if Path(spec).is_absolute() else cwd / spec
        if spec == "-" or "://" in spec or not path.is_dir():
            return []
        if repository_kind(path) is not None:
            return [(path, None)]
        return [(Path(found), None) for found in discover(path)]
    except OSError:  # unreadable, a name too long: the loaders check the source and say why in one line
        return []


def load_planning_history(cwd: Path, sources: Sequence[str], *, repositories: Sequence[str | Path] = (),
                          stdin: IO[bytes] | None = None, budget_s: float | None = None,
                          strict: bool = False, discover: bool = True) -> History:
    """The history a plan in ``cwd`` reads: ``sources`` (the flags', else the ``history`` option's), else the
    ``repositories`` (the one testr/stestr hand the hooks), else those found in ``cwd``.

    Repositories are read from their runs' digests (:func:`partitioner.history.digest.planning_history`: the
    newest :data:`PLAN_RUNS` runs); a store gives its aggregated samples (``purpose="plan"``); the rest is read
    by :func:`partitioner.history.load.load_history`.

    :param budget_s: at most this many seconds parsing runs not digested yet (``None``: every run, and the
        digests are cached for the next plan); runs over the budget are left out and named in a warning
    :param strict: every source is required (shard jobs that each split the suite must see the same history);
        implies reading every run
    :param discover: without sources or ``repositories``, read those found in ``cwd``
    """
    from partitioner.history.digest import merge_planning, planning_history

    budget = None if strict else budget_s
    parts: list[History] = []
    others: list[str] = []
    read: set[Path] = set()
    if not sources:
        from partitioner.history.repository import discover as found_in

        for repository in repositories or (found_in(cwd) if discover else ()):
            parts.append(planning_history(repository, PLAN_RUNS, budget_s=budget))
    for spec in sources:
        found = _repository_spec(spec, cwd)
        if not found:
            others.append(spec)
        for path, kind in found:
            if path.resolve() not in read:  # given twice: read once
                read.add(path.resolve())
                parts.append(planning_history(path, PLAN_RUNS, kind, budget_s=budget))
    if others:
        from partitioner.history.load import load_history_for

        parts.append(load_history_for(cwd, others, stdin, newest=PLAN_RUNS, purpose="plan", strict=strict))
    return merge_planning(parts) if parts else History()


def resolve(cwd: Path, settings: Settings, history: Sequence[str] = (), group_by: str | None = None,
            stdin: IO[bytes] | None = None) -> tuple[History, Grouper]:
    """The history and grouper a run in ``cwd`` uses (flags first, then the config files, then defaults).

    Every stored run is read (and its digest cached, so that the hooks of the next run find it).
    """
    grouper, _ = grouping_for(settings, group_by)
    return project_history(cwd, settings, history, stdin), grouper


def project_history(cwd: Path, settings: Settings, history: Sequence[str] = (), stdin: IO[bytes] | None = None,
                    tool: str | None = None) -> History:
    """The history a plan of the project in ``cwd`` reads: ``history`` (the flags), else the ``history`` option's
    sources, else the repository of ``tool`` (default: :func:`listing_tool`'s) found in ``cwd``, or both
    repositories when neither tool's is there."""
    chosen = settings.choose("history", tuple(history), ())
    if chosen.value:
        with chosen.blamed("history"):
            return load_planning_history(cwd, chosen.value, stdin=stdin)
    repositories, note = own_repositories(cwd, tool or listing_tool(settings))
    loaded = load_planning_history(cwd, (), repositories=repositories, discover=False)
    return loaded if note is None else replace(loaded, warnings=(*loaded.warnings, note))


def grouping_for(settings: Settings, group_by: str | None = None) -> tuple[Grouper, Choice[str]]:
    """The grouper a plan uses and where its spec came from: the flag, the config files (a ``group_by`` option,
    testr/stestr's ``group_regex``, or its absence: per test, as the tool splits), else ``class``."""
    grouping = settings.choose("group_by", group_by, "class")
    return make_grouper(grouping.value, grouping.where), grouping


#: the repository each tool stores its runs in
TOOL_REPOSITORIES: Mapping[str, str] = {"stestr": ".stestr", "testr": ".testrepository"}


def own_repositories(cwd: Path, tool: str | None) -> tuple[list[str], str | None]:
    """The repositories in ``cwd`` that a run of ``tool`` reads, and a note when another one is left unread.

    A project that moved from testr to stestr keeps its old ``.testrepository``; ``partitioner exec -- stestr``
    plans from ``.stestr`` alone (the repository stestr hands the hooks), so ``plan`` must not mix the two.
    """
    from partitioner.history.repository import discover

    found = discover(cwd)
    if len(found) < 2 or tool not in TOOL_REPOSITORIES:
        return found, None
    assert tool is not None
    mine = [path for path in found if Path(path).name == TOOL_REPOSITORIES[tool]]
    other_tool, other = next((t, name) for t, name in TOOL_REPOSITORIES.items() if t != tool)
    return mine, (f"{other} not read: this project lists its tests with {tool}, whose runs are in "
                  f"{TOOL_REPOSITORIES[tool]} (what `partitioner exec -- {tool} ...` reads); pass --history {other} "
                  f"to plan from {other_tool}'s runs")


def plan_for_directory(test_ids: Sequence[str], concurrency: int, cwd: Path, history: Sequence[str] = (),
                       group_by: str | None = None, strategy: str | None = None,
                       stdin: IO[bytes] | None = None, settings: Settings | None = None,
                       tool: str | None = None) -> Planned:
    """Plan ``test_ids`` the way a run in ``cwd`` would: its config files, its repositories.

    Flags given here override the config files; ``settings`` saves reading them again. Without history sources
    the plan reads the repository of ``tool`` (default: :func:`listing_tool`'s) where ``cwd`` holds both.
    """
    settings = settings or load_settings(cwd)
    grouper, grouping = grouping_for(settings, group_by)
    loaded = project_history(cwd, settings, history, stdin, tool)
    chosen = settings.choose("strategy", strategy, DEFAULT).value
    return replace(plan_ids(test_ids, concurrency, loaded, grouper, chosen, settings), grouping_from=grouping.where)


# -- shards ------------------------------------------------------------------------------------------------------


def plan_shards(test_ids: Sequence[str], shards: int, concurrency: int, cwd: Path, history: Sequence[str] = (),
                group_by: str | None = None, strategy: str | None = None, stdin: IO[bytes] | None = None,
                settings: Settings | None = None, pin: bool = False) -> tuple[ShardedPlan, Planned]:
    """Split ``test_ids`` into ``shards`` shards of ``concurrency`` workers each, and the whole plan it came from.

    The history is the flags' sources, else the ``history`` option's; never a repository found in ``cwd``,
    which every job's checkout holds on its own (jobs must agree).

    :param pin: pin every unpinned store to its newest run first (making a plan file, whose ``history`` then
        names the pins) and read the sources as a plan does (an unreachable store warns); otherwise every
        store must be pinned already and every source is required (each job splits the suite itself)
    :raises UsageError: an unpinned store when ``pin`` is False
    """
    from partitioner.history.load import pin_sources, unpinned_stores
    from partitioner.history.store.url import redact

    settings = settings or load_settings(cwd)
    given = settings.choose("history", tuple(history), ())
    sources = given.value
    with given.blamed("history"):
        if pin:
            sources = pin_sources(sources, cwd, strict=False)
        else:
            unpinned = unpinned_stores(sources, cwd)
            if unpinned:
                raise UsageError(f"history store {unpinned[0]} is not pinned: shard jobs that read it at different "
                                 "times would split the suite differently; pin it to a run (?upto=N, the store's "
                                 "newest run id when the first job starts) or make one plan file for every job")
        loaded = load_planning_history(cwd, sources, stdin=stdin, strict=not pin, discover=False)
    grouper, grouping = grouping_for(settings, group_by)
    chosen = settings.choose("strategy", strategy, DEFAULT).value
    planned = replace(plan_ids(test_ids, concurrency, loaded, grouper, chosen, settings),
                      grouping_from=grouping.where)
    sharded = split_shards(planned.groups, planned.serial_groups, planned.model, shards, concurrency,
                           get_strategy(chosen), grouper.spec, merged=planned.plan.merged,
                           history=tuple(redact(s) for s in sources), warnings=planned.plan.warnings,
                           planned_from=planned.history)
    return sharded, planned


@dataclass(frozen=True)
class ShardRun:
    """What one shard job runs.

    :ivar spec: which shard (``K/M``, and where that came from)
    :ivar sharded: the whole split
    :ivar tests: the shard's tests that were listed, in the shard's order (empty: run nothing)
    :ivar stale: tests of the shard (from a plan file) no longer listed: dropped
    :ivar plan_file: the plan file the split came from, if any
    """

    spec: ShardSpec
    sharded: ShardedPlan
    tests: tuple[str, ...]
    stale: tuple[str, ...] = ()
    plan_file: str | None = None

    @property
    def shard(self) -> Shard:
        return self.sharded.shard(self.spec.index)

    def describe(self) -> str:
        """``shard 2/4 of split 3f2a...: 23 of 96 tests, predicted 12.3s`` (the unit is the plan's)."""
        total = sum(len(s.tests) for s in self.sharded.shards)
        where = f" (plan file {self.plan_file})" if self.plan_file else ""
        # a split by test counts: say why, since the run's own plan below may read this checkout's repository
        why = (" (split by test counts: the jobs share no timing history; a checkout's own .stestr/.testrepository "
               "is not read for the split, each job's differs; pin a store with --history or hand every job one "
               "plan file)" if not self.sharded.has_history and not self.sharded.history else "")
        return (f"shard {self.spec} of split {self.sharded.digest}{where}: {len(self.tests)} of {total} tests, "
                f"predicted {figure(self.shard.predicted_s, self.sharded.unit)}{why}")


def select_shard(test_ids: Sequence[str], shard: str, cwd: Path, env: Mapping[str, str], *,
                 plan_file: str | None = None, concurrency: int = 1, history: Sequence[str] = (),
                 group_by: str | None = None, strategy: str | None = None, stdin: IO[bytes] | None = None,
                 settings: Settings | None = None) -> ShardRun:
    """The tests of shard ``shard`` (``K/M``, ``K`` with a plan file, or ``auto``) of the suite ``test_ids``.

    With ``plan_file`` the split is the file's (made once, handed to every job): a listed test in no shard is
    an error (the file was made from another test list), a shard's test no longer listed is dropped. Without
    one, the split is made here from the pinned history (:func:`plan_shards`), as every other job makes it.

    :param env: where ``auto`` reads the CI's variables (``os.environ`` at the edge)
    :raises UsageError: a shard of another form or count, an unpinned store
    :raises InputError: a plan file that does not cover the listed tests
    """
    if plan_file is not None:
        from partitioner.shards.planfile import read_plan_file

        sharded = read_plan_file(plan_file)
        spec = parse_shard(shard, env, count=sharded.count)
        coverage = sharded.coverage(test_ids)
        if coverage.missing:
            raise InputError(f"{plan_file}: {len(coverage.missing)} listed tests are in no shard (e.g. "
                             f"{coverage.missing[0]}): the plan file was made from another test list; make it "
                             "again from this one and hand the new file to every shard job")
    else:
        spec = parse_shard(shard, env)
        sharded, _ = plan_shards(test_ids, spec.count, concurrency, cwd, history, group_by, strategy, stdin,
                                 settings)
    listed = set(test_ids)
    mine = sharded.shard(spec.index).tests
    return ShardRun(spec, sharded, tuple(t for t in mine if t in listed),
                    tuple(t for t in mine if t not in listed), plan_file)
