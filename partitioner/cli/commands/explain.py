"""``partitioner explain TEST_ID``: where a test goes, what it is estimated to cost, and why.

It plans what the run will (the test path, filters and grouping of :mod:`partitioner.cli.selection`), and says
which, so that the worker it names is the one the run gives the test. An id as a run printed it for a scenario of a
testscenarios test (``m.S.test_a(thread)``), which the list holds as the test (``m.S.test_a``), explains the test,
and says so.
"""

from __future__ import annotations

import argparse

from partitioner.cli import selection
from partitioner.cli.arguments import add_plan_arguments, project_dir
from partitioner.cli.console import Console
from partitioner.config import default_concurrency, load_settings
from partitioner.errors import InputError
from partitioner.pipeline import Explanation, Planned, plan_for_directory
from partitioner.render import explain
from partitioner.render.runline import history_used
from partitioner.statuses import scenario_base

NAME = "explain"
HELP = "say which group and worker a test gets, its estimate and where the estimate came from"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("test_id", metavar="TEST_ID",
                        help="a test id from the list (a scenario as a run printed it, m.S.test_a(thread), explains "
                             "its test m.S.test_a)")
    add_plan_arguments(parser)
    selection.add_selection_arguments(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace, console: Console) -> int:
    cwd = project_dir(args)
    settings = load_settings(cwd)
    chosen = selection.select(args, cwd, settings, console)
    concurrency = settings.choose("concurrency", args.concurrency, default_concurrency())
    planned = plan_for_directory(chosen.ids, concurrency.value, cwd, args.history, args.group_by, args.strategy,
                                 console.stdin, settings, chosen.tool)
    explanation = _explain(planned, args.test_id, chosen.describe(), console)
    console.warn(*planned.plan.warnings)  # as `plan` says them: fewer workers than asked, no history...
    run = selection.run_dispatch(settings, planned)
    # the grouping the plan used is shown, so a plan that groups unlike the run (issue 9) is visible
    if args.format == "json":
        explain.render_json(explanation, console.stdout, planned.plan.grouping, concurrency.where, run)
        return 0
    # the worker count says where it came from: the CPU count by default, which a run's --concurrency may not be
    explain.render_text(explanation, console.stdout, planned.plan.grouping, concurrency.where)
    console.stdout.write(f"  planned   as the run will: {chosen.describe()}; grouping {planned.plan.grouping} "
                         f"({planned.grouping_from})\n")
    # the runs stored now, the last one included: a run's own line (``exec``) counted those before it
    console.stdout.write(f"  history   {history_used(planned, cwd)}\n")
    if run is not None and run[0] == "dynamic" and explanation.worker is not None:
        console.stdout.write(f"  dispatch  dynamic in the run ({run[1]}): the worker above is the static plan's; "
                             "the run hands the group to whichever worker is idle when its turn in the queue comes "
                             "(`plan --dispatch dynamic` shows the expected order)\n")
    elif run is not None:
        console.stdout.write(f"  dispatch  {run[0]} in the run ({run[1]})\n")
    return 0


def _explain(planned: Planned, test_id: str, listed_from: str, console: Console) -> Explanation:
    """:meth:`Planned.explain` of ``test_id``, or, for a scenario the list holds as its test (a testscenarios
    ``WithScenarios`` test is listed once and reports one result per scenario, ``m.S.test_a(thread)``), of that
    test, with one note saying so.

    :raises InputError: neither is in the list (the error names ``test_id``)
    """
    try:
        return planned.explain(test_id, listed_from)
    except InputError as missing:
        listed = scenario_base(test_id)
        if listed is None:
            raise
        try:
            explanation = planned.explain(listed, listed_from)
        except InputError:
            raise missing from None
    console.stderr.write(f"partitioner: note: {test_id} is a scenario of {listed}, the test the list holds (a "
                         "testscenarios test reports each scenario under its own id): explaining " f"{listed}\n")
    return explanation
