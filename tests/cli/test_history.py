"""Tests for ``partitioner history`` (export, merge, summary)."""

from __future__ import annotations

import json

from partitioner.cli.main import ERROR, OK, USAGE
from partitioner.history.model import Run
from partitioner.run.advice import SERIAL
from tests.builders import A, B, C, D, cut_short, racing_runs, rec, run
from tests.cli.harness import PlanCase, RepositoryCase


class TestHistorySummaryCommand(RepositoryCase):
    def test_one_test_and_one_run_are_said_in_the_singular(self) -> None:
        self.repository([run(rec(f"{A}.test_1", "worker-0", 0, 1))])
        code, out, _ = self.cli("history", "summary")
        self.assertEqual(OK, code)
        self.assertTrue(out.startswith("1 test in 1 run (0 parallel, 1 serial); "), out)

    def test_text_and_json(self) -> None:
        runs = racing_runs()
        serial = run(rec(f"{A}.test_1", "worker-0", 0, 1), rec(f"{A}.test_2", "worker-0", 1, 2),
                     rec(f"{B}.test_1", "worker-0", 2, 3), rec(f"{C}.test_1", "worker-0", 3, 4))
        self.repository([*runs, serial])
        status, out, _ = self.cli("history", "summary")
        self.assertEqual(0, status)
        lines = out.splitlines()
        self.assertEqual("4 tests in 5 runs (4 parallel, 1 serial); 3 failed at least once, 3 only in parallel",
                         lines[0])
        self.assertEqual("parallel runs that failed: 3 of 4 (75%); failed only in tests that never fail serially: 3 "
                         "(75% of parallel runs fail because of them)", lines[1])
        self.assertIn(f"{A}.test_1  <- passes serially: a race, or an order dependence?", lines[5])
        self.assertEqual("failed in runs 0, 2", lines[6].strip())
        self.assertEqual("after 0 tests of 0 classes on worker-0 in run 2", lines[7].strip())
        self.assertIn("`testr failing` lists the latest run's failures", out)
        status, out, _ = self.cli("history", "summary", "--format", "json")
        doc = json.loads(out)
        self.assertEqual({"parallel": 4, "serial": 1, "broken": [], "interrupted": [], "first": "2024-01-01T00:00:00Z",
                          "last": "2024-01-01T00:00:00Z"}, doc["runs"])
        self.assertEqual((3, 3, 3, 0.75), (doc["parallel_failed"], doc["race_failed"], doc["race_only"],
                                           doc["race_only_rate"]))
        first = doc["tests"][0]
        self.assertEqual({"test": f"{A}.test_1", "runs": 5, "parallel_runs": 4, "parallel_failures": 2,
                          "serial_runs": 1, "serial_failures": 0, "only_parallel": True, "every_run": False,
                          "failed_in": ["0", "2"],
                          "windows": [{"parallel_failures": 2, "parallel_runs": 4, "serial_failures": 0,
                                       "serial_runs": 1}],
                          "before": {"run": "2", "worker": "worker-0", "tests": 0, "classes": 0, "passed_runs": 3,
                                     "fresh": []}}, first)
        self.assertIsNone(doc["tests"][-1]["before"])  # a test that never failed

    def test_a_test_failing_in_every_run_is_said_apart_not_as_failing_in_parallel(self) -> None:
        # tempest 36.0.0's TestTempestBaseTestClass fails in every run, plain stestr too: `races` leaves it out, and
        # the summary listed it as "fails in parallel, never run serially", each run failing "because of races"
        runs = [run(rec(f"{partner}.test_1", "worker-0", 0, 1, "fail" if order == 1 and partner == A else "success"),
                    rec(f"{D}.test_1", "worker-1", 0, 1, "fail"), run_id=f"r{order}", order=order)
                for order, partner in enumerate((A, A, C))]
        self.repository(runs)
        status, out, _ = self.cli("history", "summary")
        self.assertEqual(0, status)
        lines = out.splitlines()
        self.assertEqual("3 tests in 3 runs (3 parallel, 0 serial); 2 failed at least once, 1 only in parallel "
                         "(no serial run to compare), 1 in every run that ran it", lines[0])
        self.assertIn(f"{A}.test_1  <- fails in parallel, never run serially", out)
        self.assertIn(f"      3/3        0/0  {D}.test_1  <- fails in every run, whatever ran beside it: no race; "
                      "fix it as an ordinary failure\n", out)
        doc = json.loads(self.cli("history", "summary", "--format", "json")[1])
        rows = {t["test"]: t for t in doc["tests"]}
        self.assertEqual((True, False), (rows[f"{D}.test_1"]["every_run"], rows[f"{D}.test_1"]["only_parallel"]))
        self.assertEqual((3, 1, 0), (doc["parallel_failed"], doc["race_failed"], doc["race_only"]))
        # it passed once: a race suspect again, as `races` has it
        self.repository([*runs, run(rec(f"{B}.test_1", "worker-0", 0, 1), rec(f"{D}.test_1", "worker-1", 0, 1),
                                    run_id="r3", order=3)], name=".stestr")
        status, out, _ = self.cli("history", "summary", "--history", ".stestr")
        self.assertIn(f"{D}.test_1  <- fails in parallel, never run serially", out)
        self.assertNotIn("in every run", out)

    def test_the_tests_an_interrupted_run_never_reached_are_no_failures(self) -> None:
        # exec's account stores each test a signal stopped before it started as a failure of no duration
        # ("not run: the run was interrupted"): they failed nothing and raced nothing
        runs = racing_runs()
        interrupted = run(rec(f"{A}.test_1", "worker-0", 0, 1), rec(f"{A}.test_2", "worker-1", 3, 3, "fail"),
                          rec(f"{B}.test_1", "worker-0", 3, 3, "fail"), rec(f"{C}.test_1", "worker-1", 0, 1),
                          run_id="r4", order=4)
        self.repository([*runs, interrupted])
        status, out, _ = self.cli("history", "summary")
        self.assertEqual(0, status)
        self.assertEqual("4 tests in 5 runs (5 parallel, 0 serial); 3 failed at least once, 3 only in parallel "
                         "(no serial run to compare)", out.splitlines()[0])
        doc = json.loads(self.cli("history", "summary", "--format", "json")[1])
        rows = {t["test"]: t for t in doc["tests"]}
        self.assertEqual((4, 2), (rows[f"{A}.test_2"]["parallel_runs"], rows[f"{A}.test_2"]["parallel_failures"]))
        self.assertEqual((4, 1), (rows[f"{B}.test_1"]["parallel_runs"], rows[f"{B}.test_1"]["parallel_failures"]))

    def test_the_tests_an_interrupted_run_cut_short_are_no_failures_and_said_so(self) -> None:
        # a test running when `timeout` stopped `partitioner exec` fails with "interrupted: ..." (its lane's reason):
        # neither a pass nor a failure of it, nor a race
        runs = racing_runs()
        interrupted = run(rec(f"{A}.test_1", "worker-0", 0, 1), cut_short(f"{A}.test_2", "worker-0", 1, 2),
                          cut_short(f"{B}.test_1", "worker-1", 0.5, 2), rec(f"{C}.test_1", "worker-1", 0, 0.5),
                          run_id="r4", order=4)
        self.repository([*runs, interrupted])
        status, out, _ = self.cli("history", "summary")
        self.assertEqual(0, status)
        lines = out.splitlines()
        self.assertEqual("4 tests in 5 runs (5 parallel, 0 serial); 3 failed at least once, 3 only in parallel "
                         "(no serial run to compare)", lines[0])
        self.assertEqual("run 4 was interrupted (SIGTERM): its 2 tests cut short are not counted as failures",
                         lines[1])
        self.assertIn("parallel runs that failed: 3 of 5 (60%)", lines[2])
        doc = json.loads(self.cli("history", "summary", "--format", "json")[1])
        rows = {t["test"]: t for t in doc["tests"]}
        self.assertEqual((4, 2), (rows[f"{A}.test_2"]["parallel_runs"], rows[f"{A}.test_2"]["parallel_failures"]))
        self.assertEqual((4, 1), (rows[f"{B}.test_1"]["parallel_runs"], rows[f"{B}.test_1"]["parallel_failures"]))
        self.assertEqual([{"run": "4", "signal": "SIGTERM", "cut": [f"{A}.test_2", f"{B}.test_1"], "unreached": 0}],
                         doc["runs"]["interrupted"])

    def test_runs_interrupted_by_different_signals_each_name_their_own(self) -> None:
        # a new user's trial: "2 runs were interrupted (3, 5; SIGINT, SIGTERM)" read as run 3 SIGINT; it was SIGTERM
        runs = racing_runs()
        by_term = run(rec(f"{A}.test_1", "worker-0", 0, 1), cut_short(f"{A}.test_2", "worker-0", 1, 2),
                      rec(f"{C}.test_1", "worker-1", 0, 0.5), run_id="r4", order=4)
        by_int = run(rec(f"{A}.test_1", "worker-0", 0, 1), cut_short(f"{B}.test_1", "worker-1", 0.5, 2, "SIGINT"),
                     rec(f"{C}.test_1", "worker-1", 0, 0.5), run_id="r5", order=5)
        self.repository([*runs, by_term, by_int])
        status, out, _ = self.cli("history", "summary")
        self.assertEqual(0, status)
        self.assertEqual("2 runs were interrupted (4: SIGTERM, 5: SIGINT): their 2 tests cut short are not counted as "
                         "failures", out.splitlines()[1])

    def test_what_ran_before_a_test_that_fails_only_in_parallel(self) -> None:
        # C fails after A on worker-0; where it passed (run 0 and the serial run 2) A never ran before it
        failing = run(rec(f"{A}.test_1", "worker-0", 0, 1), rec(f"{A}.test_2", "worker-0", 1, 2),
                      rec(f"{C}.test_1", "worker-0", 2, 3, "fail"), rec(f"{B}.test_1", "worker-1", 0, 1))
        passing = run(rec(f"{C}.test_1", "worker-0", 0, 1), rec(f"{A}.test_1", "worker-0", 1, 2),
                      rec(f"{B}.test_1", "worker-1", 0, 1))
        serial = run(rec(f"{B}.test_1", "worker-0", 0, 1), rec(f"{C}.test_1", "worker-0", 1, 2),
                     rec(f"{A}.test_1", "worker-0", 2, 3))
        self.repository([passing, failing, serial])
        status, out, _ = self.cli("history", "summary")
        self.assertEqual(0, status)
        self.assertIn(f"{C}.test_1  <- passes serially: a race, or an order dependence?\n"
                      f"{'':>22}failed in run 1\n"
                      f"{'':>22}after 2 tests of 1 class on worker-0 in run 1; 1 of those classes never ran before it "
                      f"in the 2 runs it passed in\n", out)
        self.assertIn("`partitioner races [RUN] --order` (what ran before it in its test process", out)
        (row,) = [t for t in json.loads(self.cli("history", "summary", "--format", "json")[1])["tests"]
                  if t["test"] == f"{C}.test_1"]
        self.assertEqual({"run": "1", "worker": "worker-0", "tests": 2, "classes": 1, "passed_runs": 2,
                          "fresh": [A]}, row["before"])

    def hourly(self) -> list[Run]:
        """Six parallel runs an hour apart (from 2024-01-01 00:00 UTC, the streams' epoch): A fails in the first
        three."""
        return [run(rec(f"{A}.test_1", "worker-0", h * 3600, h * 3600 + 1, "fail" if h < 3 else "success"),
                    rec(f"{B}.test_1", "worker-1", h * 3600, h * 3600 + 1)) for h in range(6)]

    def test_windows_since_and_last(self) -> None:
        self.repository(self.hourly())
        status, out, err = self.cli("history", "summary", "--window", "2h")
        self.assertEqual((0, ""), (status, err))
        self.assertIn("window (2h)", out)
        self.assertIn("2024-01-01 00:00           2       2         2       0       0", out)
        self.assertIn("2024-01-01 04:00           2       0         0       0       0", out)
        self.assertIn("failed in runs 0, 1, 2; per window (parallel) 2/2 1/2 0/2", out)
        _, out, _ = self.cli("history", "summary", "--format", "json", "--last", "4")
        doc = json.loads(out)
        self.assertEqual(4, doc["runs"]["parallel"])
        self.assertEqual(["2"], doc["tests"][0]["failed_in"])
        _, out, _ = self.cli("history", "summary", "--format", "json", "--since", "2024-01-01T04:00")
        self.assertEqual(2, json.loads(out)["runs"]["parallel"])
        self.assertEqual(0, json.loads(out)["parallel_failed"])
        self.assertOneLineError(["history", "summary", "--since", "2030-01-01", "-C", str(self.dir)], ERROR,
                                "none of the 6 stored runs began at or after 2030-01-01 00:00 UTC (--since)")
        self.assertOneLineError(["history", "summary", "--window", "soon", "-C", str(self.dir)], USAGE,
                                "expected a duration such as 90, 90s, 10m, 1h30m or 2d, got 'soon'")
        self.assertOneLineError(["history", "summary", "--since", "yesterday", "-C", str(self.dir)], USAGE,
                                "expected a date (2024-05-01)")

    def test_runs_where_everything_failed_are_left_out_and_advice_names_stestr(self) -> None:
        runs = self.hourly()
        broken = run(*(rec(f"pkg.m.K{i}Test.test_1", f"worker-{i % 2}", 0, 1, "fail") for i in range(4)))
        self.repository([*runs, broken], name=".stestr")
        _, out, _ = self.cli("history", "summary")
        self.assertIn("left out: 1 run in which (nearly) every class failed (6): no race", out)
        # no serial run: nothing tells a race from a plain failure (a new user's trial read "100% of parallel runs
        # fail because of them" for tests that had never run serially)
        self.assertIn("6 runs (6 parallel, 0 serial); 1 failed at least once, 1 only in parallel (no serial run to "
                      "compare)", out)
        self.assertIn("; how many of them races made, no serial run can tell\n", out)
        self.assertNotIn("fail because of them", out)
        self.assertIn("`stestr failing` lists", out)
        self.assertIn("run the tests once serially (stestr run --serial)", out)

    def test_advice_for_a_project_whose_testr_runs_the_runner(self) -> None:
        (self.dir / ".testr.conf").write_text(
            "[DEFAULT]\ntest_command=python -m partitioner.run $LISTOPT $IDOPTION -- python -m subunit.run discover\n")
        self.repository(self.hourly())
        _, out, _ = self.cli("history", "summary")
        self.assertIn(f"run the tests once serially ({SERIAL}) to", out)
        self.assertIn("`testr failing` lists", out)

    def test_a_window_not_above_zero_is_a_one_line_usage_error(self) -> None:
        self.repository(self.hourly())
        for given in ("-5s", "-5", "-1h30m", "0", "-0.5m"):
            for argv in (("--window", given), (f"--window={given}",)):
                self.assertOneLineError(["history", "summary", *argv, "-C", str(self.dir)], USAGE,
                                        f"partitioner history summary: error: argument --window: expected a duration "
                                        f"> 0 (such as 90s, 10m or 1h), got {given!r}")

    def test_a_since_that_is_a_negative_duration_says_what_since_takes(self) -> None:
        self.repository(self.hourly())
        self.assertOneLineError(["history", "summary", "--since", "-7d", "-C", str(self.dir)], USAGE,
                                "argument --since: expected a date (2024-05-01), a date-time (2024-05-01T12:00) or a "
                                "duration ago (7d, 12h), got '-7d'")

    def test_an_option_after_window_is_still_an_option(self) -> None:
        self.repository(self.hourly())
        self.assertOneLineError(["history", "summary", "--window", "--last", "3", "-C", str(self.dir)], USAGE,
                                "argument --window: expected one argument")

    def test_no_runs(self) -> None:
        status, _, err = self.cli("history", "summary")
        self.assertEqual(1, status)
        self.assertIn("no stored runs in", err)


