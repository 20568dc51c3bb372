"""Tests for partitioner.cli.main: entry points, the parser wiring, and the one error boundary."""

from __future__ import annotations

import subprocess
import sys

import fixtures
import testtools

from partitioner.cli.main import ERROR, INTERRUPTED, USAGE, build_parser
from tests.cli.harness import PlanCase


class TestErrorBoundary(PlanCase):
    def test_usage_errors_exit_2(self) -> None:
        self.assertOneLineError(["plan", "--bogus"], USAGE, "unrecognized arguments")
        self.assertOneLineError(self.plan_args("-n", "0"), USAGE, "expected a whole number >= 1")
        self.assertOneLineError(self.plan_args("--format", "xml"), USAGE, "invalid choice")
        self.assertOneLineError(self.plan_args("--strategy", "lpf"), USAGE, "unknown strategy 'lpf'")
        self.assertOneLineError(self.plan_args("--group-by", "klass"), USAGE, "unknown grouping")
        # a bad regex in a flag is a usage error, as --exclude-regex's and FILTER's are (a new user's trial: 1 here, 2
        # there); in a config file it is a config error (exit 1: tests/grouping/test_spec.py)
        self.assertOneLineError(self.plan_args("--group-by", "regex:(["), USAGE, "invalid group regex")

    def test_a_usage_error_is_one_line_naming_the_subcommand_and_its_help(self) -> None:
        # issue 10 item 8: argparse's usage block made a usage error 4-5 lines; every other error is one
        code, out, err = self.cli("plan", "-n", "x")
        self.assertEqual((USAGE, ""), (code, out))
        self.assertEqual("partitioner plan: error: argument -n/--concurrency: expected a whole number >= 1, got 'x'; "
                         "see `partitioner plan --help`\n", err)
        code, _, err = self.cli()
        self.assertEqual((USAGE, "partitioner: error: the following arguments are required: COMMAND; "
                                 "see `partitioner --help`\n"), (code, err))

    def test_arguments_the_top_parser_rejects_name_the_command_they_follow(self) -> None:
        self.assertEqual((USAGE, "", "partitioner plan: error: unrecognized arguments: --bogus; "
                                     "see `partitioner plan --help`\n"), self.cli("plan", "--bogus"))
        self.assertEqual((USAGE, "", "partitioner history merge: error: unrecognized arguments: --bogus; "
                                     "see `partitioner history merge --help`\n"),
                         self.cli("history", "merge", "a.json", "--bogus"))
        code, out, err = self.cli("history", "nope")
        self.assertEqual((USAGE, ""), (code, out))
        self.assertTrue(err.startswith("partitioner history: error: argument ACTION: invalid choice: 'nope' "), err)
        self.assertTrue(err.endswith("; see `partitioner history --help`\n") and err.count("\n") == 1, err)

    def test_an_option_of_the_command_typed_before_it_says_where_it_goes(self) -> None:
        # it said "partitioner exec: error: unrecognized arguments: -q", though `exec --help` lists -q
        self.assertEqual((USAGE, "", "partitioner: error: -q goes after the command: `partitioner exec -q ...`; "
                                     "see `partitioner exec --help`\n"), self.cli("-q", "exec", "--", "stestr"))
        self.assertEqual((USAGE, "", "partitioner plan: error: unrecognized arguments: --bogus; "
                                     "see `partitioner plan --help`\n"), self.cli("--bogus", "plan"))  # not plan's
        # with a value: argparse took "2" for the command's name ("invalid choice: '2'"), or blamed plan for -n2
        for early in (["-n", "2"], ["-n2"], ["--concurrency=2", "-C", "."]):
            self.assertEqual((USAGE, "", f"partitioner: error: {' '.join(early)} goes after the command: `partitioner "
                                         f"plan {' '.join(early)} ...`; see `partitioner plan --help`\n"),
                             self.cli(*early, "plan"))

    def test_a_misspelled_command_gets_the_one_it_was_close_to(self) -> None:
        commands = "'plan', 'explain', 'history', 'exec', 'concurrency', 'races', 'timeline'"
        self.assertEqual((USAGE, "", f"partitioner: error: argument COMMAND: invalid choice: 'paln', did you mean "
                                     f"'plan'? (choose from {commands}); see `partitioner --help`\n"),
                         self.cli("paln", "-n", "2"))
        code, out, err = self.cli("history", "exprot", "-o", "t.json")
        self.assertEqual((USAGE, ""), (code, out))
        self.assertTrue(err.startswith("partitioner history: error: argument ACTION: invalid choice: 'exprot', did "
                                       "you mean 'export'? (choose from "), err)
        self.assertEqual(1, err.count("\n"), err)
        self.assertOneLineError(self.plan_args("--format", "jsn"), USAGE, "invalid choice: 'jsn', did you mean 'json'?")
        code, _, err = self.cli("zzz")  # nothing close: argparse's list alone
        self.assertEqual(USAGE, code)
        self.assertNotIn("did you mean", err)
        self.assertIn(f"invalid choice: 'zzz' (choose from {commands})", err)

    def test_a_config_file_the_tools_refuse_is_refused_by_plan(self) -> None:
        (self.dir / ".stestr.conf").write_text("[DEFAULT]\ntest_path = ./tests\ntest_path = ./t\n")
        self.assertOneLineError(self.plan_args(), ERROR, f"partitioner: error: cannot parse {self.dir / '.stestr.conf'}"
                                                         ": line 3: option 'test_path' in section [DEFAULT] already "
                                                         "exists")

    def test_a_message_holding_what_the_user_typed_stays_one_line(self) -> None:
        # found by tests/test_properties.py: -C $'x\\ny' printed the error over two lines
        self.assertEqual((USAGE, "", "partitioner: error: no such directory: x\\ny\\u2028z; pass an existing project "
                                     "directory with -C\n"), self.cli("plan", "-C", "x\ny\u2028z"))
        code, _, err = self.cli("plan", "--strategy", "a\rb", *self.plan_args()[1:])
        self.assertEqual((USAGE, 1), (code, len(err.splitlines())), err)
        self.assertIn("a\\rb", err)

    def test_a_directory_that_is_a_file_says_so(self) -> None:
        (self.dir / "plan.json").write_text("{}")
        path = self.dir / "plan.json"
        self.assertEqual((USAGE, "", f"partitioner: error: {path} is not a directory; pass the project's directory "
                                     "with -C\n"), self.cli("plan", "-C", str(path)))

    def test_a_ctrl_c_while_the_command_loads_is_one_line(self) -> None:
        # a Ctrl-C right after `partitioner exec` starts lands while its command's modules import
        def interrupted(only: str | None = None) -> None:
            raise KeyboardInterrupt

        self.useFixture(fixtures.MonkeyPatch("partitioner.cli.main.build_parser", interrupted))
        self.assertEqual((INTERRUPTED, "", "partitioner: interrupted\n"), self.cli("plan"))

    def test_errors_exit_1(self) -> None:
        self.assertOneLineError(["plan", "-C", str(self.dir), "--tests", str(self.dir / "nope")], ERROR,
                                "cannot read test list")
        self.assertOneLineError(["plan", "-C", str(self.dir), "--tests", "-"], ERROR, "the test list is empty")
        self.assertOneLineError(["plan", "-C", str(self.dir)], ERROR, "no test list")
        self.assertOneLineError(self.plan_args("--history", str(self.dir / "missing")), ERROR, "missing")
        (self.dir / "bad.subunit").write_bytes(b"\xb3garbage")
        self.assertOneLineError(self.plan_args("--history", str(self.dir / "bad.subunit")), ERROR, "bad.subunit")
        self.assertOneLineError(["explain", "x.Y.z", "-C", str(self.dir), "--tests", str(self.dir / "ids.txt")],
                                ERROR, "is not in the test list")


class TestEntryPoints(testtools.TestCase):
    def test_python_dash_m_and_version(self) -> None:
        proc = subprocess.run([sys.executable, "-m", "partitioner", "--version"], capture_output=True, text=True,
                              check=False)
        self.assertEqual((0, "partitioner 0.1.0"), (proc.returncode, proc.stdout.strip()))

    def test_one_command_parser_parses_as_the_full_one(self) -> None:
        argv = ["plan", "-n", "3", "--group-by", "module", "--format", "json"]
        full, one = vars(build_parser().parse_args(argv)), vars(build_parser("plan").parse_args(argv))
        self.assertEqual(full, one)
