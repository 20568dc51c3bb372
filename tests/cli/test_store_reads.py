"""Every command that reads a SQLite history store leaves its file as it was: the same bytes, the same mtime.

A reader opened the store read-write, so SQLite made a database of an empty file it was given (a plan grew a
0-byte file to 4096 bytes, then said "the store holds no runs yet"). Reads now open it read-only; a file
that is no store is said to be what it is, in one line; a store file not made yet stays optional for
planning (the first CI job plans before anything was pushed).
"""

from __future__ import annotations

import sqlite3
import subprocess

from partitioner.cli.main import ERROR, OK
from partitioner.history.store import open_store
from tests.builders import rec, run, stream
from tests.cli.harness import IDS, CLICase
from tests.suites import BIN, tool_env, two_test_project

EMPTY = "is an empty file, not a history store; point the URL at the store file `partitioner history push --to` created"
FOREIGN = "is a SQLite database of other tables (accounts), not a history store"


class TestStoreReads(CLICase):
    def setUp(self) -> None:
        super().setUp()
        (self.dir / "ids.txt").write_text(IDS)
        self.db = self.dir / "history.db"
        self.url = f"sqlite:///{self.db}"
        self.failed = self.dir / "failed.subunit"  # races diagnoses a run given as a stream, from the store's runs
        self.failed.write_bytes(stream([rec("m.A.t1", "worker-0", 0, 3), rec("m.B.t1", "worker-1", 0, 2, "fail")]))

    def push(self) -> None:
        with open_store(self.url) as store:
            for n in range(2):
                t = 100.0 * n
                store.push_run(run(rec("m.A.t1", "worker-0", t + 0, t + 3), rec("m.A.t2", "worker-0", t + 3, t + 5),
                                   rec("m.B.t1", "worker-1", t + 0, t + 2, "fail" if n else "success"),
                                   rec("m.C.t1[smoke]", "worker-1", t + 2, t + 3), run_id=f"r{n}"))

    def commands(self) -> dict[str, list[str]]:
        """Every reading command, with the store as its history."""
        project = ["-C", str(self.dir)]
        tests = ["--tests", str(self.dir / "ids.txt")]
        history = ["--history", self.url]
        return {
            "plan": ["plan", *project, *tests, "-n", "2", *history],
            "plan --shards": ["plan", *project, *tests, "-n", "2", "--shards", "2", *history],
            "explain": ["explain", *project, *tests, "-n", "2", *history, "m.A.t1"],
            "concurrency": ["concurrency", *project, *tests, "--within", "5", "--max", "2", *history],
            "races": ["races", *project, *history, str(self.failed)],
            "history summary": ["history", "summary", *project, *history],
            "history head": ["history", "head", *project, *history],
            "history export": ["history", "export", *project, *history, "-o", str(self.dir / "t.json")],
            "timeline": ["timeline", *project, *history, "-o", str(self.dir / "t.html")],
        }

    def snapshot(self) -> tuple[bytes, int]:
        return self.db.read_bytes(), self.db.stat().st_mtime_ns

    def test_reading_a_store_changes_nothing_in_its_file(self) -> None:
        self.push()
        before = self.snapshot()
        for name, argv in self.commands().items():
            code, _out, err = self.cli(*argv)
            self.assertEqual(OK, code, f"{name}: {err}")
            self.assertEqual(before, self.snapshot(), name)

    def test_an_empty_file_is_one_error_line_and_stays_empty(self) -> None:
        self.db.write_bytes(b"")
        before = self.snapshot()
        for name, argv in self.commands().items():
            self.assertOneLineError(argv, ERROR, f"{self.url}: {self.db} {EMPTY}")
            self.assertEqual(before, self.snapshot(), name)
        self.assertEqual(0, self.db.stat().st_size)

    def test_a_database_of_other_tables_is_one_error_line_and_is_left_alone(self) -> None:
        with sqlite3.connect(self.db) as conn:
            conn.execute("CREATE TABLE accounts (id INTEGER)")
        conn.close()
        before = self.snapshot()
        for name, argv in self.commands().items():
            self.assertOneLineError(argv, ERROR, f"{self.url}: {self.db} {FOREIGN}")
            self.assertEqual(before, self.snapshot(), name)

    def test_a_store_file_not_made_yet_is_a_warning_for_planning_and_is_not_made(self) -> None:
        code, out, err = self.cli(*self.commands()["plan"])
        self.assertEqual(OK, code, err)
        self.assertIn(f"warning: {self.url}: no such store file ({self.db}); push a run to it first", out)
        for name in ("races", "history summary", "history head", "timeline"):  # reading it is their whole job
            self.assertOneLineError(self.commands()[name], ERROR, "no such store file")
        self.assertEqual([], list(self.dir.glob("history.db*")))

    def test_history_push_still_makes_a_store_of_an_empty_file(self) -> None:
        self.db.write_bytes(b"")
        source = self.dir / "run.subunit"
        source.write_bytes(stream([rec("m.A.t1", "worker-0", 0.0, 1.0)]))
        code, out, err = self.cli("history", "push", "--to", self.url, str(source))
        self.assertEqual(OK, code, err)
        self.assertIn("stored as run 1", out)
        self.assertEqual((OK, "1\n"), self.cli("history", "head", "--history", self.url)[:2])


class TestExecPlanningReadsOnly(CLICase):
    """``partitioner exec``'s planning reads the store the same way (the real stestr runs the project)."""

    def exec(self, url: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "partitioner"), "exec", "--history", url, "--",
                               "stestr", "run", "--concurrency", "2"], cwd=self.dir, env=tool_env(),
                              capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL, check=False)

    def test_exec_leaves_the_store_file_unchanged(self) -> None:
        two_test_project(self.dir)
        db = self.dir / "history.db"
        url = f"sqlite:///{db}"
        with open_store(url) as store:
            store.push_run(run(rec("pkg.test_x.T.test_a", "worker-0", 0.0, 2.0),
                               rec("pkg.test_x.T.test_b", "worker-1", 0.0, 1.0)))
        before = (db.read_bytes(), db.stat().st_mtime_ns)
        done = self.exec(url)
        self.assertEqual(OK, done.returncode, done.stderr)
        self.assertTrue((self.dir / ".stestr").is_dir())  # the tool ran
        self.assertEqual(before, (db.read_bytes(), db.stat().st_mtime_ns))

    def test_exec_given_an_empty_file_says_so_and_leaves_it_empty(self) -> None:
        two_test_project(self.dir)
        db = self.dir / "history.db"
        db.write_bytes(b"")
        before = db.stat().st_mtime_ns
        done = self.exec(f"sqlite:///{db}")
        self.assertEqual(ERROR, done.returncode, done.stderr)
        self.assertIn(f"{db} {EMPTY}", done.stderr)
        self.assertEqual((0, before), (db.stat().st_size, db.stat().st_mtime_ns))
