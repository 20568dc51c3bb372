"""``partitioner history``: export portable timing files, merge them, summarise stored runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from partitioner.cli import IO_
from partitioner.errors import HistoryError
from partitioner.history import load_history_for
from partitioner.history.jsonfile import merge_samples, read_samples, write_samples
from partitioner.history.model import Samples
from partitioner.history.samples import collect_samples

NAME = "history"
HELP = "export a portable JSON timing file, merge several, or summarise stored runs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    sub.required = True
    export = sub.add_parser("export", help="write the timing samples of history sources to a JSON file",
                            description="Write the timing samples (per test, per class setup) of the given "
                                        "history sources to a portable JSON file, for CI jobs that keep no "
                                        "repository.")
    export.add_argument("--history", action="append", default=[], metavar="PATH",
                        help="a source as for `plan --history`; default: .stestr/.testrepository here")
    export.add_argument("-C", "--directory", default=".", metavar="DIR")
    export.add_argument("-o", "--output", default="-", metavar="FILE", help="where to write (default stdout)")
    merge = sub.add_parser("merge", help="combine JSON timing files, keeping the newest samples",
                           description="Combine JSON timing files (oldest first) into one, keeping the newest "
                                       "--keep samples per test and per class.")
    merge.add_argument("files", nargs="+", metavar="FILE", help="JSON timing files, oldest first")
    merge.add_argument("--keep", type=int, default=20, metavar="K", help="samples kept per key (default 20)")
    merge.add_argument("-o", "--output", default="-", metavar="FILE", help="where to write (default stdout)")
    from partitioner.commands import races  # the summary view lives with the race diagnosis

    races.add_summary_arguments(sub.add_parser(
        "summary", help="per test: runs, failures in parallel runs, failures in serial runs",
        description="Per test: how many stored runs it was in, and how often it failed in parallel runs (2+ "
                    "worker tags) and in serial ones; tests failing only in parallel (likely races) come first."))


def _write(io: IO_, output: str, samples: Samples) -> None:
    if output == "-":
        write_samples(io.stdout, samples)
        return
    try:
        write_samples(Path(output), samples)
    except OSError as exc:
        raise HistoryError(f"cannot write {output}: {exc.strerror}; pass a writable -o path") from exc


def run(args: argparse.Namespace, io: IO_) -> int:
    if args.action == "summary":
        from partitioner.commands import races

        return races.summarize(args, io)
    if args.action == "export":
        history = load_history_for(Path(args.directory), args.history, io.stdin)
        if history.empty:
            raise HistoryError(f"no timing history in {args.directory}: no .stestr or .testrepository found; "
                               "pass --history PATH")
        for warning in history.warnings:
            io.warn(warning)
        _write(io, args.output, collect_samples(history))
        return 0
    _write(io, args.output, merge_samples([read_samples(Path(f)) for f in args.files], keep=args.keep))
    return 0
