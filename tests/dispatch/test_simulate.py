"""The expected timeline of dynamic dispatch: greedy list scheduling in queue order."""

from __future__ import annotations

import itertools

import testtools
from hypothesis import given
from hypothesis import strategies as st

from partitioner.dispatch.queue import WorkItem, order_queue
from partitioner.dispatch.simulate import simulate
from partitioner.errors import UsageError

costs = st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), max_size=40)


def queue_of(values: list[float], serial: list[float] = ()) -> object:  # type: ignore[assignment]
    return order_queue([(f"g{i:03d}", v, [f"g{i:03d}.t"]) for i, v in enumerate(values)],
                       [(f"s{i:03d}", v, [f"s{i:03d}.t"]) for i, v in enumerate(serial)])


class TestSimulate(testtools.TestCase):
    def test_next_group_goes_to_the_lane_that_frees_first(self) -> None:
        timeline = simulate([WorkItem("a", ("a",), 5.0), WorkItem("b", ("b",), 3.0), WorkItem("c", ("c",), 2.0),
                             WorkItem("d", ("d",), 2.0)], 2)
        # a ends at 5, b at 3; c goes to lane 1 (free at 3) and ends at 5; d: both free at 5, lane 0
        self.assertEqual([["a", "d"], ["b", "c"]], [[s.key for s in lane] for lane in timeline.lanes])
        self.assertEqual(7.0, timeline.makespan_s)
        self.assertEqual(("a", "b", "c", "d"), timeline.order)

    def test_ties_go_to_the_lowest_lane(self) -> None:
        timeline = simulate([WorkItem(k, (k,), 1.0) for k in "abcd"], 2)
        self.assertEqual([["a", "c"], ["b", "d"]], [[s.key for s in lane] for lane in timeline.lanes])

    def test_startup_and_overhead_shift_every_slot(self) -> None:
        timeline = simulate([WorkItem("a", ("a",), 1.0), WorkItem("b", ("b",), 1.0)], 1, startup_s=2.0,
                            overhead_s=0.5)
        self.assertEqual([(2.0, 3.5), (3.5, 5.0)], [(s.start_s, s.end_s) for s in timeline.lanes[0]])

    def test_serial_items_run_after_every_lane_is_idle_one_after_another(self) -> None:
        timeline = simulate(queue_of([4.0, 1.0], serial=[2.0, 3.0]), 2)  # type: ignore[arg-type]
        serial = [s for lane in timeline.lanes for s in lane if s.serial]
        self.assertEqual([(4.0, 6.0), (6.0, 9.0)], sorted((s.start_s, s.end_s) for s in serial))
        self.assertEqual(4.0, timeline.parallel_s)
        self.assertEqual(9.0, timeline.makespan_s)

    def test_nothing_to_do_takes_no_time(self) -> None:
        self.assertEqual(0.0, simulate([], 3, startup_s=1.0).makespan_s)

    def test_lanes_below_one_are_refused(self) -> None:
        self.assertRaises(UsageError, simulate, [], 0)

    @given(costs, st.integers(min_value=1, max_value=9))
    def test_every_group_once_and_grahams_bound(self, values: list[float], lanes: int) -> None:
        queue = queue_of(values)
        timeline = simulate(queue, lanes)  # type: ignore[arg-type]
        keys = sorted(s.key for lane in timeline.lanes for s in lane)
        self.assertEqual(sorted(item.key for item in queue.items), keys)  # type: ignore[attr-defined]
        total, largest = sum(values), max(values, default=0.0)
        self.assertLessEqual(timeline.makespan_s, total / lanes + largest + 1e-9)
        self.assertGreaterEqual(timeline.makespan_s + 1e-9, timeline.lower_bound_s)
        for lane in timeline.lanes:  # a lane runs one group at a time
            for before, after in itertools.pairwise(lane):
                self.assertLessEqual(before.end_s, after.start_s + 1e-9)

    @given(st.lists(st.integers(min_value=0, max_value=20), max_size=7), st.integers(min_value=1, max_value=3))
    def test_longest_first_is_within_grahams_lpt_ratio_of_the_optimum(self, values: list[int], lanes: int) -> None:
        timeline = simulate(queue_of([float(v) for v in values]), lanes)  # type: ignore[arg-type]
        best = min((max(sum(v for v, at in zip(values, assignment, strict=True) if at == lane) for lane in range(lanes))
                    for assignment in itertools.product(range(lanes), repeat=len(values))), default=0)
        self.assertLessEqual(timeline.makespan_s, (4 / 3 - 1 / (3 * lanes)) * best + 1e-9)
