"""Tests for ``partitioner races`` on streams and repositories written to a temp dir."""

from __future__ import annotations

import configparser
import json
import os
import shutil
import sys
import time

import fixtures

from partitioner.config import load_settings
from partitioner.errors import ConfigError
from partitioner.history.model import Run
from partitioner.run.advice import PARALLEL, PARALLEL_WORKERS
from tests.builders import A, B, C, D, E, cut_short, racing_runs, rec, run, stream
from tests.cli.harness import RepositoryCase
from tests.cli.test_order import ONE, THREE, OrderCase, V, Z
from tests.cli.test_order import lane as order_lane
from tests.suites import tree_snapshot

RUNNER_CONF = ("[DEFAULT]\ntest_command=python -m partitioner.run -j 4 $LISTOPT $IDOPTION -- python -m subunit.run "
               "discover\ntest_id_option=--load-list $IDFILE\ntest_list_option=--list\n")


class TestRacesCommand(RepositoryCase):
    def test_table_names_the_partner_first(self) -> None:
        self.repository(racing_runs()[:3])
        status, out, err = self.cli("races")
        self.assertEqual((0, ""), (status, err))
        self.assertIn("run 2 of .testrepository: 2 failed tests in 1 class; cross-run counts over 3 parallel runs",
                      out)
        first = out.split("partner\n", 1)[1].splitlines()[0]
        self.assertRegex(first, rf"^\s+1\s+\d\.\d+\s+\d+\.\d+s\s+2/2\s+2/2\s+{B}$")

    def test_json_is_versioned_and_ranks_partners(self) -> None:
        self.repository(racing_runs())
        status, out, _ = self.cli("races", "2", "--format", "json", "--top", "1")
        self.assertEqual(0, status)
        doc = json.loads(out)
        self.assertEqual({"format_version", "suspects"}, set(doc))
        self.assertEqual(1, doc["format_version"])
        (suspect,) = doc["suspects"]
        self.assertEqual(A, suspect["test"])
        self.assertEqual([B], [p["test"] for p in suspect["partners"]])
        self.assertEqual({"test", "score"}, {"test", "score"} & set(suspect["partners"][0]))

    def test_by_test_lists_each_failed_test(self) -> None:
        self.repository(racing_runs())
        _, out, _ = self.cli("races", "0", "--format", "json", "--by", "test")
        self.assertEqual([f"{A}.test_1", f"{A}.test_2"], [s["test"] for s in json.loads(out)["suspects"]])

    def test_config_merges_into_an_existing_section_and_a_second_section_is_refused(self) -> None:
        self.repository(racing_runs())
        original = "[DEFAULT]\ntest_command=true\n[partitioner]\nresources =\n    db: ^pkg\\.db\\.\n"
        (self.dir / ".testr.conf").write_text(original)
        status, out, _ = self.cli("races", "2", "--format", "config")
        self.assertEqual(0, status)
        self.assertIn("    db: ^pkg\\.db\\.\n    race1: ", out)
        # appended by hand, it is a second [partitioner] section, which testr and stestr refuse: so do we
        with (self.dir / ".testr.conf").open("a") as conf:
            conf.write(out)
        error = self.assertRaises(ConfigError, load_settings, self.dir)
        self.assertIn("section [partitioner] already exists", str(error))
        (self.dir / ".testr.conf").write_text(original)
        status, _, err = self.cli("races", "2", "--format", "config", "--into")
        self.assertEqual(0, status, err)
        self.assertEqual(["db", "race1"], [r.name for r in load_settings(self.dir).resources])

    def test_one_run_says_the_score_rests_on_it(self) -> None:
        self.repository(racing_runs()[:1])
        status, out, _ = self.cli("races")
        self.assertEqual(0, status)
        self.assertIn("note: the score rests on one parallel run", out)
        status, _, err = self.cli("races", "--format", "json")
        self.assertIn("partitioner: warning: the score rests on one parallel run", err)

    def test_missing_run_id(self) -> None:
        self.repository(racing_runs())
        status, _, err = self.cli("races", "7")
        self.assertEqual(1, status)
        self.assertEqual("partitioner: error: run 7 not found in .testrepository (runs 0-3); pass an existing run "
                         "id\n", err)

    def test_no_failures_is_not_an_error(self) -> None:
        self.repository([racing_runs()[1]])
        status, out, _ = self.cli("races")
        self.assertEqual(0, status)
        self.assertIn("run 0 of .testrepository has no failures: nothing to diagnose", out)
        status, out, err = self.cli("races", "--format", "json")
        self.assertEqual((0, {"format_version": 1, "suspects": []}), (status, json.loads(out)))
        self.assertIn("has no failures", err)

    def test_the_tests_an_interrupted_run_never_reached_are_no_suspects(self) -> None:
        # exec's account stores each test a signal stopped before it started as a failure of no duration
        runs = racing_runs()[:3]
        interrupted = run(rec(f"{A}.test_1", "worker-0", 0, 1), rec(f"{A}.test_2", "worker-0", 1, 2, "fail"),
                          rec(f"{B}.test_1", "worker-1", 0.5, 1.5), rec(f"{C}.test_1", "worker-1", 2, 2, "fail"),
                          run_id="r3", order=3)
        self.repository([*runs, interrupted])
        status, out, _ = self.cli("races", "--format", "json", "--by", "test")
        self.assertEqual(0, status)
        self.assertEqual([f"{A}.test_2"], [s["test"] for s in json.loads(out)["suspects"]])
        only = run(rec(f"{A}.test_1", "worker-0", 0, 1), rec(f"{B}.test_1", "worker-1", 0, 1),
                   rec(f"{C}.test_1", "worker-1", 2, 2, "fail"), run_id="r4", order=4)
        self.repository([*runs, only], name=".stestr")
        status, out, _ = self.cli("races", "--history", ".stestr", "3")
        self.assertEqual(0, status)
        self.assertIn("has no failures: nothing to diagnose", out)

    def test_a_test_an_interrupted_run_cut_short_is_no_suspect_and_said_so(self) -> None:
        # new user's trial: `timeout` stopped `partitioner exec -- stestr run`, and races proposed a rule from the test
        # that was running (its lane wrote "interrupted: ..."), beside the one running on the other worker
        runs = racing_runs()[:3]
        interrupted = run(rec(f"{A}.test_1", "worker-0", 0, 1), cut_short(f"{A}.test_2", "worker-0", 1, 2),
                          rec(f"{B}.test_1", "worker-1", 0.5, 1.5), rec(f"{C}.test_1", "worker-1", 2, 2, "fail",
                                                                        reason="not run: the run was interrupted "
                                                                        "(SIGTERM) before this test started"),
                          run_id="r3", order=3)
        self.repository([*runs, interrupted], name=".stestr")
        status, out, err = self.cli("races")
        self.assertEqual((0, ""), (status, err))
        self.assertEqual(["run 3 of .stestr was interrupted (SIGTERM): its 1 test cut short is not counted as a "
                          "failure, nor the 1 it never reached",
                          "run 3 of .stestr has no failures: nothing to diagnose; pass a run that failed in parallel "
                          "(see `stestr failing`), or check `partitioner history summary` for tests failing only in "
                          "parallel"], out.splitlines())
        status, out, err = self.cli("races", "--format", "json")
        self.assertEqual([{"run": "3", "signal": "SIGTERM", "cut": [f"{A}.test_2"], "unreached": 1}],
                         json.loads(out)["interrupted"])
        self.assertEqual([], json.loads(out)["suspects"])
        self.assertIn("partitioner: run 3 of .stestr was interrupted (SIGTERM)", err)
        status, out, _ = self.cli("races", "--order")
        self.assertEqual(["run 3 of .stestr was interrupted (SIGTERM): its 1 test cut short is not counted as a "
                          "failure, nor the 1 it never reached"], out.splitlines()[:1])
        self.assertIn("has no failures", out)

    def test_a_run_interrupted_with_real_failures_is_diagnosed_without_the_cut_ones(self) -> None:
        # the real failure is judged; the cut one is neither a suspect nor a failed partner; an interrupted stored run
        # is said in one line
        runs = racing_runs()[:2]
        earlier = run(rec(f"{A}.test_1", "worker-0", 0, 1), cut_short(f"{C}.test_1", "worker-2", 0, 0.5, "SIGINT"),
                      run_id="r2", order=2)
        interrupted = run(rec(f"{A}.test_1", "worker-0", 0, 1, "fail"), rec(f"{B}.test_1", "worker-1", 0, 1),
                          cut_short(f"{A}.test_2", "worker-0", 1, 2), cut_short(f"{C}.test_1", "worker-2", 0, 2),
                          run_id="r3", order=3)
        self.repository([*runs, earlier, interrupted], name=".stestr")
        status, out, _ = self.cli("races", "--by", "test", "--format", "json")
        self.assertEqual(0, status)
        doc = json.loads(out)
        (suspect,) = doc["suspects"]
        self.assertEqual(f"{A}.test_1", suspect["test"])
        partners = {p["test"]: p for p in suspect["partners"]}
        self.assertEqual({f"{B}.test_1", f"{C}.test_1"}, set(partners))  # the cut test ran beside it all the same
        self.assertEqual(0, partners[f"{C}.test_1"]["together"])  # ... but did not fail with it
        self.assertEqual([("3", "SIGTERM", 2), ("2", "SIGINT", 1)],  # the diagnosed run's first
                         [(i["run"], i["signal"], len(i["cut"])) for i in doc["interrupted"]])
        status, out, _ = self.cli("races", "--by", "test")
        notes = [line for line in out.splitlines() if line.startswith("note: ")]
        self.assertEqual(["note: run 3 of .stestr was interrupted (SIGTERM): its 2 tests cut short are not counted "
                          "as failures",
                          "note: run 2 was interrupted (SIGINT): its 1 test cut short is not counted as a failure"],
                         notes[:2])

    def test_latest_run_serial_points_at_the_latest_parallel_one(self) -> None:
        serial = run(rec(f"{A}.test_1", "worker-0", 0, 1, "fail"), rec(f"{B}.test_1", "worker-0", 1, 2))
        self.repository([*racing_runs()[:3], serial])
        status, _, err = self.cli("races")
        self.assertEqual(1, status)
        self.assertIn("run 3 of .testrepository, the latest, ran serially, so nothing overlapped; pass a parallel "
                      "run: the latest parallel run is run 2 (`partitioner races 2`)", err)
        status, _, err = self.cli("races", "3")
        self.assertIn("run 3 of .testrepository ran on one worker (worker-0)", err)

    def test_a_latest_run_interrupted_before_a_second_worker_ran_a_test_names_another(self) -> None:
        # new user's trial: "run 3, the latest, ran serially ...; the latest parallel run is run 3": its other
        # worker's tests never started (failed as not run), which made it parallel as stored, not as judged
        never = "not run: the run was interrupted (SIGINT) before this test started"
        interrupted = run(rec(f"{A}.test_1", "worker-0", 0, 1, "fail"), rec(f"{B}.test_1", "worker-1", 1, 1, "fail",
                                                                             reason=never), run_id="r3", order=3)
        self.repository([*racing_runs()[:3], interrupted])
        status, _, err = self.cli("races")
        self.assertEqual(1, status)
        self.assertIn("run 3 of .testrepository, the latest, ran on one worker before it was interrupted, so nothing "
                      "overlapped; pass a parallel run: the latest parallel run is run 2 (`partitioner races 2`)", err)

    def test_a_serial_failing_rerun_after_the_first_run_names_run_0_as_the_parallel_one(self) -> None:
        # `testr run --failing` reruns the failures serially: the parallel run before it is run 0
        serial = run(rec(f"{A}.test_1", "worker-0", 0, 1, "fail"))
        self.repository([racing_runs()[0], serial])
        status, _, err = self.cli("races")
        self.assertEqual(1, status)
        self.assertIn("run 1 of .testrepository, the latest, ran serially, so nothing overlapped; pass a parallel "
                      "run: the latest parallel run is run 0 (`partitioner races 0`)\n", err)

    def test_a_latest_run_in_which_no_test_ran_says_so_not_serial(self) -> None:
        broken = run(rec("process-returncode", None, 5.0, 5.0, "fail"))
        self.repository([*racing_runs()[:3], broken])
        for argv in (("races",), ("races", "--order")):
            status, _, err = self.cli(*argv)
            self.assertEqual(1, status)
            self.assertIn("run 3 of .testrepository holds no test results (only process-returncode): "
                          "its tests never ran", err)
            self.assertNotIn("serial", err)

    def test_stream_without_worker_tags(self) -> None:
        (self.dir / "serial.subunit").write_bytes(stream([rec(f"{A}.test_1", None, 0, 1, "fail")]))
        status, _, err = self.cli("races", str(self.dir / "serial.subunit"))
        self.assertEqual(1, status)
        self.assertIn("has no worker tags: it ran serially, so nothing overlapped; pass a parallel run", err)
        self.assertEqual(1, err.count("\n"))

    def test_stream_file_and_serial_run(self) -> None:
        parallel = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{B}.test_1", "worker-1", 0.0, 1.0),
                       rec(f"{C}.test_1", "worker-1", 1.0, 2.0, "fail"))
        (self.dir / "par.subunit").write_bytes(stream(list(parallel.records)))
        (self.dir / "ser.subunit").write_bytes(stream([rec(f"{C}.test_1", None, 0, 1, "fail")]))
        status, out, _ = self.cli("races", "par.subunit", "--serial", "ser.subunit", "--format", "json")
        self.assertEqual(0, status)
        self.assertEqual([f"{A}.test_1"], [s["test"] for s in json.loads(out)["suspects"]])
        status, out, _ = self.cli("races", "-", "--format", "json", stdin=stream(list(parallel.records)))
        self.assertEqual(2, len(json.loads(out)["suspects"]))

    def test_all_failures_serial_too(self) -> None:
        (self.dir / "par.subunit").write_bytes(stream([rec(f"{C}.test_1", "worker-1", 0.0, 1.0, "fail"),
                                                        rec(f"{A}.test_1", "worker-0", 0.0, 1.0)]))
        (self.dir / "ser.subunit").write_bytes(stream([rec(f"{C}.test_1", None, 0, 1, "fail")]))
        status, out, _ = self.cli("races", "par.subunit", "--serial", "ser.subunit")
        self.assertEqual(0, status)
        self.assertIn("also failed in ser.subunit: they are not races", out)

    def test_failures_without_timestamps(self) -> None:
        (self.dir / "par.subunit").write_bytes(stream([rec(f"{C}.test_1", "worker-1", None, None, "fail"),
                                                        rec(f"{A}.test_1", "worker-0", 0.0, 1.0),
                                                        rec(f"{B}.test_1", "worker-1", 0.0, 1.0)]))
        status, _, err = self.cli("races", "par.subunit")
        self.assertEqual(1, status)
        self.assertIn("the failed tests of par.subunit have no timestamps or no worker tag", err)

    def test_no_repository(self) -> None:
        status, _, err = self.cli("races")
        self.assertEqual(1, status)
        self.assertIn(f"no .testrepository or .stestr in {self.dir} to take the latest run from", err)

    def test_a_project_whose_testr_runs_the_runner_is_told_testr_run(self) -> None:
        (self.dir / ".testr.conf").write_text(RUNNER_CONF)
        repo = self.repository([])
        status, _, err = self.cli("races")
        self.assertEqual((1, f"partitioner: error: .testrepository in {self.dir} holds no runs yet; run the tests "
                             f"in parallel first ({PARALLEL})\n"), (status, err))
        (repo / "0").write_bytes(stream([rec(f"{A}.test_1", "worker-0", 0, 1, "fail"),
                                         rec(f"{B}.test_1", "worker-0", 1, 2)]))
        status, _, err = self.cli("races")
        self.assertIn(f"ran on one worker (worker-0), so nothing overlapped; pass a parallel run ({PARALLEL_WORKERS})",
                      err)
        (self.dir / "par.subunit").write_bytes(stream([rec(f"{C}.test_1", "worker-1", None, None, "fail"),
                                                        rec(f"{A}.test_1", "worker-0", 0.0, 1.0),
                                                        rec(f"{B}.test_1", "worker-1", 0.0, 1.0)]))
        status, _, err = self.cli("races", "par.subunit")
        self.assertIn(f"have no timestamps or no worker tag, so what ran beside them is unknown; pass a run recorded "
                      f"by {PARALLEL}\n", err)
        self.repository([racing_runs()[0]], name=".stestr")  # its run is the latest: stestr's advice
        os.utime(self.dir / ".stestr" / "0", (time.time() + 60, time.time() + 60))
        status, out, _ = self.cli("races")
        self.assertEqual(0, status)
        self.assertIn("run the tests in parallel a few more times (stestr run)", out)

    def test_one_run_of_a_runner_project_asks_for_more_runs_with_testr_run(self) -> None:
        (self.dir / ".testr.conf").write_text(RUNNER_CONF)
        self.repository(racing_runs()[:1])
        status, out, _ = self.cli("races")
        self.assertEqual(0, status)
        self.assertIn(f"run the tests in parallel a few more times ({PARALLEL})", out)


