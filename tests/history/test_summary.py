"""Tests for partitioner.history.summary: per-test counts over parallel and serial runs."""

from __future__ import annotations

import testtools

from partitioner.history.summary import history_summary
from tests.builders import A, B, C, D, rec, run


class TestHistorySummary(testtools.TestCase):
    def test_counts_and_order(self) -> None:
        runs = [
            run(rec(f"{A}.test_1[smoke]", "worker-0", 0, 1, "fail"), rec(f"{B}.test_1", "worker-1", 0, 1),
                rec(f"{C}.test_1", "worker-1", 1, 2, "fail"), rec("process-returncode", "worker-0", 2, 2, "fail"),
                order=0),
            run(rec(f"{A}.test_1[smoke]", "worker-0", 0, 1, "fail"), rec(f"{B}.test_1", "worker-1", 0, 1, "fail"),
                rec(f"{C}.test_1", "worker-1", 1, 2), order=1),
            run(rec(f"{A}.test_1", "worker-0", 0, 1), rec(f"{B}.test_1", "worker-0", 1, 2, "fail"),
                rec(f"{D}.test_1", None, 2, 3, "fail"), order=2),  # one worker: serial
            run(rec(f"{C}.test_1", None, 0, 1), order=3),  # no worker tag: serial
        ]
        summary = history_summary(runs)
        rows = [(s.test, s.runs, s.parallel_failures, s.serial_failures, s.parallel_runs, s.serial_runs)
                for s in summary]
        self.assertEqual([
            (f"{A}.test_1", 3, 2, 0, 2, 1),   # only in parallel, most often: first (newest spelling kept)
            (f"{C}.test_1", 3, 1, 0, 2, 1),
            (f"{B}.test_1", 3, 1, 1, 2, 1),   # fails serially too
            (f"{D}.test_1", 1, 0, 1, 0, 1),   # only serially
        ], rows)
        self.assertEqual([True, True, False, False], [s.only_parallel for s in summary])

    def test_a_test_repeated_in_a_run_counts_once(self) -> None:
        twice = run(rec(f"{A}.test_1", "worker-0", 0, 1, "fail"), rec(f"{A}.test_1", "worker-1", 1, 2))
        (row,) = history_summary([twice])
        self.assertEqual((1, 1), (row.runs, row.parallel_failures))
