"""A fast suite's plan in every text output: figures under a second are never a rounded ``0.0s``
(partitioner/figures.py, used by the table, ``exec``'s line, the worker file's header, the queue and the shards)."""

from __future__ import annotations

import io
import re

import testtools

from partitioner.costmodel import SECONDS, TESTS
from partitioner.figures import figure, number, seconds
from partitioner.grouping import make_grouper
from partitioner.history.model import History, Samples
from partitioner.pipeline import plan_ids
from partitioner.render import render_table, render_worker_file
from partitioner.render.runline import summary_line
from tests.builders import IDS, plan_for

#: a suite of a few tens of milliseconds, as stevedore's 97 tests in 0.7 s
FAST = Samples(tests={"m.A.t1": (0.012,), "m.A.t2": (0.008,), "m.B.t1": (0.011,), "m.C.t1": (0.004,)})


def fast_history() -> History:
    return History(samples=(FAST,))


class TestFigure(testtools.TestCase):
    def test_a_second_and_more_keep_one_decimal(self) -> None:
        self.assertEqual("3.1s", figure(3.14))
        self.assertEqual("1.0s", figure(1.0))
        self.assertEqual("61.2s", figure(61.23))

    def test_under_a_second_to_the_millisecond(self) -> None:
        self.assertEqual("0.034s", figure(0.034))
        self.assertEqual("0.999s", figure(0.9994))

    def test_under_ten_milliseconds_two_significant_digits(self) -> None:
        self.assertEqual("0.0068s", figure(0.0068))
        self.assertEqual("0.00041s", figure(0.00041))

    def test_zero_stays_short(self) -> None:
        self.assertEqual("0.0s", figure(0.0))

    def test_test_count_units_keep_one_decimal(self) -> None:
        self.assertEqual("5.0 units", figure(5.0, TESTS))
        self.assertEqual("0.5", number(0.5, TESTS))
        self.assertEqual("0.500", number(0.5, SECONDS))

    def test_explain_s_seconds_stay_to_the_millisecond(self) -> None:
        self.assertEqual("2.500s", seconds(2.5))
        self.assertEqual("0.000s", seconds(0.0))
        self.assertEqual("0.00068s", seconds(0.00068))


class TestFastSuiteOutputs(testtools.TestCase):
    def test_the_table_shows_each_worker_s_milliseconds(self) -> None:
        out = io.StringIO()
        render_table(plan_for(IDS, 2, fast_history()), out)
        text = out.getvalue()
        self.assertNotIn("0.0s", text)
        predicted = re.findall(r"^\s+\d+\s+\d+\s+\d+\s+(\S+)$", text, re.M)
        self.assertEqual(2, len(predicted), text)
        self.assertTrue(all(re.fullmatch(r"0\.0\d\ds", p) for p in predicted), predicted)
        said = re.search(r"predicted makespan (\S+), lower bound (\S+) ", text)
        assert said is not None, text
        self.assertRegex(said.group(1), r"^0\.0[1-9]\ds$")
        self.assertRegex(said.group(2), r"^0\.0[1-9]\ds$")

    def test_a_slow_suite_s_table_is_unchanged(self) -> None:
        out = io.StringIO()
        render_table(plan_for(IDS, 2), out)
        self.assertIn("predicted makespan 7.0s, lower bound 7.0s", out.getvalue())

    def test_exec_s_line_shows_the_makespan_in_milliseconds(self) -> None:
        planned = plan_ids(IDS, 2, fast_history(), make_grouper("class"))
        line = summary_line(planned, "static")
        said = re.search(r"predicted makespan (\S+)$", line)
        assert said is not None, line
        self.assertRegex(said.group(1), r"^0\.0[1-9]\ds$")

    def test_the_worker_file_header_shows_milliseconds(self) -> None:
        out = io.StringIO()
        render_worker_file(plan_for(IDS, 2, fast_history()), out)
        header = out.getvalue().splitlines()[0]
        self.assertRegex(header, r"predicted makespan 0\.0[1-9]\ds, lower bound 0\.0[1-9]\ds$")

    def test_the_worker_file_header_of_a_plan_without_history_is_in_units(self) -> None:
        out = io.StringIO()
        render_worker_file(plan_for(IDS, 2, History()), out)
        self.assertRegex(out.getvalue().splitlines()[0], r"predicted makespan [\d.]+ units, lower bound [\d.]+ units$")
