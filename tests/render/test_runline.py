"""The one line ``partitioner exec`` prints about a run's plan (render/runline.py): what it counts."""

from __future__ import annotations

import testtools

from partitioner.grouping import make_grouper
from partitioner.history.model import History, Samples
from partitioner.pipeline import plan_ids
from partitioner.render.runline import summary_line

#: two listed ids; testscenarios may run one listed id as several scenarios, which the tool then counts apart
IDS = ["m.A.test_one", "m.A.test_scenarios"]


class TestSummaryLine(testtools.TestCase):
    def test_it_counts_listed_test_ids_not_what_the_tool_counts_after_running_them(self) -> None:
        history = History(samples=(Samples(tests={"m.A.test_one": (1.0,)}),))
        line = summary_line(plan_ids(IDS, 2, history, make_grouper("none")), "static")
        self.assertTrue(line.startswith("2 listed test ids on 2 workers, static plan; history: "), line)
        self.assertIn("; 1 of 2 ids measured; predicted makespan ", line)

    def test_one_id_on_one_worker_reads_in_the_singular(self) -> None:
        line = summary_line(plan_ids(IDS[:1], 1, History(), make_grouper("none")), "static")
        self.assertTrue(line.startswith("1 listed test id on 1 worker, static plan; history: "), line)
