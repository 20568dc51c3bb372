"""The one line ``partitioner exec`` prints on stderr about the plan a run got: what history it used, how much of
the suite that history measured, the predicted makespan with its unit, and how work is handed out.

For example::

    partitioner: 120 listed test ids on 4 workers, dynamic dispatch (lookahead order); history: stestr:.stestr
    (10 runs read; times.dbm for tests the runs miss); 118 of 120 ids measured; predicted makespan 61.2s for
    the static plan, not the dynamic queue (`partitioner plan --dispatch dynamic` simulates the queue)

(one line). It counts the ids the tool listed and gave to the plan, not the results the tool counts after the
run: a testscenarios test is one listed id that runs (and is counted by stestr) once per scenario, so stestr's
``Ran: N tests`` may say more. Not a stable interface: the JSON plan (``partitioner plan --format json``) is.
"""

from __future__ import annotations

from pathlib import Path

from partitioner.costmodel import TEST_UNITS
from partitioner.dispatch.queue import ORDERS
from partitioner.figures import figure
from partitioner.history.digest import NO_RUNS_STORED
from partitioner.pipeline import Planned
from partitioner.render.output import plural

__all__ = ["NOT_THE_QUEUE", "history_used", "summary_line"]

#: what the predicted makespan of a dynamic run's line is, and where the queue's own prediction is
NOT_THE_QUEUE = ("for the static plan, not the dynamic queue (`partitioner plan --dispatch dynamic` simulates the "
                 "queue)")


#: the unit's name where a line is short of room (:data:`TEST_UNITS` defines it: ``plan`` and ``explain`` say it)
BRIEF_UNITS = TEST_UNITS.partition(",")[0]


def history_used(planned: Planned, cwd: Path | None = None, brief: bool = False) -> str:
    """What the plan's history was read from, paths relative to ``cwd``; ``none`` when nothing gave a timing.

    :param brief: name the no-history unit without defining it, and say nothing more of a history that stored no
        run yet (the run line, which follows the reader's note that the repository holds no runs)
    """
    sources = list(planned.history.sources)
    units = BRIEF_UNITS if brief else TEST_UNITS
    if not sources:
        return f"none (costs in {units})"
    here = f"{(cwd or Path.cwd()).resolve()}/"  # a relative -C DIR would cut a wrong prefix
    text = ", ".join(s.replace(here, "") for s in sources)
    if planned.plan.has_history:
        return text
    if brief and all(s.endswith(f"({NO_RUNS_STORED})") for s in sources):
        return f"{text}; costs in {units}"
    return f"{text}; nothing in it timed these tests (costs in {units})"


def summary_line(planned: Planned, dispatch: str, order: str | None = None, shard: str | None = None,
                 cwd: Path | None = None) -> str:
    """The line, without ``partitioner:`` and the newline.

    :param dispatch: ``dynamic`` or ``static``
    :param order: the queue's order under dynamic dispatch
    :param shard: what the job's shard is (:meth:`partitioner.pipeline.ShardRun.describe`), if it is one
    """
    plan = planned.plan
    tests = sum(len(p.tests) for p in plan.workers) + len(plan.serial)
    how = f"dynamic dispatch ({order or ORDERS[0]} order)" if dispatch == "dynamic" else "static plan"
    serial = f" + {len(plan.serial)} serial" if plan.serial else ""
    prefix = f"{shard}; " if shard else ""
    # under dynamic dispatch the figure is the static plan's, and the line says so in words: simulating the queue
    # in its order (what `plan --dispatch dynamic` shows) costs the run's start up to a second (the lookahead
    # order's play-outs), and the dispatcher plays them again as it hands the groups out
    whose = f" {NOT_THE_QUEUE}" if dispatch == "dynamic" else ""
    ids = "listed test id" if tests == 1 else "listed test ids"
    return (f"{prefix}{tests:,} {ids} on {plural(plan.concurrency, 'worker')}{serial}, {how}; history: "
            f"{history_used(planned, cwd, brief=True)}; {plan.measured_tests:,} of {tests:,} ids measured; "
            f"predicted makespan "
            f"{figure(plan.predicted_makespan_s + plan.serial_s, plan.unit)}{whose}")
