"""Tests for partitioner.history.summary: per-test counts over parallel and serial runs."""

from __future__ import annotations

import testtools

from partitioner.history.model import Run
from partitioner.history.summary import broken_run, history_summary, select_runs, summarize
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


    def test_a_test_with_no_result_did_not_run_to_an_end(self) -> None:
        # cut short by an interruption (history.samples.judged), or in progress where its stream ends: neither a pass
        # nor a failure of it
        first = run(rec(f"{A}.test_1", "worker-0", 0, 1, "fail"), rec(f"{B}.test_1", "worker-1", 0, 1), order=0)
        cut = run(rec(f"{A}.test_1", "worker-0", 0, 1, "inprogress"), rec(f"{B}.test_1", "worker-1", 0, None,
                                                                          "inprogress"), order=1)
        rows = {r.test: (r.runs, r.parallel_runs, r.parallel_failures) for r in history_summary([first, cut])}
        self.assertEqual({f"{A}.test_1": (1, 1, 1), f"{B}.test_1": (1, 1, 0)}, rows)


class TestWhatRanBefore(testtools.TestCase):
    def test_each_test_is_judged_on_the_worker_that_ran_it(self) -> None:
        # split per test (no group_regex): A's tests ran on two workers; each failure's line names its own worker and
        # what ran before it there, not where its class first failed
        failing = run(rec(f"{B}.test_1", "worker-0", 0, 1), rec(f"{A}.test_1", "worker-0", 1, 2, "fail"),
                      rec(f"{C}.test_1", "worker-1", 0, 1), rec(f"{D}.test_1", "worker-1", 1, 2),
                      rec(f"{D}.test_2", "worker-1", 2, 3), rec(f"{A}.test_2", "worker-1", 3, 4, "fail"), order=1)
        passing = run(rec(f"{C}.test_1", "worker-0", 0, 1), rec(f"{A}.test_1", "worker-0", 1, 2),
                      rec(f"{A}.test_2", "worker-1", 0, 1), rec(f"{B}.test_1", "worker-1", 1, 2), order=0)
        rows = {s.test: s.before for s in summarize([passing, failing]).tests}
        one, two = rows[f"{A}.test_1"], rows[f"{A}.test_2"]
        assert one is not None and two is not None
        self.assertEqual(("worker-0", 1, 1, (B,)), (one.worker, one.tests, one.classes, one.fresh))
        self.assertEqual(("worker-1", 3, 2, (D, C)), (two.worker, two.tests, two.classes, two.fresh))


class TestFailuresInEveryRun(testtools.TestCase):
    def runs(self) -> list[Run]:
        """Three parallel runs: D fails in each (beside A, B, then C); A fails in run 1 alone."""
        return [run(rec(f"{partner}.test_1", "worker-0", 0, 1, "fail" if order == 1 and partner == A else "success"),
                    rec(f"{D}.test_1", "worker-1", 0, 1, "fail"), rec(f"{B}.test_2", "worker-0", 1, 2),
                    run_id=f"r{order}", order=order)
                for order, partner in enumerate((A, A, C))]

    def test_a_test_failing_in_every_run_is_no_race_signature(self) -> None:
        # tempest's TestTempestBaseTestClass: fails in every run, plain stestr too; it was listed "only in parallel"
        # and made every run it failed in one that "failed because of races"
        summary = summarize(self.runs(), deterministic={f"{D}.test_1"})
        rows = {s.test: s for s in summary.tests}
        self.assertEqual((True, False, None), (rows[f"{D}.test_1"].every_run, rows[f"{D}.test_1"].only_parallel,
                                               rows[f"{D}.test_1"].before))
        self.assertTrue(rows[f"{A}.test_1"].only_parallel)
        self.assertEqual([f"{A}.test_1", f"{D}.test_1"], [s.test for s in summary.tests[:2]])  # races first
        # every parallel run failed; run 1 failed in A (a race) and D, so no run failed *only* because of races
        self.assertEqual((3, 1, 0), (summary.parallel_failed, summary.race_failed, summary.race_only))
        unjudged = summarize(self.runs())  # without the rule's answer: counted as before
        self.assertEqual((3, 3), (unjudged.race_failed, unjudged.race_only))
        self.assertEqual([f"{D}.test_1"], [s.test for s in history_summary(self.runs(), {f"{D}.test_1"})
                                           if s.every_run])


