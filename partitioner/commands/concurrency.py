"""``partitioner concurrency``: print a worker count for testr's ``test_run_concurrency`` callout."""

from __future__ import annotations

import argparse
from pathlib import Path

from partitioner.cli import IO_
from partitioner.commands.common import add_plan_arguments, positive_int
from partitioner.config import default_concurrency, load_settings
from partitioner.listing import default_ids, read_id_file
from partitioner.pipeline import plan_ids, resolve
from partitioner.strategies import DEFAULT

NAME = "concurrency"
HELP = "print a worker count (testr's test_run_concurrency callout): the CPU count, or the smallest N near the best"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--within", type=float, metavar="PCT",
                        help="print the smallest N whose predicted makespan is within PCT%% of the best "
                             "N up to --max (needs history)")
    parser.add_argument("--max", type=positive_int, metavar="N", help="largest N to consider (default CPU count)")
    add_plan_arguments(parser, concurrency=False)


def run(args: argparse.Namespace, io: IO_) -> int:
    cwd = Path(args.directory)
    settings = load_settings(cwd)
    top = settings.choose("concurrency", args.max, default_concurrency(), "--max").value
    if args.within is None:
        io.stdout.write(f"{top}\n")
        return 0
    ids = read_id_file(args.tests, io.stdin) if args.tests else default_ids(cwd, settings)
    history, grouper = resolve(cwd, settings, args.history, args.group_by, io.stdin)
    strategy = settings.choose("strategy", args.strategy, DEFAULT).value
    spans = {n: plan_ids(ids, n, history, grouper, strategy, settings).plan
             .predicted_makespan_s for n in range(1, top + 1)}
    best = min(spans.values())
    chosen = min(n for n, span in spans.items() if span <= best * (1 + args.within / 100.0) + 1e-9)
    io.stdout.write(f"{chosen}\n")
    return 0
