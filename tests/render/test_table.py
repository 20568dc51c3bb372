"""Tests for partitioner.render.table: the gold table."""

from __future__ import annotations

import testtools

from partitioner.render import render_table
from tests.builders import IDS
from tests.render.gold import compare_gold, rendered


class TestTable(testtools.TestCase):
    def test_gold(self) -> None:
        compare_gold(self, "plan.txt", rendered(render_table, [*IDS, "m.D.t[smoke]"]))
