"""``stestr run --failing`` (and ``testr run --failing``) after a testscenarios scenario failed, with the real tools.

A class with ``testscenarios.WithScenarios`` lists one id (``pkg.test_s.S.test_a``) and reports one result per
scenario (``pkg.test_s.S.test_a(thread)``); a module with ``load_tests_apply_scenarios`` lists the scenarios as
tests of their own (``pkg.test_l.L.test_a(thread)``). The failing list holds the ids as the run reported them. Before,
``partitioner exec`` failed ``S.test_a(thread)`` on every rerun ("no test with this id" from the pull worker, "never
reported a result" from the account under a static plan, where the tool's runner found no such id), so the failing
list could never be cleared; plain stestr runs nothing ("The test run didn't actually run any tests").
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import fixtures
import testtools

from tests.dispatch.helpers import Events, read_events, write_package
from tests.suites import tool, tool_env

#: ``(thread)`` fails until ``<root>/fixed`` exists, in both kinds of scenario test
SUITES = {
    "test_s": '''
import os
import unittest

import testscenarios

FIXED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixed")


class S(testscenarios.WithScenarios, unittest.TestCase):
    scenarios = [("green", {"bad": False}), ("thread", {"bad": True})]

    def test_a(self):
        self.assertFalse(self.bad and not os.path.exists(FIXED), "thread broke")

    def test_b(self):
        pass


class P(unittest.TestCase):
    def test_plain(self):
        pass
''',
    "test_l": '''
import os
import unittest

import testscenarios

FIXED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixed")

load_tests = testscenarios.load_tests_apply_scenarios


class L(unittest.TestCase):
    scenarios = [("green", {"bad": False}), ("thread", {"bad": True})]

    def test_a(self):
        self.assertFalse(self.bad and not os.path.exists(FIXED), "thread broke")
''',
}

S_A, L_A = "pkg.test_s.S.test_a", "pkg.test_l.L.test_a"
FAILING = sorted([f"{S_A}(thread)", f"{L_A}(thread)"])
#: what a rerun of FAILING runs: the WithScenarios test whole, the load_tests scenario as it is
RERUN = {f"{S_A}(green)", f"{S_A}(thread)", f"{L_A}(thread)"}

TESTR_CONF = """[DEFAULT]
test_command={command} $LISTOPT $IDOPTION{after}
test_id_option=--load-list $IDFILE
test_list_option=--list
"""
SUBUNIT_RUN = "${PYTHON:-python} -m subunit.run discover -t ./ ./pkg"


class ScenarioRerunCase(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.root = Path(self.useFixture(fixtures.TempDir()).path)
        write_package(self.root, SUITES)
        (self.root / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./pkg\ntop_dir=./\n")
        self.env = tool_env(PARTITIONER_CACHE_DIR=self.useFixture(fixtures.TempDir()).path)

    def run_tool(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, cwd=self.root, env=self.env, capture_output=True, text=True, check=False,
                              timeout=180, stdin=subprocess.DEVNULL)

    def last(self, program: str) -> Events:
        out = subprocess.run([tool(program), "last", "--subunit"], cwd=self.root, env=self.env, capture_output=True,
                             check=False, timeout=60)
        return read_events(out.stdout)

    def failing(self, program: str) -> list[str]:
        listed = self.run_tool(tool(program), "failing", "--list").stdout.split()
        return sorted(t for t in listed if t != "process-returncode")

    def finals(self, program: str) -> dict[str, list[str]]:
        return {t: s for t, s in self.last(program).finals().items() if t != "process-returncode"}

    def check_reruns(self, program: str, *run: str) -> None:
        """A full run, then two reruns of its failures: the first fails as before, the second (fixed) clears them."""
        first = self.run_tool(*run)
        self.assertEqual(FAILING, self.failing(program), first.stderr[-3000:])
        again = self.run_tool(*run, "--failing")
        self.assertEqual(1, again.returncode, again.stderr[-3000:])
        for wrong in ("never reported", "no test with this id", "/partitioner/"):  # no frame of ours
            self.assertNotIn(wrong, again.stdout + again.stderr)
        expected = {t: ["fail" if t.endswith("(thread)") else "success"] for t in RERUN}
        self.assertEqual(expected, self.finals(program))
        self.assertEqual(FAILING, self.failing(program))
        (self.root / "fixed").write_text("")
        fixed = self.run_tool(*run, "--failing")
        self.assertEqual(0, fixed.returncode, fixed.stdout[-2000:] + fixed.stderr[-3000:])
        self.assertEqual({t: ["success"] for t in RERUN}, self.finals(program))
        self.assertEqual([], self.failing(program))


class TestStestrReruns(ScenarioRerunCase):
    def exec_stestr(self, dispatch: str) -> tuple[str, ...]:
        return (tool("partitioner"), "exec", "--dispatch", dispatch, "--", tool("stestr"), "run", "--concurrency", "2")

    def test_static(self) -> None:
        # the tool's own workers: stestr's runner finds the listed test by its id, and the load_tests scenario by its
        self.check_reruns("stestr", *self.exec_stestr("static"))

    def test_dynamic(self) -> None:
        self.check_reruns("stestr", *self.exec_stestr("dynamic"))

    def test_a_scenario_whose_test_is_gone_fails_once_under_the_id_the_run_reported(self) -> None:
        self.run_tool(*self.exec_stestr("static"))
        source = self.root / "pkg" / "test_s.py"
        source.write_text(source.read_text().replace("class S(", "class Renamed("))
        for dispatch, reason in (("static", "never reported a result"), ("dynamic", "no test with this id")):
            rerun = self.run_tool(*self.exec_stestr(dispatch), "--failing")
            self.assertEqual(1, rerun.returncode, rerun.stderr[-3000:])
            events = self.last("stestr")
            finals = {t: s for t, s in events.finals().items() if t != "process-returncode"}
            # one failure, under the id the run reported: none for the listed test asked for beside it
            self.assertEqual({f"{S_A}(thread)": ["fail"], f"{L_A}(thread)": ["fail"]}, finals, dispatch)
            self.assertIn(reason, events.attachment(f"{S_A}(thread)", "reason"), dispatch)
            self.assertEqual(FAILING, self.failing("stestr"), dispatch)


class TestTestrReruns(ScenarioRerunCase):
    def setUp(self) -> None:
        super().setUp()
        self.run_tool(tool("testr"), "init")

    def test_static(self) -> None:
        (self.root / ".testr.conf").write_text(TESTR_CONF.format(command=SUBUNIT_RUN, after=""))
        self.check_reruns("testr", tool("partitioner"), "exec", "--dispatch", "static", "--", tool("testr"), "run",
                          "--parallel", "--concurrency", "2")

    def test_the_runner_s_dynamic_lanes_run_the_scenario_alone(self) -> None:
        # python -m partitioner.run in .testr.conf: its pull workers run the scenario asked for, not its siblings
        runner = "${PYTHON:-python} -m partitioner.run --concurrency 2 --dispatch dynamic"
        (self.root / ".testr.conf").write_text(TESTR_CONF.format(command=runner, after=f" -- {SUBUNIT_RUN}"))
        self.run_tool(tool("testr"), "run")
        self.assertEqual(FAILING, self.failing("testr"))
        again = self.run_tool(tool("testr"), "run", "--failing")
        self.assertNotIn("no test with this id", again.stdout + again.stderr)
        self.assertEqual({t: ["fail"] for t in FAILING}, self.finals("testr"))
        (self.root / "fixed").write_text("")
        self.run_tool(tool("testr"), "run", "--failing")
        self.assertEqual({t: ["success"] for t in FAILING}, self.finals("testr"))
        self.assertEqual([], self.failing("testr"))