class TestBrokenRuns(testtools.TestCase):
    def test_a_run_where_nearly_every_class_failed_is_broken(self) -> None:
        everything = run(*(rec(f"pkg.m.K{i}Test.test_1", f"worker-{i % 2}", i, i + 1, "fail") for i in range(9)),
                         rec("pkg.m.K9Test.test_1", "worker-1", 9, 10), rec("process-returncode", "worker-0", 10, 10,
                                                                           "fail"))
        self.assertEqual((9, 10), broken_run(everything))
        two_of_three = run(rec(f"{A}.test_1", "worker-0", 0, 1, "fail"), rec(f"{B}.test_1", "worker-1", 0, 1, "fail"),
                           rec(f"{C}.test_1", "worker-1", 1, 2))
        self.assertIsNone(broken_run(two_of_three))
        self.assertEqual((3, 3), broken_run(run(*two_of_three.records, rec(f"{C}.test_2", "worker-1", 2, 3, "fail"))))

    def test_broken_runs_are_left_out_of_every_count(self) -> None:
        # the no-cloud tempest run: every class fails; it must not make every test look "parallel only"
        good = run(rec(f"{A}.test_1", "worker-0", 0, 1, "fail"), rec(f"{B}.test_1", "worker-1", 0, 1),
                   rec(f"{C}.test_1", "worker-1", 1, 2), rec(f"{D}.test_1", "worker-0", 1, 2), order=0,
                   run_id="/p/.stestr/0")
        broken = run(*(rec(r.test_id, r.worker, 10 + (r.start or 0), 10 + (r.stop or 0), "fail")
                       for r in good.records), order=1, run_id="/p/.stestr/1")
        summary = summarize([good, broken])
        self.assertEqual(("1",), summary.broken)
        self.assertEqual((1, 0), (summary.parallel, summary.serial))
        self.assertEqual([f"{A}.test_1"], [t.test for t in summary.tests if t.only_parallel])
        self.assertEqual(("0",), summary.tests[0].failed_in)


class TestSummarize(testtools.TestCase):
    def runs(self) -> list[Run]:
        """Hourly runs: two parallel ones failing only in A (a race), a serial one, then a parallel one where A
        and the ordinary bug D fail, then a green parallel one."""
        hour = 3600.0

        def at(hours: float, order: int, *records: tuple[str, str | None, str]) -> Run:
            return run(*(rec(t, w, hours * hour + i, hours * hour + i + 1, s) for i, (t, w, s) in enumerate(records)),
                       order=order, run_id=f".testrepository/{order}")
        return [
            at(0, 0, (f"{A}.test_1", "worker-0", "fail"), (f"{B}.test_1", "worker-1", "success"),
               (f"{D}.test_1", "worker-1", "success")),
            at(0.5, 1, (f"{A}.test_1", "worker-0", "fail"), (f"{B}.test_1", "worker-1", "success"),
               (f"{D}.test_1", "worker-1", "success")),
            at(1.2, 2, (f"{A}.test_1", None, "success"), (f"{B}.test_1", None, "success"),
               (f"{D}.test_1", None, "fail")),
            at(2.1, 3, (f"{A}.test_1", "worker-0", "fail"), (f"{B}.test_1", "worker-1", "success"),
               (f"{D}.test_1", "worker-1", "fail")),
            at(3.0, 4, (f"{A}.test_1", "worker-0", "success"), (f"{B}.test_1", "worker-1", "success"),
               (f"{D}.test_1", "worker-1", "success")),
        ]

    def test_rates_per_test_and_the_runs_they_failed_in(self) -> None:
        summary = summarize(self.runs())
        a, d, b = summary.tests
        self.assertEqual((f"{A}.test_1", 3, 4, 0, 1, True), (a.test, a.parallel_failures, a.parallel_runs,
                                                              a.serial_failures, a.serial_runs, a.only_parallel))
        self.assertEqual(("0", "1", "3"), a.failed_in)
        self.assertEqual((f"{D}.test_1", ("2", "3"), False), (d.test, d.failed_in, d.only_parallel))
        self.assertEqual((f"{B}.test_1", 0), (b.test, b.parallel_failures + b.serial_failures))

    def test_how_often_a_parallel_run_fails_because_of_races(self) -> None:
        summary = summarize(self.runs())
        self.assertEqual((4, 1), (summary.parallel, summary.serial))
        # runs 0, 1 and 3 failed; A (parallel only) failed in all three; in run 3 D failed too
        self.assertEqual((3, 3, 2), (summary.parallel_failed, summary.race_failed, summary.race_only))

    def test_time_windows(self) -> None:
        summary = summarize(self.runs(), window_s=3600.0)
        self.assertEqual(4, len(summary.windows))
        self.assertEqual([3600.0] * 4, [w.stop - w.start for w in summary.windows])
        self.assertEqual([(2, 2, 2, 2, 0, 0), (0, 0, 0, 0, 1, 1), (1, 1, 1, 0, 0, 0), (1, 0, 0, 0, 0, 0)],
                         [(w.parallel, w.parallel_failed, w.race_failed, w.race_only, w.serial, w.serial_failed)
                          for w in summary.windows])
        a = summary.tests[0]
        self.assertEqual(((2, 2, 0, 0), (0, 0, 0, 1), (1, 1, 0, 0), (0, 1, 0, 0)), a.windows)
        one = summarize(self.runs())
        self.assertEqual(1, len(one.windows))

    def test_since_and_last_choose_the_runs(self) -> None:
        runs = self.runs()
        self.assertEqual([2, 3, 4], [r.order for r in select_runs(reversed(runs), since=1.0 * 3600)])
        self.assertEqual([3, 4], [r.order for r in select_runs(runs, last=2)])
        self.assertEqual([4], [r.order for r in select_runs(runs, since=1.0 * 3600, last=1)])
        self.assertEqual([], select_runs(runs, since=9.0 * 3600))
