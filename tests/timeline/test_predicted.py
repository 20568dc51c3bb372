"""Predicted lanes: from an assignment and a cost model, from a plan (finishing at its predictions, serial phase
last), from a dispatch order, and the per-test costs a progress line's ETA uses."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import testtools

from partitioner.config import Settings
from partitioner.costmodel import Estimate
from partitioner.dispatch.queue import queue_from_costs
from partitioner.dispatch.simulate import simulate
from partitioner.grouping import BUILTIN
from partitioner.history.model import History
from partitioner.history.planrecord import PlannedGroup as Group
from partitioner.history.planrecord import PlannedLane as Worker
from partitioner.pipeline import Planned, plan_ids
from partitioner.timeline.predicted import (
    SERIAL_LANE,
    dispatch_assignment,
    lane_costs,
    plan_assignment,
    plan_timeline,
    predicted_lanes,
    recorded_lanes,
    simulated_lanes,
    unpriced_batches,
)
from tests.builders import plan_record
from tests.timeline.test_model import A, B, C, two_workers


@dataclass(frozen=True)
class FakeCosts:
    """A cost model double: seconds per test (default 1) and per class setup (default 0)."""

    tests: dict[str, float] = field(default_factory=dict)
    setups: dict[str, float] = field(default_factory=dict)
    startup_s: float = 0.0

    def test(self, test_id: str) -> Estimate:
        return Estimate(self.tests.get(test_id, 1.0), "measured")

    def class_setup(self, klass: str) -> Estimate:
        return Estimate(self.setups.get(klass, 0.0), "measured")



class PredictedLanesTest(testtools.TestCase):
    def test_lead_in_tests_and_class_setups(self) -> None:
        costs = FakeCosts({f"{A}.test_1": 2.0, f"{A}.test_2": 1.0, f"{B}.test_1": 3.0}, {A: 0.5, B: 4.0}, 1.0)
        (lane,) = predicted_lanes([("worker-0", [f"{A}.test_1", f"{A}.test_2", f"{B}.test_1"])], costs)
        self.assertEqual("predicted", lane.kind)
        self.assertEqual([("lead-in", A, 0.0, 1.5), ("setup", B, 4.5, 8.5)],
                         [(g.kind, g.klass, g.start, g.stop) for g in lane.gaps])
        self.assertEqual([(1.5, 3.5), (3.5, 4.5), (8.5, 11.5)], [(b.start, b.stop) for b in lane.bars])
        self.assertEqual((11.5, 0.0), (lane.finish, lane.idle))

    def test_idle_is_measured_to_the_latest_predicted_finish_and_offsets_shift_a_lane(self) -> None:
        lanes = predicted_lanes([("worker-0", [f"{A}.test_1"]), ("worker-1", []), ("late", [f"{B}.test_1"])],
                                FakeCosts(), {"late": 5.0})
        self.assertEqual([(1.0, 5.0), (0.0, 6.0), (6.0, 0.0)], [(x.finish, x.idle) for x in lanes])
        self.assertEqual(5.0, lanes[2].bars[0].start)

    def test_plan_lanes_match_the_plans_predictions(self) -> None:
        run = two_workers()
        ids = [r.test_id for r in run.records] + [f"{C}.test_3", f"{B}.test_2"]
        planned = plan_ids(ids, 2, History(runs=(run,)), BUILTIN["class"])
        lanes = predicted_lanes(plan_assignment(planned.plan), planned.model)
        self.assertEqual([f"worker-{p.worker}" for p in planned.plan.workers], [x.worker for x in lanes])
        for part, lane in zip(planned.plan.workers, lanes, strict=True):
            self.assertEqual(part.tests, tuple(b.test_id for b in lane.bars))
            self.assertAlmostEqual(part.predicted_s, lane.finish)

    def test_plan_timeline_puts_the_serial_phase_after_the_parallel_one(self) -> None:
        run = two_workers()
        ids = [r.test_id for r in run.records]
        planned = plan_ids(ids, 2, History(runs=(run,)), BUILTIN["class"])
        plan = replace(planned.plan, serial=(f"{C}.test_9",))
        timeline = plan_timeline(plan, planned.model)
        self.assertEqual((None, ()), (timeline.origin, timeline.lanes))
        parallel, serial = timeline.predicted[:-1], timeline.predicted[-1]
        self.assertEqual(SERIAL_LANE, serial.worker)
        self.assertAlmostEqual(max(x.finish for x in parallel), serial.bars[0].start - serial.lead_in)
        self.assertEqual(0.0, serial.idle)
        self.assertTrue(all(abs(x.finish + x.idle - serial.finish) < 1e-9 for x in timeline.predicted))

    def test_dispatch_order_becomes_lanes(self) -> None:
        order = [(0, ["a.B.t1", "a.B.t2"]), (1, ["a.C.t1"]), (0, ["a.D.t1"]), ("worker-10", ["a.E.t1"])]
        self.assertEqual([("worker-0", ("a.B.t1", "a.B.t2", "a.D.t1")), ("worker-1", ("a.C.t1",)),
                          ("worker-10", ("a.E.t1",))], dispatch_assignment(order))

    def test_lane_costs_add_up_to_each_lanes_finish(self) -> None:
        costs = FakeCosts({f"{A}.test_1": 2.0, f"{B}.test_1": 3.0}, {A: 0.5, B: 4.0}, 1.0)
        lanes = predicted_lanes([("worker-0", [f"{A}.test_1", f"{B}.test_1"]), ("worker-1", [f"{C}.test_1"])],
                                costs)
        seconds, where = lane_costs(lanes)
        self.assertEqual({f"{A}.test_1": 3.5, f"{B}.test_1": 7.0, f"{C}.test_1": 2.0}, seconds)
        self.assertEqual({f"{A}.test_1": "worker-0", f"{B}.test_1": "worker-0", f"{C}.test_1": "worker-1"}, where)
        for lane in lanes:
            self.assertAlmostEqual(lane.finish, sum(seconds[b.test_id] for b in lane.bars))


class SimulatedLanesTest(testtools.TestCase):
    """Dynamic dispatch's expected lanes agree with the simulation they are drawn from."""

    def planned(self, serial: bool = False) -> Planned:
        run = two_workers()
        ids = [r.test_id for r in run.records] + [f"{C}.test_3", f"{B}.test_2", "pkg.mod_d.DTest.test_1"]
        settings = Settings(serial="DTest") if serial else Settings()
        return plan_ids(ids, 2, History(runs=(run,)), BUILTIN["class"], settings=settings)

    def test_each_lane_runs_its_handed_out_groups_and_ends_where_the_simulation_does(self) -> None:
        planned = self.planned()
        queue = queue_from_costs(planned.groups, planned.model, planned.serial_groups)
        expected = simulate(queue, 2, startup_s=planned.model.startup_s)
        lanes = simulated_lanes(expected, queue, planned.model, "dynamic")
        self.assertEqual(["worker-0", "worker-1"], [x.worker for x in lanes])
        self.assertEqual({"dynamic"}, {x.section for x in lanes})
        keys = {item.key: item.tests for item in queue.items}
        for lane, row in zip(lanes, expected.lanes, strict=True):
            self.assertEqual([t for slot in row for t in keys[slot.key]], [b.test_id for b in lane.bars])
            self.assertAlmostEqual(max(slot.end_s for slot in row), lane.finish)
        self.assertAlmostEqual(expected.makespan_s, max(x.finish for x in lanes))
        self.assertTrue(all(abs(x.finish + x.idle - expected.makespan_s) < 1e-9 for x in lanes))

    def test_serial_items_run_on_their_own_lane_after_every_parallel_one(self) -> None:
        planned = self.planned(serial=True)
        queue = queue_from_costs(planned.groups, planned.model, planned.serial_groups)
        self.assertTrue(queue.serial, "the serial option left no serial group")
        expected = simulate(queue, 2, startup_s=planned.model.startup_s)
        lanes = simulated_lanes(expected, queue, planned.model)
        serial = lanes[-1]
        self.assertEqual(SERIAL_LANE, serial.worker)
        self.assertEqual(["pkg.mod_d.DTest.test_1"], [b.test_id for b in serial.bars])
        self.assertAlmostEqual(expected.parallel_s, serial.gaps[0].start if serial.gaps else serial.bars[0].start)
        self.assertAlmostEqual(expected.makespan_s, serial.finish)


