"""End to end: a test process forked from the preloaded suite (``partitioner exec``'s default) looks to the tests as
stestr's own worker does: setproctitle (neutron-lib's worker tests read the process title) sees the interpreter's
command line, not an empty title.

Found by a sweep of OpenStack suites (neutron-lib 5.0.1: 8 of ``TestBaseWorker``'s tests failed under exec,
passed under plain stestr and under ``exec -- stestr run --failing``, which forks nothing): the forked child
emptied ``os.environ`` and filled it again with the lane's, and setproctitle finds the memory of ``argv`` through
the C ``environ`` strings that follow it. Skips when setproctitle is not installed (the ``test`` extra has it)."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import fixtures
import testtools

from tests.dispatch.helpers import read_events, write_package
from tests.suites import tool, tool_env

TITLE = """
import os
import unittest

import setproctitle


class Title(unittest.TestCase):
""" + "".join(f"""
    def test_{n}(self):
        title = setproctitle.getproctitle()
        self.assertIn("python", title)
        self.assertEqual(os.environ.get("LANE_MARK"), "set")  # what the lane's shell set still reaches the test
""" for n in range(6))


class TestForkedEnvironment(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        if importlib.util.find_spec("setproctitle") is None:
            self.skipTest("setproctitle is not installed")
        self.root = Path(self.useFixture(fixtures.TempDir()).path)
        write_package(self.root, {"test_title": TITLE})
        (self.root / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./pkg\ntop_dir=./\n")
        self.env = tool_env(PARTITIONER_CACHE_DIR=self.useFixture(fixtures.TempDir()).path, LANE_MARK="set")
        subprocess.run([tool("stestr"), "init"], cwd=self.root, env=self.env, check=True, capture_output=True)

    def test_setproctitle_sees_the_command_line_in_forked_workers(self) -> None:
        for flags in ([], [], ["--dispatch", "dynamic"]):  # first run dynamic, then the static plan's forks
            proc = subprocess.run([tool("partitioner"), "exec", *flags, "--", tool("stestr"), "run", "--concurrency",
                                   "2"], cwd=self.root, env=self.env, capture_output=True, text=True, check=False,
                                  timeout=180, stdin=subprocess.DEVNULL)
            self.assertNotIn("Traceback (most recent call last):\n  File \"/", proc.stderr.split("======")[0])
            stored = subprocess.run([tool("stestr"), "last", "--subunit"], cwd=self.root, env=self.env,
                                    capture_output=True, check=False, timeout=60).stdout
            finals = {t: s for t, s in read_events(stored).finals().items() if t != "process-returncode"}
            self.assertEqual({f"pkg.test_title.Title.test_{n}": ["success"] for n in range(6)}, finals,
                             proc.stdout[-2000:])
            self.assertEqual(0, proc.returncode, proc.stderr)
