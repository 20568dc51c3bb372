"""``partitioner history``: export portable timing files, merge them, summarise stored runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from partitioner.cli.arguments import add_directory, add_history, positive_int, project_dir
from partitioner.cli.console import Console
from partitioner.errors import HistoryError
from partitioner.history import is_parallel, load_history_for
from partitioner.history.jsonfile import merge_samples, read_samples, write_samples
from partitioner.history.samples import collect_samples
from partitioner.history.summary import history_summary
from partitioner.render import open_output, summary

NAME = "history"
HELP = "export a portable JSON timing file, merge several, or summarise stored runs"
_HERE = ".stestr/.testrepository here"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    sub.required = True
    export = sub.add_parser("export", help="write the timing samples of history sources to a JSON file",
                            description="Write the timing samples (per test, per class setup) of the given "
                                        "history sources to a portable JSON file, for CI jobs that keep no "
                                        "repository.")
    add_history(export, _HERE)
    add_directory(export)
    export.add_argument("-o", "--output", default="-", metavar="FILE", help="where to write (default stdout)")
    merge = sub.add_parser("merge", help="combine JSON timing files, keeping the newest samples",
                           description="Combine JSON timing files (oldest first) into one, keeping the newest "
                                       "--keep samples per test and per class.")
    merge.add_argument("files", nargs="+", metavar="FILE", help="JSON timing files, oldest first")
    merge.add_argument("--keep", type=positive_int, default=20, metavar="K",
                       help="samples kept per key (default 20)")
    merge.add_argument("-o", "--output", default="-", metavar="FILE", help="where to write (default stdout)")
    summary_ = sub.add_parser(
        "summary", help="per test: runs, failures in parallel runs, failures in serial runs",
        description="Per test: how many stored runs it was in, and how often it failed in parallel runs (2+ "
                    "worker tags) and in serial ones; tests failing only in parallel (likely races) come first.")
    add_history(summary_, _HERE)
    add_directory(summary_)
    summary_.add_argument("--format", choices=("text", "json"), default="text",
                          help="text (failing tests, those failing only in parallel first) or json (every test, "
                               "format_version 1)")


def run(args: argparse.Namespace, console: Console) -> int:
    if args.action == "merge":
        samples = merge_samples([read_samples(Path(f)) for f in args.files], keep=args.keep)
        with open_output(args.output, console.stdout) as out:
            write_samples(out, samples)
        return 0
    cwd = project_dir(args)
    history = load_history_for(cwd, args.history, console.stdin)
    if args.action == "export":
        if history.empty:
            raise HistoryError(f"no timing history in {args.directory}: no .stestr or .testrepository found; "
                               "pass --history PATH")
        console.warn(*history.warnings)
        with open_output(args.output, console.stdout) as out:
            write_samples(out, collect_samples(history))
        return 0
    console.warn(*history.warnings)
    if not history.runs:
        where = ", ".join(args.history) if args.history else f"{cwd} (no .stestr or .testrepository with runs)"
        raise HistoryError(f"no stored runs in {where}; pass --history PATH with a repository or subunit stream, "
                           f"or run the tests first")
    rows = history_summary(history.runs)
    parallel = sum(1 for r in history.runs if is_parallel(r))
    render = summary.render_json if args.format == "json" else summary.render_text
    render(rows, parallel, len(history.runs) - parallel, console.stdout)
    return 0
