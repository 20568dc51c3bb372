"""Fault injection, bad inputs: the installed ``partitioner`` and ``python -m partitioner.run`` given unreadable,
misencoded, damaged or absurd inputs answer with one error line and exit 1 (2 for usage), never a traceback,
and change nothing they only read (issue 10 items 2, 3, 6, 7, 8).

These run the real entry points as users start them (a console script, ``python -m``); the property suite
(``tests/test_properties.py``) drives ``partitioner.cli.main`` in-process over generated inputs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import fixtures
import testtools

from tests.builders import A, B, rec, stream
from tests.faults import assert_one_line_error, partitioner, permissions_bind
from tests.suites import tool, tool_env, tree_snapshot, two_test_project

IDS = f"{A}.test_1\n{A}.test_2\n{B}.test_1\n"


class InputCase(testtools.TestCase):
    """A project ``self.dir`` with ids.txt and a .testrepository holding one run."""

    def setUp(self) -> None:
        super().setUp()
        self.dir = Path(self.useFixture(fixtures.TempDir()).path)
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE_DIR", str(self.dir.parent / "cache")))
        (self.dir / "ids.txt").write_text(IDS)
        repo = self.dir / ".testrepository"
        repo.mkdir()
        (repo / "format").write_text("1\n")
        (repo / "0").write_bytes(stream([rec(f"{A}.test_1", "worker-0", 0.0, 2.0),
                                         rec(f"{B}.test_1", "worker-1", 0.0, 1.0)]))
        (repo / "next-stream").write_text("1\n")
        self.before = tree_snapshot(repo)
        self.addCleanup(self.assertUnchanged)

    def assertUnchanged(self) -> None:
        self.assertEqual(self.before, tree_snapshot(self.dir / ".testrepository"), "a read-only input changed")

    def cli(self, *argv: str, unprivileged: bool = False) -> tuple[int, str, str]:
        proc = partitioner(*argv, cwd=self.dir, unprivileged_=unprivileged)
        return proc.returncode, proc.stdout, proc.stderr

    def fails(self, code: int, fragment: str, *argv: str, unprivileged: bool = False) -> str:
        return assert_one_line_error(self, partitioner(*argv, cwd=self.dir, unprivileged_=unprivileged), code,
                                     fragment)


class TestUnreadable(InputCase):
    def test_permission_denied_is_said_as_such(self) -> None:
        # issue 10 item 7: an unreadable --history said "not a history source"
        if not permissions_bind():
            self.skipTest("file permissions do not bind a child here (capabilities cannot be dropped)")
        (self.dir / "t.json").write_text('{"format_version": 1, "tests": {}}')
        copy = self.dir / "copy"
        copy.mkdir()
        for path in (self.dir / "t.json", copy):
            path.chmod(0)
            self.addCleanup(path.chmod, 0o700)
        for source in ("t.json", "copy"):
            self.fails(1, f"cannot read {self.dir / source}: Permission denied; check its permissions",
                       "plan", "-n", "2", "--tests", "ids.txt", "--history", source, unprivileged=True)
        (self.dir / "ids.txt").chmod(0)
        self.addCleanup((self.dir / "ids.txt").chmod, 0o600)
        self.fails(1, "cannot read test list ids.txt: Permission denied", "plan", "-n", "2", "--tests", "ids.txt",
                   unprivileged=True)


class TestEncodings(InputCase):
    def test_ids_that_are_not_utf8(self) -> None:
        # issue 10 item 6: exit 0 with replacement characters; a binary file planned as "ids"
        (self.dir / "latin.txt").write_bytes(b"a.b.C.test_\xe9\n")
        self.fails(1, "test list latin.txt: line 1 is not UTF-8 text (byte 0xe9 at column 12)",
                   "plan", "-n", "2", "--tests", "latin.txt")
        (self.dir / "binary").write_bytes(Path(sys.executable).resolve().read_bytes()[:4096])
        self.fails(1, "test list binary: line 1 holds the control character", "plan", "-n", "2", "--tests", "binary")

    def test_the_runner_load_list(self) -> None:
        (self.dir / "latin.txt").write_bytes(b"a.b.C.test_1\na.b.C.test_\xe9\n")
        proc = subprocess.run([sys.executable, "-m", "partitioner.run", "--load-list", "latin.txt", "--",
                               sys.executable, "-m", "subunit.run", "discover"], cwd=self.dir, env=tool_env(),
                              capture_output=True, text=True, check=False, timeout=60, stdin=subprocess.DEVNULL)
        assert_one_line_error(self, proc, 1, "the --load-list file latin.txt: line 2 is not UTF-8 text")


class TestConfigFiles(InputCase):
    def test_damaged_config_files(self) -> None:
        for text, fragment in [
            (f"[tool.partitioner]\nconcurrency = {'[' * 500}{']' * 500}\n", "nested too deeply"),
            ("[tool.partitioner]\nresources = {a = 1}\n", "resources is a table; it takes"),
            ("[tool.partitioner]\nresources = 5\n", "resources is an integer"),
            ("tool.partitioner = 'x'\n", "is a string, not a table"),
            ("[tool.partitioner\n", "cannot parse"),
            ("\xff", "cannot parse"),
        ]:
            (self.dir / "pyproject.toml").write_bytes(text.encode("latin-1"))
            self.fails(1, fragment, "plan", "-n", "2", "--tests", "ids.txt")

    def test_an_absurd_concurrency_is_capped(self) -> None:
        # issue 10 item 3: a configured 10**20 hung plan; -n 10000000 ran past 60 s and 2 GB
        (self.dir / "pyproject.toml").write_text("[tool.partitioner]\nconcurrency = 99999999999999999999\n")
        code, out, err = self.cli("plan", "--tests", "ids.txt", "--format", "json")
        self.assertEqual(0, code, err)
        self.assertEqual(3, json.loads(out)["concurrency"])
        self.assertIn("99999999999999999999 workers asked for, but there are only 3 tests: planned for 3", err)
        code, out, err = self.cli("concurrency", "--within", "5", "--tests", "ids.txt")
        self.assertEqual(0, code, err)
        self.assertIn(out.strip(), ("1", "2", "3"))


class TestUsage(InputCase):
    def test_usage_errors_are_one_line_exit_2(self) -> None:
        # issue 10 item 8: argparse's usage block made these 4-5 lines
        self.fails(2, "partitioner plan: error: argument -n/--concurrency", "plan", "-n", "x")
        self.fails(2, "partitioner history merge: error: argument --keep", "history", "merge", "--keep", "0", "a")
        self.fails(2, "partitioner concurrency: error: argument --within", "concurrency", "--within", "nan")
        self.fails(2, "partitioner: error: the following arguments are required: COMMAND")
        self.fails(2, "no such directory: /nonexistent", "concurrency", "-C", "/nonexistent")

    def test_the_runners_errors_stay_one_line(self) -> None:
        proc = subprocess.run([sys.executable, "-m", "partitioner.run", "--load-list", "no\nsuch", "--", "true"],
                              cwd=self.dir, env=tool_env(), capture_output=True, text=True, check=False, timeout=60,
                              stdin=subprocess.DEVNULL)
        assert_one_line_error(self, proc, 1, "the --load-list file no\\nsuch")


class TestSuiteThatCannotLoad(testtools.TestCase):
    def test_exec_says_which_python_loaded_it_when_the_tool_fails_before_a_plan(self) -> None:
        # a new user without the suite's venv activated: stestr's discovery fails (exit 100) and partitioner
        # said nothing at all; `plan` in the same place already named the interpreter
        work = Path(self.useFixture(fixtures.TempDir()).path)
        (work / "pkg").mkdir()
        (work / "pkg" / "__init__.py").write_text("")
        (work / "pkg" / "test_x.py").write_text("import module_of_another_environment\n")
        (work / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./pkg\ntop_dir=./\n")
        subprocess.run([tool("stestr"), "init"], cwd=work, env=tool_env(), capture_output=True, check=True)
        # a dependency the project declares: the environment may be the cause, and the note says so
        (work / "requirements.txt").write_text("module-of-another-environment>=1.0\n")
        proc = partitioner("exec", "--", tool("stestr"), "run", cwd=work,
                           PARTITIONER_CACHE_DIR=str(work / "cache"))
        self.assertNotEqual(0, proc.returncode)
        python = Path(tool("stestr")).parent
        self.assertIn(f"partitioner: note: {tool('stestr')} exited with status {proc.returncode} before it asked for a "
                      f"plan: its test listing fails under {python}", proc.stderr)
        self.assertIn("1 test module could not be imported: pkg.test_x (importing pkg.test_x: pkg/test_x.py, line 1: "
                      "ModuleNotFoundError: No module named 'module_of_another_environment'); "
                      "module_of_another_environment is a requirement the project declares (requirements.txt) that ",
                      proc.stderr)
        self.assertIn("install the requirements for it, or activate the environment that has them", proc.stderr)
        self.assertEqual(1, len(proc.stderr.split("partitioner: note:")[-1].strip().splitlines()), proc.stderr)
        self.assertNotIn("Traceback (most recent call last):\n  File \"/", proc.stderr.split("partitioner:")[-1])
        # a module nothing here has and nothing declares, or an error in the suite's own code: the note names what
        # failed and where, and suggests no other environment (it said "activate it or set PYTHON" to all)
        (work / "requirements.txt").unlink()
        for text, said in (("import module_of_another_environment\n", "fix the import there (a typo?)"),
                           ("import unittest\n\n\ndef broken(:\n", "SyntaxError: invalid syntax); fix the error "
                                                                   "there")):
            (work / "pkg" / "test_x.py").write_text(text)
            proc = partitioner("exec", "--", tool("stestr"), "run", cwd=work,
                               PARTITIONER_CACHE_DIR=str(work / "cache"))
            self.assertNotEqual(0, proc.returncode)
            note = proc.stderr.split("partitioner: note:")[-1]
            self.assertIn("its test listing fails under", note)
            self.assertIn("could not be imported: pkg.test_x (importing pkg.test_x: pkg/test_x.py, line ", note)
            self.assertIn(said, note)
            self.assertNotIn("activate", note)
            self.assertNotIn("set PYTHON", note)
        # a serial run that ran and stored its tests never asks for a plan: a failing test is no reason for the note
        (work / "pkg" / "test_x.py").write_text("import unittest\n\nclass T(unittest.TestCase):\n"
                                                "    def test_fails(self):\n        self.fail('red')\n")
        proc = partitioner("exec", "--", tool("stestr"), "run", "--serial", cwd=work,
                           PARTITIONER_CACHE_DIR=str(work / "cache"))
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assertIn("Failed: 1", proc.stdout)
        self.assertNotIn("before it asked for a plan", proc.stderr)
        # the tool's own usage error (exit 2) is the tool's to explain: no note blaming its listing
        proc = partitioner("exec", "--", tool("stestr"), "run", "--concurrency", "x", cwd=work,
                           PARTITIONER_CACHE_DIR=str(work / "cache"))
        self.assertEqual(2, proc.returncode, proc.stderr)
        self.assertNotIn("before it asked for a plan", proc.stderr)
        # no configuration to list with: testr says what it missed, and the note would only blame the environment
        empty = work / "empty"
        empty.mkdir()
        proc = partitioner("exec", "--", tool("testr"), "run", cwd=empty, PARTITIONER_CACHE_DIR=str(work / "cache"))
        self.assertNotIn(proc.returncode, (0, 2), proc.stderr)
        self.assertIn("No repository found", proc.stdout + proc.stderr)
        self.assertNotIn("before it asked for a plan", proc.stderr)


class TestDamagedTimings(testtools.TestCase):
    def test_exec_stops_before_the_run_when_the_tool_could_not_store_it(self) -> None:
        # the tool writes the run's timings into times.dbm as it stores the run; plain stestr/testr open it at
        # their start to partition, our plan need not, and a damaged file failed the store after every test ran
        work = Path(self.useFixture(fixtures.TempDir()).path)
        (work / "pkg").mkdir()
        (work / "pkg" / "__init__.py").write_text("")
        (work / "pkg" / "test_x.py").write_text(
            "import unittest\n\nclass T(unittest.TestCase):\n    def test_a(self):\n"
            "        open('ran.log', 'a').write('a')\n\n    def test_b(self):\n        pass\n")
        (work / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./pkg\ntop_dir=./\n")
        (work / ".testr.conf").write_text(
            "[DEFAULT]\ntest_command=${PYTHON:-python} -m subunit.run discover -t ./ ./pkg $LISTOPT $IDOPTION\n"
            "test_id_option=--load-list $IDFILE\ntest_list_option=--list\n")
        env = tool_env(PARTITIONER_CACHE_DIR=str(work / "cache"))
        for name, repo, run in (("stestr", ".stestr", ["run", "--concurrency", "2"]),
                                ("testr", ".testrepository", ["run", "--parallel", "--concurrency", "2"])):
            subprocess.run([tool(name), "init"], cwd=work, env=env, capture_output=True, check=True)
            subprocess.run([tool(name), "run"], cwd=work, env=env, capture_output=True, check=True)
            damaged = sorted((work / repo).glob("times.dbm*"))
            self.assertNotEqual([], damaged, name)
            for path in damaged:
                path.write_text("garbage\n")
            (work / "ran.log").unlink()
            before = tree_snapshot(work / repo)
            proc = subprocess.run([tool("partitioner"), "exec", "--", tool(name), *run], cwd=work, env=env,
                                  capture_output=True, text=True, check=False, timeout=120)
            self.assertEqual(1, proc.returncode, proc.stderr)
            self.assertNotIn("Traceback", proc.stderr)
            errors = [line for line in proc.stderr.splitlines() if line.startswith("partitioner: error: ")]
            self.assertEqual(1, len(errors), proc.stderr)
            self.assertIn(f"{work / repo / 'times.dbm'} cannot be opened (ValueError", errors[0])
            self.assertIn("move the damaged file aside", errors[0])
            self.assertNotIn("before it asked for a plan", proc.stderr)
            self.assertFalse((work / "ran.log").exists(), f"{name}: a test ran")
            self.assertEqual(before, tree_snapshot(work / repo), f"{name}: its repository changed")

    def test_a_history_that_cannot_be_read_stops_the_tool_with_our_line_alone(self) -> None:
        # a source that exists but is no history fails as the tool asks for a plan: exec added a note blaming
        # the tool's listing and the environment
        work = Path(self.useFixture(fixtures.TempDir()).path)
        two_test_project(work)
        (work / "garbage.subunit").write_bytes(b"\x00\x01 not a history\n")
        env = tool_env(PARTITIONER_CACHE_DIR=str(work / "cache"))
        subprocess.run([tool("stestr"), "init"], cwd=work, env=env, capture_output=True, check=True)
        proc = subprocess.run([tool("partitioner"), "exec", "--history", "garbage.subunit", "--", tool("stestr"), "run",
                               "--concurrency", "2"], cwd=work, env=env, capture_output=True, text=True, check=False,
                              timeout=120)
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assertEqual(1, len([line for line in proc.stderr.splitlines() if ": error: " in line]), proc.stderr)
        self.assertIn("garbage.subunit", proc.stderr)
        self.assertNotIn("before it asked for a plan", proc.stderr)
        self.assertNotIn("Traceback", proc.stderr)


def _contents(root: Path) -> dict[str, bytes | None] | None:
    """What a tree holds, without its times (``None``: no tree)."""
    return {name: data for name, (data, _) in tree_snapshot(root).items()} if root.exists() else None


class TestToolConfigUnderExec(testtools.TestCase):
    """The tool's own config file, broken, under ``partitioner exec``: stestr showed configparser's traceback and
    testr its three-line message, then exec added a note blaming the tool's test listing and the environment."""

    STESTR = "[DEFAULT]\ntest_path=./pkg\ntop_dir=./\n"
    TESTR = ("[DEFAULT]\ntest_command=${PYTHON:-python} -m subunit.run discover -t ./ ./pkg $LISTOPT $IDOPTION\n"
             "test_id_option=--load-list $IDFILE\ntest_list_option=--list\n")

    def setUp(self) -> None:
        super().setUp()
        self.work = Path(self.useFixture(fixtures.TempDir()).path)
        (self.work / "pkg").mkdir()
        (self.work / "pkg" / "__init__.py").write_text("")
        (self.work / "pkg" / "test_x.py").write_text(
            "import unittest\n\nclass T(unittest.TestCase):\n    def test_a(self):\n"
            "        open('ran.log', 'a').write('a')\n\n    def test_b(self):\n        pass\n")
        self.env = tool_env(PARTITIONER_CACHE_DIR=str(self.work / "cache"))

    def exec_fails(self, name: str, conf: str, text: str, fragment: str, *run: str) -> None:
        (self.work / conf).write_text(text)
        repo = self.work / (".stestr" if name == "stestr" else ".testrepository")
        before = tree_snapshot(repo) if repo.exists() else None
        proc = subprocess.run([tool("partitioner"), "exec", "--", tool(name), *run], cwd=self.work, env=self.env,
                              capture_output=True, text=True, check=False, timeout=120, stdin=subprocess.DEVNULL)
        line = assert_one_line_error(self, proc, 1, fragment)
        self.assertIn(str(self.work / conf), line)
        self.assertNotIn("before it asked for a plan", proc.stderr)
        self.assertFalse((self.work / "ran.log").exists(), f"{name}: a test ran")
        self.assertEqual(before, tree_snapshot(repo) if repo.exists() else None, f"{name}: its repository changed")

    def test_a_malformed_or_incomplete_stestr_conf(self) -> None:
        run = ("run", "--concurrency", "2")
        # no repository yet: stestr creates one only after reading its config, and none is made
        self.exec_fails("stestr", ".stestr.conf", "[DEFAULT\ntest_path=./pkg\n",
                        "line 1 '[DEFAULT': File contains no section headers; close the section header", *run)
        subprocess.run([tool("stestr"), "init"], cwd=self.work, env=self.env, capture_output=True, check=True)
        self.exec_fails("stestr", ".stestr.conf", "[DEFAULT\ntest_path=./pkg\n", "File contains no section headers",
                        *run)
        self.exec_fails("stestr", ".stestr.conf", self.STESTR + "oops\n",
                        "line 4 'oops': parsing error: it is neither a [section] header nor", *run)
        self.exec_fails("stestr", ".stestr.conf", self.STESTR + "top_dir=./\n", "line 4: option 'top_dir'", *run)
        self.exec_fails("stestr", ".stestr.conf", "[DEFAULT]\ntop_dir=./\n",
                        "sets no test_path in [DEFAULT] and no --test-path was given", *run)
        self.exec_fails("stestr", ".stestr.conf", "[DEFAULT]\ntop_dir=./\n", "sets no test_path", "list")
        # what stestr accepts is run: the test path given on its command line
        proc = subprocess.run([tool("partitioner"), "exec", "--", tool("stestr"), "--test-path", "./pkg", *run],
                              cwd=self.work, env=self.env, capture_output=True, text=True, check=False, timeout=120)
        self.assertEqual(0, proc.returncode, proc.stderr)
        # plan says the same file and line
        (self.work / ".stestr.conf").write_text("[DEFAULT\ntest_path=./pkg\n")
        proc = subprocess.run([tool("partitioner"), "plan", "-n", "2"], cwd=self.work, env=self.env,
                              capture_output=True, text=True, check=False, timeout=120)
        assert_one_line_error(self, proc, 1, "line 1 '[DEFAULT': File contains no section headers")

    def test_a_stestr_group_regex_that_is_no_regex(self) -> None:
        # stestr compiles it as it builds its run command: its re.error traceback, under plain stestr too (44 lines)
        run = ("run", "--concurrency", "2")
        subprocess.run([tool("stestr"), "init"], cwd=self.work, env=self.env, capture_output=True, check=True)
        self.exec_fails("stestr", ".stestr.conf", self.STESTR + "group_regex=([unclosed\n",
                        "'([unclosed' is not a valid regular expression (unterminated character set at position 1)",
                        *run)
        (self.work / ".stestr.conf").write_text(self.STESTR)
        proc = subprocess.run([tool("partitioner"), "exec", "--", tool("stestr"), *run, "--group-regex", "(x"],
                              cwd=self.work, env=self.env, capture_output=True, text=True, check=False, timeout=120,
                              stdin=subprocess.DEVNULL)
        assert_one_line_error(self, proc, 1, "--group-regex: '(x' is not a valid regular expression")
        self.assertFalse((self.work / "ran.log").exists())

    def test_a_stestr_test_path_that_names_no_directory(self) -> None:
        # stestr's discovery failed with unittest's ImportError traceback ("Start directory is not importable"), and
        # exec's note blamed the listing; plan said one line: exec says the same, before a test is listed or run
        conf = self.work / ".stestr.conf"
        text = "[DEFAULT]\ntest_path=./pkgs\ntop_dir=./\n"
        said = (f"test_path ./pkgs ([DEFAULT] in {conf}) names {self.work / 'pkgs'}, which does not exist: stestr "
                "discovers the tests from there; point it at the directory holding the tests")
        run = ("run", "--concurrency", "2")
        # no repository yet: stestr 4.2 makes one after reading its config, before it lists (4.0 before reading its
        # config at all), then fails; under exec it makes the same one and nothing more
        twin = Path(self.useFixture(fixtures.TempDir()).path)
        shutil.copytree(self.work / "pkg", twin / "pkg")
        (twin / ".stestr.conf").write_text(text)
        plain = subprocess.run([tool("stestr"), *run], cwd=twin, env=self.env, capture_output=True, text=True,
                               check=False, timeout=120, stdin=subprocess.DEVNULL)
        self.assertNotEqual(0, plain.returncode)
        self.assertIn("Start directory is not importable", plain.stdout + plain.stderr)
        conf.write_text(text)
        proc = subprocess.run([tool("partitioner"), "exec", "--", tool("stestr"), *run], cwd=self.work, env=self.env,
                              capture_output=True, text=True, check=False, timeout=120, stdin=subprocess.DEVNULL)
        self.assertEqual(f"partitioner: error: {said}, or pass one as `stestr --test-path DIR run`",
                         assert_one_line_error(self, proc, 1))
        self.assertNotIn("before it asked for a plan", proc.stderr)
        self.assertFalse((self.work / "ran.log").exists(), "a test ran")
        self.assertEqual(_contents(twin / ".stestr"), _contents(self.work / ".stestr"), "not what plain stestr left")
        # a repository: left as it is, for a run and for a listing
        subprocess.run([tool("stestr"), "init"], cwd=self.work, env=self.env, capture_output=True, check=False)
        self.exec_fails("stestr", ".stestr.conf", text, said, *run)
        self.exec_fails("stestr", ".stestr.conf", text, said, "list")
        # the command line's --test-path is what stestr discovers from: named when it is the one missing, and the
        # file's is then no matter
        before = tree_snapshot(self.work / ".stestr")
        proc = subprocess.run([tool("partitioner"), "exec", "--", tool("stestr"), "--test-path", "./pkg/test_x.py",
                               *run], cwd=self.work, env=self.env, capture_output=True, text=True, check=False,
                              timeout=120, stdin=subprocess.DEVNULL)
        assert_one_line_error(self, proc, 1, f"test_path ./pkg/test_x.py (--test-path) names "
                                             f"{self.work / 'pkg' / 'test_x.py'}, which is not a directory: ")
        self.assertEqual(before, tree_snapshot(self.work / ".stestr"))
        proc = subprocess.run([tool("partitioner"), "exec", "--", tool("stestr"), "--test-path", "./pkg", *run],
                              cwd=self.work, env=self.env, capture_output=True, text=True, check=False, timeout=120)
        self.assertEqual(0, proc.returncode, proc.stderr)
        # plan says the same line, with its own way out
        proc = subprocess.run([tool("partitioner"), "plan", "-n", "2"], cwd=self.work, env=self.env,
                              capture_output=True, text=True, check=False, timeout=120)
        self.assertEqual(f"partitioner: error: {said}, or pass --tests FILE", assert_one_line_error(self, proc, 1))

    def test_a_malformed_or_incomplete_testr_conf(self) -> None:
        run = ("run", "--parallel", "--concurrency", "2")
        subprocess.run([tool("testr"), "init"], cwd=self.work, env=self.env, capture_output=True, check=True)
        self.exec_fails("testr", ".testr.conf", "[DEFAULT\n" + self.TESTR.split("\n", 1)[1],
                        "line 1 '[DEFAULT': File contains no section headers; close the section header", *run)
        self.exec_fails("testr", ".testr.conf", "[DEFAULT]\ntest_id_option=--load-list $IDFILE\n",
                        "sets no test_command in [DEFAULT]", *run)
        self.exec_fails("testr", ".testr.conf", self.TESTR.replace("test_list_option=--list\n", ""),
                        "sets no test_list_option in [DEFAULT] (its test_command uses $LISTOPT)", *run)
        (self.work / ".testr.conf").unlink()
        before = tree_snapshot(self.work / ".testrepository")
        proc = subprocess.run([tool("partitioner"), "exec", "--", tool("testr"), *run], cwd=self.work, env=self.env,
                              capture_output=True, text=True, check=False, timeout=120, stdin=subprocess.DEVNULL)
        assert_one_line_error(self, proc, 1, f"no {self.work / '.testr.conf'}: testr reads its test_command there")
        self.assertEqual(before, tree_snapshot(self.work / ".testrepository"))

    def test_a_tool_config_that_is_a_directory(self) -> None:
        # read as "neither .testr.conf nor .stestr.conf" (plan) and "no stestr configuration" (exec): the tools pass
        # over a name that is no file, so both now say what the name is and how to fix it
        for name, conf, run in (("stestr", ".stestr.conf", ("run", "--concurrency", "2")),
                                ("testr", ".testr.conf", ("run", "--parallel", "--concurrency", "2"))):
            (self.work / conf).mkdir()
            said = (f"{self.work / conf} is a directory, not a file: {name} reads its configuration from a file of "
                    "that name; move the directory away and create a file with [DEFAULT] and ")
            if name == "testr":
                subprocess.run([tool("testr"), "init"], cwd=self.work, env=self.env, capture_output=True, check=True)
            proc = subprocess.run([tool("partitioner"), "exec", "--", tool(name), *run], cwd=self.work, env=self.env,
                                  capture_output=True, text=True, check=False, timeout=120, stdin=subprocess.DEVNULL)
            assert_one_line_error(self, proc, 1, said)
            self.assertNotIn("before it asked for a plan", proc.stderr)
            self.assertFalse((self.work / "ran.log").exists(), f"{name}: a test ran")
            proc = subprocess.run([tool("partitioner"), "plan", "-n", "2"], cwd=self.work, env=self.env,
                                  capture_output=True, text=True, check=False, timeout=120)
            assert_one_line_error(self, proc, 1, said)
            (self.work / conf).rmdir()
