"""``partitioner explain TEST_ID``: where a test goes, what it is estimated to cost, and why."""

from __future__ import annotations

import argparse
import json

from partitioner import testids
from partitioner.cli import IO_
from partitioner.commands.common import add_plan_arguments, make_plan
from partitioner.errors import InputError

NAME = "explain"
HELP = "say which group and worker a test gets, its estimate and where the estimate came from"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("test_id", metavar="TEST_ID", help="a test id from the list")
    add_plan_arguments(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace, io: IO_) -> int:
    planned = make_plan(args, io)
    test_id = args.test_id
    planned_ids = {t for g in planned.all_groups for t in g.tests}
    if test_id not in planned_ids:
        near = sorted(t for t in planned_ids if t.startswith(testids.parse(test_id).base))[:3]
        hint = f"; did you mean {', '.join(near)}?" if near else "; check the id against --tests or the listing"
        raise InputError(f"{test_id!r} is not in the test list{hint}")
    group = next(g for g in planned.all_groups if test_id in g.tests)
    worker = planned.plan.worker_of(test_id)
    estimate = planned.model.test(test_id)
    klass = testids.class_key(test_id)
    setup = planned.model.class_setup(klass)
    cost = planned.model.group_cost(group)
    doc = {
        "format_version": 1,
        "test": test_id,
        "group": group.key,
        "group_tests": len(group.tests),
        "group_cost_s": round(cost.cost, 3),
        "worker": worker,
        "serial": worker is None,
        "estimate_s": round(estimate.seconds, 3),
        "estimate_source": estimate.source,
        "samples": estimate.samples,
        "class": klass,
        "class_setup_s": round(setup.seconds, 3),
        "class_setup_source": setup.source,
    }
    if args.format == "json":
        json.dump(doc, io.stdout, indent=1)
        io.stdout.write("\n")
        return 0
    place = "the serial phase" if worker is None else f"worker {worker}"
    io.stdout.write(
        f"{test_id}\n"
        f"  group     {group.key} ({len(group.tests)} tests, {cost.cost:.2f}s incl. {cost.setup_s:.2f}s class setup)\n"
        f"  worker    {place} of {planned.plan.concurrency}\n"
        f"  estimate  {estimate.seconds:.3f}s from {estimate.source}"
        f"{f' ({estimate.samples} samples, median)' if estimate.samples > 1 else ''}\n"
        f"  class     {klass}: setup {setup.seconds:.3f}s from {setup.source}"
        f"{f' ({setup.samples} gaps, median)' if setup.samples > 1 else ''}\n")
    return 0
