"""The plan as a table for people (``--format table``, the default); not a stable interface."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from partitioner.costmodel import SECONDS, TEST_UNITS, UNIT_SUFFIX
from partitioner.figures import figure, number
from partitioner.grouping import Group
from partitioner.history.model import is_note
from partitioner.plan import Plan
from partitioner.render.dispatch import DispatchView, render_dispatch_table


def render_table(plan: Plan, out: IO[str], groups: Sequence[Group] = (), dispatch: DispatchView | None = None) -> None:
    """One row per worker (and the serial phase), then the plan's figures, merges and warnings; under dynamic
    dispatch the expected lanes and the queue instead of the workers' shares.

    Every figure carries its unit: seconds, or test-count units when there is no (matching) timing history."""
    unit = UNIT_SUFFIX[plan.unit]
    if dispatch is not None:
        render_dispatch_table(dispatch, out, plan.unit)
        out.write(f"grouping {plan.grouping}\n")
    else:
        out.write(f"{'worker':>6}  {'groups':>6}  {'tests':>6}  {'predicted':>12}\n")
        for p in plan.workers:
            out.write(f"{p.worker:>6}  {len(p.groups):>6}  {len(p.tests):>6}  "
                      f"{number(p.predicted_s, plan.unit):>11}{unit}\n")
        if plan.serial:
            out.write(f"{'serial':>6}  {'':>6}  {len(plan.serial):>6}  "
                      f"{number(plan.serial_s, plan.unit):>11}{unit}\n")
        out.write(f"strategy {plan.strategy}, grouping {plan.grouping}\n")
        out.write(f"predicted makespan {figure(plan.predicted_makespan_s, plan.unit)}, lower bound "
                  f"{figure(plan.lower_bound_s, plan.unit)} (no split beats it: the total over {len(plan.workers)} "
                  f"workers or the costliest group, the larger), efficiency {plan.efficiency:.1%}\n")
    tested = len(plan.serial) + sum(len(p.tests) for p in plan.workers)
    measured = f"measured {plan.measured_tests} of {tested} tests"
    if plan.unit != SECONDS:
        measured += f" (no timing history: costs are {TEST_UNITS})"
    out.write(f"{measured}; {plan.estimated_share:.1%} of the predicted cost estimated, not measured (tests and "
              f"class setups the history does not time); costliest group on the slowest worker: "
              f"{plan.critical_group or '-'}\n")
    for merge in plan.merged:
        out.write(f"resource group {merge.key} (worker {plan.worker_of_group(merge.key)}) joins: "
                  f"{', '.join(merge.members)}\n")
    for warning in plan.warnings:  # a first run's empty repository is a note: nothing is wrong
        out.write(f"{'note' if is_note(warning) else 'warning'}: {warning}\n")
