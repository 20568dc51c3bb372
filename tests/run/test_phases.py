"""Tests for partitioner.run.phases (through the runner): merging, tagging, and never losing a test."""

from __future__ import annotations

import io
import signal
import sys
from collections.abc import Sequence

import fixtures

from partitioner.run import InnerCommand, Interrupt, Shares, run_phases
from tests.run.harness import Events, RunnerTestCase


class TestMerging(RunnerTestCase):
    def test_all_pass_tags_each_worker_and_exits_0(self) -> None:
        ids = [f"t{n}.ok" for n in range(5)]
        status, events, err = self.run_ids(ids)
        self.assertEqual(0, status, err)
        self.assertAccounted(events, ids)
        self.assertEqual(sorted(ids), sorted(events.final_ids()))
        self.assertEqual({"worker-0", "keep"}, events.tags("t0.ok"))
        self.assertEqual({"worker-1", "keep"}, events.tags("t1.ok"))
        self.assertEqual({"1"}, {e[9] for e in events.events if e[1] == "t1.ok" and e[2] != "exists"})

    def test_a_failing_test_exits_1(self) -> None:
        status, events, _ = self.run_ids(["a.ok", "b.fail", "c.ok"])
        self.assertEqual(1, status)
        self.assertEqual(["fail"], events.finals("b.fail"))

    def test_garbage_on_stdout_becomes_an_attachment_and_the_stream_stays_valid(self) -> None:
        ids = ["a.garbage", "b.ok", "c.ok", "d.ok"]
        status, events, err = self.run_ids(ids)
        self.assertEqual(0, status, err)
        self.assertAccounted(events, ids)
        self.assertNotIn("subunit.parser", {e[1] for e in events.events})
        self.assertIn(b"not subunit \xff garbage", events.attachment(None, "stdout"))
        self.assertIn("worker-0", set().union(*(e[3] for e in events.events if e[5] == "stdout")))

    def test_ids_outside_the_share_pass_through(self) -> None:
        status, events, _ = self.run_ids(["a.extra", "b.ok"])
        self.assertEqual(0, status)
        self.assertEqual(["success"], events.finals("unplanned.ok"))
        self.assertIn("worker-0", events.tags("unplanned.ok"))

    def test_non_zero_exit_after_every_test_reported_exits_1(self) -> None:
        self.useFixture(fixtures.EnvironmentVariable("FAKE_EXIT", "4"))
        status, events, err = self.run_ids(["a.ok", "b.ok"])
        self.assertEqual(1, status)
        self.assertAccounted(events, ["a.ok", "b.ok"])
        self.assertIn("worker-0 exited with status 4 after all its tests reported", err)

    def test_serial_phase_runs_after_the_parallel_one_as_worker_0(self) -> None:
        def planner(test_ids: Sequence[str], concurrency: int, **_: object) -> Shares:
            return Shares((("a.ok", "b.ok"), ("c.ok",)), serial=("s.ok",), warnings=("careful",))

        status, out, err = self.main("--load-list", self.load_list(["a.ok", "b.ok", "c.ok", "s.ok"]),
                                     planner=planner)
        events = Events(out)
        self.assertEqual(0, status, err)
        self.assertIn("partitioner.run: warning: careful", err)
        self.assertEqual({"worker-0", "keep"}, events.tags("s.ok"))
        order = [e[1] for e in events.events if e[1] is not None and e[2] != "exists"]
        self.assertGreater(order.index("s.ok"), max(len(order) - 1 - order[::-1].index(t)
                                                    for t in ("a.ok", "b.ok", "c.ok")))


