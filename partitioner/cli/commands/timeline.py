"""``partitioner timeline``: draw a stored run as one self-contained HTML page (worker lanes, plan beside them).

Where the run comes from: ``RUN`` is a run of the history (the ``.stestr``/``.testrepository`` in ``-C``,
or ``--history``: another repository, or a history store URL), by number, the newest by default; or a
subunit stream file (``-`` for stdin). Predicted lanes are drawn beside the actual ones when the runner or
the hooks recorded the run's plan (found by the run's content), or with ``--plan``: the plan the run would
have had, made again from the history before it. ``--races`` marks what ran beside each failure.

Predicted figures are seconds, or test-count units when the plan had no timing history: a plan made again
knows which; a recorded plan says so in its record (``unit``), and a record written before records said it is
taken to be in units exactly when it cannot have had any history (:func:`planned_blind`: its repository's first
run, with no other history the project names). Runs with the same tests on the same workers share one record; one
written before the run started or after the next run started is another run's, and is not drawn
(:func:`_someone_elses`).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from partitioner import testids
from partitioner.cli.arguments import add_directory, project_dir
from partitioner.cli.console import Console
from partitioner.config import DISPATCH_ORDERS, Settings, load_settings, project_runs_the_runner
from partitioner.costmodel import SECONDS, TESTS
from partitioner.errors import HistoryError, PartitionerError, UsageError
from partitioner.history import Repository, read_stream, read_stream_file
from partitioner.history.model import History, Run, is_parallel
from partitioner.history.repository import discover
from partitioner.history.store import is_store_url, open_store
from partitioner.run.advice import PARALLEL
from partitioner.statuses import PSEUDO_TESTS, SUBUNIT_PARSER
from partitioner.timeline.model import Lane, Timeline, build_timeline
from partitioner.timeline.page import amount, render_timeline, wall_time
from partitioner.timeline.predicted import (
    RecordedPlan,
    plan_lanes,
    recorded_lanes,
    simulated_lanes,
    unit_of,
    unpriced_batches,
)

if TYPE_CHECKING:
    from partitioner.history.store.store import Store

NAME = "timeline"
HELP = "draw a stored run as one self-contained HTML page: a lane per worker, its plan beside it"
#: how many runs before the drawn one ``--plan`` plans from (the planning default, pipeline.PLAN_RUNS)
PLAN_RUNS = 10
#: how many stored runs ``--races`` reads for its cross-run counts from a history store
RACE_RUNS = 20
#: seconds a record's file time may read before its run's first start (the file system's coarser clock)
RECORD_SLACK_S = 0.05


def _run_hint(cwd: Path) -> str:
    """What to run first when there is no run to draw: ``testr run`` where .testr.conf's test_command is the
    runner (``--parallel`` would nest testr's partitioning around the runner's), else the tools' usual."""
    tools = PARALLEL if project_runs_the_runner(cwd) else "testr run --parallel, or stestr run"
    return f"run the tests first ({tools}), or pass a subunit stream file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", nargs="?", metavar="RUN",
                        help="a run number of the history (default: its newest run), or a subunit stream file "
                             "(v1/v2, gzip ok; - for stdin)")
    parser.add_argument("--history", metavar="SOURCE",
                        help="where the runs are stored: a .stestr/.testrepository directory (or a project "
                             "directory holding one), or a history store URL (sqlite:///PATH, "
                             "postgresql://USER@HOST/DB); default: the .stestr/.testrepository in the directory. "
                             "With a stream file as RUN, the history --plan and --races read")
    parser.add_argument("-o", "--output", default="timeline.html", metavar="FILE",
                        help="where to write the page (default timeline.html; - for stdout)")
    parser.add_argument("--plan", nargs="?", const="static", choices=("static", "dynamic"),
                        help="draw the plan the run would have had, made again from the history before it for "
                             "the run's tests and workers: static (default) the plan's partitions, dynamic the "
                             "expected dispatch; replaces a plan recorded beside the run")
    parser.add_argument("--races", action="store_true",
                        help="mark the tests that ran beside each failure, and list a failure's likely partners "
                             "(partitioner races)")
    parser.add_argument("--title", metavar="TEXT", help="the page's title (default: which run it is)")
    add_directory(parser)


