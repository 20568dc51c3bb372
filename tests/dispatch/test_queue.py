"""The dispatch queue: longest predicted cost first, ties by key, serial groups apart, ids once."""

from __future__ import annotations

import testtools
from hypothesis import given
from hypothesis import strategies as st

from partitioner.dispatch.queue import (
    BATCH_ABOVE_PER_LANE,
    BATCH_FACTOR,
    Queue,
    WorkItem,
    order_queue,
    queue_from_costs,
)
from partitioner.errors import InputError
from partitioner.estimate import build_cost_model
from partitioner.grouping import group_tests, make_grouper
from partitioner.history.model import History
from tests.generators import id_lists
from tests.suites import subunit_v2

triples = st.lists(st.tuples(st.sampled_from("abcdefgh"), st.floats(min_value=0, max_value=50)),
                   max_size=8, unique_by=lambda t: t[0])


class TestOrder(testtools.TestCase):
    def test_longest_first_then_key(self) -> None:
        queue = order_queue([("b", 1.0, ["b.t"]), ("a", 1.0, ["a.t"]), ("c", 5.0, ["c.t"]), ("d", 0.5, ["d.t"])])
        self.assertEqual(["c", "a", "b", "d"], [item.key for item in queue.items])

    def test_serial_groups_in_key_order_after_the_parallel_ones(self) -> None:
        queue = order_queue([("p", 1.0, ["p.t"])], serial=[("z", 9.0, ["z.t"]), ("s", 1.0, ["s.t"])])
        self.assertEqual(["s", "z"], [item.key for item in queue.serial])
        self.assertTrue(all(item.serial for item in queue.serial))
        self.assertEqual(["p.t", "s.t", "z.t"], queue.test_ids())

    def test_empty_groups_are_left_out(self) -> None:
        self.assertEqual((), order_queue([("a", 1.0, [])]).items)

    def test_an_id_in_two_groups_is_refused(self) -> None:
        error = self.assertRaises(InputError, order_queue, [("a", 1.0, ["x"]), ("b", 1.0, ["x"])])
        self.assertIn("'x'", str(error))

    def test_a_key_twice_is_refused(self) -> None:
        self.assertRaises(InputError, Queue, (WorkItem("a", ("x",), 1.0), WorkItem("a", ("y",), 1.0)))

    def test_negative_or_nan_cost_is_refused(self) -> None:
        self.assertRaises(InputError, order_queue, [("a", -1.0, ["x"])])
        self.assertRaises(InputError, order_queue, [("a", float("nan"), ["x"])])

    @given(triples)
    def test_order_is_a_function_of_the_set_not_the_input_order(self, rows: list[tuple[str, float]]) -> None:
        given_rows = [(k, c, [f"{k}.t"]) for k, c in rows]
        forward, backward = order_queue(given_rows), order_queue(list(reversed(given_rows)))
        self.assertEqual(forward, backward)
        keys = [(-item.cost, item.key) for item in forward.items]
        self.assertEqual(sorted(keys), keys)


class TestFromCosts(testtools.TestCase):
    def test_without_history_bigger_classes_go_first(self) -> None:
        ids = ["m.A.t1", "m.B.t1", "m.B.t2", "m.B.t3", "m.C.t1", "m.C.t2"]
        table = group_tests(ids, make_grouper("class"))
        queue = queue_from_costs(table, build_cost_model(table, History()))
        self.assertEqual(["m.B", "m.C", "m.A"], [item.key for item in queue.items])
        self.assertEqual(("m.B.t1", "m.B.t2", "m.B.t3"), queue.items[0].tests)

    def test_history_orders_by_measured_cost(self) -> None:
        import io

        from partitioner.history.subunit import read_stream

        stream = subunit_v2([("m.A.t1", "success", 0.0, 9.0, None), ("m.B.t1", "success", 9.0, 10.0, None),
                             ("m.B.t2", "success", 10.0, 11.0, None)])
        history = History(runs=(read_stream(io.BytesIO(stream), "run"),))
        table = group_tests(["m.A.t1", "m.B.t1", "m.B.t2"], make_grouper("class"))
        queue = queue_from_costs(table, build_cost_model(table, history))
        self.assertEqual(["m.A", "m.B"], [item.key for item in queue.items])

    def test_a_resource_merged_group_is_one_item_and_serial_groups_are_apart(self) -> None:
        import re

        from partitioner.grouping import merge_by_resources, serial_matcher, split_serial

        ids = ["m.A.test_db", "m.B.test_db", "m.C.t1", "m.D.test_serial"]
        table = group_tests(ids, make_grouper("class"))
        merged, _ = merge_by_resources(table, [("db", re.compile("_db"))])
        parallel, serial = split_serial(merged, serial_matcher("_serial"))
        model = build_cost_model(table, History())
        queue = queue_from_costs(parallel, model, serial)
        self.assertEqual([("resource:db", ("m.A.test_db", "m.B.test_db")), ("m.C", ("m.C.t1",))],
                         [(item.key, item.tests) for item in queue.items])
        self.assertEqual([("m.D", ("m.D.test_serial",), True)],
                         [(item.key, item.tests, item.serial) for item in queue.serial])

    @given(id_lists())
    def test_every_id_queued_once(self, ids: list[str]) -> None:
        table = group_tests(ids, make_grouper("class"))
        queue = queue_from_costs(table, build_cost_model(table, History()))
        self.assertEqual(sorted(ids), sorted(queue.test_ids()))


