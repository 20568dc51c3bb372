"""The plan as versioned JSON (``--format json``); numbers rounded so the bytes are the same on every platform."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import IO

from partitioner.grouping import Group
from partitioner.plan import Plan
from partitioner.render.dispatch import DispatchView, dispatch_to_dict
from partitioner.render.output import FORMAT_VERSION


def _r(value: float) -> float:
    """Round for output, so JSON is byte-stable across platforms."""
    return round(value, 3)


def plan_to_dict(plan: Plan, dispatch: DispatchView | None = None,
                 run: tuple[str, str] | None = None) -> dict[str, object]:
    """The JSON document for a plan (``format_version`` :data:`~partitioner.render.output.FORMAT_VERSION`).

    ``dispatch`` is ``{"mode": "static"}``, or under dynamic dispatch the queue and its simulated timeline
    (:func:`~partitioner.render.dispatch.dispatch_to_dict`); the static partitions stay, as the fallback.
    ``unit`` says what every ``..._s`` figure is in: ``s`` (seconds), or ``tests`` (test-count units, when no
    timing history priced the plan: :data:`~partitioner.costmodel.TEST_UNITS`); ``measured_tests`` how many
    planned tests the history priced by their own samples. ``run_dispatch`` is how the project's run deals the
    groups out, ``{"mode": "dynamic" or "static", "why": ...}`` (:func:`partitioner.cli.selection.run_dispatch`), or
    null when the plan has no project command to judge by.
    """
    return {
        "format_version": FORMAT_VERSION,
        "strategy": plan.strategy,
        "grouping": plan.grouping,
        "concurrency": plan.concurrency,
        "has_history": plan.has_history,
        "unit": plan.unit,
        "measured_tests": plan.measured_tests,
        "predicted_makespan_s": _r(plan.predicted_makespan_s),
        "lower_bound_s": _r(plan.lower_bound_s),
        "total_s": _r(plan.total_s),
        "efficiency": _r(plan.efficiency),
        "estimated_share": _r(plan.estimated_share),
        "critical_group": plan.critical_group,
        "startup_s": _r(plan.startup_s),
        "workers": [
            {"worker": p.worker, "predicted_s": _r(p.predicted_s), "groups": list(p.groups), "tests": list(p.tests)}
            for p in plan.workers
        ],
        "serial": {"tests": list(plan.serial), "predicted_s": _r(plan.serial_s)},
        "merged_groups": [{"group": m.key, "resources": list(m.resources), "members": list(m.members)}
                          for m in plan.merged],
        "warnings": list(plan.warnings),
        "dispatch": dispatch_to_dict(dispatch),
        "run_dispatch": None if run is None else {"mode": run[0], "why": run[1]},
    }


def render_json(plan: Plan, out: IO[str], groups: Sequence[Group] = (), dispatch: DispatchView | None = None,
                run: tuple[str, str] | None = None) -> None:
    """Write :func:`plan_to_dict` as indented JSON."""
    json.dump(plan_to_dict(plan, dispatch, run), out, indent=1, ensure_ascii=False)
    out.write("\n")