@dataclass(frozen=True)
class Chosen:
    """The run to draw and where the rest comes from.

    :ivar run: the run
    :ivar label: how messages and the page name it (``run 3 of .stestr``)
    :ivar before: the history the run's plan would have been made from (for ``--plan``)
    :ivar beside: stored runs for the race diagnosis's cross-run counts (for ``--races``)
    :ivar close: releases what was opened to read them (a store's connections)
    :ivar blind: whether the plan the run ran with cannot have had timing history (:func:`planned_blind`)
    :ivar next_start: when the next run of the same history started (epoch seconds; ``None``: none, or unknown)
    """

    run: Run
    label: str
    before: Callable[[], History]
    beside: Callable[[], Sequence[Run]]
    close: Callable[[], None] = lambda: None
    blind: Callable[[], bool] = lambda: False
    next_start: Callable[[], float | None] = lambda: None


def _started(run: Run) -> float:
    return min((r.start for r in run.records if r.start is not None), default=math.inf)


def _repository_runs(repo: Repository, run: Run) -> Chosen:
    """``run`` with the repository's runs that started before it as its history."""
    def before() -> History:
        earlier = [r for r in repo.runs if _started(r) < _started(run) and r.records != run.records]
        return History(runs=tuple(earlier[-PLAN_RUNS:]))

    def next_start() -> float | None:
        started = _started(run)
        later = [_started(r) for r in repo.runs if _started(r) > started and r.records != run.records]
        return min(later, default=None)

    return Chosen(run, "", before, lambda: repo.runs, next_start=next_start)


def _from_repository(spec: str | None, repo: Repository) -> Chosen:
    run = repo.latest() if spec is None else repo.run(int(spec))
    chosen = _with_label(_repository_runs(repo, run), f"run {run.order} of {repo.name}")
    return replace(chosen, blind=lambda: planned_blind(repo, run))


def planned_blind(repo: Repository, run: Run) -> bool:
    """Whether the plan ``run`` of ``repo`` ran with cannot have had timing history: no run of the repository
    started before it, no other repository sits beside it, and the project's config names no history (no
    ``history`` option, no ``--history`` in its test_command). The runner and the hooks then plan from that
    repository alone, in test-count units. A ``--history`` given to ``partitioner exec`` is not seen."""
    if any(_started(r) < _started(run) for r in repo.runs if r.records != run.records):
        return False
    project = repo.path.parent
    if len(discover(project)) > 1:
        return False
    try:
        settings = load_settings(project)
    except PartitionerError:
        return False
    return not settings.choose("history", (), ()).value and "--history" not in (settings.test_command or "")


def _with_label(chosen: Chosen, label: str) -> Chosen:
    return replace(chosen, label=label)


def _run_id(run: Run) -> int:
    """A store run's id (its ``run_id`` ends ``#N``)."""
    return int(run.run_id.rpartition("#")[2])


def _store_run(store: Store, number: int | None) -> Run:
    """The store's run ``number`` (default: its newest run that holds results)."""
    display = store.url.display
    if number is None:
        found = store.runs(newest=1)
        if not found:
            raise HistoryError(f"{display} holds no runs with test results yet; push a run first "
                               f"(e.g. `partitioner history push`), or pass a subunit stream file")
        return found[0]
    infos = store.run_infos(upto=number)
    info = next((i for i in infos if i.id == number), None)
    if info is None:
        raise HistoryError(f"run {number} not found in {display}; pass an existing run id (the newest is "
                           f"{store.head()})")
    if info.tests == 0:
        raise HistoryError(f"run {number} of {display} is a JSON timing file ({info.source}): it holds samples, "
                           f"no test results to draw; pass a run pushed from a stream or a repository")
    # store.runs(newest=k) takes the k latest-starting runs up to the pin: k reaches back to this one
    later = sum(1 for i in infos if i.tests > 0 and (i.at, i.id) >= (info.at, info.id))
    return next(r for r in store.runs(newest=later, upto=number) if _run_id(r) == number)