class TestNeverLoseATest(RunnerTestCase):
    def assertUnreported(self, events: Events, test_id: str, *words: str, started: bool = True) -> None:
        """``test_id`` failed with a reason naming ``words``: one it never reported a result of when it started,
        else ``not run: ...`` (its worker never reached it)."""
        statuses = [e[2] for e in events.events if e[1] == test_id and e[2] not in (None, "exists")]
        self.assertEqual("inprogress", statuses[0])
        self.assertEqual("fail", statuses[-1])
        reason = events.attachment(test_id, "reason").decode()
        for word in ("never reported" if started else "never started this test", *words):
            self.assertIn(word, reason)
        self.assertEqual(not started, reason.startswith("not run: "), reason)

    def test_crash_halfway_fails_the_rest_of_the_share(self) -> None:
        ids = ["a.ok", "b.ok", "c.crash", "d.ok", "e.ok", "f.ok"]
        status, events, err = self.run_ids(ids)
        self.assertEqual(1, status)
        self.assertAccounted(events, ids)
        self.assertEqual(["success"], events.finals("a.ok"))
        self.assertEqual(["success"], events.finals("d.ok"))  # worker-1's share is unaffected
        self.assertUnreported(events, "c.crash", "worker-0", "exited with status 3")
        # it never reached e.ok: a test that did not run (history and races leave it out, its time is kept)
        self.assertUnreported(events, "e.ok", "worker-0 exited with status 3", started=False)
        for test_id in ("c.crash", "e.ok"):
            self.assertIn("worker-0", events.tags(test_id))
        self.assertIn("partitioner.run: worker-0 exited with status 3; 2 of its 3 tests never reported", err)

    def test_sigkill_is_named_in_the_reason(self) -> None:
        ids = ["a.ok", "b.sigkill", "c.ok", "d.ok"]
        status, events, err = self.run_ids(ids)
        self.assertEqual(1, status)
        self.assertAccounted(events, ids)
        self.assertUnreported(events, "b.sigkill", "worker-1", "SIGKILL")
        self.assertUnreported(events, "d.ok", "worker-1", "SIGKILL", started=False)
        self.assertIn("worker-1 was killed by SIGKILL (signal 9); 2 of its 2 tests never reported and are recorded "
                      "as failures", err)

    def test_one_test_is_said_in_the_singular(self) -> None:
        status, _, err = self.run_ids(["a.ok", "b.sigkill"])
        self.assertEqual(1, status)
        self.assertIn("worker-1 was killed by SIGKILL (signal 9); its test never reported and is recorded as a "
                      "failure", err)

    def test_worker_exiting_without_output(self) -> None:
        for exit_status in ("0", "2"):
            self.useFixture(fixtures.EnvironmentVariable("FAKE_SILENT_STATUS", exit_status))
            ids = ["a.silent", "b.ok", "c.ok"]
            status, events, err = self.run_ids(ids)
            self.assertEqual(1, status, err)
            self.assertAccounted(events, ids)
            self.assertUnreported(events, "a.silent", f"exited with status {exit_status}", started=False)
            self.assertUnreported(events, "c.ok", "worker-0", started=False)
            self.assertEqual(["success"], events.finals("b.ok"))

    def test_unstartable_inner_command_is_an_error(self) -> None:
        status, _, err = self.main("--quiet", "--load-list", self.load_list(["a.ok"]),
                                   inner=[str(self.dir / "missing-runner")])
        self.assertEqual(1, status)
        self.assertEqual(1, len(err.splitlines()))
        self.assertIn("cannot start the inner command", err)

    def test_a_signal_before_a_phase_starts_fails_its_tests_as_never_started(self) -> None:
        interrupt = Interrupt()
        interrupt.signum = signal.SIGINT
        out, err = io.BytesIO(), io.StringIO()
        outcome = run_phases([[["a.ok"], ["b.ok"]], [["s.ok"]]], InnerCommand(tuple(self.inner)),
                             out, err, interrupt=interrupt)
        events = Events(out.getvalue())
        self.assertEqual(130, outcome.exit_code)
        self.assertAccounted(events, ["a.ok", "b.ok", "s.ok"])
        self.assertIn("worker-0 was never started", events.attachment("s.ok", "reason").decode())
        self.assertEqual(["a.ok", "b.ok", "s.ok"], outcome.unreported)


SCENARIOS = '''
import unittest

import testscenarios


class S(testscenarios.WithScenarios, unittest.TestCase):
    scenarios = [("one", {"n": 1}), ("two", {"n": 2})]

    def test_n(self):
        self.assertIn(self.n, (1, 2))


class P(unittest.TestCase):
    def test_plain(self):
        pass
'''


class TestScenarios(RunnerTestCase):
    """A listed id that runs as scenarios (testscenarios.WithScenarios) reports id(scenario) ids: it ran."""

    def test_static_and_dynamic_count_scenario_results_for_the_listed_id(self) -> None:
        from tests.dispatch.helpers import write_package

        write_package(self.dir, {"test_s": SCENARIOS})
        inner = [sys.executable, "-m", "subunit.run", "discover", "-t", str(self.dir), str(self.dir / "pkg")]
        for mode in ("static", "dynamic"):
            with self.subTest(mode):
                status, out, err = self.main("--dispatch", mode, "-j", "2", inner=inner)
                self.assertEqual(0, status, err)
                events = Events(out)
                self.assertEqual(["success", "success", "success"],
                                 [events.finals(t)[0] for t in ("pkg.test_s.S.test_n(one)", "pkg.test_s.S.test_n(two)",
                                                                "pkg.test_s.P.test_plain")])
                self.assertEqual([], events.finals("pkg.test_s.S.test_n"), "no failure made up for the listed id")

    def test_a_scenario_whose_test_process_dies_fails_by_its_own_id(self) -> None:
        # the first scenario passes, so the listed id already counts as run; the second kills its process
        from tests.dispatch.helpers import write_package

        write_package(self.dir, {"test_s": SCENARIOS.replace("self.assertIn(self.n, (1, 2))",
                                                             "if self.n == 2:\n            os._exit(3)")
                                 .replace("import unittest", "import os\nimport unittest")})
        inner = [sys.executable, "-m", "subunit.run", "discover", "-t", str(self.dir), str(self.dir / "pkg")]
        for mode in ("static", "dynamic"):
            with self.subTest(mode):
                status, out, err = self.main("--dispatch", mode, "-j", "2", inner=inner)
                self.assertEqual(1, status, err)
                events = Events(out)
                self.assertEqual(["success"], events.finals("pkg.test_s.S.test_n(one)"))
                self.assertEqual(["fail"], events.finals("pkg.test_s.S.test_n(two)"), err)
                self.assertIn("exited with status 3", events.attachment("pkg.test_s.S.test_n(two)", "reason").decode())
                self.assertEqual([], events.finals("pkg.test_s.S.test_n"), "no failure made up for the listed id")
                self.assertEqual(["success"], events.finals("pkg.test_s.P.test_plain"))
