"""``partitioner plan``: show or write a plan for N workers."""

from __future__ import annotations

import argparse
from pathlib import Path

from partitioner.cli.arguments import add_plan_arguments, project_dir
from partitioner.cli.console import Console
from partitioner.cli.inputs import make_plan
from partitioner.config import Choice, load_settings
from partitioner.errors import UsageError
from partitioner.render import (
    DISPATCH_RENDERERS,
    RENDERERS,
    dynamic_view,
    open_output,
    render_json,
    render_table,
    write_load_lists,
)

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
    parser.add_argument("--dispatch", choices=("static", "dynamic"),
                        help="dynamic: show the queue (longest first) and the per-lane timeline the dispatcher is "
                             "expected to give, with its predicted makespan (table and json; the JSON's dispatch "
                             "member); static: each worker's share (default: the config files' dispatch option, "
                             "else static)")
    parser.add_argument("--dispatch-order", choices=("suite", "cost"),
                        help="the queue's order under dynamic dispatch: suite (default) or cost (longest first)")


def run(args: argparse.Namespace, console: Console) -> int:
    dispatch = load_settings(project_dir(args)).choose("dispatch", args.dispatch, "static")
    if dispatch.value == "dynamic" and args.format not in DISPATCH_RENDERERS:
        if args.dispatch == "dynamic":
            raise UsageError(f"--format {args.format} writes static shares; --dispatch dynamic shows the queue "
                             f"in {' or '.join(sorted(DISPATCH_RENDERERS))}")
        dispatch = Choice("static", dispatch.where)
    planned = make_plan(args, console)
    plan = planned.plan
    if args.format == "load-lists":
        for path in write_load_lists(plan, Path(args.output or "plan-lists")):
            console.stdout.write(f"{path}\n")
    elif dispatch.value == "dynamic":
        settings = load_settings(project_dir(args))
        view = dynamic_view(planned, plan.concurrency, settings.choose("dispatch_order", args.dispatch_order,
                                                                       "suite").value)
        with open_output(args.output or "-", console.stdout) as out:
            (render_json if args.format == "json" else render_table)(plan, out, planned.all_groups, dispatch=view)
    else:
        with open_output(args.output or "-", console.stdout) as out:
            RENDERERS[args.format](plan, out, planned.all_groups)
    if args.format != "table":  # the table shows them itself
        console.warn(*plan.warnings)
    return 0
