"""Tests for partitioner.run.cli: the command line, listing, defaults, and one-line errors."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence

import fixtures

from partitioner.history.model import NO_RUNS_YET
from partitioner.run import Shares, complete, default_planner
from tests.run.harness import Events, RunnerTestCase


class TestCommandLine(RunnerTestCase):
    def test_list_passes_the_listing_through_with_its_status(self) -> None:
        self.useFixture(fixtures.EnvironmentVariable("FAKE_IDS", "x.ok y.ok"))
        expected = subprocess.run([*self.inner, "--list"], capture_output=True, check=True).stdout
        status, out, _ = self.main("--list")
        self.assertEqual((0, expected), (status, out))
        self.useFixture(fixtures.EnvironmentVariable("FAKE_LIST_STATUS", "5"))
        self.assertEqual(5, self.main("--list")[0])

    def test_without_load_list_every_listed_test_runs(self) -> None:
        self.useFixture(fixtures.EnvironmentVariable("FAKE_IDS", "x.ok y.ok z.fail"))
        status, out, _ = self.main("--concurrency", "3")
        events = Events(out)
        self.assertEqual(1, status)
        self.assertEqual(["x.ok", "y.ok", "z.fail"], sorted(events.final_ids()))
        self.assertEqual({"worker-2", "keep"}, events.tags("z.fail"))

    def test_concurrency_defaults_to_the_config_files(self) -> None:
        (self.dir / ".testr.conf").write_text("[partitioner]\nconcurrency = 3\n")
        status, out, _ = self.main("--load-list", self.load_list(["a.ok", "b.ok", "c.ok", "d.ok"]))
        self.assertEqual(0, status)
        self.assertEqual({"worker-2", "keep"}, Events(out).tags("c.ok"))

    def test_failed_listing_is_one_error_line(self) -> None:
        self.useFixture(fixtures.EnvironmentVariable("FAKE_LIST_STATUS", "3"))
        status, out, err = self.main()
        self.assertEqual((1, b""), (status, out))
        self.assertRegex(err, r"^partitioner.run: error: listing the tests with .* failed: it exited with status 3")

    def test_empty_id_list_runs_nothing(self) -> None:
        status, out, err = self.main("--load-list", self.load_list([]))
        self.assertEqual((0, b""), (status, out))
        self.assertIn("note:", err)
        self.useFixture(fixtures.EnvironmentVariable("FAKE_IDS", ""))
        self.assertEqual((0, b""), self.main()[:2])

    def test_pseudo_tests_are_not_run_but_skipped_so_testr_drops_them_from_failing(self) -> None:
        # testr's --failing passes them back: process-returncode (a past exit status) and subunit.parser
        # (python-subunit's name for unreadable output); a partial run that reports an id other than failed
        # takes it out of testr's failing list
        status, events, err = self.run_ids(["process-returncode", "subunit.parser", "a.ok"])
        self.assertEqual(0, status)
        self.assertEqual(["process-returncode", "subunit.parser", "a.ok"], events.final_ids())
        self.assertIn("not running process-returncode, subunit.parser", err)
        for pseudo in ("process-returncode", "subunit.parser"):
            self.assertEqual(["skip"], events.finals(pseudo))
            self.assertIn(b"not a test", events.attachment(pseudo, "reason"))
        status, events, _ = self.run_ids(["process-returncode"])
        self.assertEqual((0, ["process-returncode"]), (status, events.final_ids()))

    def test_a_command_no_pull_worker_can_stand_in_for_runs_static_and_says_so_once(self) -> None:
        ids = self.load_list(["a.ok", "b.ok"])
        status, out, err = self.main("--load-list", ids)
        self.assertEqual(0, status)
        self.assertEqual(1, err.count("dynamic dispatch needs"), err)
        self.assertEqual(["a.ok", "b.ok"], sorted(Events(out).final_ids()))
        for quiet in (("--dispatch", "static"), ("--quiet",)):
            self.assertNotIn("note:", self.main("--load-list", ids, *quiet)[2])
        (self.dir / ".testr.conf").write_text("[partitioner]\ndispatch = dynamic\n")
        self.assertIn("(asked for by [partitioner] in", self.main("--load-list", ids)[2])
        (self.dir / ".testr.conf").write_text("[partitioner]\ndispatch = static\n")
        self.assertNotIn("note:", self.main("--load-list", ids)[2])

    def test_a_bad_dispatch_option_is_one_line(self) -> None:
        (self.dir / ".testr.conf").write_text("[partitioner]\ndispatch = sideways\n")
        status, out, err = self.main("--load-list", self.load_list(["a.ok"]))
        self.assertEqual((1, b""), (status, out))
        self.assertEqual(1, len(err.splitlines()), err)
        self.assertIn("dispatch must be one of dynamic, static, got 'sideways'", err)
        status, _, err = self.main("--dispatch", "sideways", "--load-list", self.load_list(["a.ok"]))
        self.assertEqual(2, status)
        self.assertIn("invalid choice", err)

    def test_concurrency_is_capped_at_the_number_of_tests(self) -> None:
        # issue 10 item 3: -j 10000000 once took 2.3 GB and 48 s to answer SIGTERM
        started = time.monotonic()
        status, out, err = self.main("-j", "10000000", "--load-list", self.load_list(["a.ok", "b.ok", "c.ok"]),
                                     planner=default_planner)
        self.assertLess(time.monotonic() - started, 30)
        self.assertEqual(0, status, err)
        self.assertIn("10000000 workers asked for (--concurrency), but there are only 3 tests: running 3", err)
        self.assertEqual({"worker-0", "worker-1", "worker-2"},
                         {t for e in Events(out).events for t in e[3] or () if t.startswith("worker-")})
        (self.dir / ".testr.conf").write_text("[partitioner]\nconcurrency = 99999999999999999999\n")
        status, _, err = self.main("--load-list", self.load_list(["a.ok"]), planner=default_planner)
        self.assertEqual(0, status, err)
        self.assertIn("but there are only 1 tests", err)

    def test_bad_input_is_one_line_with_the_right_status(self) -> None:
        cases: list[tuple[tuple[str, ...], list[str] | None, int, str]] = [
            ((), [], 2, "no inner test command"),
            (("--concurrency", "0"), None, 2, "whole number >= 1"),
            (("--concurrency", "many"), None, 2, "whole number"),
            (("--load-list", str(self.dir / "nope.list")), None, 1, "cannot read the --load-list file"),
            (("--id-option=--load-list",), None, 2, "{file}"),
            (("--bogus",), None, 2, "unrecognized arguments"),
        ]
        for argv, inner, expected, words in cases:
            status, out, err = self.main(*argv, inner=inner)
            self.assertEqual(expected, status, err)
            self.assertEqual(b"", out)
            self.assertEqual(1, len(err.splitlines()), err)
            self.assertTrue(err.startswith("partitioner.run: error: "), err)
            self.assertIn(words, err)

    def test_a_path_with_a_newline_keeps_every_message_on_one_line(self) -> None:
        missing = self.dir / "new\nline" / "ids.list"
        status, out, err = self.main("--load-list", str(missing))
        self.assertEqual((1, b""), (status, out))
        self.assertEqual(1, len(err.splitlines()), err)
        self.assertTrue(err.startswith("partitioner.run: error: cannot read the --load-list file"), err)
        self.assertIn("new\\nline", err)  # shown escaped
        empty = self.dir / "empty\nids.list"
        empty.write_text("")
        status, out, err = self.main("--load-list", str(empty))
        self.assertEqual(0, status, err)
        self.assertEqual(["partitioner.run: note: the --load-list file " + str(empty).replace("\n", "\\n") +
                          " has no test ids: nothing to run"], err.splitlines())

    def test_help_documents_every_option(self) -> None:
        proc = subprocess.run([sys.executable, "-m", "partitioner.run", "--help"], capture_output=True,
                              text=True, check=False)
        self.assertEqual(0, proc.returncode)
        for option in ("--concurrency", "--list", "--load-list", "--id-option", "--list-option", "--history",
                       "--group-by", "--strategy", "130"):
            self.assertIn(option, proc.stdout)

    def test_missing_inner_command_from_a_real_process(self) -> None:
        proc = subprocess.run([sys.executable, "-m", "partitioner.run", "--list"], capture_output=True,
                              text=True, check=False)
        self.assertEqual(2, proc.returncode)
        self.assertEqual(1, len(proc.stderr.splitlines()), proc.stderr)

    def test_a_first_run_s_empty_repository_is_a_note_not_a_warning(self) -> None:
        def planner(test_ids: Sequence[str], concurrency: int, **_: object) -> Shares:
            return Shares((tuple(test_ids),), warnings=(f".testrepository: {NO_RUNS_YET}", "something off"))

        status, _, err = self.main("--load-list", self.load_list(["a.ok"]), "--dispatch", "static", planner=planner)
        self.assertEqual(0, status, err)
        self.assertIn(f"partitioner.run: note: .testrepository: {NO_RUNS_YET}\n", err)
        self.assertIn("partitioner.run: warning: something off\n", err)

    def test_plan_that_drops_or_repeats_ids_is_repaired(self) -> None:
        partition = Shares((("a", "b"), ("b",)), serial=("a",))
        shares, serial, notes = complete(partition, ["a", "b", "c"])
        self.assertEqual([["a", "b", "c"], []], shares)
        self.assertEqual([], serial)
        self.assertEqual(3, len(notes))


class TestShards(RunnerTestCase):
    """python -m partitioner.run --shard K/M [--plan FILE]: this job's share of the listed tests."""

    IDS = [f"m.C{c}.t{t}.ok" for c in range(6) for t in range(2)]

    def test_the_jobs_together_run_every_test_once(self) -> None:
        self.useFixture(fixtures.EnvironmentVariable("FAKE_IDS", " ".join(self.IDS)))
        ran: list[str] = []
        for k in (1, 2, 3):
            status, out, err = self.main("--shard", f"{k}/3", "--concurrency", "2")
            self.assertEqual(0, status, err)
            self.assertIn(f"note: shard {k}/3 of split ", err)
            ran.extend(Events(out).final_ids())
        self.assertEqual(sorted(self.IDS), sorted(ran))

    def test_an_empty_shard_runs_nothing_and_a_plan_file_needs_a_shard(self) -> None:
        self.useFixture(fixtures.EnvironmentVariable("FAKE_IDS", " ".join(self.IDS[:2])))
        status, out, err = self.main("--shard", "3/3")
        self.assertEqual((0, b""), (status, out), err)
        self.assertIn("nothing to run", err)
        status, out, err = self.main("--plan", "plan.json")
        self.assertEqual((2, b""), (status, out))
        self.assertIn("--plan FILE needs --shard K", err)
