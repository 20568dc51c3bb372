"""End to end: ``.testr.conf`` test_commands as OpenStack projects write them run under ``partitioner exec --
testr run --parallel`` as under plain testr: leading ``NAME=value`` words (``OS_STDOUT_CAPTURE=1 ${PYTHON:-python}
-m subunit.run ...``), and pbr-era commands continued over several lines with a backslash.

Found by a sweep of real sdists (oslo.i18n 3.17.0): exec started the listing and the workers as ``exec COMMAND``,
so a command that began with an assignment ran a program named ``OS_STDOUT_CAPTURE=1`` (the listing failed), and a
command continued over lines was never recognised (static plan only)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import fixtures
import testtools

from tests.dispatch.helpers import read_events, write_package
from tests.suites import tool, tool_env

#: the tests fail unless testr's shell set the command's assignments for them
ENV_TESTS = """
import os
import unittest


class Env(unittest.TestCase):
""" + "".join(f"""
    def test_{n}(self):
        self.assertEqual(("1", "60"), (os.environ.get("OS_STDOUT_CAPTURE"), os.environ.get("OS_TEST_TIMEOUT")))
""" for n in range(8))

ONE_LINE = ("OS_STDOUT_CAPTURE=${OS_STDOUT_CAPTURE:-1} OS_TEST_TIMEOUT=${OS_TEST_TIMEOUT:-60} "
            "${PYTHON:-python} -m subunit.run discover -t ./ ./pkg $LISTOPT $IDOPTION")
#: as pbr-era projects write it: configparser keeps each continued line, the shell joins them
CONTINUED = ("OS_STDOUT_CAPTURE=${OS_STDOUT_CAPTURE:-1} \\\n"
             "             OS_TEST_TIMEOUT=${OS_TEST_TIMEOUT:-60} \\\n"
             "             ${PYTHON:-python} -m subunit.run discover -t ./ ./pkg $LISTOPT $IDOPTION")


class TestTestrCommands(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.root = Path(self.useFixture(fixtures.TempDir()).path)
        write_package(self.root, {"test_env": ENV_TESTS})
        self.env = tool_env(PARTITIONER_CACHE_DIR=self.useFixture(fixtures.TempDir()).path)
        for name in ("OS_STDOUT_CAPTURE", "OS_TEST_TIMEOUT"):
            self.env.pop(name, None)

    def runs_as_plain_testr(self, command: str) -> None:
        (self.root / ".testr.conf").write_text(f"[DEFAULT]\ntest_command={command}\n"
                                               "test_id_option=--load-list $IDFILE\ntest_list_option=--list\n")
        subprocess.run([tool("testr"), "init"], cwd=self.root, env=self.env, check=True, capture_output=True)
        modes = []
        for flags in ([], [], ["--dispatch", "static"]):  # a first run (dynamic), then the static plan twice
            proc = subprocess.run([tool("partitioner"), "exec", *flags, "--", tool("testr"), "run", "--parallel",
                                   "--concurrency", "2"], cwd=self.root, env=self.env, capture_output=True,
                                  text=True, check=False, timeout=180, stdin=subprocess.DEVNULL)
            self.assertEqual(0, proc.returncode, proc.stderr)
            self.assertNotIn("Traceback", proc.stderr)
            self.assertNotIn("is not one", proc.stderr)  # no note that the command is not recognised
            modes.append("dynamic" if "dynamic dispatch (" in proc.stderr else "static")
            stored = subprocess.run([tool("testr"), "last", "--subunit"], cwd=self.root, env=self.env,
                                    capture_output=True, check=False, timeout=60).stdout
            finals = {t: s for t, s in read_events(stored).finals().items() if t != "process-returncode"}
            self.assertEqual({f"pkg.test_env.Env.test_{n}": ["success"] for n in range(8)}, finals)
        self.assertEqual("dynamic", modes[0])

    def test_a_command_that_starts_with_assignments(self) -> None:
        self.runs_as_plain_testr(ONE_LINE)

    def test_a_command_continued_over_lines(self) -> None:
        self.runs_as_plain_testr(CONTINUED)
