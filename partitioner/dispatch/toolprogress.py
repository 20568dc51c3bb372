"""The progress line of a tool's run under ``partitioner exec`` (:class:`~partitioner.timeline.progress.ProgressLine`,
fed each event the tool stores), started only where it garbles nothing (:func:`start`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from partitioner.dispatch.toolrun import ToolRun
    from partitioner.pipeline import Planned
    from partitioner.timeline.progress import ProgressLine


def start(stderr: IO[str], run: ToolRun, planned: Planned | None, label: str) -> ProgressLine | None:
    """A started progress line on ``stderr`` for ``run``, or None where there is to be none (``stderr`` draws
    none, or stdout is a terminal: the tool prints its results there, and a progress line would garble them)."""
    from partitioner.timeline.progress import ProgressLine

    if not ProgressLine(stderr).enabled:
        return None
    try:
        drawing = not os.isatty(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        drawing = True
    if not drawing:
        return None
    costs: Mapping[str, float] = {}
    lanes: Mapping[str, str] = {}
    if planned is not None and planned.plan.has_history:
        from partitioner.timeline.predicted import lane_costs, plan_assignment, predicted_lanes

        costs, lanes = lane_costs(predicted_lanes(plan_assignment(planned.plan), planned.model))
    dispatcher = run.dispatcher
    same_workers = planned is not None and len(run.partitions) == len(planned.plan.workers)
    progress = ProgressLine(stderr, total=sum(map(len, run.partitions)), costs=costs,
                            workers=max(1, len(run.partitions)),
                            lanes=lanes if dispatcher is None and same_workers else None,
                            queue_left=dispatcher.left if dispatcher is not None else None, label=label)
    progress.startTestRun()
    progress.start_ticker()
    return progress
