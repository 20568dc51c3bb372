"""When dynamic dispatch, the default, gives way to the static plan: a queue of single small tests.

Dynamic dispatch hands out one group per request. When the queue is split per test (every group holds one
test) and the history prices those tests small, a hand-out (the request, the reply, the group's start in
the worker, its events relayed by the lane) costs about as much as the test itself, while a static plan of
so many small items is already balanced to within a few of them: oslo.utils (18,242 tests of ~1.6 ms) ran
1.4-1.6 x plain stestr's wall time under dynamic dispatch (docs/real-suites.md). With no history to judge from,
a queue split per test that would be handed out in batches (more than
:data:`~partitioner.dispatch.queue.BATCH_ABOVE_PER_LANE` tests per lane) runs the static plan too: so many
unpriced tests balance about as well dealt out before the run as stestr deals them (oslo.utils' first run:
1.10 x plain stestr dynamic; testtools': 1.30 x), and the run stores the history that decides the next one.
The rule applies only when nobody chose the mode (``--dispatch`` or the ``dispatch`` option win). A dispatch order
the user chose (``--dispatch-order``, ``dispatch_order``) orders the queue alone: the note (:func:`off_note`) says
it does not apply to the static plan kept.

Pure: the caller passes the queue's group sizes and predicted costs.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING

from partitioner.dispatch.queue import BATCH_ABOVE_PER_LANE

if TYPE_CHECKING:
    from partitioner.config import Choice
    from partitioner.pipeline import Planned

#: a test predicted shorter than this (median over the queue) is too small to hand out on its own
SMALL_TEST_S = 0.05
#: at least this share of the tests must be measured by the history for its prices to count. The static plan
#: prices a test the history never saw at the suite's mean (a class's mean where its class was measured), so
#: new tests, small on paper, all go to the worker the measured ones left lightest: a new user's debtcollector
#: with 10 new one-second tests among 54 measured ones of 0.2 ms ran them all on one worker, 10.8 s against
#: plain stestr's 5.7 s (its round-robin deals unseen tests evenly). Dynamic dispatch hands them to whichever
#: worker is free. A few new tests in a large suite (a change under review) keep the static plan.
MEASURED_SHARE = 0.99


def small_tests_reason(sizes: Sequence[int], costs: Sequence[float], measured: int, has_history: bool,
                       serial_groups: int = 0, lanes: int = 0) -> str | None:
    """Why the static plan suits this queue better than dynamic dispatch, or ``None`` when it does not.

    :param sizes: the tests of each parallel group
    :param costs: each group's predicted seconds (aligned with ``sizes``)
    :param measured: how many of the tests the history measured
    :param has_history: False when the costs are test counts, not seconds
    :param serial_groups: groups that must run alone (only dynamic dispatch runs them so: it is kept)
    :param lanes: the workers the queue would be handed to (0: unknown, the no-history rule is off)
    """
    tests = sum(sizes)
    if not sizes or serial_groups or max(sizes) != 1:
        return None
    if not has_history:
        if lanes < 1 or tests <= BATCH_ABOVE_PER_LANE * lanes:
            return None
        return (f"{tests:,} tests split per test, no history to price them: they balance as well dealt out before "
                f"the run on {lanes} workers; this run's timings decide the next")
    if measured < MEASURED_SHARE * tests:
        return None
    median = statistics.median(costs)
    if median >= SMALL_TEST_S:
        return None
    under = f"under {SMALL_TEST_S * 1000:.0f} ms"
    if tests == 1:  # `stestr run --failing` after one test failed
        return (f"the queue would hand out 1 test and the history prices it small ({median * 1000:.1f} ms, {under}): "
                "a hand-out would cost about as much as the test, so its worker is fixed before the run instead")
    return (f"the queue would hand out {tests:,} tests one at a time and the history prices them small (median "
            f"{median * 1000:.1f} ms, {under}): a hand-out would cost about as much as a test, so each worker's "
            "share is fixed before the run instead")


def planned_reason(planned: Planned, lanes: int) -> str | None:
    """:func:`small_tests_reason` for a plan's parallel groups on ``lanes`` workers (None unless split per test)."""
    groups = planned.groups
    if len(groups.tests) != len(groups.keys):  # not split per test: dynamic dispatch stays
        return None
    costs = planned.model.group_costs(groups)
    return small_tests_reason(costs.n_tests, costs.cost, planned.model.measured_tests, planned.plan.has_history,
                              len(planned.serial_groups), lanes)


def off_note(reason: str, order: Choice[str] | None = None) -> str:
    """The one line that says dynamic dispatch was turned off for ``reason``, and how to force it anyway.

    :param order: the dispatch order as ``Settings.choose("dispatch_order", ...)`` resolved it; when the user chose
        it (``--dispatch-order`` or the ``dispatch_order`` option, not the default), the line also says it does
        not apply: it orders dynamic dispatch's queue, and a static plan has none (left unsaid, the order the user
        asked for was silently ignored)
    """
    from partitioner.config import DEFAULT  # the config module only for the note: not on every run's way

    if order is None or order.where == DEFAULT:
        return f"dynamic dispatch is off: {reason} (`--dispatch dynamic` or `dispatch = dynamic` forces it)"
    return (f"dynamic dispatch is off: {reason}; so the dispatch order {order.value} ({order.where}) does not "
            "apply, as it orders dynamic dispatch's queue (`--dispatch dynamic` or `dispatch = dynamic` forces "
            "dynamic dispatch, and the order with it)")
