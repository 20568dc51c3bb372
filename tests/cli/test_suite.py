"""Tests for partitioner.cli.suite: the project's tool, the suite's own command, and trials run with it (real
python-subunit processes on a three-class suite written to a temp dir)."""

from __future__ import annotations

import os
import shlex
import sys
import time
from pathlib import Path

import fixtures
import testtools

from partitioner.cli.suite import Trials, project_tool, run_search, sequence_command, trial_command
from partitioner.config import load_settings
from partitioner.errors import ConfigError
from partitioner.races.confirm import Search
from partitioner.races.shortlist import Candidates
from partitioner.run import Interrupt
from partitioner.run.advice import PARALLEL, SERIAL

SUITE = '''
import os, time, unittest


class OkTest(unittest.TestCase):
    def test_ok(self):
        pass


class BadTest(unittest.TestCase):
    def test_bad(self):
        self.fail("broken")


class SlowTest(unittest.TestCase):
    def test_slow(self):
        with open(os.environ["PID_FILE"], "w") as out:
            out.write(str(os.getpid()))
        time.sleep(60)
'''
OK, BAD, SLOW = "pkg.test_x.OkTest", "pkg.test_x.BadTest", "pkg.test_x.SlowTest"
IDS = {OK: [f"{OK}.test_ok"], BAD: [f"{BAD}.test_bad"], SLOW: [f"{SLOW}.test_slow"]}


def gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (a zombie waiting for an init that does not reap counts as ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" in status.read_text()


class SuiteCase(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.dir = Path(self.useFixture(fixtures.TempDir()).path)
        (self.dir / "pkg").mkdir()
        (self.dir / "pkg" / "__init__.py").write_text("")
        (self.dir / "pkg" / "test_x.py").write_text(SUITE)
        self.pid_file = self.dir / "slow.pid"
        self.useFixture(fixtures.EnvironmentVariable("PID_FILE", str(self.pid_file)))
        self.useFixture(fixtures.EnvironmentVariable("PYTHON", sys.executable))

    def write_testr_conf(self, command: str) -> None:
        (self.dir / ".testr.conf").write_text(f"[DEFAULT]\ntest_command={command}\n"
                                              "test_id_option=--load-list $IDFILE\ntest_list_option=--list\n")


class TestTool(SuiteCase):
    def test_the_repository_then_the_config_file_names_the_tool(self) -> None:
        self.assertIsNone(project_tool(self.dir).name)
        (self.dir / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./pkg\n")
        self.assertEqual("stestr run --serial", project_tool(self.dir).serial)
        self.write_testr_conf("true")
        self.assertIsNone(project_tool(self.dir).name)  # both config files: say both
        (self.dir / ".testrepository").mkdir()
        (self.dir / ".testrepository" / "format").write_text("1\n")
        self.assertEqual("testr run --parallel", project_tool(self.dir).parallel)
        self.assertEqual("stestr", project_tool(self.dir, ".stestr").name)

    def test_a_testr_that_runs_the_runner_is_told_testr_run_not_parallel(self) -> None:
        self.write_testr_conf("python -m partitioner.run -j 4 $LISTOPT $IDOPTION -- python -m subunit.run discover")
        tool = project_tool(self.dir)
        self.assertEqual(("testr", True), (tool.name, tool.runner))
        self.assertEqual((PARALLEL, SERIAL), (tool.parallel, tool.serial))
        self.assertEqual("testr failing", tool.failing)
        (self.dir / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./pkg\n")  # both: testr's half is the runner's
        self.assertEqual((f"{PARALLEL}, or stestr run", f"{SERIAL}, or stestr run --serial"),
                         (project_tool(self.dir).parallel, project_tool(self.dir).serial))
        self.assertEqual(("stestr run", False), (project_tool(self.dir, ".stestr").parallel,
                                                 project_tool(self.dir, ".stestr").runner))

    def test_a_broken_config_file_gives_the_tools_usual_advice(self) -> None:
        self.write_testr_conf("python -m partitioner.run -- python -m subunit.run discover")
        (self.dir / "tox.ini").write_text("[partitioner\n")
        self.assertEqual("testr run --parallel", project_tool(self.dir).parallel)


class TestTrialCommand(SuiteCase):
    def run_ids(self, tool: str | None = None, classes: tuple[str, ...] = (OK, BAD)) -> frozenset[str]:
        settings = load_settings(self.dir)
        command, _ = trial_command(self.dir, settings, project_tool(self.dir, tool))
        with Trials(self.dir, command, IDS, {}) as trials:
            return trials.run(classes, 60.0).failed

    def test_testr_test_command(self) -> None:
        self.write_testr_conf("${PYTHON:-python} -m subunit.run discover -t . ./pkg $LISTOPT $IDOPTION")
        self.assertEqual(frozenset({BAD}), self.run_ids())

    def test_the_runner_in_front_runs_its_inner_command(self) -> None:
        python = shlex.quote(sys.executable)
        self.write_testr_conf(f"{python} -m partitioner.run --concurrency 2 $LISTOPT $IDOPTION -- "
                        f"{python} -m subunit.run discover -t . ./pkg")
        command, _ = trial_command(self.dir, load_settings(self.dir), project_tool(self.dir))
        self.assertNotIn("partitioner.run", command.argv[2])
        self.assertEqual(frozenset({BAD}), self.run_ids(classes=(BAD, OK)))

    def test_stestr_discovery(self) -> None:
        (self.dir / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./pkg\ntop_dir=./\n")
        self.assertEqual(frozenset({BAD}), self.run_ids("stestr"))

    def test_stestr_discovery_from_a_test_path_the_shell_expands(self) -> None:
        # python-novaclient's test_path=${OS_TEST_PATH:-./novaclient/tests/unit}: stestr's shell expands it, so the
        # trials do too (they discovered from a directory named `${OS_TEST_PATH:-./pkg}`, which is none)
        (self.dir / ".stestr.conf").write_text("[DEFAULT]\ntest_path=${OS_TEST_PATH:-./pkg}\ntop_dir=./\n")
        self.useFixture(fixtures.EnvironmentVariable("OS_TEST_PATH"))
        command, _ = trial_command(self.dir, load_settings(self.dir), project_tool(self.dir, "stestr"))
        self.assertEqual(("discover", "-t", "./", "./pkg"), command.argv[-4:])
        self.assertEqual(frozenset({BAD}), self.run_ids("stestr"))

    def test_no_command(self) -> None:
        error = self.assertRaises(ConfigError, trial_command, self.dir, load_settings(self.dir), project_tool(self.dir))
        self.assertIn("--confirm needs .testr.conf with test_command or .stestr.conf with test_path", str(error))


class TestSequenceCommand(SuiteCase):
    def worker(self, tool: str | None = None) -> tuple[str, ...] | None:
        command = sequence_command(load_settings(self.dir), project_tool(self.dir, tool))
        return None if command is None else (command.python, command.runner, *command.args)

    def test_testr_test_command_with_python_expanded(self) -> None:
        self.write_testr_conf("${PYTHON:-python} -m subunit.run discover -t . ./pkg $LISTOPT $IDOPTION")
        self.assertEqual((sys.executable, "subunit.run", "discover", "-t", ".", "./pkg"), self.worker())

    def test_the_runner_in_front_gives_its_inner_command(self) -> None:
        self.write_testr_conf("python -m partitioner.run --concurrency 2 $LISTOPT $IDOPTION -- "
                              "$PYTHON -m stestr.subunit_runner.run discover ./pkg")
        self.assertEqual((sys.executable, "stestr.subunit_runner.run", "discover", "./pkg"), self.worker())

    def test_stestr_discovery(self) -> None:
        (self.dir / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./pkg\n")
        # stestr's own runner, as stestr lists and runs with (python-subunit's hangs under eventlet)
        self.assertEqual((sys.executable, "stestr.subunit_runner.run", "discover", "-t", "./", "./pkg"),
                         self.worker("stestr"))

    def test_stestr_discovery_from_a_test_path_the_shell_expands(self) -> None:
        (self.dir / ".stestr.conf").write_text("[DEFAULT]\ntest_path=${OS_TEST_PATH:-./pkg}\n")
        self.useFixture(fixtures.EnvironmentVariable("OS_TEST_PATH", "./pkg/sub"))
        self.assertEqual((sys.executable, "stestr.subunit_runner.run", "discover", "-t", "./", "./pkg/sub"),
                         self.worker("stestr"))

    def test_what_a_pull_worker_cannot_stand_in_for(self) -> None:
        for command in ("cd . && python -m subunit.run discover $LISTOPT $IDOPTION",
                        "$MYPY -m subunit.run discover $LISTOPT $IDOPTION", "./run-tests.sh $LISTOPT $IDOPTION"):
            self.write_testr_conf(command)
            self.assertIsNone(self.worker(), command)


class TestTrials(SuiteCase):
    def test_a_trial_past_its_deadline_is_stopped_and_leaves_no_process(self) -> None:
        self.write_testr_conf("${PYTHON:-python} -m subunit.run discover -t . ./pkg $LISTOPT $IDOPTION")
        command, _ = trial_command(self.dir, load_settings(self.dir), project_tool(self.dir))
        began = time.monotonic()
        with Trials(self.dir, command, IDS, {}) as trials:
            outcome = trials.run((SLOW, OK), 2.0)
            tmp = Path(trials.where) if trials.where else None
        self.assertLess(time.monotonic() - began, 15.0)
        self.assertTrue(outcome.timed_out)
        self.assertEqual(frozenset({SLOW}), outcome.failed)  # its test never reported: failed
        self.assertTrue(gone(int(self.pid_file.read_text())))
        assert tmp is not None
        self.assertFalse(tmp.exists())  # the streams went with the temporary directory

    def test_a_replay_starts_each_class_its_delay_late(self) -> None:
        self.write_testr_conf("${PYTHON:-python} -m subunit.run discover -t . ./pkg $LISTOPT $IDOPTION")
        command, _ = trial_command(self.dir, load_settings(self.dir), project_tool(self.dir))
        with Trials(self.dir, command, IDS, {}) as trials:
            at_once = trials.run((OK, BAD), 60.0)
            apart = trials.run((OK, BAD), 60.0, (0.0, 1.5))
            # the second class starts 1.5 s late; the rest of each estimate is measured (noisy under load)
            self.assertGreater(trials.estimate((OK, BAD), (0.0, 1.5)), trials.estimate((OK, BAD)) + 1.0)
        self.assertEqual((frozenset({BAD}), frozenset({BAD})), (at_once.failed, apart.failed))
        self.assertGreater(apart.seconds, at_once.seconds + 1.0)

    def test_the_search_confirms_against_the_real_suite_within_its_budget(self) -> None:
        self.write_testr_conf("${PYTHON:-python} -m subunit.run discover -t . ./pkg $LISTOPT $IDOPTION")
        command, _ = trial_command(self.dir, load_settings(self.dir), project_tool(self.dir))
        search = Search([Candidates(BAD, BAD, (OK,)), Candidates(OK, OK, (SLOW,))])
        lines: list[str] = []
        with Interrupt() as session, Trials(self.dir, command, IDS, {SLOW: 60.0}) as trials:
            end = run_search(search, trials, 30.0, session, lines.append)
        bad, ok = search.verdicts()
        self.assertEqual(("fails alone", (1, 1)), (bad.verdict, bad.alone))
        # OK passes alone twice; then SLOW's estimate (60s) no longer fits the budget
        self.assertEqual(("not tried", (0, 2), (), (SLOW,)), (ok.verdict, ok.alone, ok.tried, ok.untried))
        self.assertEqual("the budget (30s) ran out", end.stopped)
        self.assertEqual(3, len(lines))
        self.assertIn("trial 1: BadTest alone: BadTest failed", lines[0])
