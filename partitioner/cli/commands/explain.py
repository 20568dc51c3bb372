"""``partitioner explain TEST_ID``: where a test goes, what it is estimated to cost, and why."""

from __future__ import annotations

import argparse

from partitioner.cli.arguments import add_plan_arguments
from partitioner.cli.console import Console
from partitioner.cli.inputs import make_plan
from partitioner.render import explain

NAME = "explain"
HELP = "say which group and worker a test gets, its estimate and where the estimate came from"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("test_id", metavar="TEST_ID", help="a test id from the list")
    add_plan_arguments(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace, console: Console) -> int:
    planned = make_plan(args, console)
    explanation = planned.explain(args.test_id)
    # the grouping the plan used is shown, so a plan that groups unlike the run (issue 9) is visible
    (explain.render_json if args.format == "json" else explain.render_text)(explanation, console.stdout,
                                                                          planned.plan.grouping)
    return 0
