"""Tests for partitioner.render.dispatch: a plan under dynamic dispatch, as a table and as JSON."""

from __future__ import annotations

import io
import json

import testtools

from partitioner.grouping import make_grouper
from partitioner.history.model import History
from partitioner.pipeline import Planned, plan_ids
from partitioner.render import dynamic_view, render_json, render_table
from partitioner.render.dispatch import SHOWN, dispatch_to_dict
from tests.builders import IDS, SAMPLES


def planned(ids: list[str], n: int = 2) -> Planned:
    return plan_ids(ids, n, History(samples=(SAMPLES,)), make_grouper("class"))


class TestDispatchView(testtools.TestCase):
    def test_queue_longest_first_and_the_simulated_lanes(self) -> None:
        plan = planned(IDS)
        view = dynamic_view(plan, 2, "cost")
        doc = dispatch_to_dict(view)
        self.assertEqual(("dynamic", "cost"), (doc["mode"], doc["order"]))
        self.assertEqual(["m.A", "m.B", "m.C"], [q["group"] for q in doc["queue"]])  # type: ignore[index]
        costs = [q["predicted_s"] for q in doc["queue"]]  # type: ignore[index]
        self.assertEqual(sorted(costs, reverse=True), costs)
        lanes = doc["timeline"]  # type: ignore[assignment]
        self.assertEqual(2, len(lanes))  # type: ignore[arg-type]
        self.assertEqual(doc["predicted_makespan_s"], max(lane["end_s"] for lane in lanes))  # type: ignore[union-attr]
        self.assertGreaterEqual(doc["predicted_makespan_s"], doc["lower_bound_s"])  # type: ignore[operator]

    def test_lookahead_order_is_the_default_and_queues_in_suite_order(self) -> None:
        doc = dispatch_to_dict(dynamic_view(planned(["m.C.t1", "m.A.t1", "m.B.t1"]), 2))
        self.assertEqual(["m.A", "m.B", "m.C"], [q["group"] for q in doc["queue"]])  # type: ignore[index]
        self.assertEqual("lookahead", doc["order"])

    def test_no_more_lanes_than_groups(self) -> None:
        self.assertEqual(3, dynamic_view(planned(IDS, 3), 8).lanes)

    def test_json_carries_dispatch_static_or_dynamic(self) -> None:
        plan = planned(IDS)
        out = io.StringIO()
        render_json(plan.plan, out, plan.all_groups)
        self.assertEqual({"mode": "static"}, json.loads(out.getvalue())["dispatch"])
        out = io.StringIO()
        render_json(plan.plan, out, plan.all_groups, dispatch=dynamic_view(plan, 2))
        doc = json.loads(out.getvalue())
        self.assertEqual("dynamic", doc["dispatch"]["mode"])
        self.assertEqual(2, len(doc["workers"]))  # the static shares stay, as the fallback

    def test_table_shows_lanes_queue_and_makespan(self) -> None:
        ids = [f"m.C{n:02d}.t" for n in range(SHOWN + 3)]
        plan = planned(ids)
        out = io.StringIO()
        render_table(plan.plan, out, plan.all_groups, dispatch=dynamic_view(plan, 2))
        text = out.getvalue()
        self.assertIn(f"dynamic dispatch: {SHOWN + 3} groups queued in suite order (lanes may skip ahead to long "
                      "groups) on 2 lanes", text)
        self.assertIn("queue, in suite order (lanes may skip ahead to long groups):", text)
        self.assertIn(" (2.0 units, 1 test)\n", text)  # one test, not "1 tests"
        self.assertIn("... 3 more (--format json lists them all)", text)
        self.assertIn("(simulated)", text)
        self.assertNotIn("strategy", text)
