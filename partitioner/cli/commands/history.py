"""``partitioner history``: export portable timing files, merge them, summarise stored runs."""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path

from partitioner.cli import durations
from partitioner.cli.arguments import add_directory, add_history, positive_int, project_dir
from partitioner.cli.console import Console
from partitioner.cli.suite import project_tool
from partitioner.errors import HistoryError
from partitioner.history import load_history_for
from partitioner.history.jsonfile import merge_samples, read_samples, write_samples
from partitioner.history.samples import collect_samples
from partitioner.history.summary import auto_window, select_runs, summarize
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
        "summary", help="per test and per time window: failures in parallel runs and in serial runs",
        description="Per test: how many stored runs it was in, how often it failed in parallel runs (2+ worker "
                    "tags) and in serial ones, and the runs it failed in; tests failing only in parallel (likely "
                    "races) come first. Per time window: parallel runs, those that failed, and those that failed "
                    "only in such tests. Runs in which (nearly) every class failed are left out.")
    add_history(summary_, _HERE)
    add_directory(summary_)
    summary_.add_argument("--format", choices=("text", "json"), default="text",
                          help="text (failing tests, those failing only in parallel first) or json (every test, "
                               "format_version 1)")
    summary_.add_argument("--since", type=durations.moment, metavar="WHEN",
                          help="only runs that began at or after WHEN: a date (2024-05-01), a date-time "
                               "(2024-05-01T12:00, UTC unless it has an offset) or a duration ago (7d, 12h)")
    summary_.add_argument("--last", type=positive_int, metavar="N", help="only the newest N runs")
    summary_.add_argument("--window", type=durations.seconds, metavar="DURATION",
                          help="the width of a time window (1h, 1d, 7d; default: the narrowest of 10m, 1h, 6h, "
                               "1d, 7d, 30d that gives at most 12 windows)")


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
    runs = select_runs(history.runs, args.since, args.last)
    if not runs:
        when = datetime.datetime.fromtimestamp(args.since, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        raise HistoryError(f"none of the {len(history.runs)} stored runs began at or after {when} (--since); "
                           f"pass an earlier --since")
    width = args.window or auto_window(runs)
    found = summarize(runs, width)
    if args.format == "json":
        summary.render_json(found, console.stdout)
    else:
        summary.render_text(found, project_tool(cwd), console.stdout, durations.spell(width))
    return 0