class RecordedLanesTest(testtools.TestCase):
    def test_a_static_record_is_drawn_where_the_plan_put_each_group(self) -> None:
        record = plan_record(
            "static",
            Worker("worker-1", (Group(B, (f"{B}.test_1",), 2.0, 0.5, 2.5),)),
            Worker("worker-0", (Group(A, (f"{A}.test_1", f"{A}.test_2"), 3.0, 0.5, 3.5),
                                Group(C, (f"{C}.test_1",), 1.0))),
        )
        lanes = recorded_lanes(record)
        self.assertEqual(["worker-0", "worker-1"], [x.worker for x in lanes], "sorted as the run's lanes are")
        w0, w1 = lanes
        self.assertEqual([(f"{A} (2 tests)", 0.5, 3.5), (f"{C}.test_1", 3.5, 4.5)],
                         [(b.test_id, b.start, b.stop) for b in w0.bars])
        self.assertEqual([("lead-in", 0.0, 0.5)], [(g.kind, g.start, g.stop) for g in w0.gaps])
        self.assertEqual({"predicted"}, {b.status for x in lanes for b in x.bars})
        self.assertEqual((4.5, 0.0, 2.5, 2.0), (w0.finish, w0.idle, w1.finish, w1.idle))

    def test_a_dynamic_record_is_priced_from_the_first_hand_out(self) -> None:
        # observed hand-outs: the lane's second group came late (the first ran long), the prediction does not
        record = plan_record("dynamic", Worker("worker-0", (Group(A, (f"{A}.test_1",), 2.0, 1.0, 6.0),
                                                             Group(B, (f"{B}.test_1",), 1.0, 6.0, 6.5))))
        (lane,) = recorded_lanes(record)
        self.assertEqual([(1.0, 3.0), (3.0, 4.0)], [(b.start, b.stop) for b in lane.bars])
        self.assertEqual(4.0, lane.finish)

    def test_a_record_whose_batches_were_priced_at_nothing_is_recognised(self) -> None:
        # written before records priced batches: every batch 0.0, the single tests at the tail priced
        batch = (f"{A}.test_1", f"{A}.test_2", f"{A}.test_3")
        old = plan_record("dynamic", Worker("worker-0", (Group(f"{A}.test_1 (+2 groups)", batch, 0.0, 0.5, 3.5),
                                                          Group(f"{B}.test_1", (f"{B}.test_1",), 0.4, 3.5, 4.0))),
                          Worker("worker-1", (Group(f"{C}.test_1 (+1 groups)", (f"{C}.test_1", f"{C}.test_2"), 0.0,
                                                    0.5, 3.0),)), makespan_s=4.2)
        self.assertEqual(2, unpriced_batches(old))
        priced = plan_record("dynamic", Worker("worker-0", (Group(f"{A}.test_1 (+2 groups)", batch, 3.0, 0.5, 3.5),)))
        self.assertEqual(0, unpriced_batches(priced))
        # a class whose name happens to look like a batch, handed out whole, is not one; nor is a static plan
        self.assertEqual(0, unpriced_batches(plan_record("dynamic", Worker("worker-0", (
            Group(f"{A}.test_1 (+2 groups)", (f"{A}.test_1",), 0.0),)))))
        self.assertEqual(0, unpriced_batches(plan_record("static", Worker("worker-0", (
            Group(f"{A}.test_1 (+2 groups)", batch, 0.0),)))))

    def test_an_empty_lane_and_unknown_times(self) -> None:
        record = plan_record("static", Worker("worker-0", (Group(A, (f"{A}.test_1",), 2.0),)), Worker("worker-1", ()))
        w0, w1 = recorded_lanes(record)
        self.assertEqual([(0.0, 2.0)], [(b.start, b.stop) for b in w0.bars])
        self.assertEqual(((), 0.0, 2.0), (w1.bars, w1.finish, w1.idle))
