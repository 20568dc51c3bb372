"""``lookahead`` order: suite order, but a lane may skip ahead to a long group that would end the run alone; its
pick, its hand-outs (waiting, and a fresh process when left alone) and its expected timeline."""

from __future__ import annotations

from dataclasses import replace

import testtools
from hypothesis import given, settings
from hypothesis import strategies as st

from partitioner.dispatch.lookahead import LaneView, pick_ahead, reachable, stranded
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


class TestPickAhead(testtools.TestCase):
    def test_a_process_may_start_at_a_late_long_group(self) -> None:
        # as a stestr worker's share may start anywhere in the suite: what matters is the increasing order after
        self.assertEqual(10, pick_ahead(items_of(LATE_LONG), None, [LaneView(0.0, None)], 0.0))

    def test_it_skips_ahead_to_a_late_long_group_when_the_run_ends_sooner(self) -> None:
        items = items_of([1.0] * 10 + [6.0])[2:]  # g000 ran on this lane (last 0); the other holds g001 until 1.0
        others = [LaneView(1.0, 1)]
        # suite order would start g010 at about 5, and with its overrun charged (OVERRUN: twice its price)
        # end at 16; taken now it may end at 12, the other lane running the eight short ones by 9
        self.assertEqual("g010", items[pick_ahead(items, 0, others, 0.0) or 0].key)

    def test_a_small_predicted_gain_is_not_worth_a_skip(self) -> None:
        items = items_of([1.0] * 10 + [3.0])[2:]
        # taken now or at about 5, g010 and its overrun end by 10 either way: suite order stays
        self.assertEqual("g002", items[pick_ahead(items, 0, [LaneView(1.0, 1)], 0.0) or 0].key)

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
        self.assertEqual(0.0, long_slot.start_s)  # a process's first group

    def test_a_restart_costs_a_start_up_in_the_timeline(self) -> None:
        # g010 goes second on lane 0; after it that lane may run nothing queued (all before g010): with free
        # start-ups a fresh process takes the rest, with 1 s ones the 2 s left per lane are not worth one
        free = simulate(queue_of([1.0] * 10 + [4.0]), 2)
        dear = simulate(queue_of([1.0] * 10 + [4.0]), 2, startup_s=1.0)
        self.assertEqual(([[False, False, True, False], [False] * 7], 7.0),
                         ([[s.fresh for s in row] for row in free.lanes], free.makespan_s))
        self.assertEqual(([2, 9], 10.0), ([len(row) for row in dear.lanes], dear.makespan_s))

    @given(st.lists(st.floats(0.0, 20.0), min_size=1, max_size=40), st.integers(1, 6), st.floats(0.0, 2.0))
    @settings(max_examples=100, deadline=None)
    def test_every_group_runs_once_and_each_process_runs_them_in_suite_order(self, costs: list[float],
                                                                              lanes: int, startup: float) -> None:
        timeline = simulate(queue_of(costs), lanes, startup_s=startup)
        keys = [s.key for row in timeline.lanes for s in row]
        self.assertEqual(sorted(f"g{n:03d}" for n in range(len(costs))), sorted(keys))
        for row in timeline.lanes:  # a lane's processes: a new one starts at each fresh slot
            processes: list[list[str]] = []
            for slot in row:
                if slot.fresh or not processes:
                    processes.append([])
                processes[-1].append(slot.key)
            for keys_run in processes:
                self.assertEqual(sorted(keys_run), keys_run)


class TestHandOuts(testtools.TestCase):
    def hand_out_late_long(self, startup_s: float) -> tuple[DispatchState, list[float]]:
        """Lane 0 takes g010 (long, last in the suite), lane 1 g000; at 8 lane 0 is back, g002.. queued."""
        now = [0.0]
        state = DispatchState(replace(queue_of(LATE_LONG), startup_s=startup_s), 2, clock=lambda: now[0])
        state.join(0)
        state.join(1)
        first = [state.take(lane) for lane in (0, 1)]
        self.assertEqual(["g010", "g000"], [r.handout.key for r in first if isinstance(r, Assign)])
        now[0] = 1.0
        state.finish(1, "g000")
        self.assertEqual("g001", assign(state.take(1)).handout.key)
        now[0] = 8.0
        state.finish(0, "g010")
        return state, now

    def test_a_lane_that_skipped_ahead_starts_a_fresh_process_when_the_work_left_is_worth_it(self) -> None:
        state, _ = self.hand_out_late_long(startup_s=0.5)  # 8 s queued for 2 lanes: worth a 0.5 s start-up
        self.assertIsInstance(state.take(0), Idle)  # it ends its process
        self.assertEqual("g002", assign(state.take(0)).handout.key)  # and starts a fresh one at the earliest

    def test_a_lane_that_skipped_ahead_waits_when_a_start_up_costs_too_much_then_restarts_when_left_alone(
            self) -> None:
        state, _ = self.hand_out_late_long(startup_s=5.0)
        self.assertIsInstance(state.take(0), Wait)  # nothing after g010: it waits, its process kept
        state.leave(1, "gone")  # ...until the only lane that could run g002.. leaves
        self.assertIsInstance(state.take(0), Idle)
        self.assertEqual("g002", assign(state.take(0)).handout.key)  # lane 1's g001 failed with it


def assign(reply: object) -> Assign:
    assert isinstance(reply, Assign), reply
    return reply
