"""The README's "Use it" commands run as written from a checkout (issue 9: run from the checkout, they used to
plan partitioner's own tests): the block is read from README.md and run, line after line, in a copy of the
checkout's examples/ with this venv's console scripts."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import fixtures
import testtools

from tests.e2e.test_examples import LEFTOVERS
from tests.suites import BIN, REPO, tool_env

BLOCK = re.compile(r"^## Use it\n.*?```sh\n(?P<commands>.*?)```", re.S | re.M)


class TestUseIt(testtools.TestCase):
    def test_every_command_runs_as_written_against_the_example(self) -> None:
        found = BLOCK.search((REPO / "README.md").read_text(encoding="utf-8"))
        assert found is not None, "README.md has no ```sh block under ## Use it"
        lines = [line for line in found["commands"].splitlines() if line.strip()]
        self.assertTrue(lines[0].startswith("cd examples/"), lines[0])  # never the checkout's own suite
        root = Path(self.useFixture(fixtures.TempDir()).path)
        shutil.copytree(REPO / "examples", root / "examples", ignore=LEFTOVERS)
        script = "set -euo pipefail\n" + "".join(f"echo '>>> {n}'\n{line}\n" for n, line in enumerate(lines))
        done = subprocess.run(["bash", "-c", script], cwd=root, env=tool_env(PARTITIONER_CACHE_DIR=str(root / "c")),
                              capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL, check=False)
        self.assertEqual(0, done.returncode, f"{done.stdout}\n{done.stderr}")
        self.assertEqual(len(lines), done.stdout.count(">>> "))  # every line ran
        out = done.stdout
        self.assertIn("planned as the run will: 12 tests from discovery of ./tempest_like", out)
        self.assertIn("planned as the run will: 8 of 11 tests from discovery of ./tempest_like/api (--test-path), "
                      "filters: compute", out)
        self.assertIn("partitioner: shard 1/2 of split ", done.stderr)
        self.assertRegex(done.stderr,
                         r"partitioner: 12 listed test ids on 2 workers, dynamic dispatch \(lookahead order\); history")


FIRST_SCREEN = re.compile(r"^```sh\n(?P<install>.*?)\n(?P<test>.*?)\n```", re.S | re.M)


class TestFirstScreen(testtools.TestCase):
    def test_the_main_job_on_the_bundled_example_runs_as_written(self) -> None:
        # the README's first command installs, then plans the bundled example: its last step, with this venv
        found = FIRST_SCREEN.search((REPO / "README.md").read_text(encoding="utf-8"))
        assert found is not None, "README.md has no ```sh block"
        self.assertEqual(".venv/bin/python -m pytest -q", found["test"])
        main_job = found["install"].split(" && ")[-1]
        self.assertTrue(main_job.startswith(".venv/bin/partitioner plan "), main_job)
        argv = main_job.split()[1:]
        done = subprocess.run([str(BIN / "partitioner"), *argv], cwd=REPO,
                              env=tool_env(PARTITIONER_CACHE_DIR=self.useFixture(fixtures.TempDir()).path),
                              capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, check=False)
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertNotIn("error", done.stderr)
        workers = re.findall(r"^\s+(\d+)\s+\d+\s+\d+\s+[\d.]+s$", done.stdout, re.M)
        self.assertEqual(["0", "1", "2", "3"], workers, done.stdout)
        # -C: the example's own settings (none: the defaults), not the checkout's dogfood .testr.conf
        self.assertIn("planned as the run will: 121 tests from examples/demo/tests.txt; grouping class (the default)",
                      done.stdout)
