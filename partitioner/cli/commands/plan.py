"""``partitioner plan``: show or write a plan for N workers, a split into shards, or one shard's plan.

It plans what the run will: the test path and filters a ``stestr run`` takes (:mod:`partitioner.cli.selection`),
the grouping the hooks use (the config's ``group_regex``, or per test without one), the history they read.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from partitioner.cli import selection
from partitioner.cli.arguments import add_dispatch, add_plan_arguments, positive_int, project_dir
from partitioner.cli.console import Console
from partitioner.config import DISPATCH_ORDERS, Choice, Settings, default_concurrency, load_settings
from partitioner.errors import OutputError, UsageError
from partitioner.pipeline import Planned, plan_for_directory, plan_shards, select_shard
from partitioner.render import (
    DISPATCH_RENDERERS,
    RENDERERS,
    dynamic_view,
    open_output,
    render_json,
    render_table,
    write_load_lists,
)
from partitioner.render.output import plural, say_written
from partitioner.render.runline import history_used

NAME = "plan"
HELP = "plan N partitions of the test ids and show them"
FORMATS = (*RENDERERS, "load-lists", "html")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_plan_arguments(parser)
    selection.add_selection_arguments(parser)
    parser.add_argument("--format", choices=FORMATS, default="table",
                        help="table (for people), json (format_version 1), stestr-worker-file (YAML for "
                             "`stestr run --worker-file`), load-lists (one id file per worker in --output), html (the "
                             "plan drawn as a timeline page, one file with no external reference)")
    parser.add_argument("-o", "--output", metavar="PATH",
                        help="write here instead of stdout; for load-lists, the directory (default plan-lists); with "
                             "--shards, the plan file every shard job reads")
    add_dispatch(parser, "show the queue (in --dispatch-order) and the per-lane timeline the dispatcher is expected to "
                         "give, with its predicted makespan (table, json and html; the JSON's dispatch member)",
                 static="show each worker's share",
                 default="the config files' dispatch option, else static; the table's last line and the JSON's "
                         "run_dispatch say how the run deals the groups out")
    shards = parser.add_argument_group("shards", "a suite split over M CI jobs (docs/history-store.md)")
    shards.add_argument("--shards", type=positive_int, metavar="M",
                        help="split the suite into M shards of N workers each, balanced by predicted time: a table "
                             "of every shard's predicted time; with -o FILE (or --format json) the plan file to hand "
                             "to every shard job (store history is pinned in it)")
    shards.add_argument("--shard", metavar="K/M|auto",
                        help="plan only shard K of M (K counts from 1), as `partitioner exec --shard` runs it; auto "
                             "reads the CI's variables (PARTITIONER_SHARD, GitLab, Buildkite, CircleCI, ...). "
                             "Without --plan the split is made here, from pinned history only (?upto=N)")
    shards.add_argument("--plan", metavar="FILE", dest="plan_file",
                        help="the plan file `plan --shards M -o FILE` wrote: take the split from it (with --shard)")


def _concurrency(args: argparse.Namespace, settings: Settings, fallback: int | None = None) -> int:
    """``-n``, else ``fallback`` (the N a plan file's split was made for), else the config's, else the CPU count."""
    if fallback is not None and not args.concurrency:
        return fallback
    chosen: int = settings.choose("concurrency", args.concurrency, default_concurrency()).value
    return chosen


def _check(args: argparse.Namespace) -> None:
    if args.shards and (args.shard or args.plan_file):
        raise UsageError("--shards makes a split; --shard (and --plan) show one shard of one: use one or the other")
    if args.plan_file and not args.shard:
        raise UsageError("--plan FILE needs --shard K: which of its shards to plan")
    if args.shard and "-" in args.history:
        raise UsageError("--history - cannot be read twice (for the split and for the shard): put it in a file")
    if args.shards and args.format not in ("table", "json"):
        raise UsageError(f"--shards writes a table or its plan file (json), not {args.format}")


def run(args: argparse.Namespace, console: Console) -> int:
    _check(args)
    cwd = project_dir(args)
    settings = load_settings(cwd)
    chosen = selection.select(args, cwd, settings, console)
    if args.shards:
        return _split(args, console, cwd, settings, chosen)
    ids, fallback, part = chosen.ids, None, ""
    if args.shard:
        shard = select_shard(chosen.ids, args.shard, cwd, os.environ, plan_file=args.plan_file,
                             concurrency=_concurrency(args, settings), history=args.history, group_by=args.group_by,
                             strategy=args.strategy, stdin=console.stdin, settings=settings)
        if shard.stale:
            console.warn(f"{len(shard.stale)} tests of shard {shard.spec} in {args.plan_file} are no longer listed: "
                         "left out")
        console.stderr.write(f"partitioner: {shard.describe()}\n")
        if not shard.tests:
            console.stderr.write(f"partitioner: shard {shard.spec} has nothing to run\n")
            return 0
        ids, fallback = list(shard.tests), shard.sharded.concurrency
        part = f"; shard {shard.spec}: {len(ids):,} of them"
    planned = plan_for_directory(ids, _concurrency(args, settings, fallback), cwd, args.history, args.group_by,
                                 args.strategy, console.stdin, settings, chosen.tool)
    run = selection.run_dispatch(settings, planned)
    shown = _render(args, console, settings, planned, run)
    if args.format == "table":  # the table's last lines: in its file with it when it went to one (-o)
        lines = [f"planned as the run will: {chosen.describe()}{part}; grouping {planned.plan.grouping} "
                 f"({planned.grouping_from})\n", f"history: {history_used(planned, cwd)}\n"]
        if run is not None:
            lines.append(_dispatch_line(shown, *run))
        if args.output and args.output != "-":
            try:
                with open(args.output, "a", encoding="utf-8", newline="\n") as table:
                    table.writelines(lines)
            except OSError as exc:
                raise OutputError(f"cannot write {args.output}: {exc.strerror or exc}; write to an existing, "
                                  "writable directory") from None
        else:
            console.stdout.writelines(lines)
    return 0


def _dispatch_line(shown: str, mode: str, why: str) -> str:
    """What the table showed against how the run deals the groups out (:func:`selection.run_dispatch`)."""
    if mode == shown:
        return f"dispatch {mode}, as the run's ({why})\n"
    if mode == "dynamic":
        return (f"dispatch: the shares above are the static plan; the run deals the groups out dynamically ({why}): "
                "an idle worker takes the next group, so which worker runs a group is decided during the run; "
                "`--dispatch dynamic` shows the queue and the expected timeline\n")
    return (f"dispatch: the queue above is what dynamic dispatch would do; the run keeps the static plan ({why}): "
            "`--dispatch static` shows each worker's share\n")


def _render(args: argparse.Namespace, console: Console, settings: Settings, planned: Planned,
            run: tuple[str, str] | None = None) -> str:
    """Write the plan in ``args.format`` (JSON with ``run``: how the run deals it out); returns how it was shown
    (``dynamic`` or ``static``)."""
    dispatch = settings.choose("dispatch", args.dispatch, "static")
    drawn = (*DISPATCH_RENDERERS, "html")
    if dispatch.value == "dynamic" and args.format not in drawn:
        if args.dispatch == "dynamic":
            raise UsageError(f"--format {args.format} writes static shares; --dispatch dynamic shows the queue "
                             f"in {' or '.join(sorted(drawn))}")
        dispatch = Choice("static", dispatch.where)
    plan = planned.plan
    order = settings.choose("dispatch_order", args.dispatch_order, DISPATCH_ORDERS[0]).value  # as the run's queue
    if args.format == "load-lists":
        for path in write_load_lists(plan, Path(args.output or "plan-lists")):
            console.stdout.write(f"{path}\n")
    elif args.format == "html":
        from partitioner.render.html import render_html  # the page's code: only when drawn

        with open_output(args.output or "-", console.stdout) as out:
            render_html(planned, out, dispatch="dynamic" if dispatch.value == "dynamic" else "static", order=order)
        tests = sum(len(p.tests) for p in plan.workers) + len(plan.serial)
        how = f"dynamic dispatch ({order} order)" if dispatch.value == "dynamic" else "static plan"
        say_written(args.output or "-", f"{plural(tests, 'test')} on {plural(plan.concurrency, 'worker')}, {how}, "
                    "drawn as a timeline page", console.stderr)
    elif dispatch.value == "dynamic":
        view = dynamic_view(planned, plan.concurrency, order)
        with open_output(args.output or "-", console.stdout) as out:
            if args.format == "json":
                render_json(plan, out, planned.all_groups, dispatch=view, run=run)
            else:
                render_table(plan, out, planned.all_groups, dispatch=view)
    elif args.format == "json":
        with open_output(args.output or "-", console.stdout) as out:
            render_json(plan, out, planned.all_groups, run=run)
    else:
        with open_output(args.output or "-", console.stdout) as out:
            RENDERERS[args.format](plan, out, planned.all_groups)
    if args.format != "table" or args.output:  # the table shows them itself, but not on the terminal when in a file
        console.warn(*plan.warnings)
    return "dynamic" if dispatch.value == "dynamic" else "static"


def _split(args: argparse.Namespace, console: Console, cwd: Path, settings: Settings,
           chosen: selection.Selection) -> int:
    from partitioner.render.shards import render_shards_file, render_shards_table

    sharded, planned = plan_shards(chosen.ids, args.shards, _concurrency(args, settings), cwd, args.history,
                                   args.group_by, args.strategy, console.stdin, settings, pin=True)
    if args.format == "json" and not args.output:
        render_shards_file(sharded, console.stdout)
        console.warn(*sharded.warnings)
        return 0
    render_shards_table(sharded, console.stdout)
    console.stdout.write(f"planned as the run will: {chosen.describe()}; grouping {sharded.grouping} "
                         f"({planned.grouping_from})\n")
    if args.output:
        with open_output(args.output, console.stdout) as out:
            render_shards_file(sharded, out)
    return 0