def _from_store(spec: str | None, url: str, cwd: Path) -> Chosen:
    store = open_store(url, base=cwd)
    try:
        run = _store_run(store, None if spec is None else int(spec))
    except BaseException:
        store.close()
        raise
    number = _run_id(run)
    return Chosen(run, f"run {number} of {store.url.display}", lambda: store.history(upto=number - 1),
                  lambda: store.runs(newest=RACE_RUNS, upto=number), store.close)


def _from_stream(spec: str, cwd: Path, console: Console, history: str | None) -> Chosen:
    """A stream file (or stdin), with ``--history`` (else the repository in ``cwd``, if any) behind it."""
    if spec == "-":
        run, label = read_stream(console.stdin.read(), "-"), "the stream on stdin"
    else:
        path = Path(spec)
        if not path.is_absolute() and not path.exists() and (cwd / path).exists():
            path = cwd / path
        run, label = read_stream_file(path), str(spec)
    if history is not None and is_store_url(history):
        store = open_store(history, base=cwd)
        return Chosen(run, label, store.history, lambda: store.runs(newest=RACE_RUNS), store.close)
    repo = _repository(history, cwd) if history is not None else Repository.in_directory(cwd)
    if repo is None:
        return Chosen(run, label, History, tuple)
    return _with_label(_repository_runs(repo, run), label)


def _path(spec: str, cwd: Path) -> Path:
    path = Path(spec)
    return path if path.is_absolute() or path.exists() else cwd / path


def _repository(spec: str, cwd: Path) -> Repository:
    """The repository ``--history`` names.

    :raises UsageError: when it names a file (a stream is drawn as RUN, not read as where runs are stored)
    """
    path = _path(spec, cwd)
    if path.is_file():
        raise UsageError(f"--history {spec} is a file; for a timeline --history names where runs are stored (a "
                         f".stestr/.testrepository directory or a store URL): pass a stream file as RUN")
    return Repository.read(path)


def choose(args: argparse.Namespace, cwd: Path, console: Console) -> Chosen:
    """The run ``RUN`` and ``--history`` name (see the module docstring).

    :raises UsageError: for a RUN that is neither a number nor a readable file
    :raises HistoryError: when the run is not there, or its source cannot be read
    """
    spec, history = args.run, args.history
    number = spec is None or spec.isdigit()
    if history is not None and is_store_url(history) and number:
        return _from_store(spec, history, cwd)
    if history is not None and number:
        return _from_repository(spec, _repository(history, cwd))
    if number:
        repo = Repository.in_directory(cwd)
        if repo is not None:
            return _from_repository(spec, repo)
        if spec is not None and _path(spec, cwd).is_file():
            return _from_stream(spec, cwd, console, history)
        wanted = f"run {spec}" if spec is not None else "the newest run"
        raise HistoryError(f"no .testrepository or .stestr in {cwd} to take {wanted} from; {_run_hint(cwd)}, or name "
                           f"where runs are stored with --history")
    if spec != "-" and not _path(spec, cwd).exists():
        raise UsageError(f"RUN {spec!r}: no such file, and not a run number; pass a run number of the history or "
                         f"a subunit stream file (- for stdin)")
    return _from_stream(spec, cwd, console, history)


def _find_record(run: Run) -> RecordedPlan | None:
    """The plan the runner or the hooks recorded beside ``run``, if any (and if this partitioner records them)."""
    try:
        from partitioner.history.planrecord import find_record
    except ImportError:  # a partitioner without plan records: nothing is recorded
        return None
    found: RecordedPlan | None = find_record(run)
    return found


