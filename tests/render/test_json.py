"""Tests for partitioner.render.json: the gold JSON plan, versioned, with its unit."""

from __future__ import annotations

import io
import json

import testtools

from partitioner.history.model import History
from partitioner.render import FORMAT_VERSION, render_json
from tests.builders import IDS, plan_for
from tests.render.gold import compare_gold, rendered


class TestJson(testtools.TestCase):
    def test_gold(self) -> None:
        text = rendered(render_json, [*IDS, "m.D.t[smoke]"])
        compare_gold(self, "plan.json", text)
        doc = json.loads(text)
        self.assertEqual(FORMAT_VERSION, doc["format_version"])
        self.assertEqual({"worker", "tests", "predicted_s", "groups"}, set(doc["workers"][0]))
        self.assertEqual(("s", 4), (doc["unit"], doc["measured_tests"]))

    def test_without_history_the_figures_are_test_counts(self) -> None:
        out = io.StringIO()
        render_json(plan_for([*IDS, "m.D.t[smoke]"], 2, History()), out)
        doc = json.loads(out.getvalue())
        self.assertEqual(("tests", 0, False), (doc["unit"], doc["measured_tests"], doc["has_history"]))
