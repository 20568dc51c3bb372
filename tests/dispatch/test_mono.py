"""``mono`` order: longest first among the groups that keep each test process in suite order, a fresh
process when none is left; its queue, its hand-outs and its expected timeline."""

from __future__ import annotations

import random

import testtools
from hypothesis import given
from hypothesis import strategies as st

from partitioner.dispatch.queue import WorkItem, order_queue, pick
from partitioner.dispatch.simulate import simulate
from partitioner.dispatch.state import Assign, DispatchState


def mono_queue(costs: list[float], order: str = "mono") -> object:
    """Groups ``g000``, ``g001``... in suite order, each one test, with the given costs."""
    keys = [f"g{n:03d}" for n in range(len(costs))]
    positions = {f"{k}.t": n for n, k in enumerate(keys)}
    return order_queue([(k, c, [f"{k}.t"]) for k, c in zip(keys, costs, strict=True)], order=order,
                       positions=positions)


def hand_all(state: DispatchState, lanes: int) -> list[tuple[int, WorkItem | str, bool]]:
    """Every lane takes in turn until the queue is empty; (lane, key, fresh) per hand-out."""
    for lane in range(lanes):
        state.join(lane)
    log = []
    busy = True
    while busy:
        busy = False
        for lane in range(lanes):
            reply = state.take(lane)
            if isinstance(reply, Assign):
                busy = True
                log.append((lane, reply.handout.key, reply.handout.fresh))
                state.finish(lane, reply.handout.key)
    return log


class TestPick(testtools.TestCase):
    def items(self) -> list[WorkItem]:  # longest first, as a mono queue holds them
        return [WorkItem("a", ("a.t",), 9.0, at=0, upto=0), WorkItem("c", ("c.t",), 5.0, at=2, upto=2),
                WorkItem("b", ("b.t",), 1.0, at=1, upto=1)]

    def test_other_orders_take_the_head_in_the_same_process(self) -> None:
        self.assertEqual((0, False), pick(self.items(), 2, "suite"))
        self.assertEqual((0, False), pick(self.items(), 2, "cost"))

    def test_a_lanes_first_item_is_the_longest_in_a_fresh_process(self) -> None:
        self.assertEqual((0, True), pick(self.items(), None, "mono"))

    def test_the_longest_that_sorts_after_the_lanes_last_group(self) -> None:
        self.assertEqual((1, False), pick(self.items(), 0, "mono"))  # c: a sorts before, c is longer than b
        self.assertEqual((1, False), pick([*self.items()[:1], self.items()[2]], 0, "mono"))

    def test_nothing_after_it_means_a_fresh_process_for_the_longest(self) -> None:
        self.assertEqual((0, True), pick(self.items(), 2, "mono"))

    def test_an_empty_queue_is_an_error(self) -> None:
        self.assertRaises(IndexError, pick, [], None, "mono")


class TestHandouts(testtools.TestCase):
    @given(st.lists(st.floats(0.0, 100.0), min_size=1, max_size=40), st.integers(1, 6))
    def test_each_process_runs_in_increasing_suite_order_and_every_group_once(self, costs: list[float],
                                                                                lanes: int) -> None:
        state = DispatchState(mono_queue(costs), lanes)  # type: ignore[arg-type]
        log = hand_all(state, lanes)
        self.assertEqual(sorted(f"g{n:03d}" for n in range(len(costs))), sorted(key for _, key, _ in log))
        last: dict[int, str] = {}
        for lane, key, fresh in log:
            if lane not in last:
                self.assertTrue(fresh, "a lane's first group starts its first forked process")
            elif not fresh:
                self.assertGreater(key, last[lane], "a process ran a group that sorts before its last one")
            last[lane] = key

    def test_longest_first_where_the_order_allows(self) -> None:
        state = DispatchState(mono_queue([1.0, 8.0, 2.0, 9.0]), 2)  # type: ignore[arg-type]
        state.join(0)
        state.join(1)
        taken = []
        for lane in (0, 1, 1, 0):
            reply = state.take(lane)
            assert isinstance(reply, Assign)
            taken.append((lane, reply.handout.key, reply.handout.fresh))
            state.finish(lane, reply.handout.key)
        # lane 1 ran g001: g002 sorts after it; lane 0 ran g003: only g000 is left, in a fresh process
        self.assertEqual([(0, "g003", True), (1, "g001", True), (1, "g002", False), (0, "g000", True)], taken)

    def test_a_crash_gives_the_lane_a_fresh_process_and_the_retry_keeps_its_place(self) -> None:
        state = DispatchState(mono_queue([5.0, 1.0, 1.0]), 1)  # type: ignore[arg-type]
        state.join(0)
        first = state.take(0)
        assert isinstance(first, Assign)
        self.assertEqual("g000", first.handout.key)
        state.finish(0, "g000")
        second = state.take(0)
        assert isinstance(second, Assign)
        state.crash(0, second.handout.key, list(second.handout.tests), "killed")
        retry = state.take(0)
        assert isinstance(retry, Assign)
        self.assertEqual((second.handout.key, True, 2), (retry.handout.key, retry.handout.fresh,
                                                          retry.handout.attempt))


class TestSimulateMono(testtools.TestCase):
    def test_balances_as_longest_first_where_suite_order_ends_with_a_long_group(self) -> None:
        costs = [1.0] * 12 + [12.0]  # the longest group sorts last
        suite = simulate(mono_queue(costs, "suite"), 2).makespan_s  # type: ignore[arg-type]
        mono = simulate(mono_queue(costs), 2).makespan_s  # type: ignore[arg-type]
        self.assertEqual(18.0, suite)
        self.assertEqual(12.0, simulate(mono_queue(costs), 2, fork_s=0.0).makespan_s)  # type: ignore[arg-type]
        self.assertLessEqual(mono, 12.05)

    def test_close_to_longest_first_on_random_suites(self) -> None:
        rng = random.Random(7)
        for _ in range(20):
            costs = [rng.lognormvariate(0.0, 1.0) for _ in range(60)]
            cost = simulate(mono_queue(costs, "cost"), 4).makespan_s  # type: ignore[arg-type]
            mono = simulate(mono_queue(costs), 4, fork_s=0.0).makespan_s  # type: ignore[arg-type]
            bound = max(sum(costs) / 4, *costs)
            self.assertLessEqual(mono, max(cost, bound) * 1.05)
