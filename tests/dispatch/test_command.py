"""Which inner commands a pull worker can stand in for, and the worker and lane commands built from them."""

from __future__ import annotations

import shlex
import subprocess
import sys

import testtools

from partitioner.dispatch.command import lane_argv, lane_shell_command, recognise, recognise_shell


class TestRecognise(testtools.TestCase):
    def test_subunit_run_without_its_list_and_load_list_options(self) -> None:
        command = recognise(["python", "-m", "subunit.run", "discover", "-t", ".", "./tests", "--load-list",
                             "/tmp/ids"])
        assert command is not None
        self.assertEqual(("subunit.run", ("discover", "-t", ".", "./tests"), "/tmp/ids"),
                         (command.runner, command.args, command.load_list))
        self.assertEqual(["python", "-m", "partitioner.dispatch.worker", "--control-fd", "5", "subunit.run",
                          "discover", "-t", ".", "./tests"], command.worker_argv(5))

    def test_stestr_runner_with_environment_and_interpreter_options(self) -> None:
        command = recognise(["OS_STDOUT_CAPTURE=1", "/venv/bin/python3.11", "-W", "ignore", "-u", "-m",
                             "stestr.subunit_runner.run", "discover", "-t", "./", "./tests", "--list"])
        assert command is not None
        self.assertEqual((("OS_STDOUT_CAPTURE", "1"),), command.env)
        self.assertEqual(("-W", "ignore", "-u"), command.python_options)
        self.assertEqual(("discover", "-t", "./", "./tests"), command.args)
        self.assertEqual("1", command.environ({})["OS_STDOUT_CAPTURE"])

    def test_load_list_with_equals(self) -> None:
        command = recognise(["python3", "-m", "testtools.run", "discover", "--load-list=/x"])
        assert command is not None
        self.assertEqual(("/x", ("discover",)), (command.load_list, command.args))

    def test_other_commands_are_not_recognised(self) -> None:
        for argv in (["pytest", "-q"], ["python", "-m", "pytest"], ["python", "run_tests.py"],
                     ["python", "-c", "print(1)", "-m", "subunit.run"], ["python"], [],
                     ["python", "-m", "subunit.run", "--load-list"]):
            self.assertIsNone(recognise(argv), argv)

    def test_shell_lines_with_operators_are_not_recognised(self) -> None:
        self.assertIsNotNone(recognise_shell('${PYTHON:-python} -m subunit.run discover -t ./ "./tests" '
                                             "--load-list /tmp/x"))
        for line in ("python -m subunit.run discover | tee log", "cd x && python -m subunit.run discover",
                     "python -m subunit.run discover > out", "python -m subunit.run $(ls)", "'unclosed"):
            self.assertIsNone(recognise_shell(line), line)


    def test_a_command_continued_over_lines_is_one_command(self) -> None:
        # pbr-era .testr.conf (oslo.i18n 3.17.0): configparser keeps each line's backslash and newline, and the
        # shell joins them; a newline without a backslash starts another command
        pbr = ("OS_STDOUT_CAPTURE=${OS_STDOUT_CAPTURE:-1} \\\nOS_STDERR_CAPTURE=${OS_STDERR_CAPTURE:-1} \\\n"
               "OS_TEST_TIMEOUT=${OS_TEST_TIMEOUT:-60} \\\n${PYTHON:-python} -m subunit.run discover -t ./ . "
               "--load-list /tmp/x")
        command = recognise_shell(pbr)
        assert command is not None
        self.assertEqual((("OS_STDOUT_CAPTURE", "${OS_STDOUT_CAPTURE:-1}"),
                          ("OS_STDERR_CAPTURE", "${OS_STDERR_CAPTURE:-1}"),
                          ("OS_TEST_TIMEOUT", "${OS_TEST_TIMEOUT:-60}")), command.env)
        self.assertEqual(("subunit.run", ("discover", "-t", "./", "."), "/tmp/x"),
                         (command.runner, command.args, command.load_list))
        self.assertIsNone(recognise_shell("true\npython -m subunit.run discover"))
        line = lane_shell_command(pbr, "/usr/bin/python3", "/tmp/d/socket", 0)
        assert line is not None
        probe = line.replace("exec /usr/bin/python3 -m partitioner.dispatch.lane",
                             f"exec {shlex.quote(sys.executable)} -c 'import sys; print(sys.argv[1:])'")
        out = subprocess.run(["sh", "-c", probe], env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                             check=True).stdout
        self.assertEqual(str(["--connect", "/tmp/d/socket", "--lane", "0", "--", "OS_STDOUT_CAPTURE=1",
                              "OS_STDERR_CAPTURE=1", "OS_TEST_TIMEOUT=60", "python", "-m", "subunit.run", "discover",
                              "-t", "./", ".", "--load-list", "/tmp/x"]), out.strip())


class TestLaneCommands(testtools.TestCase):
    def test_the_shell_rewrite_hands_the_expanded_words_to_the_lane(self) -> None:
        original = 'OS_X=1 ${PYTHON:-python} -m subunit.run discover -t ./ "./my tests" --load-list $IDFILE'
        line = lane_shell_command(original, "/usr/bin/python3", "/tmp/d/socket", 2)
        assert line is not None
        self.assertTrue(line.startswith("exec /usr/bin/python3 -m partitioner.dispatch.lane --connect "
                                        "/tmp/d/socket --lane 2 -- "))
        # what the shell passes: print the argv the rewritten line produces
        probe = line.replace("exec /usr/bin/python3 -m partitioner.dispatch.lane",
                             f"exec {shlex.quote(sys.executable)} -c 'import sys; print(sys.argv[1:])'")
        out = subprocess.run(["sh", "-c", probe], env={"IDFILE": "/tmp/ids", "PATH": "/usr/bin:/bin"},
                             capture_output=True, text=True, check=True).stdout
        self.assertEqual(str(["--connect", "/tmp/d/socket", "--lane", "2", "--", "OS_X=1", "python", "-m",
                              "subunit.run", "discover", "-t", "./", "./my tests", "--load-list", "/tmp/ids"]),
                         out.strip())
        self.assertIsNone(lane_shell_command("make test", "python", "/a", 0))

    def test_lane_argv(self) -> None:
        self.assertEqual(["py", "-m", "partitioner.dispatch.lane", "--connect", "/a", "--lane", "1", "--", "x"],
                         lane_argv("py", "/a", 1, ["x"]))
