"""The runner under ``testr run --parallel``: told from testr's command line, warned about once (by the first of
testr's runners), and never for a runner something else started; and the advice a runner project gets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import fixtures
import testtools

from partitioner.run.advice import PARALLEL, SERIAL, runs_the_runner
from partitioner.run.nesting import first_of_its_runners, nested_under_testr, runs_testr_parallel
from tests.cli.harness import RepositoryCase
from tests.suites import tool, tool_env

RUNNER = ("${PYTHON:-python} -m partitioner.run --concurrency 2 $LISTOPT $IDOPTION -- ${PYTHON:-python} -m "
          "subunit.run discover -t . ./suite")
CONF = f"[DEFAULT]\ntest_command={RUNNER}\ntest_id_option=--load-list $IDFILE\ntest_list_option=--list\n"
SUITE = '''
import testtools

class ATest(testtools.TestCase):
    def test_1(self): pass
    def test_2(self): pass

class BTest(testtools.TestCase):
    def test_1(self): pass
    def test_2(self): pass
'''
NESTED = "partitioner.run: warning: started by `testr run --parallel`"


class TestrCommandLineTest(testtools.TestCase):
    def test_testr_run_parallel_with_more_than_one_worker(self) -> None:
        script = ["/usr/bin/python3", "/venv/bin/testr"]
        for argv, nested in [
            ([*script, "run", "--parallel"], True),
            ([*script, "run", "--failing", "--para"], True),  # optparse takes a unique prefix
            ([*script, "run", "--parallel", "--concurrency", "4"], True),
            ([*script, "run", "--parallel", "--concurrency=1"], False),  # testr then runs the command once
            ([*script, "run", "--parallel", "--conc", "1"], False),
            ([*script, "run", "--partial"], False),
            ([*script, "run"], False),
            ([*script, "run", "--", "--parallel"], False),  # passed on to the test command
            ([*script, "failing", "--parallel"], False),
            (["/venv/bin/python", "/venv/bin/partitioner", "exec", "--", "testr", "run", "--parallel"], True),
            (["/venv/bin/python", "-m", "subunit.run", "--parallel"], False),
        ]:
            self.assertEqual(nested, runs_testr_parallel(argv), argv)


class FakeProc(fixtures.Fixture):
    """A ``/proc`` of a few processes: each a ``cmdline`` and a ``stat`` naming its parent."""

    def _setUp(self) -> None:
        self.path = Path(self.useFixture(fixtures.TempDir()).path)

    def add(self, pid: int, parent: int, *argv: str) -> None:
        where = self.path / str(pid)
        where.mkdir()
        (where / "cmdline").write_bytes(b"".join(a.encode() + b"\0" for a in argv))
        name = Path(argv[0]).name[:15]
        (where / "stat").write_text(f"{pid} ({name} (odd)) S {parent} {pid} {pid} 0 -1\n")


class ProcessTreeTest(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        proc = self.proc = self.useFixture(FakeProc())
        runner = ["/venv/bin/python", "-m", "partitioner.run", "--load-list", "/tmp/x", "--", "python", "-m", "x"]
        proc.add(50, 1, "/bin/bash")
        proc.add(100, 50, "/venv/bin/python", "/venv/bin/testr", "run", "--parallel")
        proc.add(101, 100, "/bin/sh", "-c", "python -m partitioner.run ...")
        proc.add(102, 101, *runner)  # through testr's sh -c
        proc.add(103, 100, *runner)  # the shell exec'd it
        proc.add(200, 100, "/venv/bin/python", "-m", "subunit.run", "discover")  # a test process testr started
        proc.add(201, 200, *runner)  # a test that runs the runner: not testr's worker
        proc.add(300, 50, "/venv/bin/python", "/venv/bin/testr", "run")
        proc.add(301, 300, *runner)

    def test_started_by_testr_run_parallel_directly_or_through_its_shell(self) -> None:
        self.assertEqual([100, 100, None, None],
                         [nested_under_testr(pid, self.proc.path) for pid in (102, 103, 201, 301)])

    def test_only_the_first_of_testrs_runners_warns(self) -> None:
        self.assertTrue(first_of_its_runners(100, 102, self.proc.path))
        self.assertFalse(first_of_its_runners(100, 103, self.proc.path), "102 warns")

    def test_no_proc_no_finding(self) -> None:
        missing = self.proc.path / "nothing"
        self.assertIsNone(nested_under_testr(102, missing))
        self.assertTrue(first_of_its_runners(100, 102, missing))


class UnderTestrTest(testtools.TestCase):
    """Real testr, the runner as its test_command."""

    def setUp(self) -> None:
        super().setUp()
        if not sys.platform.startswith("linux"):
            self.skipTest("the runner reads testr's command line from /proc")
        self.dir = Path(self.useFixture(fixtures.TempDir()).path)
        (self.dir / ".testr.conf").write_text(CONF)
        (self.dir / "suite").mkdir()
        (self.dir / "suite" / "__init__.py").write_text("")
        (self.dir / "suite" / "test_it.py").write_text(SUITE)
        self.testr("init")

    def testr(self, *argv: str) -> str:
        done = subprocess.run([tool("testr"), *argv], cwd=self.dir, capture_output=True, text=True, timeout=120,
                              env=tool_env(PARTITIONER_CACHE="0"), stdin=subprocess.DEVNULL, check=False)
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)
        return done.stderr

    def test_parallel_warns_once_and_plain_run_does_not(self) -> None:
        err = self.testr("run", "--parallel", "--concurrency", "2")
        self.assertEqual(1, err.count(NESTED), err)
        self.assertIn("use a plain `testr run`", err)
        self.assertNotIn(NESTED, self.testr("run"))
        self.assertNotIn(NESTED, self.testr("run", "--failing"))
        self.assertNotIn(NESTED, self.testr("run", "--parallel", "--concurrency", "1"))


class AdviceTest(testtools.TestCase):
    def test_which_test_commands_run_the_runner(self) -> None:
        self.assertTrue(runs_the_runner(RUNNER))
        self.assertTrue(runs_the_runner("python -m partitioner.run $LISTOPT $IDOPTION\n  -- python -m subunit.run"))
        self.assertFalse(runs_the_runner("python -m subunit.run discover $LISTOPT $IDOPTION"))
        self.assertFalse(runs_the_runner("python -m subunit.run -- python -m partitioner.run"))
        self.assertFalse(runs_the_runner(None))

    def test_the_advice_never_says_parallel_or_serial_wrongly(self) -> None:
        self.assertTrue(PARALLEL.startswith("testr run "))
        self.assertNotIn("testr run --parallel", PARALLEL)
        self.assertIn("--concurrency 1", SERIAL)


class TimelineHintTest(RepositoryCase):
    """``partitioner timeline`` with nothing to draw says what to run first: for a runner project, not --parallel."""

    def test_a_runner_project_is_told_testr_run(self) -> None:
        (self.dir / ".testr.conf").write_text(CONF)
        self.assertOneLineError(["timeline", "-o", str(self.dir / "t.html")], 1,
                                "run the tests first (testr run (the runner in .testr.conf's test_command runs the "
                                "workers; not --parallel))")

    def test_a_plain_testr_project_is_told_testr_run_parallel(self) -> None:
        (self.dir / ".testr.conf").write_text(CONF.replace(RUNNER, "python -m subunit.run discover $LISTOPT $IDOPTION"))
        self.assertOneLineError(["timeline", "-o", str(self.dir / "t.html")], 1,
                                "run the tests first (testr run --parallel, or stestr run)")