class TestOneRankingOneRule(RepositoryCase):
    def tied(self) -> list[Run]:
        """One parallel run: A fails; C and B ran beside it all along (a tie); D ran after."""
        return [run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{A}.test_2", "worker-0", 1.0, 2.0, "fail"),
                    rec(f"{C}.test_1", "worker-1", 0.0, 2.0), rec(f"{B}.test_1", "worker-2", 0.0, 2.0),
                    rec(f"{D}.test_1", "worker-1", 2.0, 2.5), rec(f"{D}.test_2", "worker-0", 2.0, 2.5))]

    def test_a_tie_at_the_top_writes_no_rule_and_every_output_says_so(self) -> None:
        # which of B and C the failure raced with, one run cannot tell: taking the smaller id would guess
        self.repository(self.tied())
        _, out, _ = self.cli("races")
        self.assertIn("    1=  0.733", out)
        self.assertIn(f"  no rule: 2 partner classes tie at the top score 0.733: {B}, {C}; add --confirm to run the "
                      f"pairs and tell them apart\n", out)
        self.assertNotIn("rule: keep", out)
        _, out, _ = self.cli("races", "--format", "json")
        (suspect,) = json.loads(out)["suspects"]
        self.assertEqual((None, [C]), (suspect["rule"], suspect["tied_with"]))
        self.assertEqual(B, suspect["partners"][0]["test"])
        status, out, err = self.cli("races", "--format", "config")
        self.assertEqual(0, status, err)
        self.assertIn(f"    # not confirmed (2 partner classes of {A} tie at the top score 0.733: {B}, {C}; the line "
                      f"takes the smallest id, and `partitioner races --confirm` runs the pairs to tell them apart): "
                      f"uncomment the next line to keep it anyway\n"
                      f"    # race1: ^(?:pkg\\.mod_a\\.ATest|pkg\\.mod_b\\.BTest)\\.\n", out)
        self.assertNotRegex(out, r"(?m)^\s+race\d+:")  # no active rule
        self.assertIn(f"partitioner: {A}: 2 partner classes tie at the top score 0.733: {B}, {C}; no rule, only the "
                      f"first by id as a commented-out suggestion; add --confirm to run the pairs and tell them "
                      f"apart\n", err)

    def test_a_five_way_tie_merges_no_rule_into_the_config(self) -> None:
        # the case a user met: five classes tie at the top, and the rule took the smallest id
        beside = [f"pkg.mod_{n}.{n.upper()}Test" for n in "bcdef"]
        records = [rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{A}.test_2", "worker-0", 1.0, 2.0, "fail")]
        records += [rec(f"{k}.test_1", f"worker-{i + 1}", 0.0, 2.0) for i, k in enumerate(beside)]
        self.repository([run(*records)])
        conf = self.dir / ".testr.conf"
        conf.write_text("[DEFAULT]\ntest_command=true\n")
        status, _, err = self.cli("races", "--format", "config", "--into")
        self.assertEqual(0, status, err)
        self.assertIn(f"partitioner: {A}: 5 partner classes tie at the top score 0.733: {', '.join(beside)}; "
                      f"no rule", err)
        self.assertIn("partitioner: merged 0 new rules", err)
        self.assertEqual((), load_settings(self.dir).resources)

    def test_a_test_suspect_gets_the_rule_of_the_ranking_shown(self) -> None:
        # A's one failed test: the auto view shows it as a test, with test partners; the rule follows them
        # (B's window lies within A.test_1's, C.test_1's only partly: B ranks first, alone, so a rule is written)
        parallel = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{A}.test_2", "worker-0", 1.0, 3.0),
                       rec(f"{B}.test_1", "worker-1", 0.0, 0.4), rec(f"{C}.test_1", "worker-1", 0.4, 2.0),
                       rec(f"{C}.test_2", "worker-1", 2.0, 3.0))
        self.repository([parallel])
        _, out, _ = self.cli("races", "--format", "json")
        (suspect,) = json.loads(out)["suspects"]
        self.assertEqual(f"{A}.test_1", suspect["test"])
        first = suspect["partners"][0]["test"]
        _, config, _ = self.cli("races", "--format", "config")
        theirs = first.rsplit(".", 1)[0]
        self.assertEqual((sorted([A, theirs]), []), (suspect["rule"], suspect["tied_with"]))
        self.assertIn(f"    race1: ^(?:pkg\\.mod_a\\.ATest|{theirs.replace('.', chr(92) + '.')})\\.\n", config)

    def test_no_race_gets_no_rule(self) -> None:
        serial = run(rec(f"{A}.test_1", "worker-0", 0, 1, "fail"), rec(f"{B}.test_1", "worker-0", 1, 2))
        self.repository([*racing_runs()[:3], serial])
        status, out, _ = self.cli("races", "2")
        self.assertEqual(0, status)
        # it passed in a parallel run: it may fail only after an earlier test in its process (what --order looks at)
        self.assertIn("  no race: it also failed in 1 serial run, yet passed in 1 parallel run: if it fails only after "
                      "an earlier test in its process, --order --confirm finds which; else fix it as an ordinary "
                      "failure; no rule\n", out)
        self.assertNotIn("rule: keep", out)
        status, out, err = self.cli("races", "2", "--format", "config")
        self.assertEqual((0, ""), (status, out))
        self.assertIn(f"partitioner: {A}: no race (it also failed in 1 serial run); no rule\n", err)

    def test_a_lone_failure_points_to_order_confirm_only_where_it_passed_in_another_parallel_run(self) -> None:
        # oslo.middleware: test_factory_creates_middleware fails only after test_init_idempotent ran earlier in its
        # process: nothing beside it on another worker, so no race, and "fix it as an ordinary failure" hid that
        # --order looks for exactly that
        def parallel(order: int, status: str) -> Run:
            return run(rec(f"{C}.test_1", "worker-0", 0.0, 1.0), rec(f"{A}.test_1", "worker-0", 1.0, 2.0, status),
                       rec(f"{B}.test_1", "worker-1", 0.0, 0.5), run_id=str(order), order=order)

        self.repository([parallel(0, "fail")])
        _, out, _ = self.cli("races", "0")
        self.assertIn("  no race: it also failed in 1 parallel run with nothing beside it on another worker; fix it as "
                      "an ordinary failure; no rule\n", out)  # it never passed: nothing says order matters
        self.assertNotIn("--order", out)
        shutil.rmtree(self.dir / ".testrepository")
        self.repository([parallel(0, "success"), parallel(1, "fail")])
        _, out, _ = self.cli("races", "1")
        self.assertIn("  no race: it also failed in 1 parallel run with nothing beside it on another worker, yet "
                      "passed in 1 parallel run: if it fails only after an earlier test in its process, --order "
                      "--confirm finds which; else fix it as an ordinary failure; no rule\n", out)
        self.assertEqual(1, len([line for line in out.splitlines() if "--order --confirm" in line]))

    def test_a_test_failing_in_every_run_is_left_out_and_the_output_says_so(self) -> None:
        # D.test_1 fails in each run, after a filler on worker-3, with nothing or B beside it: whatever ran there
        runs = [run(*r.records, rec(f"{E}.test_1", "worker-3", 0.0, 2.0), rec(f"{D}.test_1", "worker-3", 2.0, 3.0,
                                                                                "fail"),
                    run_id=r.run_id, order=r.order) for r in racing_runs()]
        self.repository(runs)
        status, out, err = self.cli("races", "2")
        self.assertEqual((0, ""), (status, err))
        self.assertIn("run 2 of .testrepository: 2 failed tests in 1 class;", out)
        self.assertNotIn(D, out.split("\nnote: ")[0])
        self.assertIn(f"  rule: keep {B} with it on one worker\n", out)
        self.assertIn(f"note: 1 failed test failed in every run that ran it (4 runs), whatever ran beside it, and is "
                      f"left out (a deterministic failure, not a race; fix it as an ordinary failure): {D}.test_1\n",
                      out)
        _, out, err = self.cli("races", "2", "--format", "json")
        doc = json.loads(out)
        self.assertEqual(([A], [{"test": f"{D}.test_1", "runs": 4}]),
                         ([s["test"] for s in doc["suspects"]], doc["deterministic"]))
        self.assertIn("partitioner: warning: 1 failed test failed in every run that ran it", err)
        _, out, err = self.cli("races", "2", "--format", "config")
        self.assertNotIn("mod_d", out)
        self.assertIn("partitioner: warning: 1 failed test failed in every run that ran it", err)

    def test_a_run_whose_failures_all_fail_in_every_run_has_nothing_to_diagnose(self) -> None:
        # D.test_1 fails in each run beside another class (A, then B, then C); it used to get a rule with C
        self.repository([run(rec(f"{partner}.test_1", "worker-0", 0.0, 1.0), rec(f"{D}.test_1", "worker-1", 0.0, 1.0,
                                                                                "fail"))
                         for partner in (A, B, C)])
        status, out, err = self.cli("races")
        self.assertEqual((0, ""), (status, err))
        self.assertEqual("the 1 failed test of run 2 of .testrepository failed in every run that ran it (3 runs), "
                         "whatever ran beside it: a deterministic failure, not a race; fix it as an ordinary "
                         "failure\n", out)
        status, out, err = self.cli("races", "--format", "json")
        self.assertEqual({"format_version": 1, "suspects": [], "deterministic": [{"test": f"{D}.test_1", "runs": 3}]},
                         json.loads(out))
        status, out, err = self.cli("races", "--format", "config")
        self.assertEqual((0, ""), (status, out))
        self.assertIn("a deterministic failure, not a race", err)

    def test_failures_left_out_for_both_reasons_are_said_in_one_line(self) -> None:
        self.repository([run(rec(f"{partner}.test_1", "worker-0", 0.0, 1.0), rec(f"{D}.test_1", "worker-1", 0.0, 1.0,
                                                                                "fail"),
                             rec(f"{E}.test_1", "worker-1", 1.0, 2.0, "fail" if partner == C else "success"))
                         for partner in (A, B, C)])
        (self.dir / "ser.subunit").write_bytes(stream([rec(f"{E}.test_1", None, 0, 1, "fail")]))
        status, out, _ = self.cli("races", "--serial", "ser.subunit")
        self.assertEqual(0, status)
        self.assertEqual("all 2 failed tests of run 2 of .testrepository are no races: 1 also failed in ser.subunit, 1 "
                         "failed in every run that ran it (3 runs), whatever ran beside it; fix them as ordinary "
                         "failures\n", out)

    def test_a_run_where_everything_failed_is_no_race(self) -> None:
        everything = run(*(rec(f"pkg.m.K{i}Test.test_1", f"worker-{i % 4}", 0.0, 1.0, "fail") for i in range(8)),
                         rec("pkg.m.OkTest.test_1", "worker-0", 1.0, 2.0))
        self.repository([everything])
        status, out, _ = self.cli("races")
        self.assertEqual(0, status)
        self.assertEqual("8 of the 9 classes of run 0 of .testrepository failed: when (nearly) everything fails it "
                         "is no race but something that broke the whole run (configuration, credentials, a service "
                         "down); fix that and run the tests again; no rule suggested\n", out)
        status, out, err = self.cli("races", "--format", "config")
        self.assertEqual((0, ""), (status, out))
        self.assertIn("no rule suggested", err)
        _, out, _ = self.cli("races", "--format", "json")
        self.assertEqual({"format_version": 1, "suspects": [], "broken": {"failed_classes": 8, "classes": 9}},
                         json.loads(out))

    def test_a_configured_pair_the_evidence_no_longer_supports_is_doubtful(self) -> None:
        # race1 pairs A with C, but A keeps failing beside B, and in run 4 it failed while race1 kept C with it
        kept = run(rec(f"{A}.test_1", "worker-0", 0.0, 1.0, "fail"), rec(f"{A}.test_2", "worker-0", 1.0, 2.0, "fail"),
                   rec(f"{C}.test_1", "worker-0", 2.0, 3.0), rec(f"{B}.test_1", "worker-1", 0.5, 1.5))
        self.repository([*racing_runs(), kept])
        (self.dir / ".testr.conf").write_text("[DEFAULT]\ntest_command=true\n[partitioner]\nresources =\n"
                                               "    race1: ^(?:pkg\\.mod_a\\.ATest|pkg\\.mod_c\\.CTest)\\.\n")
        _, out, _ = self.cli("races")
        self.assertIn("doubtful configured resources (the evidence no longer supports them):\n"
                      f"  race1 ({A} with {C}): {A} or {C} failed in run 4 although race1 kept them on one worker; "
                      "to drop it, delete the line `race1: ^(?:pkg\\.mod_a\\.ATest|pkg\\.mod_c\\.CTest)\\.` under "
                      f"resources in [partitioner] in {self.dir / '.testr.conf'}\n", out)
        _, out, _ = self.cli("races", "--format", "json")
        (doubt,) = json.loads(out)["doubtful"]
        self.assertEqual(("race1", [A, C]), (doubt["resource"], doubt["classes"]))
        _, out, _ = self.cli("races", "--format", "config")
        self.assertIn("    # doubtful: pkg.mod_a.ATest or pkg.mod_c.CTest failed in run 4 although race1 kept them on "
                      "one worker; delete the next line to drop it\n    race1: ", out)
        self.assertIn("    race2: ^(?:pkg\\.mod_a\\.ATest|pkg\\.mod_b\\.BTest)\\.", out)

    def test_an_empty_repository_is_not_called_damaged(self) -> None:
        repo = self.repository([])
        status, _, err = self.cli("races")
        self.assertEqual((1, f"partitioner: error: .testrepository in {self.dir} holds no runs yet; run the tests "
                             "in parallel first (testr run --parallel)\n"), (status, err))
        (repo / "0").write_bytes(b"")  # a run that reported nothing
        status, _, err = self.cli("races")
        self.assertEqual(1, status)
        self.assertIn("holds only 1 empty run yet", err)
        self.assertNotIn("damaged", err)

    def test_confirm_options_need_confirm(self) -> None:
        self.repository(racing_runs())
        status, _, err = self.cli("races", "--budget", "5m", "--tries", "2")
        self.assertEqual(2, status)
        self.assertIn("--budget and --tries only apply with --confirm; add --confirm or leave them out", err)
        status, _, err = self.cli("races", "--confirm", "--budget", "soon")
        self.assertEqual(2, status)
        self.assertIn("expected a duration such as 90, 90s, 10m, 1h30m or 2d, got 'soon'", err)