class TestSuiteOrder(testtools.TestCase):
    def test_groups_in_the_order_of_their_first_test_in_the_listing(self) -> None:
        listing = ["z.Z.t1", "a.A.t2", "m.M.t1", "a.A.t1"]
        queue = order_queue([("a.A", 9.0, ["a.A.t1", "a.A.t2"]), ("m.M", 1.0, ["m.M.t1"]), ("z.Z", 5.0, ["z.Z.t1"])],
                            order="suite", positions={t: n for n, t in enumerate(listing)})
        self.assertEqual(["z.Z", "a.A", "m.M"], [i.key for i in queue.items])
        by_cost = order_queue([("a.A", 9.0, ["a.A.t1"]), ("m.M", 1.0, ["m.M.t1"]), ("z.Z", 5.0, ["z.Z.t1"])])
        self.assertEqual(["a.A", "z.Z", "m.M"], [i.key for i in by_cost.items])

    def test_an_unknown_order_is_an_input_error(self) -> None:
        self.assertRaises(InputError, order_queue, [("a", 1.0, ["a.t"])], (), "random")


class TestBatched(testtools.TestCase):
    """Many small items (a suite split per test) are handed out in batches, large first, single at the tail."""

    def per_test(self, n: int, cost: float = 1.0) -> Queue:
        return order_queue([(f"m.C.test_{i:05d}", cost, [f"m.C.test_{i:05d}"]) for i in range(n)], order="suite",
                           positions={f"m.C.test_{i:05d}": i for i in range(n)})

    def test_a_short_queue_is_handed_out_as_it_is(self) -> None:
        queue = self.per_test(BATCH_ABOVE_PER_LANE * 2)
        self.assertIs(queue, queue.batched(2))

    def test_eighteen_thousand_single_tests_on_two_lanes_take_a_few_hundred_hand_outs(self) -> None:
        queue = self.per_test(18_000)
        batched = queue.batched(2)
        self.assertLess(len(batched.items), 200)
        self.assertEqual(queue.test_ids(), batched.test_ids())  # every id once, in the same order
        self.assertEqual(queue.total_cost, batched.total_cost)
        self.assertLessEqual(batched.items[0].cost, 18_000 / (BATCH_FACTOR * 2))
        costs = [item.cost for item in batched.items]
        self.assertEqual(sorted(costs, reverse=True), costs)  # guided: batches only shrink
        self.assertEqual([1.0] * BATCH_FACTOR * 2, costs[-BATCH_FACTOR * 2:])  # the tail goes one by one
        self.assertEqual("m.C.test_00000 (+1124 groups)", batched.items[0].key)

    def test_a_costly_item_stays_alone_and_the_order_is_kept(self) -> None:
        rows = [(f"g{i:04d}", 1.0, [f"g{i:04d}.t"]) for i in range(1000)]
        rows[10] = ("g0010", 500.0, ["g0010.t"])
        queue = order_queue(rows, order="suite", positions={f"g{i:04d}.t": i for i in range(1000)})
        batched = queue.batched(2)
        self.assertIn(WorkItem("g0010", ("g0010.t",), 500.0), batched.items)
        self.assertEqual(queue.test_ids(), batched.test_ids())

    def test_a_queue_of_classes_is_handed_out_class_by_class(self) -> None:
        # tempest's unit suite without history: ~310 classes priced by test count on 2 lanes; joining them
        # put two slow classes in one batch and left the other worker idle for 43 s
        rows = [(f"m.C{i:04d}", 1.0, [f"m.C{i:04d}.t"]) for i in range(1000)]
        rows[500] = ("m.C0500", 3.0, ["m.C0500.t1", "m.C0500.t2", "m.C0500.t3"])
        queue = order_queue(rows, order="suite", positions={t: i for i, (_, _, ts) in enumerate(rows) for t in ts})
        self.assertIs(queue, queue.batched(2))

    def test_serial_items_and_costless_queues_are_unchanged(self) -> None:
        queue = order_queue([(f"g{i:04d}", 0.0, [f"g{i:04d}.t"]) for i in range(1000)],
                            serial=[("s", 1.0, ["s.t"])])
        self.assertIs(queue, queue.batched(2))
        costly = order_queue([(f"g{i:04d}", 1.0, [f"g{i:04d}.t"]) for i in range(1000)], serial=[("s", 1.0, ["s.t"])])
        self.assertEqual(costly.serial, costly.batched(2).serial)
