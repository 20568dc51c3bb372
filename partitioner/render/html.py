"""The plan as a picture (``plan --format html``): its predicted lanes on the timeline page, before it runs.

The same self-contained page and visual language as a run's timeline (:mod:`partitioner.timeline.page`):
one lane per worker, each test a bar for its estimate, class setups as hatched gaps, the start-up lead-in,
each lane's predicted finish and idle tail, and the serial phase on its own lane after the parallel one.

Under dynamic dispatch the workers do not get the plan's partitions: they pull groups from a queue, in the
dispatch order the run uses (``lookahead`` unless ``dispatch_order`` or ``--dispatch-order`` says otherwise), as
they free up. The page then shows what dispatch is expected to do
(:func:`partitioner.dispatch.simulate.simulate` of :func:`partitioner.dispatch.queue.queue_from_costs` in that
order, as ``plan --dispatch dynamic`` shows it, each group priced from the moment it is handed out) above the
static plan, each under its heading, on one time axis.

Call :func:`render_html` with the :class:`~partitioner.pipeline.Planned` the command made (it needs the cost
model, which the :class:`~partitioner.render.Renderer` protocol does not carry).
"""

from __future__ import annotations

from typing import IO, Literal

from partitioner.dispatch.queue import ORDERS, queue_from_costs
from partitioner.dispatch.simulate import simulate
from partitioner.pipeline import Planned
from partitioner.timeline.model import Timeline
from partitioner.timeline.page import render_timeline
from partitioner.timeline.predicted import plan_lanes, plan_title, simulated_lanes

__all__ = ["DYNAMIC_SECTION", "Dispatch", "planned_timeline", "render_html", "static_section"]

Dispatch = Literal["static", "dynamic"]
#: the heading of dynamic dispatch's expected lanes
DYNAMIC_SECTION = "dynamic dispatch (expected)"


def static_section(planned: Planned) -> str:
    """The heading of the static plan's lanes."""
    return f"static plan ({planned.plan.strategy})"


def planned_timeline(planned: Planned, dispatch: Dispatch = "static", overhead_s: float = 0.0,
                     title: str | None = None, order: str = ORDERS[0]) -> Timeline:
    """What :func:`render_html` draws.

    :param planned: the plan and the cost model it was made with
    :param dispatch: ``static`` (the plan's partitions) or ``dynamic`` (the expected dispatch, then the plan)
    :param overhead_s: seconds each hand-out costs on top of its group, for the dispatch simulation
    :param title: the page's title (default: the plan's workers, strategy and grouping)
    :param order: the queue's dispatch order (one of :data:`~partitioner.dispatch.queue.ORDERS`; default
        ``lookahead``, the run's default)
    """
    plan, model = planned.plan, planned.model
    name = title or plan_title(plan)
    if dispatch == "static":
        return Timeline(name, None, (), plan_lanes(plan, model))
    queue = queue_from_costs(planned.groups, model, planned.serial_groups, order)
    expected = simulate(queue, plan.concurrency, startup_s=model.startup_s, overhead_s=overhead_s)
    lanes = (*simulated_lanes(expected, queue, model, DYNAMIC_SECTION),
             *plan_lanes(plan, model, static_section(planned)))
    return Timeline(f"{name}, dynamic dispatch", None, (), lanes)


def render_html(planned: Planned, out: IO[str], dispatch: Dispatch = "static", overhead_s: float = 0.0,
                title: str | None = None, order: str = ORDERS[0]) -> None:
    """Write the plan's page (one HTML document with no external reference) to ``out``.

    :param planned: what :func:`partitioner.pipeline.plan_ids` (or ``plan_for_directory``) returned
    :param dispatch: how the run will hand out work: ``static`` draws the plan's lanes; ``dynamic`` draws
        the expected dispatch above the static plan
    :param overhead_s: seconds each hand-out costs on top of its group (dynamic only)
    :param title: the page's title
    :param order: the dispatch order of the queue (dynamic only; see :func:`planned_timeline`)
    """
    out.write(render_timeline(planned_timeline(planned, dispatch, overhead_s, title, order)))
