"""Relative paths on the command line (issue 10 item 1): ``-C DIR`` given relative, and relative ``--history`` and
``--tests``, for every command that reads history.

The rule (``partitioner.cli.arguments.PATHS_HELP``): a relative path given on the command line is read from the
current directory, or from the project directory when the current one has no such file; relative paths in config
files are taken from the project directory.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import fixtures

from partitioner.history.jsonfile import dumps_samples
from partitioner.history.load import given_here
from partitioner.history.model import Samples
from tests.builders import A, B, rec, stream
from tests.cli.harness import CLICase

IDS = f"{A}.test_1\n{A}.test_2\n{B}.test_1\n"


class InDirectory(fixtures.Fixture):
    """The working directory changed to ``path`` for the test (restored after)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def _setUp(self) -> None:
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(self.path)


class PathsCase(CLICase):
    """``self.dir`` is the working directory; ``good/`` in it is a project whose .testrepository holds one run."""

    def setUp(self) -> None:
        super().setUp()
        self.useFixture(InDirectory(self.dir))
        project = self.dir / "good"
        repo = project / ".testrepository"
        repo.mkdir(parents=True)
        (repo / "format").write_text("1\n")
        (repo / "0").write_bytes(stream([rec(f"{A}.test_1", "worker-0", 0.0, 4.0),
                                         rec(f"{A}.test_2", "worker-0", 4.0, 5.0),
                                         rec(f"{B}.test_1", "worker-1", 0.0, 2.0, "fail")]))
        (repo / "next-stream").write_text("1\n")
        (self.dir / "ids.txt").write_text(IDS)


#: command lines that read good/.testrepository, and what their output then says
READERS = [
    (["plan", "-n", "2", "--tests", "ids.txt", "--format", "json"], '"has_history": true'),
    (["explain", "--tests", "ids.txt", f"{A}.test_1"], "from measured"),
    (["history", "summary"], "3 tests in 1 run "),
    (["history", "export"], f'"{A}.test_1": ['),
    (["concurrency", "--within", "0", "--max", "2", "--tests", "ids.txt"], "2\n"),
]


class TestRelativeProjectDirectory(PathsCase):
    def test_a_relative_project_directory_finds_its_repository(self) -> None:
        # before: every one of these looked for good/good/.testrepository
        for argv, says in READERS:
            for directory in ("good", "./good"):
                code, out, err = self.cli(*argv, "-C", directory)
                self.assertEqual((0, ""), (code, err), f"{argv} -C {directory}")
                self.assertIn(says, out, f"{argv} -C {directory}")


class TestRelativeHistory(PathsCase):
    def plan(self, *argv: str) -> dict[str, object]:
        code, out, err = self.cli("plan", "-n", "2", "--tests", "ids.txt", "--format", "json", *argv)
        self.assertEqual((0, ""), (code, err))
        doc: dict[str, object] = json.loads(out)
        return doc

    def test_read_from_the_current_directory(self) -> None:
        for where, seconds in ((self.dir, 90.0), (self.dir / "good", 1.0)):  # here wins over the project's
            timings = Samples(tests={f"{A}.test_1": (seconds,), f"{A}.test_2": (1.0,), f"{B}.test_1": (1.0,)})
            (where / "t.json").write_text(dumps_samples(timings))
        doc = self.plan("-C", "good", "--history", "t.json")
        self.assertGreater(doc["total_s"], 90.0)
        doc = self.plan("-C", "good", "--history", "good/.testrepository")
        self.assertTrue(doc["has_history"])

    def test_else_from_the_project_directory(self) -> None:
        doc = self.plan("-C", "good", "--history", ".testrepository")
        self.assertTrue(doc["has_history"])
        doc = self.plan("-C", "good", "--history", "testrepository:.testrepository")
        self.assertTrue(doc["has_history"])

    def test_tests_follow_the_same_rule(self) -> None:
        (self.dir / "ids.txt").rename(self.dir / "good" / "ids.txt")
        self.assertIn("worker", self.cli("plan", "-n", "2", "-C", "good", "--tests", "ids.txt")[1])

    def test_a_relative_history_missing_in_both_names_it(self) -> None:
        self.assertOneLineError(["plan", "-n", "2", "-C", "good", "--tests", "ids.txt", "--history", "nope"], 1,
                                "no such file or directory: nope")


