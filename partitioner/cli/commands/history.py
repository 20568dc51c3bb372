"""``partitioner history``: push runs to a history store and read its pin, export portable timing files, merge
them, summarise stored runs."""

from __future__ import annotations

import argparse
import datetime
from collections.abc import Sequence
from pathlib import Path

from partitioner.cli import durations
from partitioner.cli.arguments import add_directory, add_history, positive_int, project_dir
from partitioner.cli.console import Console
from partitioner.cli.suite import project_tool
from partitioner.errors import HistoryError, UsageError
from partitioner.history import load_history_for
from partitioner.history.jsonfile import merge_samples, read_samples, write_samples
from partitioner.history.samples import collect_samples, judge
from partitioner.history.summary import auto_window, select_runs, summarize
from partitioner.render import open_output, summary
from partitioner.render.output import plural, say_written

NAME = "history"
HELP = "push runs to a history store, print its pin, export or merge timing files, summarise stored runs"
_HERE = ".stestr/.testrepository here"
_STORE = "a history store URL: sqlite:///PATH (relative to -C) or postgresql://USER@HOST/DB"


def label(text: str) -> tuple[str, str]:
    """argparse type: ``KEY=VALUE``."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE (e.g. branch=main), got {text!r}")
    return key.strip(), value.strip()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    sub.required = True
    push = sub.add_parser(
        "push", help="put runs into a history store (each run stored once, however often it is pushed)",
        description="Put runs into a history store: a subunit stream (a file, or - for stdin: `stestr last --subunit "
                    "| partitioner history push --to URL -`), a .stestr/.testrepository (its runs not pushed from "
                    "this machine before) or a JSON timing file. One line per run: `stored as run N`, or `already "
                    "stored as run N` (the same run pushed again, by this job or another, is stored once).")
    push.add_argument("--to", required=True, metavar="URL", help=f"where to push: {_STORE}")
    push.add_argument("sources", nargs="*", default=[], metavar="SOURCE",
                      help=f"subunit stream files (gzip ok), - for stdin, repositories, JSON timing files; default: "
                           f"the {_HERE}")
    push.add_argument("--label", action="append", default=[], type=label, metavar="KEY=VALUE",
                      help="a label on every pushed run (repeatable): branch=main, job=tempest-full, shard=2/4")
    add_directory(push)
    head = sub.add_parser(
        "head", help="print the store's newest run id: the pin (?upto=N) to hand to shard jobs",
        description="Print the newest run id of a history store (0 when it holds none): jobs that plan from "
                    "URL?upto=N all read the same history while others push.")
    head.add_argument("--history", required=True, metavar="URL", help=_STORE)
    add_directory(head)
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
                    "races) come first, then those failing in every run that ran them, whatever ran beside them "
                    "(ordinary failures, not races: `partitioner races` leaves them out too). Per time window: "
                    "parallel runs, those that failed, and those that failed only in tests failing only in parallel. "
                    "Runs in which (nearly) every class failed are left out.")
    durations.take_signed_values(summary_)  # --window -5s, --since -7d: say what is wrong, not "expected one argument"
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


def _push(args: argparse.Namespace, console: Console) -> int:
    from partitioner.history.repository import discover, find_repository
    from partitioner.history.sources import JsonSource, Request
    from partitioner.history.store import open_store, parse_store_url

    cwd = project_dir(args)
    target = args.to[len("store:"):] if args.to.startswith("store:") else args.to
    parse_store_url(target, cwd)  # a malformed URL is one line before anything is read
    labels = dict(args.label)
    sources: Sequence[str] = args.sources or discover(cwd)
    if not sources:
        raise HistoryError(f"nothing to push: no .stestr or .testrepository in {cwd}; pass a stream, a repository "
                           "or a timing file (or - for a stream on stdin)")
    if list(sources).count("-") > 1:
        raise UsageError("- (stdin) given more than once; it can be read only once")

    def said(name: str, run_id: int, duplicate: bool) -> None:
        console.stdout.write(f"{name}: {'already stored' if duplicate else 'stored'} as run {run_id}\n")

    with open_store(target, cwd) as store:
        for source in sources:
            if source == "-":
                data = console.stdin.read()
                if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
                    result = store.push_json(data, "-", labels=labels)
                else:
                    result = store.push_stream(data, "-", labels=labels)
                said("-", result.run_id, result.duplicate)
                continue
            path = Path(source) if Path(source).is_absolute() else cwd / source
            if path.is_dir():
                repo, _ = find_repository(path)
                pushed = store.push_repository(repo, labels=labels)
                console.warn(*pushed.warnings)
                for result in pushed.results:
                    said(result.source, result.run_id, result.duplicate)
                if not pushed.results and not pushed.warnings:
                    console.stdout.write(f"{repo}: no new runs ({pushed.already} pushed from here before)\n")
                continue
            if not path.is_file():
                raise HistoryError(f"no such file or directory: {source}; pass a subunit stream, a repository, a "
                                   "JSON timing file, or - for a stream on stdin")
            if JsonSource().detect(Request(str(path))):
                result = store.push_json(path, labels=labels)
            else:
                result = store.push_file(path, labels=labels)
            said(result.source, result.run_id, result.duplicate)
    return 0


def _head(args: argparse.Namespace, console: Console) -> int:
    from partitioner.history.store import open_store

    cwd = project_dir(args)
    target = args.history[len("store:"):] if args.history.startswith("store:") else args.history
    with open_store(target, cwd) as store:
        console.stdout.write(f"{store.head()}\n")
    return 0


def run(args: argparse.Namespace, console: Console) -> int:
    if args.action == "push":
        return _push(args, console)
    if args.action == "head":
        return _head(args, console)
    if args.action == "merge":
        samples = merge_samples([read_samples(Path(f)) for f in args.files], keep=args.keep)
        with open_output(args.output, console.stdout) as out:
            write_samples(out, samples)
        say_written(args.output, f"timing samples of {plural(len(samples.tests), 'test')}, merged from "
                    f"{plural(len(args.files), 'file')}", console.stderr)
        return 0
    cwd = project_dir(args)
    # export writes samples (a store's aggregated ones do); summary needs every result of every run
    history = load_history_for(cwd, args.history, console.stdin,
                               purpose="plan" if args.action == "export" else "runs")
    if args.action == "export":
        if history.empty:
            raise HistoryError(f"no timing history in {args.directory}: no .stestr or .testrepository found; "
                               "pass --history PATH")
        console.warn(*history.warnings)
        samples = collect_samples(history)
        with open_output(args.output, console.stdout) as out:
            write_samples(out, samples)
        say_written(args.output, f"timing samples of {plural(len(samples.tests), 'test')}", console.stderr)
        return 0
    console.warn(*history.warnings)
    if not history.runs:
        where = ", ".join(args.history) if args.history else f"{cwd} (no .stestr or .testrepository with runs)"
        raise HistoryError(f"no stored runs in {where}; pass --history PATH with a repository or subunit stream, "
                           f"or run the tests first")
    # an interrupted run's tests it never reached did not fail (nor race), nor did those it cut short
    runs, stopped = judge(select_runs(history.runs, args.since, args.last))
    if not runs:
        when = datetime.datetime.fromtimestamp(args.since, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        raise HistoryError(f"none of the {len(history.runs)} stored runs began at or after {when} (--since); "
                           f"pass an earlier --since")
    from partitioner.races.diagnosis import always_failing  # the races' rule: one left out there is one here

    width = args.window or auto_window(runs)
    found = summarize(runs, width, always_failing(runs))
    if args.format == "json":
        summary.render_json(found, console.stdout, stopped)
    else:
        summary.render_text(found, project_tool(cwd), console.stdout, durations.spell(width), stopped)
    return 0
