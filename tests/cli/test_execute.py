"""Tests for ``partitioner exec`` (the hooked tools themselves run in tests/e2e/)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from pathlib import Path
from unittest import mock

import fixtures
import testtools

from partitioner import __version__
from partitioner.cli.commands.execute import _interruption
from partitioner.cli.main import ERROR, USAGE
from partitioner.dispatch.toolrun import ToolRun
from partitioner.dispatch.tools import Session
from tests.cli.harness import CLICase


class TestExec(CLICase):
    def test_loads_only_its_own_command(self) -> None:
        code = ("import sys; from partitioner.cli.main import main; "
                "rc = main(['exec', '--', 'python-no-such-program']); "
                "print(rc, sorted(m for m in sys.modules if m.startswith('partitioner.cli.commands.')))")
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        self.assertEqual("2 ['partitioner.cli.commands.execute']", proc.stdout.strip(), proc.stderr)

    def test_unknown_program_is_a_usage_error(self) -> None:
        # a misspelled tool: not sent to install stestr
        self.assertOneLineError(["exec", "python-no-such-program"], USAGE,
                                "'python-no-such-program' is neither a Python console script nor a program on PATH; "
                                "check its spelling (exec runs stestr, testr, tempest or another program on PATH)")

    def test_a_missing_tool_names_the_package_it_comes_with(self) -> None:
        # testr comes with testrepository: "pip install stestr" sent a testr user the wrong way
        with fixtures.EnvironmentVariable("PATH", str(self.dir)), \
                mock.patch("importlib.metadata.entry_points", return_value=[]), \
                mock.patch("partitioner.cli.commands.execute._own_script", return_value=None):
            self.assertOneLineError(["exec", "--", "testr", "run"], USAGE, "(pip install testrepository)")
            self.assertOneLineError(["exec", "--", "stestr", "run"], USAGE, "(pip install stestr)")

    def test_a_missing_program_names_only_what_is_required(self) -> None:
        # argparse counts an empty REMAINDER (ARGS) and a `*` positional (explain's FILTER) as required
        self.assertOneLineError(["exec"], USAGE, "the following arguments are required: PROGRAM; see")
        self.assertOneLineError(["exec", "--"], USAGE, "the following arguments are required: PROGRAM; see")
        self.assertOneLineError(["explain"], USAGE, "the following arguments are required: TEST_ID; see")

    def test_a_missing_history_source_is_said_before_the_tool_starts(self) -> None:
        # the tool used to list its tests first, and exec then blamed its listing and the environment
        marker = Path(self.useFixture(fixtures.TempDir()).path) / "ran"
        command = ["exec", "--history", "no/such/history.subunit", "--", sys.executable, "-c",
                   f"open({str(marker)!r}, 'w').close()"]
        self.assertOneLineError(command, ERROR, "no such file or directory: no/such/history.subunit")
        self.assertFalse(marker.exists(), "the tool ran")
        self.assertOneLineError(["exec", "--history", "nokind:x", "--", "true"], ERROR, "unknown history kind")

    def test_shard_options_that_cannot_work_are_usage_errors(self) -> None:
        self.assertOneLineError(["exec", "--plan", "p.json", "--", "stestr", "run"], USAGE, "--plan FILE needs --shard")
        self.assertOneLineError(["exec", "--shard", "1/2", "--", "sh", "-c", "true"], USAGE,
                                "--shard needs testr or stestr installed in this environment")
        self.assertOneLineError(["exec", "--shard", "1/2", "--", "stestr", "run", "--pdb", "x"], USAGE,
                                "--shard cannot split a run with --pdb")


class TestOldTools(CLICase):
    """A release of stestr or testrepository exec does not hook is one error line before the tool starts, with
    nothing left patched (the release check itself: tests/dispatch/test_patches.py)."""

    def test_a_stestr_too_old_stops_exec_in_one_line_and_leaves_stestr_as_it_was(self) -> None:
        from stestr.test_processor import TestProcessorFixture

        before, argv = TestProcessorFixture.run_tests, list(sys.argv)
        self.useFixture(fixtures.MonkeyPatch("stestr.__version__", "2.0.0"))
        self.assertOneLineError(["exec", "--", "stestr", "run"], ERROR, "stestr 2.0.0 (")
        self.assertIs(before, TestProcessorFixture.run_tests)
        self.assertEqual(argv, sys.argv)

    def test_where_the_program_may_be_either_tool_the_old_one_runs_unhooked_with_a_warning(self) -> None:
        self.useFixture(fixtures.MonkeyPatch("testrepository.__version__", (0, 0, 18, "final", 0)))
        code, _, err = self.cli("exec", "--", os.path.basename(sys.executable), "-m", "stestr", "--version")
        self.assertEqual(0, code, err)
        self.assertIn("partitioner: warning: testrepository 0.0.18 (", err)
        self.assertIn("testr runs without partitioner's hooks", err)
        self.assertNotIn("Traceback", err)

    def test_python_m_a_module_that_cannot_run_is_one_line(self) -> None:
        # runpy's ImportError was a traceback
        python = os.path.basename(sys.executable)
        self.assertOneLineError(["exec", "--", python, "-m", "no_such_module_xyz"], USAGE,
                                "no module named no_such_module_xyz in partitioner's environment")
        self.assertOneLineError(["exec", "--", python, "-m", "no_such_package_xyz.sub"], USAGE,
                                "no module named no_such_package_xyz.sub")
        self.assertOneLineError(["exec", "--", python, "-m", "testrepository.commands"], USAGE,
                                "testrepository.commands is a package without __main__")

    def test_the_activated_environments_other_release_is_named(self) -> None:
        # partitioner's own stestr runs in-process; the activated venv's (tempest's, pinned older) only loads
        # the tests: its options may differ (stestr 4 dropped --black-regex), and the note says which runs
        from importlib.metadata import version

        from partitioner.cli.commands.execute import other_release, release_in

        venv = Path(self.useFixture(fixtures.TempDir()).path)
        (venv / "bin").mkdir()
        site = venv / "lib" / "python3.11" / "site-packages"
        (site / "stestr-3.0.1.dist-info").mkdir(parents=True)
        (site / "stestr_extra-9.dist-info").mkdir()
        self.assertEqual("3.0.1", release_in(venv, "stestr"))
        self.assertIsNone(release_in(venv, "testrepository"))
        note = other_release("stestr", str(venv / "bin" / "stestr"))
        self.assertEqual(f"stestr {version('stestr')} of partitioner's environment runs, not the activated "
                         f"environment's stestr 3.0.1 (an option only 3.0.1 knows is refused; "
                         f"`{venv / 'bin' / 'python'} -m pip install ", str(note)[:str(note).index("install ") + 8])
        (site / "stestr-3.0.1.dist-info").rename(site / f"stestr-{version('stestr')}.dist-info")
        self.assertIsNone(other_release("stestr", str(venv / "bin" / "stestr")))
        self.assertIsNone(other_release("testr", str(venv / "bin" / "testr")))


class TestLend(CLICase):
    """The tests' interpreter lacks partitioner: exec lends its own package on PYTHONPATH (a real foreign venv,
    tempest's: tests/e2e/test_tempest.py)."""

    def setUp(self) -> None:
        super().setUp()
        self.cache = Path(self.useFixture(fixtures.TempDir()).path) / "cache"
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE_DIR", str(self.cache)))

    def test_the_lent_directory_holds_only_a_link_to_this_package_and_is_made_once(self) -> None:
        import partitioner
        from partitioner.cli.commands.execute import _lent_directory

        where = _lent_directory()
        assert where is not None
        self.assertEqual(self.cache / "lent", where.parent)
        self.assertEqual(["partitioner"], [p.name for p in where.iterdir()])
        self.assertEqual(Path(partitioner.__file__).resolve().parent, (where / "partitioner").resolve())
        self.assertEqual(where, _lent_directory())  # a second exec finds it made
        (where / "partitioner").unlink()
        (where / "partitioner").symlink_to(self.cache)  # pointing elsewhere: not used
        self.assertIsNone(_lent_directory())

    def test_nothing_is_lent_to_a_run_that_asked_for_static_dispatch(self) -> None:
        from partitioner.cli.commands.execute import wants_dynamic

        where = Path(self.useFixture(fixtures.TempDir()).path)
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(where)
        self.assertEqual([True, False], [wants_dynamic(None), wants_dynamic("static")])
        (where / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./tests\n\n[partitioner]\ndispatch = static\n")
        self.assertEqual([False, True], [wants_dynamic(None), wants_dynamic("dynamic")])

    def test_lent_first_on_pythonpath_only_when_it_lets_the_workers_start(self) -> None:
        from partitioner.cli.commands.execute import lend_package

        environ = {"PYTHONPATH": "/elsewhere", "PATH": os.environ.get("PATH", "")}
        note = lend_package(sys.executable, environ)
        assert note is not None
        first, rest = environ["PYTHONPATH"].split(os.pathsep)
        self.assertEqual((str(self.cache / "lent"), "/elsewhere"), (str(Path(first).parent), rest))
        self.assertIn(f"its dynamic workers import this one from {first} on PYTHONPATH", note)
        environ = {"PATH": os.environ.get("PATH", "")}
        self.assertIsNone(lend_package("/bin/false", environ))  # cannot run the workers, lent or not
        self.assertEqual({"PATH": os.environ.get("PATH", "")}, environ)


class TestResolve(CLICase):
    """Issue 10 item 2: what exec does with each kind of PROGRAM (the runs themselves: tests/e2e)."""

    def test_a_console_script_beside_the_interpreter_is_read_not_looked_up(self) -> None:
        from partitioner.cli.commands.execute import _own_script, resolve

        bindir = self.useFixture(fixtures.TempDir()).path
        scripts = {
            "pip-24": "#!/venv/bin/python\nimport sys\nfrom stestr.cli import main\nif __name__ == '__main__':\n"
                      "    sys.argv[0] = sys.argv[0].removesuffix('.exe')\n    sys.exit(main())\n",
            "pip-old": "#!/venv/bin/python3\n# -*- coding: utf-8 -*-\nimport re\nimport sys\n"
                       "from testrepository.commands import main\nif __name__ == '__main__':\n"
                       "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n    sys.exit(main())\n",
            "attribute-path": "#!/venv/bin/python\nimport sys\nfrom tool.cli import app\nsys.exit(app.run())\n",
            "shell": "#!/bin/sh\nexec stestr \"$@\"\n",
        }
        for name, text in scripts.items():
            Path(bindir, name).write_text(text)
        self.assertEqual([("stestr.cli", "main"), ("testrepository.commands", "main"), None, None, None, None],
                         [_own_script(n, bindir) for n in (*scripts, "missing", f"{bindir}/pip-24")])
        # this environment's own scripts resolve to the same entry points importlib.metadata names
        self.assertEqual(("stestr.cli", "main"), resolve("stestr", ["run"]).entry)

    def test_console_scripts_modules_scripts_and_other_programs(self) -> None:
        import os
        import stat

        import fixtures

        from partitioner.cli.commands.execute import resolve

        tmp = self.useFixture(fixtures.TempDir()).path
        for name, text in (("shell-wrapper", "#!/bin/sh\nexit 0\n"), ("py-wrapper", "#!/usr/bin/env python3\n"),
                           ("binary", "\x7fELF\x00\x01")):
            path = os.path.join(tmp, name)
            with open(path, "w", encoding="latin-1") as out:
                out.write(text)
            os.chmod(path, stat.S_IRWXU)
        self.useFixture(fixtures.EnvironmentVariable("PATH", f"{tmp}{os.pathsep}{os.environ['PATH']}"))
        self.assertEqual("entry", resolve("stestr", ["run"]).kind)
        module = resolve(os.path.basename(sys.executable), ["-m", "stestr", "run"])
        self.assertEqual(("module", "stestr", ("run",)), (module.kind, module.name, module.argv))
        self.assertEqual("program", resolve(os.path.basename(sys.executable), ["-c", "1"]).kind)
        self.assertEqual("script", resolve("py-wrapper", []).kind)
        self.assertEqual("program", resolve("shell-wrapper", []).kind)
        self.assertEqual("program", resolve("binary", []).kind)


class TestAnotherEnvironmentFirstOnPath(CLICase):
    """A user's venv first on PATH (tempest's, with its stestr), partitioner installed elsewhere: the tests
    load with that venv's interpreter, and dynamic dispatch only where partitioner's worker can run there."""

    def setUp(self) -> None:
        super().setUp()
        self.bin = Path(self.useFixture(fixtures.TempDir()).path) / "bin"
        self.bin.mkdir()

    def fake_python(self, body: str) -> str:
        """A ``python`` in the other venv, a shell script that answers the probe with ``body``."""
        python = self.bin / "python"
        python.write_text(f"#!/bin/sh\n{body}\n")
        python.chmod(0o755)
        stestr = self.bin / "stestr"
        stestr.write_text(f"#!{python}\nfrom stestr.cli import main\n")
        stestr.chmod(0o755)
        return str(python)

    def test_python_follows_the_tool_on_path_and_the_note_says_so(self) -> None:
        from partitioner.cli.commands.execute import follow_path_python

        python = self.fake_python(f"echo {__version__}")
        environ = {"PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}", "VIRTUAL_ENV": str(self.bin.parent)}
        followed = follow_path_python("stestr", environ)
        assert followed is not None
        self.assertEqual(python, environ["PYTHON"])
        self.assertIn(f"{self.bin / 'stestr'}, the first stestr on PATH, belongs to the activated Python "
                      f"environment: the tests load with its interpreter, {python}", followed[0])
        self.assertIsNone(followed[1])

    def test_nothing_changes_when_python_is_set_the_tool_is_ours_or_no_environment_is_activated(self) -> None:
        from partitioner.cli.commands.execute import follow_path_python

        self.fake_python("exit 0")
        other = f"{self.bin}{os.pathsep}{os.environ['PATH']}"
        venv = str(self.bin.parent)
        self.assertIsNone(follow_path_python("stestr", {"PATH": other, "PYTHON": "/x/python", "VIRTUAL_ENV": venv}))
        self.assertIsNone(follow_path_python("stestr", {"PATH": os.environ["PATH"], "VIRTUAL_ENV": venv}))
        self.assertIsNone(follow_path_python("stestr", {"PATH": other}))  # not activated: not the suite's

    def test_a_named_interpreter_of_another_environment_loads_the_tests(self) -> None:
        # plain `/venv/bin/python -m stestr run` loads the tests with that interpreter (stestr's command is
        # sys.executable's); under exec the module runs in partitioner's, so PYTHON must name it
        from partitioner.cli.commands.execute import _Target, follow_named_python

        python = self.fake_python(f"echo {__version__}")
        module = _Target("module", "stestr", ("run",))
        environ = {"PATH": os.environ["PATH"]}
        followed = follow_named_python(python, module, environ)
        assert followed is not None
        self.assertEqual(python, environ["PYTHON"])
        self.assertIn(f"{python} is another Python environment's interpreter than partitioner's: the tests load "
                      "with it", followed[0])
        self.assertIsNone(followed[1])
        on_path = {"PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}"}  # `python -m stestr`, another one first
        self.assertIsNotNone(follow_named_python("python", module, on_path))
        self.assertEqual(python, on_path["PYTHON"])

    def test_a_named_interpreter_changes_nothing_where_it_is_ours_python_is_set_or_testr_runs(self) -> None:
        from partitioner.cli.commands.execute import _Target, follow_named_python

        python = self.fake_python("exit 0")
        module = _Target("module", "stestr", ("run",))
        path = {"PATH": os.environ["PATH"]}
        self.assertIsNone(follow_named_python(sys.executable, module, dict(path)))
        self.assertIsNone(follow_named_python(python, module, {**path, "PYTHON": "/x/python"}))
        self.assertIsNone(follow_named_python(python, _Target("module", "testrepository.setuptools_command", ()),
                                              dict(path)))  # testr's command names `python` itself
        self.assertIsNone(follow_named_python(python, _Target("program", python, ("-c", "1")), dict(path)))

    def test_dynamic_dispatch_is_off_where_the_worker_cannot_run(self) -> None:
        from partitioner.cli.commands.execute import worker_problem

        self.assertIsNone(worker_problem(sys.executable))
        missing = worker_problem(self.fake_python("exit 1"))
        self.assertIn("cannot import partitioner (its workers would run there; ", str(missing))
        older = worker_problem(self.fake_python("echo 0.0.1"))
        self.assertIn(f"whose partitioner 0.0.1 is not this one ({__version__}", str(older))
        self.assertIn("could not be started", str(worker_problem(str(self.bin / "no-such-python"))))

    def test_a_tool_found_only_in_another_environment_runs_there_as_a_subprocess(self) -> None:
        # once it ran in this interpreter, which lacked its modules: a ModuleNotFoundError traceback
        from partitioner.cli.commands.execute import resolve

        self.fake_python("exit 0")
        tool = self.bin / "their-tool"
        tool.write_text(f"#!{self.bin / 'python'}\nimport their_tool\n")
        tool.chmod(0o755)
        self.useFixture(fixtures.EnvironmentVariable("PATH", f"{self.bin}{os.pathsep}{os.environ['PATH']}"))
        target = resolve("their-tool", ["run"])
        self.assertEqual(("program", str(tool), True), (target.kind, target.name, target.elsewhere))
        code, out, err = self.cli("exec", "--", "their-tool", "run")
        self.assertEqual((0, ""), (code, out))
        self.assertIn(f"partitioner: warning: {tool} belongs to another Python environment and their-tool is not "
                      f"installed in partitioner's ({sys.executable}): it runs as a subprocess", err)
        self.assertNotIn("Traceback", err)

    def test_the_install_hint_names_something_pip_can_install(self) -> None:
        from partitioner.cli.commands.execute import worker_problem

        root = Path(__file__).resolve().parents[2]  # this checkout (testr-partitioner is not on PyPI)
        self.assertIn(f"-m pip install {root}` lets the run dispatch dynamically",
                      str(worker_problem(self.fake_python("exit 1"))))

    def test_a_python_that_cannot_start_is_one_line_before_the_tool_runs(self) -> None:
        self.useFixture(fixtures.EnvironmentVariable("PYTHON", "/nonexistent/python"))
        self.assertOneLineError(["exec", "--", "stestr", "run"], ERROR,
                                "PYTHON=/nonexistent/python is not an interpreter that can be started")

    def test_a_python_the_user_set_gets_the_same_check_as_one_followed(self) -> None:
        # PYTHON set to tempest's interpreter, which cannot import partitioner: every test failed, its workers
        # unable to start; now the run keeps the static plan and says why
        from partitioner.cli.commands.execute import python_problem

        python = self.fake_python("exit 1")
        self.assertIn(f"tests under {python}, which cannot import partitioner", str(python_problem({"PYTHON": python})))
        self.assertIsNone(python_problem({"PYTHON": sys.executable}))
        self.assertIsNone(python_problem({}))


class TestInterruption(testtools.TestCase):
    """The line that says why exec exits 128+N after a signal (a real SIGINT: tests/e2e/test_exec_interrupt_line.py)."""

    def session(self, signum: int, *runs: ToolRun) -> Session:
        session = Session(stderr=io.StringIO())
        session.signum = signum
        session.runs.extend(runs)
        return session

    def stored(self) -> ToolRun:
        return ToolRun([("a",), ("b",)], None, done=True)

    def test_after_every_test_reported_the_run_is_said_to_be_stored_complete(self) -> None:
        self.assertEqual("SIGINT arrived after every test had reported: the run is stored complete, and exec exits "
                         "130 because it was interrupted", _interruption(self.session(signal.SIGINT, self.stored()),
                                                                         stopped=False))
        self.assertIn("exec exits 143 because", _interruption(self.session(signal.SIGTERM, self.stored()), False))

    def test_a_run_the_signal_cut_short_was_told_by_its_account_and_gets_no_second_line(self) -> None:
        session = self.session(signal.SIGINT, self.stored())
        session.injected, session.interrupt_said = 3, True
        self.assertIsNone(_interruption(session, stopped=False))

    def test_tests_failed_for_another_reason_are_not_called_reported(self) -> None:
        session = self.session(signal.SIGINT, self.stored())
        session.injected = 1  # a worker died before the signal came; the account said so, without the signal
        self.assertEqual("SIGINT arrived after the run was stored: exec exits 130 because it was interrupted",
                         _interruption(session, stopped=False))

    def test_before_a_run_was_stored_it_is_interrupted(self) -> None:
        self.assertEqual("interrupted before the tool asked for a plan (as it started or listed its tests, or ran "
                         "them unsplit)", _interruption(self.session(signal.SIGINT), stopped=False))
        self.assertEqual("interrupted", _interruption(self.session(signal.SIGINT, self.stored()), stopped=True))
        unstored = ToolRun([("a",)], None)
        self.assertEqual("interrupted", _interruption(self.session(signal.SIGINT, unstored), stopped=False))
