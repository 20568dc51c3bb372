"""``lookahead`` order: suite order, but a lane may skip ahead to a long group that would end the run alone; its
pick, its hand-outs (waiting, and a fresh process when left alone) and its expected timeline."""

from __future__ import annotations

from collections.abc import Iterator

import testtools
from hypothesis import given, settings
from hypothesis import strategies as st

from partitioner.dispatch.lookahead import PLAYOUT_MAX, LaneView, first_reachable, pick_ahead, reachable, stranded
from partitioner.dispatch.queue import Queue, WorkItem, order_queue
from partitioner.dispatch.simulate import simulate
from partitioner.dispatch.state import Assign, DispatchState, Idle, Wait


def items_of(costs: list[float]) -> list[WorkItem]:
    """One single-test group per cost, ``g000``..., at suite positions 0, 1, ..."""
    return [WorkItem(f"g{n:03d}", (f"g{n:03d}.t",), c, at=n, upto=n) for n, c in enumerate(costs)]


def queue_of(costs: list[float], order: str = "lookahead") -> Queue:
    keys = [f"g{n:03d}" for n in range(len(costs))]
    return order_queue([(k, c, [f"{k}.t"]) for k, c in zip(keys, costs, strict=True)], order=order,
                       positions={f"{k}.t": n for n, k in enumerate(keys)})


#: ten short groups and, last in suite order, one as long as most of them together
LATE_LONG = [1.0] * 10 + [8.0]


class Watched(list[WorkItem]):
    """A queue that counts how many of its items a pick looked at."""

    looked = 0

    def __iter__(self) -> Iterator[WorkItem]:
        for item in super().__iter__():
            self.looked += 1
            yield item


class TestLongQueue(testtools.TestCase):
    """Above PLAYOUT_MAX groups nothing is played out: the first group the lane may run, found from the front."""

    def test_the_first_group_after_the_lanes_process_is_taken_looking_only_at_those_before_it(self) -> None:
        items = Watched(items_of([1.0] * (PLAYOUT_MAX * 5)))
        self.assertEqual(3, pick_ahead(items, 2, [LaneView(0.0, 1)], 0.0))
        self.assertEqual(4, items.looked)  # a pick over the whole queue made 2,000 hand-outs cost 2,000 x 2,000

    def test_a_lane_without_a_process_takes_the_front_and_a_retry_goes_first(self) -> None:
        items = items_of([1.0] * (PLAYOUT_MAX + 10))
        retried = [items[50], *items[:50], *items[51:]]  # a retry goes back in front of the queue
        self.assertEqual(0, pick_ahead(retried, None, [LaneView(0.0, None)], 0.0))
        self.assertEqual(0, pick_ahead(retried, 10, [LaneView(0.0, None)], 0.0))  # g050, before g011
        self.assertEqual("g051", retried[pick_ahead(retried, 50, [LaneView(0.0, None)], 0.0) or 0].key)

    def test_none_when_the_lanes_process_is_past_every_queued_group(self) -> None:
        self.assertIsNone(first_reachable(items_of([1.0] * 5), 4))

    @given(st.lists(st.floats(0.1, 5.0), min_size=PLAYOUT_MAX + 1, max_size=PLAYOUT_MAX + 40),
           st.integers(-1, PLAYOUT_MAX + 40))
    @settings(max_examples=25, deadline=None)
    def test_in_a_queue_in_suite_order_it_is_the_earliest_group_the_lane_may_run(self, costs: list[float],
                                                                              last: int) -> None:
        items = items_of(costs)
        mine = reachable(items, last)
        expected = min(mine, key=lambda i: items[i].at) if mine else None
        self.assertEqual(expected, pick_ahead(items, last, [LaneView(0.0, None)], 0.0))