class TestExportAndMerge(PlanCase):
    def test_export_merge_round_trip(self) -> None:
        code, out, _ = self.cli("history", "merge", str(self.timings), str(self.timings), "--keep", "1")
        self.assertEqual(OK, code)
        self.assertEqual([3.0], json.loads(out)["tests"]["m.A.t1"])
        code, _, err = self.cli("history", "export", "-C", str(self.dir))
        self.assertEqual(ERROR, code)
        self.assertIn("no timing history", err)

    def test_a_file_written_is_named_on_stderr(self) -> None:
        merged = self.dir / "merged.json"
        code, out, err = self.cli("history", "merge", str(self.timings), str(self.timings), "-o", str(merged))
        self.assertEqual((OK, ""), (code, out), err)
        self.assertEqual(f"{merged}: timing samples of 3 tests, merged from 2 files\n", err)
        self.assertEqual([3.0, 3.0], json.loads(merged.read_text())["tests"]["m.A.t1"])
        exported = self.dir / "exported.json"
        code, out, err = self.cli("history", "export", "-C", str(self.dir), "--history", str(self.timings), "-o",
                                  str(exported))
        self.assertEqual((OK, ""), (code, out), err)
        self.assertEqual(f"{exported}: timing samples of 3 tests\n", err)
        self.assertIn("m.B.t1", json.loads(exported.read_text())["tests"])

    def test_to_stdout_nothing_is_said(self) -> None:
        code, out, err = self.cli("history", "export", "-C", str(self.dir), "--history", str(self.timings))
        self.assertEqual((OK, ""), (code, err))
        self.assertIn("m.B.t1", json.loads(out)["tests"])

    def test_unwritable_output_is_one_error(self) -> None:
        target = self.dir / "no" / "t.json"
        self.assertOneLineError(["history", "merge", str(self.timings), "-o", str(target)], ERROR,
                                f"cannot write {target}")

    def test_keep_must_be_a_whole_number(self) -> None:
        self.assertOneLineError(["history", "merge", str(self.timings), "--keep", "0"], USAGE,
                                "expected a whole number >= 1")