class TestInto(RepositoryCase):
    def test_rules_merge_into_the_config_twice_without_a_second_section(self) -> None:
        self.repository(racing_runs())
        conf = self.dir / ".testr.conf"
        conf.write_text("[DEFAULT]\ntest_command=true\n")
        status, out, err = self.cli("races", "2", "--format", "config", "--into")
        self.assertEqual(0, status, err)
        self.assertIn(f"partitioner: merged 1 new rule into the [partitioner] resources of {conf}\n", err)
        self.assertIn("    race1: ^(?:pkg\\.mod_a\\.ATest|pkg\\.mod_b\\.BTest)\\.", out)
        first = conf.read_text()
        self.assertEqual(1, first.count("[partitioner]"))
        status, _, err = self.cli("races", "0", "--format", "config", "--into", str(conf))
        self.assertEqual(0, status, err)
        text = conf.read_text()
        self.assertEqual(1, text.count("[partitioner]"))
        parser = configparser.ConfigParser(interpolation=None)  # as strict as testr's and stestr's
        parser.read_string(text)
        self.assertEqual(["race1"], [r.name for r in load_settings(self.dir).resources])  # the same pair, once

    def test_a_second_merge_from_the_project_directory_finds_the_file_the_first_wrote(self) -> None:
        # with `-C .` (the default) --into named the file relative and the settings absolute: once the first merge
        # had put resources in it, the second refused it as a file "--into cannot edit" (the docs' loop, CI)
        self.repository(racing_runs())
        conf = self.dir / ".testr.conf"
        conf.write_text("[DEFAULT]\ntest_command=true\n")
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(self.dir)
        for which in ("2", "0"):
            status, _, err = super(RepositoryCase, self).cli("races", which, "--format", "config", "--into")
            self.assertEqual(0, status, err)
        self.assertEqual(1, conf.read_text().count("[partitioner]"))

    def test_into_needs_the_config_format_and_an_ini_file(self) -> None:
        self.repository(racing_runs())
        self.assertOneLineError(["races", "--into", "-C", str(self.dir)], 2,
                                "--into only applies with --format config")
        (self.dir / "pyproject.toml").write_text("[tool.partitioner]\nresources = ['db: x']\n")
        self.assertOneLineError(["races", "2", "--format", "config", "--into", "-C", str(self.dir)], 2,
                                "which --into cannot edit; pass --into FILE")

    def test_a_pair_configured_already_is_not_written_again(self) -> None:
        self.repository(racing_runs())
        (self.dir / ".testr.conf").write_text("[DEFAULT]\ntest_command=true\n[partitioner]\nresources =\n"
                                               "    race1: ^(?:pkg\\.mod_a\\.ATest|pkg\\.mod_b\\.BTest)\\.\n")
        status, out, err = self.cli("races", "2", "--format", "config")
        self.assertEqual((0, ""), (status, out))
        self.assertIn("every pair suggested is configured already: nothing to add", err)