def _record_written(run: Run) -> float | None:
    """When the record found for ``run`` was written (its file's mtime, epoch seconds), ``None`` when unknown."""
    from partitioner.history.planrecord import key_of_run, plans_dir

    where = plans_dir()
    if where is None:
        return None
    try:
        return (where / f"{key_of_run(run)}.json").stat().st_mtime
    except OSError:
        return None


def _someone_elses(chosen: Chosen) -> str:
    """Why the record found for the chosen run is another run's (``""`` when it may be its own).

    A record found under the run's tests and workers alone (written before records were keyed by the run's
    first start too, or for a stream without timestamps) may be another run's with the same tests on the same
    workers: the newest such run's record replaced the others', and a run that wrote none finds an earlier one's.
    The runner and ``partitioner exec`` write a run's record when it ends: one written before the run started
    is an earlier run's, one written after the next run of the history started is a later one's (or that next
    run's).
    """
    written = _record_written(chosen.run)
    if written is None:
        return ""
    if written < _started(chosen.run) - RECORD_SLACK_S:
        return "it was written before the run started: an earlier run's with the same tests on the same workers"
    later = chosen.next_start()
    if later is not None and written > later:
        return "it was written after the next run started: a later run's with the same tests on the same workers"
    return ""


def _plannable(run: Run) -> list[str]:
    """The ids of the run's tests, as a plan lists them (no runner pseudo-tests, no fixture records)."""
    tagged = any(r.worker is not None for r in run.records)
    ids = [r.test_id for r in run.records
           if r.test_id not in PSEUDO_TESTS and r.test_id != SUBUNIT_PARSER and not (tagged and r.worker is None)
           and testids.parse(r.test_id).fixture is None]
    return list(dict.fromkeys(ids))


def replan(run: Run, history: History, settings: Settings, dispatch: str) -> tuple[Lane, ...]:
    """The lanes of the plan ``run`` would have had: its tests on its workers, from ``history``, with the
    project's grouping, strategy, resources and serial tests; ``dynamic``: what dispatch is expected to do
    with its queue in the project's ``dispatch_order`` (as ``plan --dispatch dynamic`` shows it)."""
    from partitioner.dispatch.queue import queue_from_costs
    from partitioner.dispatch.simulate import simulate
    from partitioner.grouping import make_grouper
    from partitioner.pipeline import plan_ids
    from partitioner.strategies import DEFAULT

    ids = _plannable(run)
    if not ids:
        raise HistoryError(f"{run.run_id} holds no test to plan")
    workers = max(1, len(run.workers))
    grouping = settings.choose("group_by", None, "class")
    strategy = settings.choose("strategy", None, DEFAULT).value
    planned = plan_ids(ids, workers, history, make_grouper(grouping.value, grouping.where), strategy, settings)
    if dispatch == "static":
        return plan_lanes(planned.plan, planned.model)
    order = settings.choose("dispatch_order", None, DISPATCH_ORDERS[0]).value  # the run's (and `plan`'s) order
    queue = queue_from_costs(planned.groups, planned.model, planned.serial_groups, order)
    expected = simulate(queue, workers, startup_s=planned.model.startup_s)
    return simulated_lanes(expected, queue, planned.model)


