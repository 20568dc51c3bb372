"""``python -m partitioner.run``'s command line: testr's ``test_command`` that plans and runs balanced workers.

Put it in ``.testr.conf`` in front of the real test command::

    test_command=${PYTHON:-python} -m partitioner.run --concurrency 4 $LISTOPT $IDOPTION \\
        -- ${PYTHON:-python} -m subunit.run discover -t . ./tests

With ``--list`` it passes the listing straight through; otherwise it takes the ids from ``--load-list``
(or lists them), asks the planner for N shares, runs N workers of the inner command and writes one
merged subunit v2 stream (:mod:`partitioner.run.phases`). Only :func:`main` maps errors to exit codes.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from partitioner.cli.arguments import GROUP_BY_HELP, BadArguments, Parser, add_history, positive_int
from partitioner.errors import PartitionerError, RunnerError, UsageError
from partitioner.listing import read_id_file
from partitioner.run.inner import InnerCommand, list_tests, passthrough_list
from partitioner.run.phases import run_phases
from partitioner.run.signals import Interrupt, Interrupted, exit_status_for_signal
from partitioner.statuses import PSEUDO_TESTS

PROG = "partitioner.run"


@dataclass(frozen=True)
class Shares:
    """A plan as the runner needs it: plain data (each worker's share of the ids).

    :ivar workers: one tuple of ids per parallel worker (some may be empty)
    :ivar serial: ids to run in one worker after every parallel worker finished
    :ivar warnings: lines to print as ``partitioner.run: warning: ...``
    """

    workers: tuple[tuple[str, ...], ...]
    serial: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


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

    plan = plan_for_directory(test_ids, concurrency, cwd, history=history, group_by=group_by,
                              strategy=strategy).plan
    return Shares(tuple(tuple(w.tests) for w in plan.workers), tuple(plan.serial), tuple(plan.warnings))


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


def concurrency(flag: int | None, cwd: Path) -> int:
    """``--concurrency``, else the ``concurrency`` option of the config files in ``cwd``, else the CPU count."""
    from partitioner.config import default_concurrency, load_settings  # read only when there is a plan to make

    return load_settings(cwd).choose("concurrency", flag, default_concurrency()).value


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
                             "option, else the CPU count)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--list", action="store_true",
                      help="list the tests: run INNER-COMMAND with --list-option and copy its output "
                           "(what testr's $LISTOPT substitutes)")
    mode.add_argument("--load-list", metavar="FILE",
                      help="run only the ids in FILE, one per line (what testr's $IDOPTION substitutes); "
                           "without it every listed test runs")
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
        with Interrupt() as interrupt:
            try:
                if args.list:
                    return passthrough_list(command, out, interrupt)
                if args.load_list is not None:
                    test_ids = read_id_file(args.load_list, load_list=True)
                    source = f"the --load-list file {args.load_list}"
                    pseudo = [t for t in test_ids if t in PSEUDO_TESTS]
                    if pseudo:
                        test_ids = [t for t in test_ids if t not in PSEUDO_TESTS]
                        err.write(f"{PROG}: note: not running testr's pseudo-test {', '.join(pseudo)} "
                                  "(it stands for a past non-zero exit status, not a test)\n")
                else:
                    test_ids = list_tests(command, interrupt)
                    source = f"the listing of `{command.describe()}`"
                if not test_ids:
                    err.write(f"{PROG}: note: {source} has no test ids: nothing to run\n")
                    return 0
                chosen = planner if planner is not None else default_planner
                partition = chosen(test_ids, concurrency(args.concurrency, here), cwd=here, history=tuple(args.history),
                                   group_by=args.group_by, strategy=args.strategy)
                shares, serial, notes = complete(partition, test_ids)
                for warning in (*partition.warnings, *notes):
                    err.write(f"{PROG}: warning: {warning}\n")
                phases = [shares, [serial]] if serial else [shares]
                return run_phases(phases, command, out, err, interrupt=interrupt).exit_code
            except Interrupted as stop:
                err.write(f"{PROG}: interrupted by {stop}: no tests were run\n")
                return exit_status_for_signal(stop.signum)
    except PartitionerError as exc:
        err.write(f"{PROG}: error: {exc}\n")
        return exc.exit_code
    finally:
        err.flush()
        if stdout is None:
            _settle_stdout()


def _settle_stdout() -> None:
    """Flush our stdout; if the reader (testr) has gone, point it at /dev/null so exit stays quiet."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
