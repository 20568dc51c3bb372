"""``partitioner concurrency``: print a worker count for testr's ``test_run_concurrency`` callout."""

from __future__ import annotations

import argparse

from partitioner.cli.arguments import add_plan_arguments, percent, positive_int, project_dir
from partitioner.cli.console import Console
from partitioner.cli.inputs import test_ids
from partitioner.config import default_concurrency, load_settings
from partitioner.pipeline import plan_ids, resolve
from partitioner.strategies import DEFAULT

NAME = "concurrency"
HELP = "print a worker count (testr's test_run_concurrency callout): the CPU count, or the smallest N near the best"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--within", type=percent, metavar="PCT",
                        help="print the smallest N whose predicted makespan is within PCT%% of the best "
                             "N up to --max, and up to the number of tests (needs history)")
    parser.add_argument("--max", type=positive_int, metavar="N", help="largest N to consider (default CPU count)")
    add_plan_arguments(parser, concurrency=False)


def run(args: argparse.Namespace, console: Console) -> int:
    cwd = project_dir(args)
    settings = load_settings(cwd)
    top = settings.choose("concurrency", args.max, default_concurrency(), "--max").value
    if args.within is None:
        console.stdout.write(f"{top}\n")
        return 0
    ids = test_ids(args, cwd, settings, console)
    history, grouper = resolve(cwd, settings, args.history, args.group_by, console.stdin)
    strategy = settings.choose("strategy", args.strategy, DEFAULT).value
    top = min(top, len(set(ids)))  # more workers than tests cannot help (and a huge --max would never end)
    spans = {n: plan_ids(ids, n, history, grouper, strategy, settings).plan.predicted_makespan_s
             for n in range(1, top + 1)}
    best = min(spans.values())
    chosen = min(n for n, span in spans.items() if span <= best * (1 + args.within / 100.0) + 1e-9)
    console.stdout.write(f"{chosen}\n")
    return 0
