"""See a run: worker lanes of test bars (plan against actual) as one self-contained HTML page, and a live
progress line for the terminal.

:mod:`~partitioner.timeline.model` builds a run's values and :mod:`~partitioner.timeline.predicted` a plan's
(both pure), :mod:`~partitioner.timeline.page` draws them,
:mod:`~partitioner.timeline.progress` keeps the progress line. Names are imported on first use (PEP 562), so
the runner can import :mod:`partitioner.timeline.progress` without paying for the model and the page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from partitioner import lazy

if TYPE_CHECKING:
    from partitioner.timeline.model import Bar as Bar
    from partitioner.timeline.model import Gap as Gap
    from partitioner.timeline.model import Lane as Lane
    from partitioner.timeline.model import Timeline as Timeline
    from partitioner.timeline.model import Unplaced as Unplaced
    from partitioner.timeline.model import build_timeline as build_timeline
    from partitioner.timeline.page import render_plan as render_plan
    from partitioner.timeline.page import render_timeline as render_timeline
    from partitioner.timeline.predicted import Costs as Costs
    from partitioner.timeline.predicted import dispatch_assignment as dispatch_assignment
    from partitioner.timeline.predicted import lane_costs as lane_costs
    from partitioner.timeline.predicted import plan_assignment as plan_assignment
    from partitioner.timeline.predicted import plan_lanes as plan_lanes
    from partitioner.timeline.predicted import plan_timeline as plan_timeline
    from partitioner.timeline.predicted import predicted_lanes as predicted_lanes
    from partitioner.timeline.predicted import recorded_lanes as recorded_lanes
    from partitioner.timeline.predicted import simulated_lanes as simulated_lanes
    from partitioner.timeline.progress import ProgressLine as ProgressLine

_WHERE = {
    **dict.fromkeys(("Bar", "Gap", "Lane", "Timeline", "Unplaced", "build_timeline"), "model"),
    **dict.fromkeys(("Costs", "dispatch_assignment", "lane_costs", "plan_assignment", "plan_lanes", "plan_timeline",
                     "predicted_lanes", "recorded_lanes", "simulated_lanes"), "predicted"),
    "render_plan": "page",
    "render_timeline": "page",
    "ProgressLine": "progress",
}

__all__ = [
    "Bar",
    "Costs",
    "Gap",
    "Lane",
    "ProgressLine",
    "Timeline",
    "Unplaced",
    "build_timeline",
    "dispatch_assignment",
    "lane_costs",
    "plan_assignment",
    "plan_lanes",
    "plan_timeline",
    "predicted_lanes",
    "recorded_lanes",
    "render_plan",
    "render_timeline",
    "simulated_lanes",
]


def __getattr__(name: str) -> Any:
    return lazy.attribute(__name__, _WHERE, globals(), name)


def __dir__() -> list[str]:
    return lazy.names(_WHERE, globals())
