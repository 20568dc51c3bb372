"""The examples in ``examples/`` work as their READMEs say: each is copied to a temp dir and its commands run.

The console scripts (testr, stestr, partitioner, tox) are this venv's (see :func:`tests.suites.tool_env`).
"""

from __future__ import annotations

import configparser
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import fixtures
import testtools
from testtools.content import text_content

from partitioner.history.model import Run
from partitioner.history.repository import read_repository
from tests.suites import BIN, REPO, tool, tool_env

EXAMPLES = REPO / "examples"
#: what running an example leaves behind; never copied, so each test starts from a fresh checkout
LEFTOVERS = shutil.ignore_patterns(".testrepository", ".stestr", ".tox", "__pycache__", ".mypy_cache", "*.lock")
#: a row of `partitioner plan`'s table: worker, groups, tests, predicted
TABLE_ROW = re.compile(r"^\s*(\d+)\s+\d+\s+\d+\s+[\d.]+(?:s| tests)$", re.MULTILINE)
WORKER_TAG = re.compile(r"^worker-(\d+)$")


def table_workers(text: str) -> list[int]:
    """The worker numbers in the rows of a plan table."""
    return [int(n) for n in TABLE_ROW.findall(text)]


def inner_worker(tags: frozenset[str]) -> str:
    """The worker a test ran on: the highest-numbered ``worker-N`` tag.

    Under testr, partitioner.run tags each test with its own worker, and testr adds ``worker-0`` (its one
    test process) to every test as well, so a test of partitioner's worker-1 carries both tags.
    """
    numbers = [int(m.group(1)) for m in map(WORKER_TAG.match, tags) if m]
    if not numbers:
        raise AssertionError(f"no worker-N tag among {sorted(tags)}")
    return f"worker-{max(numbers)}"


def class_of(test_id: str) -> str:
    return test_id.split("[", 1)[0].rsplit(".", 1)[0]


