"""Arguments and steps shared by the planning subcommands (plan, explain, concurrency)."""

from __future__ import annotations

import argparse
from pathlib import Path

from partitioner.cli import IO_
from partitioner.config import default_concurrency, load_settings
from partitioner.errors import InputError, UsageError
from partitioner.listing import default_ids, read_id_file
from partitioner.pipeline import Planned, plan_for_directory
from partitioner.strategies import STRATEGIES


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def add_plan_arguments(parser: argparse.ArgumentParser, concurrency: bool = True) -> None:
    """--concurrency, --tests, --history, --group-by, --strategy, -C."""
    if concurrency:
        parser.add_argument("-n", "--concurrency", type=positive_int, metavar="N",
                            help="number of workers (default: [partitioner] concurrency, else the CPU count)")
    parser.add_argument("--tests", metavar="FILE|-",
                        help="test ids, one per line (- for stdin); default: list through .testr.conf's "
                             "test_command with $LISTOPT, or through `stestr list`")
    parser.add_argument("--history", action="append", default=[], metavar="PATH",
                        help="a .testrepository/.stestr dir, a subunit v1/v2 stream (gzip ok; - for stdin) or "
                             "a JSON timing file; repeatable; a KIND: prefix (stestr:, testrepository:, subunit:, "
                             "json:) forces the kind; default: .stestr/.testrepository found in the directory")
    parser.add_argument("--group-by", metavar="SPEC",
                        help="class (default), module, none, regex:RE, callback:package.module:function")
    parser.add_argument("--strategy", metavar="NAME",
                        help=f"scheduling strategy: {', '.join(sorted(STRATEGIES))} (default lpt)")
    parser.add_argument("-C", "--directory", default=".", metavar="DIR",
                        help="the project directory (config files, repositories); default: the current one")


def make_plan(args: argparse.Namespace, io: IO_) -> Planned:
    """List, load history, and plan, honouring flags over config files."""
    cwd = Path(args.directory)
    if not cwd.is_dir():
        raise UsageError(f"no such directory: {cwd}; pass an existing project directory with -C")
    settings = load_settings(cwd)
    if args.tests == "-" and "-" in args.history:
        raise UsageError("--tests - and --history - both want stdin; put one of them in a file")
    ids = read_id_file(args.tests, io.stdin) if args.tests else default_ids(cwd, settings)
    if not ids:
        raise InputError("no tests to plan: the test list is empty; check --tests or the listing command")
    concurrency = settings.choose("concurrency", getattr(args, "concurrency", None), default_concurrency()).value
    return plan_for_directory(ids, concurrency, cwd, args.history, args.group_by, args.strategy, io.stdin, settings)
