"""``python -m partitioner.run``'s command line: testr's ``test_command`` that plans and runs balanced workers.

Put it in ``.testr.conf`` in front of the real test command::

    test_command=${PYTHON:-python} -m partitioner.run --concurrency 4 $LISTOPT $IDOPTION \\
        -- ${PYTHON:-python} -m subunit.run discover -t . ./tests

With ``--list`` it passes the listing straight through; otherwise it takes the ids from ``--load-list``
(or lists them), asks the planner for N shares, runs N workers of the inner command and writes one
merged subunit v2 stream (:mod:`partitioner.run.phases`). Only :func:`main` maps errors to exit codes. The plan
as the runner takes it (:class:`Shares`, :func:`default_planner`, :func:`complete`) is :mod:`partitioner.run.shares`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from partitioner.cli.arguments import GROUP_BY_HELP, BadArguments, Parser, add_dispatch, add_history, positive_int
from partitioner.errors import PartitionerError, UsageError, one_line
from partitioner.listing import read_id_file
from partitioner.run.foreground import Foreground
from partitioner.run.inner import InnerCommand, list_tests, passthrough_list
from partitioner.run.shares import Planner, Queued, Shares, complete, default_planner
from partitioner.run.signals import Interrupt, Interrupted, exit_status_for_signal
from partitioner.statuses import PSEUDO_TESTS, SUBUNIT_PARSER

if TYPE_CHECKING:
    from partitioner.config import Settings
    from partitioner.dispatch.command import WorkerCommand
    from partitioner.dispatch.host import HostOutcome
    from partitioner.dispatch.preload import Started
    from partitioner.dispatch.queue import Queue
    from partitioner.dispatch.record import FirstStarts
    from partitioner.run.phases import RunOutcome
    from partitioner.run.stream import MergedOutput
    from partitioner.timeline.progress import ProgressLine

__all__ = ["NOT_TESTS", "PROG", "Planner", "Queued", "Shares", "build_parser", "choose_dispatch", "complete",
           "concurrency", "default_planner", "main", "parse_args"]

PROG = "partitioner.run"
#: ids that stand for something other than a test (testr's past exit status, python-subunit's parse error):
#: never run, but reported as skipped, with the reason, so that testr drops them from its failing list
NOT_TESTS = PSEUDO_TESTS | {SUBUNIT_PARSER}


def _settings(cwd: Path) -> Settings:
    from partitioner.config import load_settings  # read only when there is something to run

    return load_settings(cwd)


def concurrency(flag: int | None, cwd: Path, settings: Settings | None = None) -> int:
    """``--concurrency``, else the ``concurrency`` option of the config files in ``cwd``, else the CPU count."""
    from partitioner.config import default_concurrency

    return (settings or _settings(cwd)).choose("concurrency", flag, default_concurrency()).value


def choose_dispatch(flag: str | None, settings: Settings, inner: Sequence[str]) -> tuple[str, str | None]:
    """``(dynamic or static, a note for stderr or None)`` for this inner command.

    Dynamic is the default where a pull worker can stand in for the inner command
    (:func:`partitioner.dispatch.command.recognise`); any other command keeps the static plan, and says so.
    """
    from partitioner.config import DEFAULT
    from partitioner.dispatch.command import RUNNERS, recognise

    choice = settings.choose("dispatch", flag, "dynamic")
    if choice.value == "static" or recognise(inner) is not None:
        return choice.value, None
    asked = "" if choice.where == DEFAULT else f" (asked for by {choice.where})"
    return "static", (f"dynamic dispatch{asked} needs an inner command `python -m RUNNER ...` with RUNNER one of "
                      f"{', '.join(RUNNERS)}; `{' '.join(inner)}` is not one, so each worker's share is fixed "
                      "before the run (--dispatch static says so and silences this note)")


def build_parser() -> argparse.ArgumentParser:
    """The parser for everything before ``--`` (the inner command follows ``--``)."""
    parser = Parser(
        prog=PROG,
        usage=f"python -m {PROG} [options] [--list | --load-list FILE] -- INNER-COMMAND ...",
        description="Run a testr test_command as balanced parallel workers and merge their subunit v2 "
                    "streams into one, each event tagged worker-N. Put $LISTOPT $IDOPTION before `--`.",
        epilog="Exit status: 0 every test passed; 1 a test failed, a worker died or exited non-zero, or "
               "an error; 2 bad usage; 130/143 interrupted by SIGINT/SIGTERM (the partial stream is "
               "still written).",
    )
    parser.add_argument("--concurrency", "-j", type=positive_int, metavar="N",
                        help="how many workers run at once (default: the config files' concurrency "
                             "option, else the CPU count; never more than there are tests)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--list", action="store_true",
                      help="list the tests: run INNER-COMMAND with --list-option and copy its output "
                           "(what testr's $LISTOPT substitutes)")
    mode.add_argument("--load-list", metavar="FILE",
                      help="run only the ids in FILE, one per line (what testr's $IDOPTION substitutes); "
                           "without it every listed test runs")
    add_dispatch(parser, "whole groups handed out from a queue to whichever worker is idle (the default when "
                         "INNER-COMMAND is `python -m subunit.run|stestr.subunit_runner.run|testtools.run ...`)")
    parser.add_argument("--id-option", default="--load-list {file}", metavar="TEMPLATE",
                        help="arguments that make INNER-COMMAND run the ids in a file; {file} is replaced "
                             "by its path (default: %(default)r)")
    parser.add_argument("--list-option", default="--list", metavar="OPT",
                        help="arguments that make INNER-COMMAND list its tests (default: %(default)r)")
    add_history(parser, "the config files' history, else .stestr/.testrepository in the current directory",
                "timing history for the planner")
    parser.add_argument("--group-by", metavar="SPEC",
                        help=f"keep the tests of one group on one worker: {GROUP_BY_HELP}; default: the config "
                             "files' group_by")
    parser.add_argument("--strategy", metavar="NAME",
                        help="the planner's balancing strategy (default: the config file's, else the "
                             "planner's default)")
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="no notes and no progress line on stderr (warnings and errors still show)")
    parser.add_argument("--shard", metavar="K/M|auto",
                        help="run only shard K of M (K counts from 1) of the listed (or --load-list) tests: the suite "
                             "split over M CI jobs by predicted time, from pinned history only (stores with ?upto=N) "
                             "or from --plan; auto reads the CI's variables; an empty shard runs nothing")
    parser.add_argument("--plan", metavar="FILE", dest="plan_file",
                        help="with --shard: the plan file `partitioner plan --shards M -o FILE` wrote")
    return parser


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """Split ``argv`` at the first ``--``: our options, then the inner command (required)."""
    argv = list(argv)
    if "--" in argv:
        cut = argv.index("--")
        ours, inner = argv[:cut], argv[cut + 1:]
    else:
        ours, inner = argv, []
    try:
        args = build_parser().parse_args(ours)
    except BadArguments as exc:
        raise UsageError(f"{exc}; see `python -m {PROG} --help`") from None
    if not inner:
        raise UsageError("no inner test command: put it after `--`, e.g. `python -m "
                         f"{PROG} $LISTOPT $IDOPTION -- python -m subunit.run discover -t . ./tests`")
    if args.plan_file and not args.shard:
        raise UsageError(f"--plan FILE needs --shard K: which of its shards to run; see `python -m {PROG} --help`")
    return args, inner


def main(argv: Sequence[str] | None = None, *, planner: Planner | None = None,
         stdout: IO[bytes] | None = None, stderr: IO[str] | None = None, cwd: Path | None = None) -> int:
    """Run the command line; returns the exit status (0 passed, 1 failed or error, 2 usage, 130/143).

    :param argv: arguments without the program name; ``sys.argv[1:]`` when ``None``
    :param planner: how to split the ids (default: :func:`default_planner`)
    :param stdout: where the subunit stream goes (default: the process's stdout, binary)
    :param stderr: where notes, warnings and errors go
    :param cwd: the directory the planner reads config and history from (default: the current one)
    """
    out = stdout if stdout is not None else sys.stdout.buffer
    err = stderr if stderr is not None else sys.stderr
    here = cwd if cwd is not None else Path.cwd()
    try:
        args, inner = parse_args(sys.argv[1:] if argv is None else argv)
        command = InnerCommand.from_options(inner, args.list_option, args.id_option)
        # run as a program (not called in-process) under a terminal: the terminal's Ctrl-C for the runner alone
        terminal = Foreground() if stdout is None and not args.list else contextlib.nullcontext()
        with terminal, Interrupt() as interrupt:
            try:
                if args.list:
                    return passthrough_list(command, out, interrupt)
                return _run(args, inner, command, planner or default_planner, out, err, here, interrupt,
                            as_program=stdout is None)
            except Interrupted as stop:
                _say(err, f"interrupted by {stop}: no tests were run")
                return exit_status_for_signal(stop.signum)
    except PartitionerError as exc:
        _say(err, f"error: {exc}")
        return exc.exit_code
    finally:
        err.flush()
        if stdout is None:
            _settle_stdout()


def _run(args: argparse.Namespace, inner: list[str], command: InnerCommand, planner: Planner, out: IO[bytes],
         err: IO[str], here: Path, interrupt: Interrupt, as_program: bool = False) -> int:
    """List or read the ids, plan, run (dynamic or static), record the plan; returns the exit status.

    :param as_program: run as ``python -m partitioner.run`` (not called in-process): testr may have started it
    """
    from partitioner.run.stream import MergedOutput

    def note(line: str) -> None:
        if not args.quiet:
            _say(err, f"note: {line}")

    if args.load_list is not None:
        test_ids = read_id_file(args.load_list, load_list=True)
        source = f"the --load-list file {args.load_list}"
        if as_program:  # called in-process (tests, partitioner's own callers), nothing above is testr's
            _warn_if_nested(err)
    else:
        test_ids = list_tests(command, interrupt)
        source = f"the listing of `{command.describe()}`"
    pseudo = [t for t in dict.fromkeys(test_ids) if t in NOT_TESTS]
    if pseudo:
        test_ids = [t for t in test_ids if t not in NOT_TESTS]
        note(f"not running {', '.join(pseudo)}: {'they stand' if len(pseudo) > 1 else 'it stands'} for what "
             "went wrong in a past run (an exit status, unreadable output), not for a test")
    from partitioner.run.kept import REPOSITORY, KeptTimes

    output = MergedOutput(out, kept=KeptTimes(here / REPOSITORY))  # testr's, when testr runs us
    _skip_pseudo(output, pseudo)
    if not test_ids:
        note(f"{source} has no test ids: nothing to run")
        output.flush()
        return 0
    settings = _settings(here)
    dispatch, why_static = choose_dispatch(args.dispatch, settings, inner)
    if why_static:
        note(why_static)
    from partitioner.config import DEFAULT, default_concurrency

    asked = settings.choose("concurrency", args.concurrency, default_concurrency())
    if args.shard:
        test_ids = _shard(args, test_ids, here, asked.value, note, err)
        if not test_ids:
            output.flush()
            return 0
    workers, distinct = asked.value, len(set(test_ids))
    if workers > distinct:  # more would only cost memory and start-up
        if asked.where != DEFAULT:
            _say(err, f"warning: {workers} workers asked for ({asked.where}), but there are only {distinct} tests: "
                      f"running {distinct}")
        workers = distinct
    early = _preload(dispatch, workers, inner)
    try:
        return _plan_and_run(args, test_ids, workers, dispatch, settings, inner, command, planner, output, err,
                             here, interrupt, early)
    finally:
        if early is not None:  # a static run's; the lanes' host stopped it when they ran
            early.stop()


def _warn_if_nested(err: IO[str]) -> None:
    """Warn when testr's own partitioning wraps ours (``testr run --parallel``; :mod:`partitioner.run.nesting`):
    once, from the first of testr's runners."""
    from partitioner.run.nesting import WARNING, first_of_its_runners, nested_under_testr

    testr = nested_under_testr()
    if testr is not None and first_of_its_runners(testr):
        _say(err, f"warning: {WARNING.format(pid=testr)}")


def _preload(dispatch: str, workers: int, inner: Sequence[str]) -> Started | None:
    """The preloader of a dynamic run's workers (:mod:`partitioner.dispatch.preload`), started before the run is
    planned, so the suite loads while the planner imports and reads the history (the lanes used to wait for
    both). A split per test that the plan keeps static (:mod:`partitioner.dispatch.choice`) forks its static
    workers from it (:mod:`partitioner.dispatch.direct`)."""
    if dispatch != "dynamic" or workers < 2:
        return None
    from partitioner.dispatch.command import recognise
    from partitioner.dispatch.spawn import wanted

    worker = recognise(inner)
    if worker is None or not wanted(os.environ):
        return None
    from partitioner.dispatch.preload import start

    return start(worker, None)


def _plan_and_run(args: argparse.Namespace, test_ids: list[str], workers: int, dispatch: str, settings: Settings,
                  inner: list[str], command: InnerCommand, planner: Planner, output: MergedOutput, err: IO[str],
                  here: Path, interrupt: Interrupt, early: Started | None) -> int:
    """Plan ``test_ids`` onto ``workers`` and run them (dynamic, with the ``early`` preloader, or static)."""

    def note(line: str) -> None:
        if not args.quiet:
            _say(err, f"note: {line}")

    from partitioner.config import DEFAULT

    partition = planner(test_ids, workers, cwd=here, history=tuple(args.history), group_by=args.group_by,
                        strategy=args.strategy)
    shares, serial, notes = complete(partition, test_ids)
    from partitioner.history.model import is_note  # here: the runner starts without the planner

    for warning in (*partition.warnings, *notes):
        if is_note(warning):  # a first run's empty repository: nothing is wrong
            note(warning)
        else:
            _say(err, f"warning: {warning}")
    from partitioner.config import DISPATCH_ORDERS

    order = settings.choose("dispatch_order", args.dispatch_order, DISPATCH_ORDERS[0])
    if dispatch == "dynamic" and settings.choose("dispatch", args.dispatch, "dynamic").where == DEFAULT:
        small = _small_tests(partition, len(shares))
        if small is not None:
            from partitioner.dispatch.choice import off_note

            note(off_note(small, order))  # says an order the user chose does not apply to the static plan
            dispatch = "static"
    progress = _progress(err, args.quiet, partition, len(test_ids), len(shares), dispatch)
    starts = _watch_starts(output, progress)
    # what the run says on stderr while the line shows (a worker's fate, a lane's trouble) erases it first
    said = progress.beside() if progress is not None else err
    try:
        if dispatch == "dynamic":
            outcome: RunOutcome | HostOutcome = _run_dynamic(partition, shares, serial, inner, output, said,
                                                             interrupt, progress, order.value, sorted(test_ids), starts,
                                                             early)
        else:
            from partitioner.run.phases import run_phases

            phases = [shares, [serial]] if serial else [shares]
            # the static plan dynamic dispatch gave way to: its workers forked from the suite loaded meanwhile
            outcome = run_phases(phases, command, output, said, interrupt=interrupt,
                                 preload=early.path if early is not None else None)
            _record_static(partition, shares, serial, outcome.placement, starts)
    finally:
        if progress is not None:
            progress.close()
            said.close()
    return outcome.exit_code


def _watch_starts(output: MergedOutput, progress: ProgressLine | None) -> FirstStarts:
    """Have the merged output tell each event it writes to the plan record's :class:`FirstStarts` (the run's first
    start is in the record's key, which the stored run's timestamps must give), and each as it happens to the
    progress line, if any."""
    from partitioner.dispatch.record import FirstStarts

    starts = FirstStarts()
    output.observer = starts
    output.watcher = progress
    return starts


def _small_tests(partition: Shares, lanes: int) -> str | None:
    """Why the static plan suits this plan better than dynamic dispatch (:mod:`partitioner.dispatch.choice`)."""
    from partitioner.dispatch.choice import small_tests_reason

    groups = [group for share in partition.groups for group in share]
    return small_tests_reason([len(tests) for _, _, tests in groups], [cost for _, cost, _ in groups],
                              partition.measured_tests, partition.has_history, len(partition.serial_groups), lanes)


def _shard(args: argparse.Namespace, test_ids: list[str], here: Path, concurrency: int,
           note: Callable[[str], None], err: IO[str]) -> list[str]:
    """This job's shard of ``test_ids`` (every job splits the same list the same way, or reads one plan file)."""
    from partitioner.pipeline import select_shard

    shard = select_shard(sorted(set(test_ids)), args.shard, here, os.environ, plan_file=args.plan_file,
                         concurrency=concurrency, history=tuple(args.history), group_by=args.group_by,
                         strategy=args.strategy)
    if shard.stale:
        _say(err, f"warning: {len(shard.stale)} tests of shard {shard.spec} in {args.plan_file} are no longer "
                  "listed: left out")
    note(shard.describe() + ("" if shard.tests else ": nothing to run"))
    mine = set(shard.tests)
    return [t for t in test_ids if t in mine]


def _skip_pseudo(output: MergedOutput, pseudo: Sequence[str]) -> None:
    """Report testr's pseudo-tests passed back by ``--failing`` as skipped, with why: a run that reports an
    id other than failed takes it out of testr's failing list (an unreported one would stay there for ever)."""
    import datetime

    now = datetime.datetime.now(datetime.timezone.utc)
    for test_id in pseudo:
        reason = (f"not a test: {test_id} stands for what went wrong in a past run (a worker's non-zero exit "
                  "status, output python-subunit could not read); partitioner.run does not run it")
        output.status(test_id=test_id, test_status="inprogress", timestamp=now)
        output.status(test_id=test_id, test_status="skip", file_name="reason", file_bytes=reason.encode(),
                      mime_type="text/plain;charset=utf8", eof=True, timestamp=now)


def _progress(err: IO[str], quiet: bool, partition: Shares, total: int, workers: int,
              dispatch: str) -> ProgressLine | None:
    """The live progress line, when stderr is a terminal and not --quiet (else None)."""
    from partitioner.timeline.progress import ProgressLine

    if not ProgressLine(err, quiet=quiet).enabled:
        return None
    costs: Mapping[str, float] = {}
    lanes: Mapping[str, str] = {}
    if partition.progress_costs is not None:
        costs, lanes = partition.progress_costs()
    line = ProgressLine(err, total=total, costs=costs, workers=workers,
                        lanes=lanes if dispatch == "static" else None, label=PROG)
    line.startTestRun()
    line.start_ticker()
    return line


def _queue_of(partition: Shares, shares: Sequence[Sequence[str]], serial: Sequence[str], order: str,
              listing: Sequence[str] = ()) -> tuple[Queue, int]:
    """The dispatch queue (and its parallel item count) for the planned groups, in ``order`` (``suite``: by
    the place of each group's first test in ``listing``); consecutive tests of one class form a group when
    the planner gave none (or its groups do not match the shares run)."""
    from partitioner.dispatch.queue import order_queue
    from partitioner.dispatch.record import queued_groups

    parallel = [g for lane in partition.groups for g in lane]
    serial_groups = list(partition.serial_groups)
    planned = sorted(t for _, _, tests in (*parallel, *serial_groups) for t in tests)
    if (not parallel and not serial_groups) or planned != sorted(t for s in (*shares, serial) for t in s):
        parallel, serial_groups = queued_groups(shares), queued_groups([serial])
    positions: dict[str, int] = {}
    for n, test_id in enumerate(listing):
        positions.setdefault(test_id, n)
    queue = order_queue(parallel, serial_groups, order, positions)
    return queue, len(queue.items)


def _run_dynamic(partition: Shares, shares: Sequence[Sequence[str]], serial: Sequence[str], inner: list[str],
                 output: MergedOutput, err: IO[str], interrupt: Interrupt, progress: ProgressLine | None,
                 order: str, listing: Sequence[str], starts: FirstStarts,
                 preloader: Started | None = None) -> HostOutcome:
    from partitioner.dispatch.command import recognise
    from partitioner.dispatch.host import run_lanes
    from partitioner.dispatch.record import dynamic_record
    from partitioner.history.planrecord import write_record

    worker: WorkerCommand | None = recognise(inner)
    assert worker is not None  # choose_dispatch checked it
    queue, parallel = _queue_of(partition, shares, serial, order, listing)
    lanes = max(1, min(len(shares), parallel))
    if progress is not None:
        progress.workers = lanes
    outcome = run_lanes(queue, worker, lanes, output, err, interrupt=interrupt, prog=PROG,
                        on_dispatcher=(lambda d: setattr(progress, "queue_left", d.left)) if progress else None,
                        preloader=preloader)
    if outcome.dispatch is not None:
        write_record(dynamic_record(queue, outcome.dispatch, lanes, outcome.started_at, partition.startup_s,
                                    _unit(partition)),
                     starts.key(outcome.placement))
    return outcome


def _record_static(partition: Shares, shares: Sequence[Sequence[str]], serial: Sequence[str],
                   placement: Mapping[str, int], starts: FirstStarts) -> None:
    from partitioner.dispatch.record import queued_groups, static_record
    from partitioner.history.planrecord import write_record

    lanes: Sequence[Sequence[Queued]] = partition.groups
    serial_groups: Sequence[Queued] = partition.serial_groups
    if [t for lane in lanes for _, _, ts in lane for t in ts] != [t for s in shares for t in s]:
        lanes, serial_groups = [queued_groups([s]) for s in shares], queued_groups([serial])
    write_record(static_record(lanes, serial_groups, partition.startup_s, unit=_unit(partition)),
                 starts.key(placement))


def _unit(partition: Shares) -> str:
    """What the plan's costs are in, for its record: seconds from a history, else test-count units."""
    from partitioner.costmodel import SECONDS, TESTS

    return SECONDS if partition.has_history else TESTS


def _say(err: IO[str], line: str) -> None:
    """One ``partitioner.run: ...`` line on ``err``: a path or value holding a newline is shown escaped."""
    err.write(f"{PROG}: {one_line(line)}\n")


def _settle_stdout() -> None:
    """Flush our stdout; if the reader (testr) has gone, point it at /dev/null so exit stays quiet."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