class ExampleTestCase(testtools.TestCase):
    def copy(self, name: str) -> Path:
        """A fresh copy of ``examples/NAME`` in a temp dir."""
        root = Path(self.useFixture(fixtures.TempDir()).path)
        return Path(shutil.copytree(EXAMPLES / name, root / "examples" / name, ignore=LEFTOVERS))

    def sh(self, cwd: Path, *argv: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
        """Run a command as the README does; a non-zero exit fails the test with its output."""
        proc = subprocess.run(list(argv), cwd=cwd, env=tool_env(**env), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL, check=False)
        self.assertEqual(0, proc.returncode, f"{shlex.join(argv)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def check_runs(self, repository: Path, runs: int, tests: int) -> tuple[Run, ...]:
        """The repository holds ``runs`` runs; in each, ``tests`` distinct tests passed on 2 workers, and no
        class was split between workers."""
        found, _, warnings = read_repository(repository)
        self.assertEqual((), warnings)
        self.assertEqual(runs, len(found))
        for run in found:
            ids = [r.test_id for r in run.records]
            self.assertEqual(tests, len(ids), f"{run.run_id}: {ids}")
            self.assertEqual(tests, len(set(ids)), f"{run.run_id}: a test ran twice")
            self.assertEqual({"success"}, {r.status for r in run.records})
            workers = {r.test_id: inner_worker(r.tags) for r in run.records}
            self.assertEqual({"worker-0", "worker-1"}, set(workers.values()), run.run_id)
            by_class: dict[str, set[str]] = {}
            for test_id, worker in workers.items():
                by_class.setdefault(class_of(test_id), set()).add(worker)
            split = {k: v for k, v in by_class.items() if len(v) > 1}
            self.assertEqual({}, split, f"{run.run_id}: classes split between workers")
        return found

    def planned_ids(self, cwd: Path) -> set[str]:
        plan = json.loads(self.sh(cwd, tool("partitioner"), "plan", "-n", "2", "--format", "json").stdout)
        return {t for w in plan["workers"] for t in w["tests"]} | set(plan["serial"]["tests"])


class TestTestrRunner(ExampleTestCase):
    """examples/testr-runner: testr's test_command is `python -m partitioner.run`."""

    TESTS = 15

    def setUp(self) -> None:
        super().setUp()
        try:
            import partitioner.run  # noqa: F401 - the test_command's module
        except ImportError as exc:
            self.skipTest(f"partitioner.run cannot be imported ({exc}): the example's test_command needs it")

    def test_readme_commands(self) -> None:
        cwd = self.copy("testr-runner")
        testr = tool("testr")
        self.sh(cwd, testr, "init")
        first = self.sh(cwd, testr, "run")
        self.assertIn("PASSED (id=0)", first.stdout)
        self.assertIn(f"Ran {self.TESTS} tests", first.stdout)
        self.assertIn("repository holds no runs yet: balanced by test count and class structure", first.stderr)
        self.assertIn("partitioner.run: note: ", first.stderr)  # a first run: nothing is wrong, no warning
        second = self.sh(cwd, testr, "run")
        self.assertIn("PASSED (id=1)", second.stdout)
        self.assertNotIn("no timing history", second.stderr)
        plan = self.sh(cwd, tool("partitioner"), "plan")
        self.assertEqual([0, 1], table_workers(plan.stdout), plan.stdout)
        self.assertIn("grouping class", plan.stdout)
        last = self.sh(cwd, testr, "last")
        self.assertIn(f"Ran {self.TESTS} tests", last.stdout)
        self.assertIn("PASSED (id=1)", last.stdout)
        runs = self.check_runs(cwd / ".testrepository", runs=2, tests=self.TESTS)
        self.assertEqual(self.planned_ids(cwd), {r.test_id for r in runs[-1].records})


class TestStestrExec(ExampleTestCase):
    """examples/stestr-exec: `partitioner exec -- stestr run`."""

    TESTS = 11

    def test_readme_commands(self) -> None:
        cwd = self.copy("stestr-exec")
        for _ in range(2):
            run = self.sh(cwd, tool("partitioner"), "exec", "--", "stestr", "run", "--concurrency", "2")
            self.assertIn(f"Ran: {self.TESTS} tests", run.stdout)
            self.assertIn(f" - Passed: {self.TESTS}", run.stdout)
        plan = self.sh(cwd, tool("partitioner"), "plan", "-n", "2")
        self.assertEqual([0, 1], table_workers(plan.stdout), plan.stdout)
        explain = self.sh(cwd, tool("partitioner"), "explain", "tests.test_catalog.CatalogTest.test_lookup")
        self.assertIn("group     tests.test_catalog.CatalogTest (3 tests", explain.stdout)
        self.assertRegex(explain.stdout, r"worker    worker [01] of 2")
        self.assertIn("from measured", explain.stdout)
        runs = self.check_runs(cwd / ".stestr", runs=2, tests=self.TESTS)
        self.assertEqual(self.planned_ids(cwd), {r.test_id for r in runs[-1].records})


class TestTempestTox(ExampleTestCase):
    """examples/tempest-tox: a tempest-style tox env running `partitioner exec -- stestr ... run`."""

    TESTS = 12
    QUOTA_CLASSES = ("QuotasAdminTestJSON", "QuotaClassesAdminTestJSON")

    def env_command(self, cwd: Path) -> list[str]:
        """The env's `commands` line, with tox's substitutions made as tox would make them by default."""
        parser = configparser.RawConfigParser(interpolation=None)
        parser.read(cwd / "tox.ini", encoding="utf-8")
        line = parser.get("testenv:partitioned", "commands").strip()
        line = line.replace("{env:CONCURRENCY:2}", "2").replace("{posargs}", "")
        self.assertNotIn("{", line, "an unhandled tox substitution")
        return shlex.split(line)

    def test_tox_env(self) -> None:
        cwd = self.copy("tempest-tox")
        # the env's deps install {toxinidir}/../.., the repository: put a copy of the package there, so
        # tox's build writes nothing into the real checkout
        root = cwd.parent.parent
        for name in ("pyproject.toml", "setup.py", "README.md"):
            shutil.copy2(REPO / name, root / name)
        shutil.copytree(REPO / "partitioner", root / "partitioner", ignore=LEFTOVERS)
        tox = BIN / "tox"
        ran = None
        if tox.exists():
            # `tox -e partitioned` installs stestr and the copied package from PyPI/the copy: about 20 s with
            # a warm pip cache. When the env cannot be built (no network) or takes over 2 minutes, fall back
            # to the env's commands line, run in this venv, which has both installed.
            try:
                proc = subprocess.run([str(tox), "-e", "partitioned"], cwd=cwd, env=tool_env(), capture_output=True,
                                      text=True, timeout=120, stdin=subprocess.DEVNULL, check=False)
            except subprocess.TimeoutExpired:
                self.addDetail("tox", text_content("tox -e partitioned took over 120 s"))
            else:
                if "partitioned: commands[0]" in proc.stdout:
                    self.assertEqual(0, proc.returncode, proc.stdout + proc.stderr)
                    self.assertIn("partitioned: OK", proc.stdout)
                    ran = proc.stdout
                else:
                    self.addDetail("tox", text_content(
                        f"tox could not build the env (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"))
        if ran is None:
            # tox missing (it is not among the test extras everywhere) or unusable: the env's command directly
            shutil.rmtree(cwd / ".stestr", ignore_errors=True)
            ran = self.sh(cwd, *self.env_command(cwd), QUOTA_LOCK=str(cwd / ".global-quota.lock")).stdout
        self.assertIn(f"Ran: {self.TESTS} tests", ran)
        self.assertIn(f" - Passed: {self.TESTS}", ran)
        (run,) = self.check_runs(cwd / ".stestr", runs=1, tests=self.TESTS)
        ids = [r.test_id for r in run.records]
        self.assertTrue(all(re.search(r"\[id-[0-9a-f-]{36}(,[a-z]+)*\]$", t) for t in ids), ids)
        self.assertIn("tempest_like.api.compute.test_servers.ServersTestJSON.test_list_servers"
                      "[id-9a438d88-10c6-4bcd-8b5b-5b6e25e1346f,smoke]", ids)
        # the [partitioner] resources line: both quota classes ran on one worker
        quota = {inner_worker(r.tags) for r in run.records if class_of(r.test_id).endswith(self.QUOTA_CLASSES)}
        self.assertEqual(1, len(quota), quota)


class TestApiScript(testtools.TestCase):
    """examples/api.py: the Python API from in-memory history to a printed plan table."""

    def test_prints_a_table_per_worker_count(self) -> None:
        cwd = self.useFixture(fixtures.TempDir()).path
        for argv, workers in (((), 2), (("3",), 3)):
            proc = subprocess.run([sys.executable, str(EXAMPLES / "api.py"), *argv], cwd=cwd, env=tool_env(),
                                  capture_output=True, text=True, timeout=60, check=False)
            self.assertEqual(0, proc.returncode, proc.stderr)
            self.assertEqual(list(range(workers)), table_workers(proc.stdout), proc.stdout)
            self.assertIn("strategy lpt, grouping class", proc.stdout)
            self.assertIn("test_resize: 3.75s (class mean)", proc.stdout)
            self.assertIn("ServersTest.test_create: 4.00s (measured)", proc.stdout)