RACING_SUITE = '''
import os, time, unittest


class Racing:
    """Holds race.lock (in the working directory) from setUpClass to tearDownClass; fails if another class has it."""

    @classmethod
    def setUpClass(cls):
        try:
            os.close(os.open("race.lock", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            cls.held = True
        except FileExistsError:
            cls.held = False

    @classmethod
    def tearDownClass(cls):
        if cls.held:
            os.unlink("race.lock")

    def test_1(self):
        time.sleep(0.4)
        self.assertTrue(self.held, "another class held race.lock")


class ATest(Racing, unittest.TestCase):
    pass


class BTest(Racing, unittest.TestCase):
    pass


class CTest(unittest.TestCase):
    def test_1(self):
        time.sleep(0.2)
'''


class TestConfirm(RepositoryCase):
    """--confirm with real python-subunit workers: A and B race for a lock file, C is a bystander; the one stored
    run ties B with C."""

    def setUp(self) -> None:
        super().setUp()
        (self.dir / "pkg").mkdir()
        (self.dir / "pkg" / "__init__.py").write_text("")
        (self.dir / "pkg" / "test_x.py").write_text(RACING_SUITE)
        (self.dir / ".testr.conf").write_text(
            "[DEFAULT]\ntest_command=${PYTHON:-python} -m subunit.run discover -t . ./pkg $LISTOPT $IDOPTION\n"
            "test_id_option=--load-list $IDFILE\ntest_list_option=--list\n")
        self.useFixture(fixtures.EnvironmentVariable("PYTHON", sys.executable))
        a, b, c = "pkg.test_x.ATest", "pkg.test_x.BTest", "pkg.test_x.CTest"
        self.a, self.b, self.c = a, b, c
        self.repo = self.repository([run(rec(f"{a}.test_1", "worker-0", 0.0, 1.0, "fail"),
                                         rec(f"{c}.test_1", "worker-1", 0.0, 1.0),
                                         rec(f"{b}.test_1", "worker-2", 0.0, 1.0))])

    def test_confirm_names_the_partner_that_reproduces_and_writes_only_its_rule(self) -> None:
        before = tree_snapshot(self.repo)
        status, out, err = self.cli("races", "--confirm")
        self.assertEqual(0, status, err)
        self.assertIn(f"  confirmed partner {self.b}: a failure in 1 of 1 try beside it (alone it passed 2 of 2 runs)",
                      out)
        self.assertIn(f"  not reproduced beside {self.c} (0 of 1 try)", out)
        self.assertIn(f"  rule: keep {self.b} with it on one worker (confirmed)", out)
        self.assertRegex(out, r"--confirm: \d+ trials in [\d.]+s \(budget 10m\)")
        self.assertIn("partitioner: --confirm: trial 1: ATest alone: nothing failed", err)
        status, out, err = self.cli("races", "--confirm", "--format", "json")
        (suspect,) = json.loads(out)["suspects"]
        self.assertEqual(("confirmed", [{"test": self.b, "reproduced": 1, "tries": 1},
                                        {"test": self.c, "reproduced": 0, "tries": 1}], [self.a, self.b]),
                         (suspect["confirm"]["verdict"], sorted(suspect["confirm"]["tried"], key=lambda t: t["test"]),
                          suspect["rule"]))
        status, out, err = self.cli("races", "--confirm", "--format", "config")
        self.assertEqual(0, status, err)
        self.assertIn(f"    # {self.a}.test_1 with {self.b}: confirmed, reproduced in 1 of 1 try\n"
                      "    race1: ^(?:pkg\\.test_x\\.ATest|pkg\\.test_x\\.BTest)\\.\n", out)
        self.assertNotIn("CTest", out)
        self.assertEqual(before, tree_snapshot(self.repo))  # the trials stored nothing
        self.assertFalse((self.dir / "race.lock").exists())

    def test_a_budget_too_small_says_what_was_not_tried(self) -> None:
        status, out, err = self.cli("races", "--confirm", "--budget", "0.1s", "--format", "config")
        self.assertEqual(0, status, err)
        self.assertIn("    # not confirmed (--confirm did not try it: the budget (0.1s) ran out): uncomment the next "
                      "line to keep it anyway\n    # race1: ", out)
        _, out, _ = self.cli("races", "--confirm", "--budget", "0.1s")
        self.assertIn(f"  not tried (the budget (0.1s) ran out): {self.b}, {self.c}", out)


