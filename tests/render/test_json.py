"""Tests for partitioner.render.json: the gold JSON plan, versioned."""

from __future__ import annotations

import json

import testtools

from partitioner.render import FORMAT_VERSION, render_json
from tests.builders import IDS
from tests.render.gold import compare_gold, rendered


class TestJson(testtools.TestCase):
    def test_gold(self) -> None:
        text = rendered(render_json, [*IDS, "m.D.t[smoke]"])
        compare_gold(self, "plan.json", text)
        doc = json.loads(text)
        self.assertEqual(FORMAT_VERSION, doc["format_version"])
        self.assertEqual({"worker", "tests", "predicted_s", "groups"}, set(doc["workers"][0]))
