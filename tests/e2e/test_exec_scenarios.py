"""``partitioner exec -- stestr run`` interrupted while testscenarios' scenarios run: the real stestr, a real signal to
the process group.

A class with ``testscenarios.WithScenarios`` lists one id (``m.S.test_a``) and reports one result per scenario
(``m.S.test_a(green)``, ``m.S.test_a(thread)``). Before, a scenario the signal cut short after another scenario of
the same listed id had passed was left with no final status: the account took the listed id as run, said "0 were
cut short" (or "stored complete"), and stestr stored its own detail-less failure, on which ``stestr last --subunit
| subunit2csv`` fails ("Either err or details must be provided") and ``races`` never sees the test.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import fixtures
import testtools

from tests.dispatch.helpers import read_events, write_package
from tests.faults import signal_job_when, start_job
from tests.suites import tool, tool_env

#: each listed id runs as a quick scenario, then one that hangs (writing its pid to ``<root>/hung/<id>``)
SUITE = '''
import os
import time
import unittest

import testscenarios

HUNG = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "hung")


class S(testscenarios.WithScenarios, unittest.TestCase):
    scenarios = [("green", {"hang": False}), ("thread", {"hang": True})]

    def _maybe_hang(self):
        if self.hang:
            with open(os.path.join(HUNG, self.id()), "w") as f:
                f.write(str(os.getpid()))
            time.sleep(120)

    def test_a(self):
        self._maybe_hang()

    def test_b(self):
        self._maybe_hang()


class P(unittest.TestCase):
    def test_plain(self):
        pass
'''

CUT = ["pkg.test_s.S.test_a(thread)", "pkg.test_s.S.test_b(thread)"]
RAN = ["pkg.test_s.P.test_plain", "pkg.test_s.S.test_a(green)", "pkg.test_s.S.test_b(green)"]


class TestInterruptedScenarios(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.root = Path(self.useFixture(fixtures.TempDir()).path)
        write_package(self.root, {"test_s": SUITE})
        (self.root / "hung").mkdir()
        (self.root / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./pkg\ntop_dir=./\n")
        self.env = tool_env(PARTITIONER_CACHE_DIR=self.useFixture(fixtures.TempDir()).path)

    def interrupted(self, dispatch: str, signum: signal.Signals) -> subprocess.CompletedProcess[str]:
        """Run exec until both hanging scenarios run (one per worker), then signal the group, as a Ctrl-C or
        ``timeout`` does."""
        err_path = self.root / "exec.err"
        proc = start_job([tool("partitioner"), "exec", "--dispatch", dispatch, "--", tool("stestr"), "run",
                          "--concurrency", "2"], self.root, self.env, err_path)
        code = signal_job_when(proc, lambda: len(os.listdir(self.root / "hung")) >= 2, signum,
                               "the scenarios never hung", err_path, 60, settle=0.3)
        return subprocess.CompletedProcess(proc.args, code, "", err_path.read_text())

    def check_interrupted(self, dispatch: str, signum: signal.Signals) -> None:
        run = self.interrupted(dispatch, signum)
        self.assertEqual(128 + signum, run.returncode, run.stderr[-3000:])
        self.assertNotIn("/partitioner/", run.stderr)  # no frame of ours (under SIGINT the tests' processes' own)
        self.assertIn(f"the run was interrupted ({signum.name}): of its 5 tests 3 ran, 2 were cut short and 0 "
                      "never started; the stored run is partial", run.stderr)
        last = subprocess.run([tool("stestr"), "last", "--subunit"], cwd=self.root, env=self.env,
                              capture_output=True, check=False, timeout=60)
        events = read_events(last.stdout)
        finals = {t: s for t, s in events.finals().items() if t != "process-returncode"}
        self.assertEqual({**{t: ["success"] for t in RAN}, **{t: ["fail"] for t in CUT}}, finals)
        for test_id in CUT:
            reason = events.attachment(test_id, "reason") + events.attachment(test_id, "traceback")
            self.assertRegex(reason, re.escape(signum.name) + "|KeyboardInterrupt", test_id)
        # a stored failure with details: subunit's own tools read the run (a detail-less one raised)
        csv = subprocess.run([tool("subunit2csv")], input=last.stdout, capture_output=True, check=False, timeout=60)
        self.assertNotIn(b"Traceback", csv.stderr)  # exit 1: the run has failures
        self.assertEqual(1 + 5, len(csv.stdout.splitlines()), csv.stderr.decode()[-2000:])
        failing = subprocess.run([tool("stestr"), "failing", "--list"], cwd=self.root, env=self.env,
                                 capture_output=True, text=True, check=False, timeout=60)
        self.assertEqual(sorted(CUT), sorted(failing.stdout.split()))

    def test_static_sigint(self) -> None:
        self.check_interrupted("static", signal.SIGINT)

    def test_static_sigterm(self) -> None:
        self.check_interrupted("static", signal.SIGTERM)

    def test_dynamic_sigint(self) -> None:
        self.check_interrupted("dynamic", signal.SIGINT)

    def test_dynamic_sigterm(self) -> None:
        self.check_interrupted("dynamic", signal.SIGTERM)
