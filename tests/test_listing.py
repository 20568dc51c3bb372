"""Tests for partitioner.listing: listings as subunit or text, and the one id-file reader."""

from __future__ import annotations

import importlib.util
import io
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import fixtures
import testtools

from partitioner.config import load_settings
from partitioner.errors import InputError
from partitioner.interpreters import other_python, script_python, suite_python
from partitioner.listing import (
    STESTR_RUNNER,
    SUBUNIT_RUNNER,
    default_ids,
    discovery_paths,
    expand_shell_word,
    missing_test_path,
    parse_listing,
    read_id_file,
    stestr_runner,
)


class TestListing(testtools.TestCase):
    def test_plain_text_listing_is_accepted(self) -> None:
        self.assertEqual(["a.b", "c"], parse_listing(b"a.b\n\nc\na.b\n"))


class TestReadIdFile(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.dir = Path(self.useFixture(fixtures.TempDir()).path)

    def test_people_write_comments_testr_writes_ids(self) -> None:
        path = self.dir / "ids"
        path.write_bytes(b" a.B.t1 \r\n# a comment\n\na.B.t2\r\na.B.t1\n#c.D.t\n")
        self.assertEqual(["a.B.t1", "a.B.t2", "a.B.t1"], read_id_file(str(path)))
        self.assertEqual(["a.B.t1", "# a comment", "a.B.t2", "#c.D.t"], read_id_file(str(path), load_list=True))

    def test_dash_is_stdin(self) -> None:
        self.assertEqual(["x.Y.z"], read_id_file("-", io.BytesIO(b"x.Y.z\n# no\n")))

    def test_unreadable_file_is_one_input_error_naming_it(self) -> None:
        missing = self.dir / "nope"
        error = self.assertRaises(InputError, read_id_file, str(missing))
        self.assertEqual(f"cannot read test list {missing}: No such file or directory; pass a readable file of "
                         "test ids, one per line, or - for stdin", str(error))
        error = self.assertRaises(InputError, read_id_file, str(missing), load_list=True)
        self.assertIn(f"cannot read the --load-list file {missing}: ", str(error))

    def test_ids_that_are_not_utf8_are_an_error_naming_file_and_line(self) -> None:
        # issue 10 item 6: a Latin-1 line was planned with replacement characters, a binary file as 34 "ids"
        path = self.dir / "ids"
        path.write_bytes(b"a.B.t1\na.B.t\xe9\n")
        error = self.assertRaises(InputError, read_id_file, str(path))
        self.assertEqual(f"test list {path}: line 2 is not UTF-8 text (byte 0xe9 at column 6); test ids are UTF-8: "
                         "save the file as UTF-8", str(error))
        error = self.assertRaises(InputError, read_id_file, str(path), load_list=True)
        self.assertIn(f"the --load-list file {path}: line 2 is not UTF-8 text", str(error))
        error = self.assertRaises(InputError, read_id_file, "-", io.BytesIO(b"\xff"))
        self.assertIn("the test list on stdin: line 1 is not UTF-8 text (byte 0xff at column 1)", str(error))

    def test_a_binary_file_is_no_id_list(self) -> None:
        path = self.dir / "ids"
        path.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\n\x03\x00")
        error = self.assertRaises(InputError, read_id_file, str(path))
        self.assertEqual(f"test list {path}: line 1 holds the control character '\\x7f', so it is no list of test "
                         "ids (a binary file?); pass a text file with one test id per line", str(error))
        self.assertRaises(InputError, read_id_file, str(path), load_list=True)

    def test_utf8_ids_and_a_bom_are_kept(self) -> None:
        path = self.dir / "ids"
        path.write_bytes("\ufeffa.B.t\u00e9\n\tb.C.t[x]\n".encode())
        self.assertEqual(["a.B.t\u00e9", "b.C.t[x]"], read_id_file(str(path)))
        self.assertEqual(["a.B.t\u00e9", "b.C.t[x]"], read_id_file(str(path), load_list=True))

    def test_a_text_listing_that_is_not_utf8_is_an_error(self) -> None:
        self.assertRaises(InputError, parse_listing, b"a.b\nc\xe9\n")


def _script(directory: Path, name: str, text: str) -> str:
    path = directory / name
    path.write_text(text)
    path.chmod(0o755)
    return str(path)


class TestSuitePython(testtools.TestCase):
    """Which interpreter the suite's tests load with: $PYTHON, the tool's on PATH, or ours."""

    def setUp(self) -> None:
        super().setUp()
        self.bin = Path(self.useFixture(fixtures.TempDir()).path) / "venv" / "bin"
        self.bin.mkdir(parents=True)
        self.python = str(self.bin / "python3.11")

    def test_the_interpreter_of_a_console_script_in_each_form_pip_writes(self) -> None:
        direct = _script(self.bin, "a", f"#!{self.python}\nimport sys\n")
        long_path = _script(self.bin, "b", f"#!/bin/sh\n'''exec' \"{self.python}\" \"$0\" \"$@\"\n' '''\n")
        shell = _script(self.bin, "c", "#!/bin/sh\nexec true\n")
        plain = _script(self.bin, "d", "no interpreter line\n")
        self.assertEqual([self.python, self.python, None, None, None],
                         [script_python(p) for p in (direct, long_path, shell, plain, str(self.bin / "gone"))])

    def test_env_lines_name_the_interpreter_on_path_unless_it_is_a_shim(self) -> None:
        script = _script(self.bin, "e", "#!/usr/bin/env python3\n")
        python3 = self.bin / "python3"
        python3.symlink_to(sys.executable)
        self.useFixture(fixtures.EnvironmentVariable("PATH", f"{self.bin}:/usr/bin:/bin"))
        self.assertEqual(str(python3), script_python(script))
        python3.unlink()
        _script(self.bin, "python3", '#!/usr/bin/env bash\nexec "$(pyenv which python3)" "$@"\n')  # pyenv's
        self.assertIsNone(script_python(script))

    def test_pythons_own_setting_wins_then_the_activated_environment_s_tool_then_ours(self) -> None:
        _script(self.bin, "stestr", f"#!{self.python}\n")
        path = f"{self.bin}:/usr/bin:/bin"
        venv = str(self.bin.parent)
        self.assertEqual(("/x/python", "$PYTHON"),
                         suite_python("stestr", {"PYTHON": "/x/python", "PATH": path, "VIRTUAL_ENV": venv}))
        python, where = suite_python("stestr", {"PATH": path, "VIRTUAL_ENV": venv})
        self.assertEqual(self.python, python)
        self.assertIn(f"{self.bin / 'stestr'}, the first stestr on PATH", where)
        self.assertEqual(self.python, suite_python("stestr", {"PATH": path, "CONDA_PREFIX": venv})[0])
        self.assertEqual(sys.executable, suite_python("stestr", {"PATH": "/nonexistent", "VIRTUAL_ENV": venv})[0])

    def test_a_tool_on_path_outside_the_activated_environment_says_nothing_of_the_suite(self) -> None:
        # a system package's /usr/bin/stestr while partitioner's venv runs `exec -- stestr` unactivated: the
        # tests keep loading with partitioner's interpreter, as its own stestr would load them
        _script(self.bin, "stestr", f"#!{self.python}\n")
        path = f"{self.bin}:/usr/bin:/bin"
        self.assertEqual(sys.executable, suite_python("stestr", {"PATH": path})[0])
        self.assertEqual(sys.executable, suite_python("stestr", {"PATH": path, "VIRTUAL_ENV": "/elsewhere"})[0])

    def test_a_tool_of_this_environment_keeps_this_interpreter(self) -> None:
        ours = Path(sys.executable).parent
        _script(self.bin, "stestr", f"#!{ours / 'python3'}\n")
        self.assertIsNone(other_python(str(self.bin / "stestr")))
        self.assertEqual(sys.executable, suite_python("stestr", {"PATH": str(self.bin)})[0])


class TestListingFailure(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        #: a stestr project whose one test module :meth:`failed_listing` writes
        self.work = Path(self.useFixture(fixtures.TempDir()).path)
        (self.work / "pkg").mkdir()
        (self.work / "pkg" / "__init__.py").write_text("")
        (self.work / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./pkg\ntop_dir=./\n")

    def test_the_error_names_the_interpreter_and_shows_what_the_runner_printed_on_stdout(self) -> None:
        # stestr's discovery prints import errors on stdout; stderr stays empty: the line used to say
        # "no error output"
        work = Path(self.useFixture(fixtures.TempDir()).path)
        python = _script(work, "python3", "#!/bin/sh\necho \"ImportError: No module named 'oslo_concurrency'\"\n"
                                          "exit 2\n")
        self.useFixture(fixtures.EnvironmentVariable("PYTHON", python))
        (work / "tests").mkdir()
        (work / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./tests\n")
        error = self.assertRaises(InputError, default_ids, work, load_settings(work))
        self.assertIn(f"under {python} ($PYTHON): ImportError: No module named 'oslo_concurrency'", str(error))
        self.assertIn("set PYTHON to the suite's interpreter", str(error))

    def test_modules_discovery_could_not_import_are_named_with_the_import_error(self) -> None:
        # the listing is a subunit stream naming them `unittest.loader._FailedTest.MODULE`: its bytes as text
        # were the message once ("E\ufffd")
        work = Path(self.useFixture(fixtures.TempDir()).path)
        (work / "pkg").mkdir()
        (work / "pkg" / "__init__.py").write_text("")
        (work / "pkg" / "test_ok.py").write_text("import unittest\nclass T(unittest.TestCase):\n"
                                                 "    def test_a(self):\n        pass\n")
        (work / "pkg" / "test_bad.py").write_text("import no_such_module_for_this_test\n")
        (work / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./pkg\ntop_dir=./\n")
        self.useFixture(fixtures.EnvironmentVariable("PYTHON", sys.executable))
        error = str(self.assertRaises(InputError, default_ids, work, load_settings(work)))
        self.assertIn("1 test module could not be imported: pkg.test_bad (importing pkg.test_bad: pkg/test_bad.py, "
                      "line 1: ModuleNotFoundError: No module named 'no_such_module_for_this_test')", error)
        self.assertNotIn("\ufffd", error)

    def test_python_subunits_runner_is_read_too_where_stestr_is_not_installed(self) -> None:
        # stestr's runner attaches each traceback; python-subunit's lists `_FailedTest` ids: importing again says why
        self.useFixture(fixtures.MonkeyPatch("partitioner.listing.stestr_runner", lambda python: SUBUNIT_RUNNER))
        error = self.failed_listing("import unittest\nimport no_such_module_for_this_test\n")
        self.assertIn("1 test module could not be imported: pkg.test_x (importing pkg.test_x: pkg/test_x.py, line 2: "
                      "ModuleNotFoundError: No module named 'no_such_module_for_this_test'); no Python found here",
                      error)

    def test_an_import_no_python_here_satisfies_is_the_suites_to_fix_not_the_environments(self) -> None:
        # a typo in the suite's own import was met with "set PYTHON to the suite's interpreter"
        error = self.failed_listing("import unittest\nimport no_such_module_for_this_test\n")
        self.assertIn("(importing pkg.test_x: pkg/test_x.py, line 2: ModuleNotFoundError: No module named "
                      "'no_such_module_for_this_test'); no Python found here has no_such_module_for_this_test, and the "
                      "project declares no such requirement: fix the import there (a typo?), or install "
                      f"no_such_module_for_this_test for {sys.executable}, or pass --tests FILE", error)
        self.assertNotIn("set PYTHON", error)
        self.assertNotIn("activate", error)

    def test_a_module_missing_from_the_suites_own_package_is_the_suites_to_fix(self) -> None:
        error = self.failed_listing("import pkg.no_such_helper\n")
        self.assertIn("No module named 'pkg.no_such_helper'); no Python found here has pkg.no_such_helper, and the "
                      "project declares no such requirement: fix the import there (a typo?)", error)

    def test_any_other_error_in_a_test_module_is_said_where_it_is(self) -> None:
        error = self.failed_listing("import unittest\n\n\ndef broken(:\n")
        self.assertIn("(importing pkg.test_x: pkg/test_x.py, line 4: SyntaxError: invalid syntax); fix the error "
                      "there, or pass --tests FILE", error)
        self.assertNotIn("set PYTHON", error)

    def test_a_module_another_environment_here_has_suggests_that_environment(self) -> None:
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(self.work / ".venv")], check=True,
                       capture_output=True)
        site = next((self.work / ".venv" / "lib").glob("python3*/site-packages"))
        (site / "only_in_the_other_venv.py").write_text("")
        error = self.failed_listing("import only_in_the_other_venv\n")
        self.assertIn(f"No module named 'only_in_the_other_venv'); only_in_the_other_venv is installed for "
                      f"{self.work / '.venv' / 'bin' / 'python'}: activate its environment or set PYTHON to it, or "
                      "pass --tests FILE", error)

    def test_a_declared_requirement_or_the_suites_own_package_suggests_the_environment(self) -> None:
        (self.work / "requirements.txt").write_text("pbr>=2.0\noslo.no_such_lib_here>=1.0  # Apache-2.0\n")
        error = self.failed_listing("import oslo_no_such_lib_here\n")
        self.assertIn(f"oslo_no_such_lib_here is a requirement the project declares (requirements.txt) that "
                      f"{sys.executable} does not have: install the requirements for it, or activate the environment "
                      "that has them (or set PYTHON to its python), or pass --tests FILE", error)
        (self.work / "src" / "mylib_not_installed").mkdir(parents=True)
        (self.work / "src" / "mylib_not_installed" / "__init__.py").write_text("")
        error = self.failed_listing("import mylib_not_installed\n")
        self.assertIn(f"mylib_not_installed is the suite's own package, which {sys.executable} does not have: "
                      f"install it ({sys.executable} -m pip install -e .), or activate the environment that has it",
                      error)

    def failed_listing(self, module: str) -> str:
        """The error of a listing in ``self.work`` whose one test module is ``module``'s text."""
        self.useFixture(fixtures.EnvironmentVariable("PYTHON", sys.executable))
        (self.work / "pkg" / "test_x.py").write_text(module)
        error = str(self.assertRaises(InputError, default_ids, self.work, load_settings(self.work)))
        self.assertEqual(1, len(error.splitlines()), error)
        return error

    def test_an_interpreter_that_cannot_start_is_named(self) -> None:
        work = Path(self.useFixture(fixtures.TempDir()).path)
        (work / "tests").mkdir()
        (work / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./tests\n")
        self.useFixture(fixtures.EnvironmentVariable("PYTHON", "/nonexistent/python"))
        error = str(self.assertRaises(InputError, default_ids, work, load_settings(work)))
        self.assertIn("/nonexistent/python ($PYTHON): No such file or directory; set PYTHON to the suite's "
                      "interpreter", error)


class TestStestrRunner(testtools.TestCase):
    """A stestr project lists with stestr's runner, as ``stestr list`` does, where stestr is installed: python-subunit's
    waits forever to write into a pipe once eventlet has patched the suite (oslo.messaging)."""

    def test_stestrs_runner_where_the_interpreter_has_stestr_else_python_subunits(self) -> None:
        self.assertEqual(STESTR_RUNNER, stestr_runner(sys.executable))
        work = Path(self.useFixture(fixtures.TempDir()).path)
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(work / "venv")], check=True,
                       capture_output=True)
        self.assertEqual(SUBUNIT_RUNNER, stestr_runner(str(work / "venv" / "bin" / "python")))
        self.assertEqual(SUBUNIT_RUNNER, stestr_runner(str(work / "no-such-python")))


class TestHungListing(testtools.TestCase):
    """A listing that never ends is stopped, with all it started, and is one line saying what hung, where, and the
    way round it: ``plan`` used to wait forever, silent."""

    def setUp(self) -> None:
        super().setUp()
        self.work = Path(self.useFixture(fixtures.TempDir()).path)
        self.useFixture(fixtures.EnvironmentVariable("PYTHON", sys.executable))

    def test_a_listing_past_its_time_is_stopped_with_its_children_and_named(self) -> None:
        sleeper = "import os, time; open('pid', 'w').write(str(os.getpid())); time.sleep(60)"
        (self.work / ".testr.conf").write_text(f'[DEFAULT]\ntest_command=$PYTHON -c "{sleeper}" $LISTOPT; true\n')
        began = time.monotonic()
        error = str(self.assertRaises(InputError, default_ids, self.work, load_settings(self.work), timeout=1))
        self.assertLess(time.monotonic() - began, 20)
        self.assertEqual(1, len(error.splitlines()), error)
        self.assertIn(f"test_command from {self.work / '.testr.conf'} did not finish within 1s in {self.work} under "
                      f"{sys.executable} ($PYTHON) and was stopped: ", error)
        self.assertIn("wrote nothing to its stdout; pass --tests FILE (one test id per line, e.g. from "
                      "`testr list-tests > FILE`)", error)
        pid = int((self.work / "pid").read_text())
        for _ in range(100):  # the shell's child, in the listing's process group: gone (or a zombie being reaped)
            try:
                state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][:1]
            except OSError:
                break
            if state == "Z":
                break
            time.sleep(0.05)
        else:
            os.kill(pid, 9)
            self.fail(f"the listing's process {pid} outlived it")

    def test_python_subunits_runner_under_eventlet_is_named_as_the_likely_cause(self) -> None:
        if importlib.util.find_spec("eventlet") is None:
            self.skipTest("eventlet is not installed (the test extra has it)")
        (self.work / "pkg").mkdir()
        (self.work / "pkg" / "__init__.py").write_text("import eventlet\n\neventlet.monkey_patch()\n")
        (self.work / "pkg" / "test_a.py").write_text("import unittest\nclass T(unittest.TestCase):\n"
                                                     "    def test_a(self):\n        pass\n")
        (self.work / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./pkg\ntop_dir=./\n")
        self.assertEqual(["pkg.test_a.T.test_a"], default_ids(self.work, load_settings(self.work), timeout=30))
        self.useFixture(fixtures.MonkeyPatch("partitioner.listing.stestr_runner", lambda python: SUBUNIT_RUNNER))
        error = str(self.assertRaises(InputError, default_ids, self.work, load_settings(self.work), timeout=3))
        self.assertIn(f"`{sys.executable} -m subunit.run discover -t ./ ./pkg --list` wrote nothing to its stdout "
                      "(once eventlet has monkey-patched a suite, python-subunit's runner waits forever to write into "
                      "a pipe; stestr's runner, stestr.subunit_runner.run, does not: install stestr for "
                      f"{sys.executable}); pass --tests FILE (one test id per line, e.g. from `stestr list > FILE`)",
                      error)


class TestShellSyntaxInTestPath(testtools.TestCase):
    """stestr puts test_path and top_dir in double quotes on its shell command line, so ``${OS_TEST_PATH:-./x}``
    (python-novaclient's test_path) is the shell's to expand: plan's listing expands it the same way."""

    def setUp(self) -> None:
        super().setUp()
        self.work = Path(self.useFixture(fixtures.TempDir()).path)
        for name in ("unit", "functional"):
            (self.work / "pkg" / name).mkdir(parents=True)
            (self.work / "pkg" / name / "__init__.py").write_text("")
            (self.work / "pkg" / name / "test_x.py").write_text(
                f"import unittest\nclass T(unittest.TestCase):\n    def test_{name}(self):\n        pass\n")
        (self.work / "pkg" / "__init__.py").write_text("")
        (self.work / ".stestr.conf").write_text("[DEFAULT]\ntest_path=${OS_TEST_PATH:-./pkg/unit}\ntop_dir=./\n")
        self.useFixture(fixtures.EnvironmentVariable("PYTHON", sys.executable))

    def test_the_default_of_an_unset_variable(self) -> None:
        self.useFixture(fixtures.EnvironmentVariable("OS_TEST_PATH"))
        self.assertEqual(["pkg.unit.test_x.T.test_unit"], default_ids(self.work, load_settings(self.work)))

    def test_the_variable_the_environment_sets(self) -> None:
        self.useFixture(fixtures.EnvironmentVariable("OS_TEST_PATH", "./pkg/functional"))
        self.assertEqual(["pkg.functional.test_x.T.test_functional"], default_ids(self.work, load_settings(self.work)))

    def test_the_paths_discovery_starts_from_are_the_expanded_ones(self) -> None:
        # plan and explain show these, not the value as written (a new user read `discovery of
        # ${OS_TEST_PATH:-./pkg/unit}` and could not tell which directory was listed)
        self.useFixture(fixtures.EnvironmentVariable("OS_TEST_PATH"))
        self.assertEqual(("./pkg/unit", "./"), discovery_paths(self.work, load_settings(self.work)))
        self.useFixture(fixtures.EnvironmentVariable("OS_TEST_PATH", "./pkg/functional"))
        settings = replace(load_settings(self.work), top_dir="${TOP:-.}")
        self.assertEqual(("./pkg/functional", "."), discovery_paths(self.work, settings))
        for plain in ("./pkg/unit", "pkg.unit"):  # no shell syntax: itself, with no shell started
            self.assertEqual(plain, expand_shell_word(plain, Path("/nonexistent"), sys.executable))
        for refused in ('${OS_TEST_PATH:?unset}x"', "${NO_SUCH_VARIABLE_HERE:?unset}"):  # the listing's shell says why
            self.useFixture(fixtures.EnvironmentVariable("NO_SUCH_VARIABLE_HERE"))
            self.assertEqual(refused, expand_shell_word(refused, self.work, sys.executable))

    def test_a_variable_naming_no_directory_is_the_one_line_naming_the_value_as_written(self) -> None:
        self.useFixture(fixtures.EnvironmentVariable("OS_TEST_PATH", "./pkg/gone"))
        error = str(self.assertRaises(InputError, default_ids, self.work, load_settings(self.work)))
        self.assertEqual(f"test_path ./pkg/gone (expanded from ${{OS_TEST_PATH:-./pkg/unit}}, [DEFAULT] in "
                         f"{self.work.resolve() / '.stestr.conf'}) names {self.work / 'pkg' / 'gone'}, which does not "
                         "exist: stestr discovers the tests from there; point it at the directory holding the tests, "
                         "or pass --tests FILE", error)


class TestMissingTestPath(testtools.TestCase):
    """stestr's discovery starts at test_path from the directory it runs in: a path that names no directory fails
    there with unittest's "Start directory is not importable"; plan and exec say so in one line, by one rule."""

    def setUp(self) -> None:
        super().setUp()
        self.work = Path(self.useFixture(fixtures.TempDir()).path)
        (self.work / "tests").mkdir()
        (self.work / "tests" / "test_a.py").write_text("")

    def problem(self, test_path: str, alternative: str = "") -> str | None:
        return missing_test_path(test_path, self.work, "[DEFAULT] in .stestr.conf", alternative)

    def test_a_directory_is_fine(self) -> None:
        for test_path in ("./tests", "tests/", str(self.work / "tests"), ".", "./tests/../tests"):
            self.assertIsNone(self.problem(test_path), test_path)

    def test_a_path_that_does_not_exist_or_is_a_file(self) -> None:
        self.assertEqual(f"test_path ./nosuch ([DEFAULT] in .stestr.conf) names {self.work / 'nosuch'}, which does "
                         "not exist: stestr discovers the tests from there; point it at the directory holding the "
                         "tests, or pass --tests FILE", self.problem("./nosuch", "pass --tests FILE"))
        self.assertIn(f"names {self.work / 'tests' / 'test_a.py'}, which is not a directory: ",
                      self.problem("./tests/test_a.py") or "")
        self.assertIn("names /nonexistent/tests, which does not exist", self.problem("/nonexistent/tests") or "")
        self.assertIn(f"names {self.work / 'gone'}, which", self.problem("./tests/../gone") or "")
        self.assertTrue((self.problem("./nosuch") or "").endswith("the directory holding the tests"))

    def test_what_may_be_a_module_name_or_become_a_directory_is_left_to_the_tool(self) -> None:
        # unittest imports a start that is no directory: `pkg.tests` discovers (it must lie under top_dir); stestr's
        # shell expands $VAR inside its double quotes
        for test_path in ("nosuch", "pkg.tests", "$HOME/tests", "${TESTS}/unit", "`pwd`/t", 'a"b/c', "a\\b/c"):
            self.assertIsNone(self.problem(test_path), test_path)

    def test_plan_names_the_file_or_the_flag(self) -> None:
        (self.work / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./nosuch\n")
        settings = load_settings(self.work)
        error = str(self.assertRaises(InputError, default_ids, self.work, settings))
        self.assertEqual(f"test_path ./nosuch ([DEFAULT] in {self.work.resolve() / '.stestr.conf'}) names "
                         f"{self.work / 'nosuch'}, which does not exist: stestr discovers the tests from there; point "
                         "it at the directory holding the tests, or pass --tests FILE", error)
        flag = replace(settings, test_path="./gone", where={**settings.where, "test_path": "--test-path"})
        error = str(self.assertRaises(InputError, default_ids, self.work, flag))
        self.assertTrue(error.startswith(f"test_path ./gone (--test-path) names {self.work / 'gone'}, "), error)