class TestOrderSplitPerTest(OrderCase):
    """``--order`` on a suite split per test (no group_regex, as its .stestr.conf): AVictimTest's two tests ran on
    two workers and failed on both; each worker is a test process of its own, judged on its own (they were taken as
    one failure on the first worker, whatever ran on the second)."""

    def setUp(self) -> None:
        super().setUp()
        split = run(*order_lane("worker-0", [(ONE, ["test_1", "test_2"], "success"),
                                             (Z, ["test_a", "test_b"], "success"), (V, ["test_one"], "fail")]),
                    *order_lane("worker-1", [(THREE, ["test_1"], "success"), (Z, ["test_c"], "success"),
                                             (V, ["test_two"], "fail")]))
        (self.repo / "2").write_bytes(stream(list(split.records)))
        (self.repo / "next-stream").write_text("3\n")

    def test_each_worker_it_failed_on_is_one_suspect(self) -> None:
        status, out, err = self.cli("races", "--order")
        self.assertEqual((0, ""), (status, err))
        self.assertIn("run 2 of .stestr: 2 failed tests in 1 class; what ran before each in its test process", out)
        self.assertIn(f"{V}  (class, 1 failed test on worker-0; it failed on 2 workers, each judged on its own)\n"
                      f"  on worker-0 after 4 tests of 2 classes\n", out)
        self.assertIn(f"{V}  (class, 1 failed test on worker-1; it failed on 2 workers, each judged on its own)\n"
                      f"  on worker-1 after 2 tests of 2 classes\n", out)

    def test_confirm_replays_and_bisects_each_worker(self) -> None:
        status, out, err = self.cli("races", "--order", "--confirm", "--tries", "1", "--format", "json")
        self.assertEqual(0, status, err)
        found = {(e["worker"], tuple(e["failed"])): e["bisect"] for e in json.loads(out)["order"]}
        self.assertEqual({("worker-0", (f"{V}.test_one",)), ("worker-1", (f"{V}.test_two",))}, set(found))
        polluted = found["worker-0", (f"{V}.test_one",)]
        self.assertEqual(("order-dependent", [f"{Z}.test_b"]), (polluted["verdict"], polluted["polluters"]))
        # on worker-1 nothing that pollutes ran before it: its replay passes there
        clean = found["worker-1", (f"{V}.test_two",)]
        self.assertEqual(("not reproduced", {"failures": 0, "runs": 2}), (clean["verdict"], clean["replayed"]))