class TestPickAhead(testtools.TestCase):
    def test_a_process_starts_at_the_earliest_group_even_when_a_long_one_waits_late(self) -> None:
        self.assertEqual(0, pick_ahead(items_of(LATE_LONG), None, [LaneView(0.0, None)], 0.0))

    def test_it_skips_ahead_to_a_late_long_group_when_the_run_ends_sooner(self) -> None:
        items = items_of(LATE_LONG)[2:]  # g000 ran on this lane (last 0); the other lane holds g001 until 1.0
        others = [LaneView(1.0, 1)]
        # suite order would start g010 last, at about 4.5, and end at 12.5; taken now it ends at 8, and the other
        # lane runs the eight short ones by 9
        self.assertEqual("g010", items[pick_ahead(items, 0, others, 0.0) or 0].key)

    def test_a_small_predicted_gain_is_not_worth_a_skip(self) -> None:
        items = items_of([1.0] * 10 + [6.0])[2:]
        # skipping would end at 9 instead of 10: less than SKIP_MARGIN / 2 lanes of the 10 left
        self.assertEqual("g002", items[pick_ahead(items, 0, [LaneView(1.0, 1)], 0.0) or 0].key)

    def test_a_group_that_bounds_the_run_is_taken_for_any_gain(self) -> None:
        # a new user's suite: 99 small classes, then one of 12 s that sorts last (oslo.config with one slow class,
        # N=2). Suite order starts it once both lanes have run the rest, about 1 s in: every second it waits is on
        # the makespan, since it alone outlasts the work left per lane. The gain (1 s of 13) is under the margin
        # that guards skips which only rebalance, so it was not taken, and the run took 16.3 s against 13.8 s.
        items = items_of([0.02] * 99 + [12.0])[2:]
        self.assertEqual("g099", items[pick_ahead(items, 0, [LaneView(0.02, 1)], 0.0) or 0].key)
        self.assertLess(simulate(queue_of([0.02] * 99 + [12.0]), 2).makespan_s, 12.1)  # the whole run: LB 12

    def test_it_keeps_suite_order_when_skipping_gains_nothing(self) -> None:
        items = items_of([1.0] * 12)[1:]
        self.assertEqual(0, pick_ahead(items, 0, [LaneView(1.0, 1)], 0.0))

    def test_it_never_skips_past_groups_that_no_other_lane_could_run_then(self) -> None:
        items = items_of(LATE_LONG)[2:]
        # the only other lane's process is past every short group: a skip would leave them to nobody
        self.assertEqual(0, pick_ahead(items, 1, [LaneView(0.0, 9)], 0.0))

    def test_nothing_after_its_last_group_means_none(self) -> None:
        items = items_of([1.0] * 4)
        self.assertIsNone(pick_ahead(items, 3, [LaneView(0.0, 0)], 0.0))
        self.assertIsNone(pick_ahead([], None, [], 0.0))
        self.assertEqual([2, 3], reachable(items, 1))

    def test_stranded_when_no_other_lane_can_reach_the_earliest_group(self) -> None:
        items = items_of([1.0] * 4)[1:]
        self.assertFalse(stranded(items, [LaneView(0.0, 0)]))
        self.assertFalse(stranded(items, [LaneView(0.0, None)]))
        self.assertTrue(stranded(items, [LaneView(0.0, 1)]))
        self.assertTrue(stranded(items, []))

    def test_a_retry_queued_in_front_is_taken_at_its_own_position(self) -> None:
        items = items_of([1.0] * 6)
        retry = WorkItem("g005", ("g005.t",), 0.0, at=5, upto=5)
        queued = [retry, *items[2:5]]  # a crash put g005 back in front of g002..g004
        self.assertEqual(1, pick_ahead(queued, None, [LaneView(0.0, 0)], 0.0))
        self.assertEqual(1, pick_ahead(queued, 1, [LaneView(0.0, 0)], 0.0))

    @given(st.lists(st.floats(0.0, 20.0), min_size=1, max_size=30), st.integers(-1, 30),
           st.lists(st.tuples(st.floats(0.0, 5.0), st.one_of(st.none(), st.integers(-1, 30))), max_size=5))
    @settings(max_examples=200, deadline=None)
    def test_a_pick_is_always_after_the_lane_s_last_group(self, costs: list[float], last: int,
                                                           others: list[tuple[float, int | None]]) -> None:
        items = items_of(costs)
        index = pick_ahead(items, last, [LaneView(t, o) for t, o in others], 0.0)
        if index is None:
            self.assertEqual([], reachable(items, last))
        else:
            self.assertGreater(items[index].at, last)


class TestQueueAndTimeline(testtools.TestCase):
    def test_the_queue_holds_the_groups_in_suite_order(self) -> None:
        queue = queue_of([1.0, 9.0, 3.0])
        self.assertEqual(("lookahead", ["g000", "g001", "g002"]), (queue.order, [i.key for i in queue.items]))

    def test_the_timeline_starts_the_late_long_group_early_and_ends_sooner_than_suite_order(self) -> None:
        ahead, suite = simulate(queue_of(LATE_LONG), 2), simulate(queue_of(LATE_LONG, "suite"), 2)
        self.assertEqual((9.0, 13.0), (ahead.makespan_s, suite.makespan_s))
        long_slot = next(s for row in ahead.lanes for s in row if s.key == "g010")
        self.assertEqual(1.0, long_slot.start_s)  # its lane's second group: each process starts at the earliest

    @given(st.lists(st.floats(0.0, 20.0), min_size=1, max_size=40), st.integers(1, 6))
    @settings(max_examples=100, deadline=None)
    def test_every_group_runs_once_and_each_lane_runs_them_in_suite_order(self, costs: list[float],
                                                                          lanes: int) -> None:
        timeline = simulate(queue_of(costs), lanes)
        keys = [s.key for row in timeline.lanes for s in row]
        self.assertEqual(sorted(f"g{n:03d}" for n in range(len(costs))), sorted(keys))
        for row in timeline.lanes:  # no lane is ever left alone with groups it cannot reach here: no restart
            self.assertEqual(sorted(s.key for s in row), [s.key for s in row])


class TestHandOuts(testtools.TestCase):
    def test_a_lane_that_skipped_ahead_waits_then_restarts_when_left_alone(self) -> None:
        now = [0.0]
        state = DispatchState(queue_of(LATE_LONG), 2, clock=lambda: now[0])
        state.join(0)
        state.join(1)
        first = [state.take(lane) for lane in (0, 1)]
        self.assertEqual(["g000", "g001"], [r.handout.key for r in first if isinstance(r, Assign)])
        now[0] = 1.0
        state.finish(0, "g000")
        reply = state.take(0)
        self.assertIsInstance(reply, Assign)
        assert isinstance(reply, Assign)
        self.assertEqual("g010", reply.handout.key)  # skipped ahead: lane 1 runs the short ones
        now[0] = 9.0
        state.finish(0, "g010")
        self.assertIsInstance(state.take(0), Wait)  # nothing after g010: it waits, its process kept
        state.leave(1, "gone")  # ...until the only lane that could run g002.. leaves
        self.assertIsInstance(state.take(0), Idle)  # it ends its process
        reply = state.take(0)
        assert isinstance(reply, Assign)
        self.assertEqual("g002", reply.handout.key)  # and starts a fresh one at the earliest group
