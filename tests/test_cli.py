"""Tests for partitioner.cli: subcommands end to end in-process, exit codes, one-line errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import fixtures
import testtools

from partitioner.cli import ERROR, OK, USAGE, main
from partitioner.history.jsonfile import write_samples
from partitioner.history.model import Samples

IDS = "m.A.t1\nm.A.t2\nm.B.t1\nm.C.t1[smoke]\n"


class CLITest(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.dir = Path(self.useFixture(fixtures.TempDir()).path)
        (self.dir / "ids.txt").write_text(IDS)
        self.timings = self.dir / "t.json"
        write_samples(self.timings, Samples(tests={"m.A.t1": (3.0,), "m.B.t1": (2.0,), "m.C.t1": (1.0,)},
                                            setup={"m.A": (1.0,)}))

    def cli(self, *argv: str, stdin: bytes = b"") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), stdout=out, stderr=err,
                     stdin=io.BytesIO(stdin))
        return code, out.getvalue(), err.getvalue()

    def plan_args(self, *extra: str) -> list[str]:
        return ["plan", "-C", str(self.dir), "--tests", str(self.dir / "ids.txt"), "--history", str(self.timings),
                *extra]


class TestPlan(CLITest):
    def test_json_plan(self) -> None:
        code, out, err = self.cli(*self.plan_args("-n", "2", "--format", "json"))
        self.assertEqual((OK, ""), (code, err))
        doc = json.loads(out)
        self.assertEqual(sorted(IDS.split()), sorted(t for w in doc["workers"] for t in w["tests"]))
        self.assertEqual(2, len(doc["workers"]))

    def test_tests_from_stdin_and_strategy(self) -> None:
        code, out, _ = self.cli("plan", "-C", str(self.dir), "--tests", "-", "-n", "2", "--strategy", "roundrobin",
                                "--format", "json", stdin=IDS.encode())
        self.assertEqual(OK, code)
        self.assertEqual("roundrobin", json.loads(out)["strategy"])

    def test_load_lists(self) -> None:
        code, out, _ = self.cli(*self.plan_args("-n", "2", "--format", "load-lists", "-o", str(self.dir / "l")))
        self.assertEqual(OK, code)
        self.assertEqual(2, len(out.split()))

    def test_worker_file_is_yaml(self) -> None:
        code, out, _ = self.cli(*self.plan_args("-n", "2", "--format", "stestr-worker-file"))
        self.assertEqual(OK, code)
        self.assertIn("- worker:", out)

    def test_explain(self) -> None:
        code, out, _ = self.cli("explain", "m.A.t2", "-C", str(self.dir), "--tests", str(self.dir / "ids.txt"),
                                "--history", str(self.timings), "-n", "2", "--format", "json")
        doc = json.loads(out)
        self.assertEqual((OK, "m.A", "class mean", 3.0), (code, doc["group"], doc["estimate_source"],
                                                          doc["estimate_s"]))
        code, out, _ = self.cli("explain", "m.C.t1[smoke]", "-C", str(self.dir), "--tests",
                                str(self.dir / "ids.txt"), "--history", str(self.timings))
        self.assertIn("1.000s from measured", out)


class TestErrors(CLITest):
    def assertOneLineError(self, argv: list[str], code: int, fragment: str, stdin: bytes = b"") -> None:
        got, out, err = self.cli(*argv, stdin=stdin)
        self.assertEqual(code, got, err)
        self.assertIn(fragment, err)
        self.assertEqual("", out)  # nothing half-written on stdout
        self.assertNotIn("Traceback", err)
        if code == ERROR:
            self.assertEqual(1, len(err.strip().splitlines()), err)

    def test_usage_errors_exit_2(self) -> None:
        self.assertOneLineError(["plan", "--bogus"], USAGE, "unrecognized arguments")
        self.assertOneLineError(self.plan_args("-n", "0"), USAGE, "expected a whole number >= 1")
        self.assertOneLineError(self.plan_args("--format", "xml"), USAGE, "invalid choice")
        self.assertOneLineError(self.plan_args("--strategy", "lpf"), USAGE, "unknown strategy 'lpf'")
        self.assertOneLineError(self.plan_args("--group-by", "klass"), USAGE, "unknown grouping")

    def test_errors_exit_1(self) -> None:
        self.assertOneLineError(self.plan_args("--group-by", "regex:(["), ERROR, "invalid group regex")
        self.assertOneLineError(["plan", "-C", str(self.dir), "--tests", str(self.dir / "nope")], ERROR,
                                "cannot read test list")
        self.assertOneLineError(["plan", "-C", str(self.dir), "--tests", "-"], ERROR, "the test list is empty")
        self.assertOneLineError(["plan", "-C", str(self.dir)], ERROR, "no test list")
        self.assertOneLineError(self.plan_args("--history", str(self.dir / "missing")), ERROR, "missing")
        (self.dir / "bad.subunit").write_bytes(b"\xb3garbage")
        self.assertOneLineError(self.plan_args("--history", str(self.dir / "bad.subunit")), ERROR, "bad.subunit")
        self.assertOneLineError(["explain", "x.Y.z", "-C", str(self.dir), "--tests", str(self.dir / "ids.txt")],
                                ERROR, "is not in the test list")

    def test_more_workers_than_groups(self) -> None:
        code, out, err = self.cli(*self.plan_args("-n", "6", "--format", "json"))
        self.assertEqual(OK, code)
        self.assertEqual(6, len(json.loads(out)["workers"]))
        self.assertIn("have nothing to run", err)

    def test_duplicates_are_planned_once(self) -> None:
        code, out, err = self.cli("plan", "-C", str(self.dir), "--tests", "-", "-n", "2", "--format", "json",
                                  stdin=(IDS + IDS).encode())
        self.assertEqual(OK, code)
        self.assertEqual(4, sum(len(w["tests"]) for w in json.loads(out)["workers"]))
        self.assertIn("duplicate test ids ignored", err)


class TestHistoryCommand(CLITest):
    def test_export_merge_round_trip(self) -> None:
        code, out, _ = self.cli("history", "merge", str(self.timings), str(self.timings), "--keep", "1")
        self.assertEqual(OK, code)
        self.assertEqual([3.0], json.loads(out)["tests"]["m.A.t1"])
        code, _, err = self.cli("history", "export", "-C", str(self.dir))
        self.assertEqual(ERROR, code)
        self.assertIn("no timing history", err)


class TestEntryPoints(testtools.TestCase):
    def test_python_dash_m_and_version(self) -> None:
        proc = subprocess.run([sys.executable, "-m", "partitioner", "--version"], capture_output=True, text=True,
                              check=False)
        self.assertEqual((0, "partitioner 0.1.0"), (proc.returncode, proc.stdout.strip()))


    def test_exec_loads_only_its_own_command(self) -> None:
        code = ("import sys; from partitioner import cli; rc = cli.main(['exec', '--', 'python-no-such-program']); "
                "print(rc, sorted(m for m in sys.modules if m.startswith('partitioner.commands.')))")
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        self.assertEqual("2 ['partitioner.commands.execute']", proc.stdout.strip(), proc.stderr)

    def test_one_command_parser_parses_as_the_full_one(self) -> None:
        from partitioner.cli import build_parser

        argv = ["plan", "-n", "3", "--group-by", "module", "--format", "json"]
        full, one = vars(build_parser().parse_args(argv)), vars(build_parser("plan").parse_args(argv))
        self.assertEqual(full, one)


class TestListing(CLITest):
    def test_fresh_stestr_project_lists_without_creating_a_repository(self) -> None:
        pkg = self.dir / "tpkg"
        pkg.mkdir()
        (pkg / "__init__.py").write_text("")
        (pkg / "test_a.py").write_text("import unittest\n\nclass A(unittest.TestCase):\n"
                                       "    def test_1(self):\n        pass\n\n    def test_2(self):\n        pass\n")
        (self.dir / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./tpkg\ntop_dir=./\n")
        code, out, err = self.cli("plan", "-C", str(self.dir), "-n", "2", "--format", "json")
        self.assertEqual(OK, code, err)
        self.assertEqual(["tpkg.test_a.A.test_1", "tpkg.test_a.A.test_2"],
                         sorted(t for w in json.loads(out)["workers"] for t in w["tests"]))
        self.assertFalse((self.dir / ".stestr").exists())


class TestResourcesInPlan(CLITest):
    def test_plan_shows_merged_groups_and_warns_when_too_large(self) -> None:
        (self.dir / "tox.ini").write_text("[partitioner]\nresources =\n  quota: m\\.(A|B)\\.\n")
        code, out, err = self.cli(*self.plan_args("-n", "2", "--format", "json"))
        self.assertEqual(OK, code, err)
        doc = json.loads(out)
        self.assertEqual([{"group": "resource:quota", "resources": ["quota"], "members": ["m.A", "m.B"]}],
                         doc["merged_groups"])
        [home] = [w for w in doc["workers"] if "resource:quota" in w["groups"]]
        self.assertEqual({"m.A.t1", "m.A.t2", "m.B.t1"}, set(home["tests"]) - {"m.C.t1[smoke]"})
        self.assertIn("is larger than the balanced share", err)
        code, out, _ = self.cli(*self.plan_args("-n", "2"))
        self.assertIn("resource group resource:quota (worker", out)
        self.assertIn("joins: m.A, m.B", out)


class TestConcurrency(CLITest):
    def test_default_is_the_configured_or_cpu_count(self) -> None:
        import os

        code, out, _ = self.cli("concurrency", "-C", str(self.dir))
        self.assertEqual((OK, f"{os.cpu_count()}\n"), (code, out))
        (self.dir / "setup.cfg").write_text("[partitioner]\nconcurrency = 7\n")
        self.assertEqual("7\n", self.cli("concurrency", "-C", str(self.dir))[1])

    def test_within_picks_the_smallest_good_enough_n(self) -> None:
        # m.A costs 4 s of 7 s in all: the makespan cannot drop below 4 s, reached already at N=2
        code, out, _ = self.cli("concurrency", "-C", str(self.dir), "--within", "0", "--max", "6", "--tests",
                                str(self.dir / "ids.txt"), "--history", str(self.timings))
        self.assertEqual((OK, "2\n"), (code, out))
        code, out, _ = self.cli("concurrency", "-C", str(self.dir), "--within", "100", "--max", "6", "--tests",
                                str(self.dir / "ids.txt"), "--history", str(self.timings))
        self.assertEqual("1\n", out)
