"""The one line ``partitioner exec`` prints about a run's plan (render/runline.py): what it counts."""

from __future__ import annotations

import testtools

from partitioner.grouping import make_grouper
from partitioner.history.model import History, Samples
from partitioner.pipeline import plan_ids
from partitioner.render.runline import history_used, summary_line

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

    def test_a_first_run_names_the_unit_without_defining_it_again(self) -> None:
        # the reader's note has just said the repository holds no runs yet: the line does not say it twice, nor
        # define the unit (plan and explain do)
        empty = History(sources=("stestr:.stestr (no runs stored yet)",))
        line = summary_line(plan_ids(IDS, 2, empty, make_grouper("none")), "static")
        self.assertIn("; history: stestr:.stestr (no runs stored yet); costs in test-count units; 0 of 2 ids "
                      "measured; predicted makespan 1.0 units", line)
        read = History(sources=("stestr:.stestr (1 run read)",))
        line = summary_line(plan_ids(IDS, 2, read, make_grouper("none")), "static")
        self.assertIn("; history: stestr:.stestr (1 run read); nothing in it timed these tests (costs in "
                      "test-count units); 0 of 2", line)
        self.assertIn("(costs in test-count units, not seconds: a test counts 1",
                      history_used(plan_ids(IDS, 2, read, make_grouper("none"))))
