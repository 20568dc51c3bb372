"""``partitioner races``: rank what ran beside each failure of a parallel run; print resources that separate them."""

from __future__ import annotations

import argparse
from pathlib import Path

from partitioner.cli.arguments import add_directory, add_history, positive_int, project_dir
from partitioner.cli.console import Console
from partitioner.config import load_settings
from partitioner.errors import HistoryError, UsageError
from partitioner.history import Repository, Run, is_parallel, load_history_for, read_stream, read_stream_file
from partitioner.races import Diagnosis, diagnose, resource_rules, workers
from partitioner.render import races as render
from partitioner.statuses import FAILING, PSEUDO_TESTS

NAME = "races"
HELP = "rank the tests that ran beside each failure of a parallel run, and print resources that separate them"
FORMATS = ("table", "json", "config")
_PARALLEL_HINT = "run the tests in parallel first (testr init && testr run --parallel, or stestr run)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", nargs="?", metavar="RUN",
                        help="a run id of the .testrepository/.stestr in the directory, or a subunit stream file "
                             "(- for stdin); default: the latest stored run")
    parser.add_argument("--serial", metavar="RUN",
                        help="a serial run of the same tests (run id or stream file): tests that failed there too "
                             "are not races and are left out")
    add_history(parser, "the .stestr/.testrepository in the directory", "runs for the cross-run counts")
    parser.add_argument("--format", choices=FORMATS, default="table",
                        help="table (for people), json (format_version 1), config (a [partitioner] section with "
                             "resources keeping each failed class and its top partner on one worker)")
    parser.add_argument("--by", choices=("auto", "test", "class"), default="auto",
                        help="suspects shown: auto (default: a class whose tests failed together as one class, "
                             "a lone failed test as itself), test, or class")
    parser.add_argument("--top", type=positive_int, default=5, metavar="K",
                        help="partners shown per suspect (default 5)")
    add_directory(parser)


def _pick(spec: str | None, cwd: Path, repo: Repository | None, console: Console, what: str) -> tuple[Run, str]:
    """The run ``spec`` names (a run number, a stream file, ``-``, or ``None`` for the latest), and its label."""
    if spec == "-":
        return read_stream(console.stdin.read(), "-"), "the stream on stdin"
    if spec is None or spec.isdigit():
        if repo is None:
            if spec is not None and (cwd / spec).is_file():
                return read_stream_file(cwd / spec), spec
            wanted = f"run {spec}" if spec is not None else what
            raise HistoryError(f"no .testrepository or .stestr in {cwd} to take {wanted} from; {_PARALLEL_HINT} "
                               f"there, or pass a subunit stream file")
        run = repo.latest() if spec is None else repo.run(int(spec))
        return run, f"run {run.order if spec is None else spec} of {repo.name}"
    path = Path(spec)
    if not path.is_absolute() and not path.exists():
        path = cwd / path
    return read_stream_file(path), spec


def run(args: argparse.Namespace, console: Console) -> int:
    cwd = project_dir(args)
    if args.run == "-" and (args.serial == "-" or "-" in args.history):
        raise UsageError("RUN - and --serial -/--history - all want stdin; put all but one of them in a file")
    repo = Repository.in_directory(cwd)
    run_, label = _pick(args.run, cwd, repo, console, "the latest run")
    serial, serial_label = (None, None) if args.serial is None else _pick(args.serial, cwd, repo, console, "")
    if serial is not None and is_parallel(serial):
        console.warn(f"--serial {serial_label} ran on {len(workers(serial))} workers; its failures may be races too")
    if args.run is None and repo is not None and not is_parallel(run_):
        parallel = [r for r in repo.runs if is_parallel(r)]
        if parallel:
            newest = max(parallel, key=lambda r: r.order).order
            raise HistoryError(f"{label}, the latest, ran serially, so nothing overlapped; pass a parallel run: "
                               f"the latest is {newest} (`partitioner races {newest}`)")
    if args.history:
        loaded = load_history_for(cwd, args.history, console.stdin)
        console.warn(*loaded.warnings)
        history = loaded.runs
    else:
        history = repo.runs if repo is not None else ()
    if not any(r.status in FAILING and r.test_id not in PSEUDO_TESTS for r in run_.records):
        if not is_parallel(run_):  # say what is wrong with the run before saying nothing failed
            diagnose(run_, label=label)
        return _no_failures(console, args.format, Diagnosis(run_.run_id, (), ()), label, serial_label)
    diagnosis = diagnose(run_, serial, history, label=label)
    if not diagnosis.tests and not diagnosis.excluded:
        raise HistoryError(f"the failed tests of {label} have no timestamps or no worker tag, so what ran beside "
                           f"them is unknown; pass a run recorded by `testr run --parallel` or `stestr run`")
    if not diagnosis.tests:
        return _no_failures(console, args.format, diagnosis, label, serial_label)
    notes = render.notes(diagnosis, label, serial_label)
    if args.format == "config":
        existing = [(r.name, r.pattern.pattern) for r in load_settings(cwd).resources]
        rules = resource_rules(diagnosis.classes, existing)
        console.warn(*notes)
        if not rules:
            console.stderr.write(f"partitioner: no failed class of {label} had another class beside it: no "
                                 f"resources to suggest\n")
            return 0
        render.render_config(diagnosis, label, rules, console.stdout)
        return 0
    suspects = diagnosis.view(args.by)
    if args.format == "json":
        render.render_json(suspects, args.top, console.stdout)
        console.warn(*notes)
        return 0
    render.render_table(diagnosis, suspects, args.top, label, notes, console.stdout)
    return 0


def _no_failures(console: Console, fmt: str, diagnosis: Diagnosis, label: str, serial_label: str | None) -> int:
    """Nothing to diagnose: say so on stdout (table) or stderr, with an empty JSON document for ``json``."""
    message = render.no_failures(diagnosis, label, serial_label)
    if fmt == "json":
        render.render_json((), 0, console.stdout, indent=None)
    if fmt == "table":
        console.stdout.write(f"{message}\n")
    else:
        console.stderr.write(f"partitioner: {message}\n")
    return 0