def _predicted(chosen: Chosen, args: argparse.Namespace, cwd: Path, console: Console) -> tuple[tuple[Lane, ...], str]:
    """Predicted lanes and where they come from (``""`` when there are none)."""
    if args.plan is not None:
        history = chosen.before()
        console.warn(*history.warnings)
        lanes = replan(chosen.run, history, load_settings(cwd), args.plan)
        if any(lane.unit == TESTS for lane in lanes):
            how = f"{'no history before it' if history.empty else 'nothing before it timed these tests'}: costs " \
                  "in test-count units"
        else:
            how = "from the history before it"
        return lanes, f"{args.plan} plan made again, {how}"
    record = _find_record(chosen.run)
    if record is None:
        return (), ""
    elsewhere = _someone_elses(chosen)
    if elsewhere:
        console.warn(f"the plan recorded for the tests and workers of {chosen.label} is not drawn: {elsewhere}; "
                     f"pass --plan to draw the plan made again")
        return (), ""
    unpriced = unpriced_batches(record)
    if unpriced:
        from partitioner.render.output import plural

        console.warn(f"the dynamic plan recorded beside {chosen.label} is not drawn: an older partitioner wrote it "
                     f"and priced each batch of tests it handed out at nothing "
                     f"({plural(unpriced, 'batch', 'batches')}), so its lanes would show a fraction of the "
                     f"prediction; pass --plan dynamic to draw the plan made again")
        return (), ""
    source = f"the {record.dispatch} plan recorded beside the run"
    said = getattr(record, "unit", None)  # what the record says its predictions are in; older ones do not say
    unit = unit_of(record) if said is not None else TESTS if chosen.blind() else SECONDS
    if unit == TESTS:
        # in units: it had no history, or one that timed none of its tests (as a plan made again says it)
        how = "made without timing history" if chosen.before().empty else "nothing before it timed these tests"
        return recorded_lanes(record, unit=TESTS), f"{source}, {how}: costs in test-count units"
    return recorded_lanes(record, unit=SECONDS), source


def run(args: argparse.Namespace, console: Console) -> int:
    cwd = project_dir(args)
    chosen = choose(args, cwd, console)
    try:
        timeline, plan_source = _timeline(chosen, args, cwd, console)
    finally:
        chosen.close()
    from partitioner.render.output import open_output, say_written

    with open_output(args.output, console.stdout) as out:
        out.write(render_timeline(timeline))
    say_written(args.output, _summary(timeline, chosen.label, plan_source), console.stderr)  # as plan -o's
    return 0


def _timeline(chosen: Chosen, args: argparse.Namespace, cwd: Path, console: Console) -> tuple[Timeline, str]:
    """What the page draws, and where its predicted lanes come from."""
    predicted, plan_source = _predicted(chosen, args, cwd, console)
    races = None
    if args.races:
        if is_parallel(chosen.run):
            from partitioner.races import diagnose

            races = diagnose(chosen.run, history=chosen.beside(), label=chosen.label,
                             runner=project_runs_the_runner(cwd))
        else:
            console.warn(f"{chosen.label} ran on one worker: nothing ran beside its failures, so no race marks")
    timeline = build_timeline(chosen.run, predicted, races, args.title or chosen.label)
    if not timeline.lanes:
        raise HistoryError(f"{chosen.label} has no timestamped results ({len(chosen.run.records)} results without "
                           f"start and stop times): nothing to draw; pass a run recorded by testr, stestr or "
                           f"partitioner's runner")
    if timeline.unplaced:
        console.warn(f"{len(timeline.unplaced)} results of {chosen.label} are not drawn (no timestamps, or no "
                     f"worker tag in a parallel run); the page lists them")
    from partitioner.history.samples import interruption

    stopped = interruption(chosen.run)
    if stopped is not None:  # drawn as stored (failures); races and history summary do not count them
        from partitioner.render.output import plural

        how = stopped.signal or "its stream ends with tests still running"
        console.warn(f"{chosen.label} was interrupted ({how}): {plural(len(stopped.cut), 'test')} it cut short and "
                     f"{stopped.unreached:,} it never reached are drawn as the run stored them, as failures; "
                     "`partitioner races` and `history summary` do not count them")
    return timeline, plan_source


def _summary(timeline: Timeline, label: str, plan_source: str) -> str:
    """One line: what the page draws."""
    from partitioner.render.output import plural

    tests = sum(1 for lane in timeline.lanes for b in lane.bars if not b.pseudo)
    failed = sum(lane.count("fail", "uxsuccess") for lane in timeline.lanes)
    line = (f"{label}: {plural(len(timeline.lanes), 'worker')}, {plural(tests, 'test')} ({failed:,} failed), wall time "
            f"{wall_time(timeline)}")
    if timeline.predicted:
        predicted = max(lane.finish for lane in timeline.predicted)
        line += f"; predicted {amount(predicted, timeline.predicted_unit)} ({plan_source})"
    return line
