"""Slow, end to end: a project venv that pins an older stestr, as OpenStack's stable branches do (stestr 3.0.1 with
python-subunit 1.4.0 and testtools 2.5.0: its ``TestrConf`` takes no config section, which was a traceback on every
``exec``). Through ``partitioner exec -- stestr run`` every test runs once with plain stestr's status, twice in a
row (the second planned from the first), and ``stestr last``/``failing``/``run --failing`` read what it stored:

* partitioner in that venv (this checkout on ``PYTHONPATH``, as ``pip install`` there would put it): its stestr 3.0.1
  runs in-process, hooked;
* partitioner in its own venv (this one) with the project venv activated: this venv's stestr runs, the tests load
  with the project's interpreter, and the note names both releases (an option only 3.0.1 takes is refused, and
  the note after stestr's usage error says why).

The floors themselves (stestr 2.6, testrepository 0.0.20) are tested by ``.ci/run``'s floor step. This runs only
when ``PARTITIONER_SLOW_TESTS=1``; it builds the venv once into ``PARTITIONER_OLD_TOOLS_CACHE`` (default
``~/.cache/partitioner/test-old-tools``) and needs the network then (without it it skips, except under CI).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import fixtures
import pytest
import testtools

from tests.dispatch.helpers import read_events
from tests.suites import GEN_SUITE, REPO, GeneratedSuite, tool

pytestmark = pytest.mark.slow

PINS = ("stestr==3.0.1", "python-subunit==1.4.0", "testtools==2.5.0")
FIXED = '''import unittest


class FixedTest(unittest.TestCase):
    def test_fail(self):
        self.fail("fails on purpose")

    def test_ok(self):
        pass

    @unittest.skip("skipped on purpose")
    def test_skip(self):
        pass
'''


def _venv() -> Path:
    """The project venv with the old stestr (built once)."""
    cache = Path(os.environ.get("PARTITIONER_OLD_TOOLS_CACHE") or Path.home() / ".cache" / "partitioner" /
                 "test-old-tools")
    venv = cache / ("venv-" + "-".join(PINS).replace("==", "-"))
    done = " ".join(PINS)
    if (venv / ".complete").exists() and (venv / ".complete").read_text() == done:
        return venv
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=300)
    proc = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *PINS], capture_output=True,
                          text=True, check=False, timeout=900)
    if proc.returncode != 0:
        message = f"pip install {done} failed (network?): {proc.stderr.strip().splitlines()[-1:]}"
        if os.environ.get("CI"):
            raise AssertionError(message)
        raise testtools.TestCase.skipException(message)
    (venv / ".complete").write_text(done)
    return venv


class TestOldStestr(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        if os.environ.get("PARTITIONER_SLOW_TESTS") != "1":
            self.skipTest("slow: set PARTITIONER_SLOW_TESTS=1 (CI does)")
        if not GEN_SUITE.exists():
            self.skipTest(f"{GEN_SUITE} is missing")
        self.venv = _venv()
        self.bin = self.venv / "bin"
        self.lent = Path(self.useFixture(fixtures.TempDir()).path)
        (self.lent / "partitioner").symlink_to(REPO / "partitioner")

    def project(self) -> GeneratedSuite:
        suite = self.useFixture(GeneratedSuite(classes=6, serial_s=1.5))
        (suite.path / "suite" / "test_fixed.py").write_text(FIXED)
        return suite

    def env(self, suite: GeneratedSuite, activated: bool) -> dict[str, str]:
        """The project venv first on PATH; activated (partitioner elsewhere), or with this checkout importable."""
        env = suite.env(BENCH_SCALE="0.3", PATH=f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
                        PARTITIONER_CACHE_DIR=str(self.lent / "cache"))
        env.pop("PYTHON", None)
        if activated:
            env["VIRTUAL_ENV"] = str(self.venv)
        else:
            env["PYTHONPATH"] = str(self.lent)
            env.pop("VIRTUAL_ENV", None)
        return env

    def run_in(self, suite: GeneratedSuite, env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(argv), cwd=suite.path, env=env, capture_output=True, text=True, check=False,
                              timeout=300, stdin=subprocess.DEVNULL)

    def stored(self, suite: GeneratedSuite, env: dict[str, str]) -> dict[str, str]:
        """The last stored run, read with the project's stestr: test id -> its one final status."""
        last = subprocess.run([str(self.bin / "stestr"), "last", "--subunit"], cwd=suite.path, env=env,
                              capture_output=True, check=False, timeout=120)
        finals = read_events(last.stdout).finals()
        self.assertEqual({}, {t: s for t, s in finals.items() if len(s) != 1}, "a test was stored twice")
        return {t: s[0] for t, s in finals.items() if t != "process-returncode"}

    def plain(self) -> dict[str, str]:
        suite = self.project()
        env = self.env(suite, activated=True)
        proc = self.run_in(suite, env, str(self.bin / "stestr"), "run", "--concurrency", "2")
        self.assertEqual(1, proc.returncode, proc.stderr)  # test_fail
        results = self.stored(suite, env)
        self.assertEqual("fail", results["suite.test_fixed.FixedTest.test_fail"])
        self.assertEqual("skip", results["suite.test_fixed.FixedTest.test_skip"])
        return results

    def check_exec(self, activated: bool, *exec_: str) -> tuple[GeneratedSuite, dict[str, str]]:
        """Run the suite twice through ``exec_ ... stestr run`` and check each run against plain stestr's."""
        plain = self.plain()
        suite = self.project()
        env = self.env(suite, activated)
        for _ in range(2):
            proc = self.run_in(suite, env, *exec_, "exec", "--", "stestr", "run", "--concurrency", "2")
            self.assertEqual(1, proc.returncode, proc.stderr)
            self.assertNotIn("Traceback", proc.stderr)
            self.assertIn("dynamic dispatch (lookahead order)", proc.stderr)
            self.assertEqual(plain, self.stored(suite, env))
        stestr = str(self.bin / "stestr")
        failing = self.run_in(suite, env, stestr, "failing", "--list")
        self.assertEqual(["suite.test_fixed.FixedTest.test_fail"], failing.stdout.split())
        rerun = self.run_in(suite, env, *exec_, "exec", "--", "stestr", "run", "--failing")
        self.assertEqual(1, rerun.returncode, rerun.stderr)
        self.assertEqual({"suite.test_fixed.FixedTest.test_fail": "fail"}, self.stored(suite, env))
        return suite, env

    def test_partitioner_in_the_project_venv_hooks_its_stestr(self) -> None:
        self.check_exec(False, str(self.bin / "python"), "-m", "partitioner")

    def test_partitioner_in_its_own_venv_with_the_project_venv_activated(self) -> None:
        from importlib.metadata import version

        suite, env = self.check_exec(True, tool("partitioner"))
        proc = self.run_in(suite, env, tool("partitioner"), "exec", "--", "stestr", "list")
        self.assertIn(f"stestr {version('stestr')} of partitioner's environment runs, not the activated "
                      "environment's stestr 3.0.1", proc.stderr)
        if version("stestr").startswith("3."):
            return
        # stestr 4 dropped --black-regex: its usage error, and a line that says whose stestr refused it
        proc = self.run_in(suite, env, tool("partitioner"), "exec", "--", "stestr", "run", "--black-regex", "x")
        self.assertEqual(2, proc.returncode, proc.stderr)
        self.assertIn("unrecognized arguments: --black-regex", proc.stderr)
        self.assertIn("partitioner: note: stestr exited with status 2 (its usage error): stestr ", proc.stderr)
