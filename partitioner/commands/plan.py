"""``partitioner plan``: show or write a plan for N workers."""

from __future__ import annotations

import argparse
from pathlib import Path

from partitioner.cli import IO_
from partitioner.commands.common import add_plan_arguments, make_plan
from partitioner.errors import UsageError
from partitioner.render import RENDERERS, write_load_lists

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


def run(args: argparse.Namespace, io: IO_) -> int:
    planned = make_plan(args, io)
    plan = planned.plan
    if args.format == "load-lists":
        written = write_load_lists(plan, Path(args.output or "plan-lists"))
        for path in written:
            io.stdout.write(f"{path}\n")
        for warning in plan.warnings:
            io.warn(warning)
        return 0
    render = RENDERERS[args.format]
    groups = planned.all_groups
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as out:
                render(plan, out, groups)
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror}; pass a writable --output path") from exc
    else:
        render(plan, io.stdout, groups)
    if args.format != "table":
        for warning in plan.warnings:
            io.warn(warning)
    return 0
