"""``partitioner plan``: show or write a plan for N workers."""

from __future__ import annotations

import argparse
from pathlib import Path

from partitioner.cli.arguments import add_plan_arguments
from partitioner.cli.console import Console
from partitioner.cli.inputs import make_plan
from partitioner.render import RENDERERS, open_output, write_load_lists

NAME = "plan"
HELP = "plan N partitions of the test ids and show them"
FORMATS = (*RENDERERS, "load-lists")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_plan_arguments(parser)
    parser.add_argument("--format", choices=FORMATS, default="table",
                        help="table (for people), json (format_version 1), stestr-worker-file (YAML for "
                             "`stestr run --worker-file`), load-lists (one id file per worker in --output)")
    parser.add_argument("-o", "--output", metavar="PATH",
                        help="write here instead of stdout; for load-lists, the directory (default plan-lists)")


def run(args: argparse.Namespace, console: Console) -> int:
    planned = make_plan(args, console)
    plan = planned.plan
    if args.format == "load-lists":
        for path in write_load_lists(plan, Path(args.output or "plan-lists")):
            console.stdout.write(f"{path}\n")
    else:
        with open_output(args.output or "-", console.stdout) as out:
            RENDERERS[args.format](plan, out, planned.all_groups)
    if args.format != "table":  # the table shows them itself
        console.warn(*plan.warnings)
    return 0