class TestPushAndHead(RepositoryCase):
    """history push --to URL [SOURCE...] [--label K=V] and history head --history URL (issue 13)."""

    def setUp(self) -> None:
        super().setUp()
        self.url = f"sqlite:///{self.dir / 'h.db'}"
        self.repository(racing_runs())

    def test_a_repository_its_new_runs_once_each_with_labels(self) -> None:
        status, out, err = self.cli("history", "push", "--to", self.url, "--label", "shard=1/2", "--label", "job=t")
        self.assertEqual(0, status, err)
        self.assertEqual([f"testrepository:{self.dir / '.testrepository' / str(n)}: stored as run {n + 1}"
                          for n in range(4)], out.splitlines())
        status, out, _ = self.cli("history", "push", "--to", self.url)
        self.assertEqual((0, "no new runs (4 pushed from here before)"), (status, out.split(": ", 1)[1].strip()))
        self.assertEqual((0, "4\n", ""), self.cli("history", "head", "--history", self.url))
        from partitioner.history.store import open_store

        with open_store(self.url) as store:
            self.assertEqual([{"shard": "1/2", "job": "t"}] * 4, [dict(i.labels) for i in store.run_infos()])

    def test_streams_from_stdin_and_files_and_timing_files_stored_once(self) -> None:
        data = (self.dir / ".testrepository" / "0").read_bytes()
        self.assertEqual((0, "-: stored as run 1\n", ""), self.cli("history", "push", "--to", self.url, "-",
                                                                   stdin=data))
        (self.dir / "run.subunit").write_bytes(data)
        status, out, _ = self.cli("history", "push", "--to", self.url, "run.subunit")
        self.assertEqual((0, "already stored as run 1"), (status, out.split(": ", 1)[1].strip()))
        self.cli("history", "export", "-o", str(self.dir / "t.json"))
        status, out, _ = self.cli("history", "push", "--to", self.url, "t.json", "t.json")
        self.assertEqual(["stored as run 2", "already stored as run 2"], [line.split(": ", 1)[1] for line in
                                                                         out.splitlines()])
        status, out, _ = self.cli("history", "push", "--to", self.url, "-", stdin=(self.dir / "t.json").read_bytes())
        self.assertEqual("-: already stored as run 2\n", out)

    def test_bad_input_is_one_line(self) -> None:
        self.assertOneLineError(["history", "push", "--to", self.url, "nothing.subunit"], ERROR,
                                "no such file or directory: nothing.subunit")
        self.assertOneLineError(["history", "push", "--to", "sqlite://host/h.db"], ERROR, "has no host")
        self.assertOneLineError(["history", "push", "--to", self.url, "--label", "shard"], USAGE,
                                "expected KEY=VALUE")
        self.assertOneLineError(["history", "push", "--to", self.url, "-", "-"], USAGE, "given more than once")
        self.assertOneLineError(["history", "head", "--history", "sqlite:///none.db"], ERROR, "no such store file")
        self.assertOneLineError(["history", "push", "--to", self.url, "-"], ERROR, "-", stdin=b"not a stream")