class TestHistoryOptionInAFile(PathsCase):
    """A source the ``history`` option of a config file names, missing: the error names the file to fix."""

    def test_the_error_names_the_file_and_the_option(self) -> None:
        (self.dir / "good" / "tox.ini").write_text("[partitioner]\nhistory = nope/\n")
        where = f"(the history option, [partitioner] in {self.dir / 'good' / 'tox.ini'})"
        for argv in (["plan", "-n", "2"], ["explain", f"{A}.test_1"], ["plan", "--shards", "2", "-n", "1"]):
            self.assertOneLineError([*argv, "-C", "good", "--tests", "ids.txt"], 1,
                                    f"no such file or directory: nope/ {where}; pass ")
        _, _, err = self.cli("plan", "-n", "2", "-C", "good", "--tests", "ids.txt", "--history", "nope2")
        self.assertIn("no such file or directory: nope2; pass ", err)  # a flag's: the user just typed it


class TestGivenHere(PathsCase):
    def test_what_is_made_absolute(self) -> None:
        (self.dir / "t.json").write_text("{}")
        (self.dir / "h.db").write_text("")
        here = str(self.dir)
        self.assertEqual(f"{here}/t.json", given_here("t.json"))
        self.assertEqual(f"json:{here}/t.json", given_here("json:t.json"))
        self.assertEqual(f"sqlite:///{here}/h.db?upto=3", given_here("sqlite:///h.db?upto=3"))
        self.assertEqual(f"store:sqlite:///{here}/h.db", given_here("store:sqlite:///h.db"))
        for unchanged in ("-", "json:-", "missing.json", "/abs/t.json", "sqlite:///missing.db", "sqlite:////abs.db",
                          "https://ci.example/t.json", "postgresql://u@h/db", "nokind:t.json", "json:"):
            self.assertEqual(unchanged, given_here(unchanged))

    def test_a_run_stream_of_the_repository_also_works(self) -> None:
        self.assertEqual(str(self.dir / "good" / ".testrepository" / "0"), given_here("good/.testrepository/0"))
        code, out, err = self.cli("history", "export", "--history", "good/.testrepository/0", "-C", "good")
        self.assertEqual((0, ""), (code, err))
        self.assertEqual({f"{A}.test_1", f"{A}.test_2"}, set(json.loads(out)["tests"]))  # passing ones


class TestNamesTheSystemRefuses(PathsCase):
    """Found by tests/test_properties.py: a name longer than the system takes (ENAMETOOLONG) raised OSError out
    of Path.exists(), a NUL byte in a config file's history ValueError out of os.path.realpath."""

    def test_a_name_too_long(self) -> None:
        long = "x" * 300
        self.assertOneLineError(["plan", "-C", "good", "--tests", "ids.txt", "--history", long], 1,
                                f"cannot read {long}: File name too long")
        self.assertOneLineError(["plan", "-C", "good", "--tests", long], 1, "File name too long")
        self.assertOneLineError(["plan", "-C", long], 2, "no such directory")
        (self.dir / "good" / "tox.ini").write_text(f"[partitioner]\nhistory = stestr:{long}\n")
        self.assertOneLineError(["plan", "-C", "good", "--tests", "ids.txt"], 1, "File name too long")

    def test_a_nul_character_in_a_config_files_history(self) -> None:
        (self.dir / "good" / "tox.ini").write_text("[partitioner]\nhistory = a\x00b\n")
        self.assertOneLineError(["plan", "-C", "good", "--tests", "ids.txt"], 1,
                                "'a\\x00b': a history source cannot hold a NUL character")
