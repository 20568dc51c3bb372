"""``plan --format html``'s renderer: a plan's predicted lanes on the timeline page; under dynamic dispatch
the expected dispatch above the static plan."""

from __future__ import annotations

import io

import testtools

from partitioner.config import Settings
from partitioner.dispatch.queue import ORDERS, queue_from_costs
from partitioner.dispatch.simulate import simulate
from partitioner.grouping import BUILTIN
from partitioner.history.model import History, Run
from partitioner.pipeline import Planned, plan_ids
from partitioner.render.dispatch import dynamic_view
from partitioner.render.html import DYNAMIC_SECTION, planned_timeline, render_html, static_section
from partitioner.testids import class_key
from partitioner.timeline.model import Lane
from partitioner.timeline.predicted import SERIAL_LANE
from tests.timeline.test_page import external_references, ids_in, page_data, record


def planned(serial: str | None = None) -> Planned:
    """Eleven classes of uneven cost on three workers, from a one-worker history."""
    records, clock = [], 0.0
    ids = []
    for i in range(11):
        for j in range(i % 3 + 1):
            test = f"pkg.mod{i % 2}.Klass{i:02d}.test_{j}"
            ids.append(test)
            records.append(record(test, "worker-0", clock + 0.5, clock + 0.5 + (i + 1) * 0.1))
            clock += 0.5 + (i + 1) * 0.1
    settings = Settings(serial=serial) if serial else Settings()
    return plan_ids(ids, 3, History(runs=(Run("h", tuple(records)),)), BUILTIN["class"], settings=settings)


def classes(lane: Lane) -> list[str]:
    """The groups (classes) of a drawn lane, in the order it runs them."""
    keys = [class_key(bar.test_id) for bar in lane.bars]
    return [k for n, k in enumerate(keys) if n == 0 or keys[n - 1] != k]


class RenderHtmlTest(testtools.TestCase):
    def test_static_plan_page(self) -> None:
        made = planned()
        out = io.StringIO()
        render_html(made, out)
        page = out.getvalue()
        self.assertEqual([], external_references(page))
        data = page_data(page)
        self.assertEqual([(f"worker-{p.worker}", "predicted", "") for p in made.plan.workers],
                         [(x["worker"], x["kind"], x["section"]) for x in data["lanes"]])  # type: ignore
        self.assertEqual(sorted(t for p in made.plan.workers for t in p.tests), sorted(ids_in(data, "predicted")))
        finishes = [x["finish"] for x in data["lanes"]]  # type: ignore[index]
        self.assertEqual([round(p.predicted_s * 1e6) for p in made.plan.workers], finishes)

    def test_dynamic_dispatch_draws_the_expected_dispatch_above_the_static_plan(self) -> None:
        made = planned()
        timeline = planned_timeline(made, "dynamic")
        self.assertEqual((DYNAMIC_SECTION, static_section(made)), timeline.sections)
        dynamic = [x for x in timeline.predicted if x.section == DYNAMIC_SECTION]
        static = [x for x in timeline.predicted if x.section != DYNAMIC_SECTION]
        self.assertEqual(3, len(dynamic))
        every = sorted(t for p in made.plan.workers for t in p.tests)
        self.assertEqual(len(every), len(set(every)))
        for lanes in (dynamic, static):
            self.assertEqual(every, sorted(b.test_id for x in lanes for b in x.bars), "each test once per section")
        queue = queue_from_costs(made.groups, made.model, made.serial_groups, "lookahead")  # the run's default
        expected = simulate(queue, 3, startup_s=made.model.startup_s)
        self.assertAlmostEqual(expected.makespan_s, max(x.finish for x in dynamic))
        self.assertAlmostEqual(made.plan.predicted_makespan_s, max(x.finish for x in static))
        out = io.StringIO()
        render_html(made, out, "dynamic")
        self.assertEqual([], external_references(out.getvalue()))
        self.assertIn("dynamic dispatch", page_data(out.getvalue())["title"])  # type: ignore[operator]

    def test_the_expected_dispatch_hands_out_the_queue_in_the_order_plan_dispatch_dynamic_shows(self) -> None:
        made = planned()
        shown = {order: [[slot.key for slot in lane] for lane in dynamic_view(made, 3, order).timeline.lanes]
                 for order in ORDERS}
        self.assertNotEqual(shown["lookahead"], shown["cost"])  # the orders differ on this plan
        for order in ORDERS:
            drawn = [x for x in planned_timeline(made, "dynamic", order=order).predicted
                     if x.section == DYNAMIC_SECTION]
            self.assertEqual(shown[order], [classes(x) for x in drawn], order)
        default = [x for x in planned_timeline(made, "dynamic").predicted if x.section == DYNAMIC_SECTION]
        self.assertEqual(shown[ORDERS[0]], [classes(x) for x in default], "the run's default order, lookahead")

    def test_the_serial_phase_has_its_own_lane_in_both_sections(self) -> None:
        made = planned(serial="Klass0[05]")
        self.assertTrue(made.plan.serial)
        timeline = planned_timeline(made, "dynamic")
        for section in timeline.sections:
            lanes = [x for x in timeline.predicted if x.section == section]
            self.assertEqual(SERIAL_LANE, lanes[-1].worker)
            self.assertEqual(sorted(made.plan.serial), sorted(b.test_id for b in lanes[-1].bars))
            parallel_end = max(x.finish for x in lanes[:-1])
            self.assertGreaterEqual(lanes[-1].bars[0].start, parallel_end - 1e-9)
