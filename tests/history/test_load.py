"""Tests for partitioner.history.load_history, discover and the source registry."""

from __future__ import annotations

import dbm.dumb
import gzip
import io
from pathlib import Path

import fixtures
import testtools

from partitioner.errors import HistoryError
from partitioner.history import SOURCES, discover, load_history
from partitioner.history.jsonfile import dumps_samples
from partitioner.history.model import History, Samples
from partitioner.history.sources import Request
from tests.suites import subunit_v2, tree_snapshot

T0 = 1_700_000_000.0


def stream(test: str, start: float, worker: str = "worker-0") -> bytes:
    return subunit_v2([(test, "success", start, start + 2.0, worker)])


class LoadCase(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.dir = Path(self.useFixture(fixtures.TempDir()).path)

    def make_repo(self, where: Path, starts: list[float], times: dict[str, str] | None = None) -> Path:
        where.mkdir(parents=True)
        (where / "format").write_text("1\n")
        (where / "next-stream").write_text(f"{len(starts)}\n")
        for number, start in enumerate(starts):
            (where / str(number)).write_bytes(stream(f"{where.name}.T.test_{number}", start))
        if times is not None:
            with dbm.dumb.open(str(where / "times.dbm"), "c") as db:
                for key, value in times.items():
                    db[key] = value
        return where

    def write(self, name: str, data: bytes) -> Path:
        path = self.dir / name
        path.write_bytes(data)
        return path

    def assertHistoryError(self, paths: list[str], *fragments: str, stdin: bytes | None = None) -> str:
        source = io.BytesIO(stdin) if stdin is not None else None
        error = self.assertRaises(HistoryError, load_history, paths, source)
        message = str(error)
        self.assertNotIn("\n", message)
        for fragment in fragments:
            self.assertIn(fragment, message)
        return message


class TestRegistry(LoadCase):
    def test_detection_order(self) -> None:
        self.assertEqual(["testrepository", "stestr", "json", "subunit", "store", "remote"], list(SOURCES))
        for name, source in SOURCES.items():
            self.assertEqual(name, source.name)

    def test_detect(self) -> None:
        stestr = self.make_repo(self.dir / "p" / ".stestr", [T0])
        testr = self.make_repo(self.dir / "q" / ".testrepository", [T0])
        json_file = self.dir / "t.json"
        json_file.write_text(dumps_samples(Samples()))
        v2 = self.write("run.bin", stream("a.B.c", T0))
        v1 = self.write("run.txt", b"noise\ntest: a.B.c\nsuccess: a.B.c\n")
        junk = self.write("junk.txt", b"hello\n")
        expected = {
            "testrepository": {testr, testr.parent},
            "stestr": {stestr, stestr.parent},
            "json": {json_file},
            "subunit": {v2, v1},
        }
        urls = {"store": ["sqlite:///h.db", "postgresql://u:pw@h/db", "postgres://h/db"],
                "remote": ["https://ci.example/testrepository.subunit.gz", "HTTP://h/t.json"]}
        for name, source in SOURCES.items():
            for path in (stestr, stestr.parent, testr, testr.parent, json_file, v2, v1, junk, self.dir):
                self.assertEqual(path in expected.get(name, ()), source.detect(Request(str(path))), f"{name} {path}")
            for kind, targets in urls.items():
                for url in targets:
                    self.assertEqual(kind == name, source.detect(Request(url)), f"{name} {url}")

    def test_relative_paths_are_taken_from_base(self) -> None:
        self.make_repo(self.dir / "proj" / ".stestr", [T0])
        self.write("r.subunit", stream("a.B.c", T0))
        self.assertTrue(SOURCES["stestr"].detect(Request("proj", base=self.dir)))
        self.assertTrue(SOURCES["subunit"].detect(Request("r.subunit", base=self.dir)))
        history = load_history(["proj", "subunit:r.subunit"], base=self.dir)
        self.assertEqual(2, len(history.runs))

    def test_discover(self) -> None:
        self.assertEqual([], discover(self.dir))
        (self.dir / ".stestr").mkdir()  # no format file: not a repository yet
        self.assertEqual([], discover(self.dir))
        (self.dir / ".stestr" / "format").write_text("1\n")
        self.assertEqual([str(self.dir / ".stestr")], discover(self.dir))
        self.make_repo(self.dir / ".testrepository", [])
        self.assertEqual([str(self.dir / ".testrepository"), str(self.dir / ".stestr")], discover(self.dir))


class TestLoadHistory(LoadCase):
    def test_every_kind_combined_oldest_first(self) -> None:
        repo = self.make_repo(self.dir / "proj" / ".stestr", [T0 + 100, T0 + 300], {"x.T.a": "1.5"})
        older = self.write("older.subunit", stream("s.T.old", T0))
        middle = self.write("middle.subunit.gz", gzip.compress(stream("s.T.mid", T0 + 200)))
        json_file = self.dir / "ci.json"
        json_file.write_text(dumps_samples(Samples(tests={"j.T.a": (1.0,)})))
        before = tree_snapshot(repo)
        history = load_history([str(repo.parent), str(middle), str(json_file), str(older)])
        self.assertEqual(before, tree_snapshot(repo))
        self.assertIsInstance(history, History)
        self.assertEqual([str(older), f"{repo}/0", str(middle), f"{repo}/1"], [run.run_id for run in history.runs])
        self.assertEqual([0, 1, 2, 3], [run.order for run in history.runs])
        self.assertEqual({"x.T.a": 1.5}, dict(history.last_times))
        self.assertEqual([{"j.T.a": (1.0,)}], [dict(s.tests) for s in history.samples])
        self.assertEqual(4, len(history.sources))
        self.assertTrue(history.sources[0].startswith(f"stestr:{repo.parent}"))
        self.assertEqual((), history.warnings)
        self.assertFalse(history.empty)

    def test_project_with_both_repositories_loads_both(self) -> None:
        self.make_repo(self.dir / ".stestr", [T0 + 10])
        self.make_repo(self.dir / ".testrepository", [T0], {"t.T.a[smoke]": "2.0"})
        history = load_history([str(self.dir)])
        self.assertEqual([f"{self.dir}/.testrepository/0", f"{self.dir}/.stestr/0"], [r.run_id for r in history.runs])
        self.assertEqual({"t.T.a": 2.0}, dict(history.last_times))
        self.assertEqual(2, len(history.sources))

    def test_runs_without_timestamps_stay_in_load_order(self) -> None:
        untimed = self.write("untimed.subunit", subunit_v2([("u.T.a", "success", None, None, None)]))
        timed = self.write("timed.subunit", stream("t.T.a", T0))
        history = load_history([str(timed), str(untimed)])
        self.assertEqual([str(timed), str(untimed)], [r.run_id for r in history.runs])
        history = load_history([str(untimed), str(timed)])
        self.assertEqual([str(untimed), str(timed)], [r.run_id for r in history.runs])

    def test_later_times_dbm_wins(self) -> None:
        first = self.make_repo(self.dir / "a" / ".stestr", [T0], {"k.T.a": "1.0"})
        second = self.make_repo(self.dir / "b" / ".stestr", [T0], {"k.T.a": "3.0"})
        self.assertEqual(3.0, load_history([str(first), str(second)]).last_times["k.T.a"])
        self.assertEqual(1.0, load_history([str(second), str(first)]).last_times["k.T.a"])

    def test_warnings_from_damaged_runs(self) -> None:
        repo = self.make_repo(self.dir / ".testrepository", [T0, T0 + 1])
        (repo / "0").write_bytes(b"\xb3\x00garbage")
        history = load_history([str(repo)])
        self.assertEqual([f"{repo}/1"], [run.run_id for run in history.runs])
        self.assertEqual(1, len(history.warnings))
        self.assertIn(f"{repo}/0: truncated or corrupt subunit v2 packet", history.warnings[0])

    def test_same_path_twice_is_read_once(self) -> None:
        run = self.write("r.subunit", stream("a.B.c", T0))
        history = load_history([str(run), str(run)])
        self.assertEqual(1, len(history.runs))
        self.assertIn("given more than once", history.warnings[0])

    def test_nothing_given(self) -> None:
        history = load_history([])
        self.assertTrue(history.empty)
        self.assertEqual((), history.sources)


class TestPrefixes(LoadCase):
    def test_forced_repository_kinds(self) -> None:
        repo = self.make_repo(self.dir / "saved-runs", [T0, T0 + 5])
        for kind in ("stestr", "testrepository"):
            history = load_history([f"{kind}:{repo}"])
            self.assertEqual([f"{repo}/0", f"{repo}/1"], [r.run_id for r in history.runs])
            self.assertTrue(history.sources[0].startswith(f"{kind}:{repo}"))

    def test_forced_subunit(self) -> None:
        path = self.write("opaque.dat", stream("a.B.c", T0))
        history = load_history([f"subunit:{path}"])
        self.assertEqual([str(path)], [r.run_id for r in history.runs])

    def test_forced_json(self) -> None:
        path = self.dir / "timings.data"
        path.write_text(dumps_samples(Samples(startup=(1.0,))))
        self.assertEqual((1.0,), load_history([f"json:{path}"]).samples[0].startup)

    def test_forced_kind_is_obeyed(self) -> None:
        path = self.write("run.subunit", stream("a.B.c", T0))
        self.assertHistoryError([f"json:{path}"], f"{path}: not UTF-8")
        json_file = self.dir / "t.json"
        json_file.write_text(dumps_samples(Samples()))
        self.assertHistoryError([f"subunit:{json_file}"], f"{json_file}: not a subunit stream")

    def test_unknown_prefix(self) -> None:
        message = self.assertHistoryError(["nose:x"], "unknown history kind 'nose'")
        self.assertIn("testrepository, stestr, json, subunit, store, remote", message)
        message = self.assertHistoryError(["ftp://ci:Secret-1@h/x"], "unknown history kind 'ftp'", "an http(s):// URL")
        self.assertNotIn("Secret-1", message)

    def test_prefix_without_path(self) -> None:
        self.assertHistoryError(["stestr:"], "no path after 'stestr:'")

    def test_existing_path_with_a_colon_is_a_path(self) -> None:
        path = self.write("odd:name.subunit", stream("a.B.c", T0))
        self.assertEqual(1, len(load_history([str(path)]).runs))

    def test_missing_path(self) -> None:
        self.assertHistoryError([str(self.dir / "nope")], f"no such file or directory: {self.dir / 'nope'}")
        self.assertHistoryError([f"stestr:{self.dir / 'nope'}"], "no such file or directory")

    def test_path_of_no_kind_says_what_it_is_and_what_to_give(self) -> None:
        # the error listed every kind it accepts but never said what the given path was instead
        junk = self.write("junk.txt", b"hello\n")
        message = self.assertHistoryError([str(junk)], f"{junk}: a text file that is neither a subunit v1 stream nor "
                                          "a JSON timing file, so no history; give a .stestr/ or .testrepository/ "
                                          "directory (or the project directory holding one), a subunit stream")
        self.assertIn("subunit:", message)  # or force a kind
        self.assertHistoryError([str(self.write("junk.bin", b"\x89\xfe\x00junk"))],
                                "junk.bin: a binary file that is not a subunit stream (it starts with "
                                "b'\\x89\\xfe\\x00junk'), so no history; give ")
        self.assertHistoryError([str(self.write("empty", b""))], "empty: an empty file, so no history; give ")
        empty = self.dir / "project"
        empty.mkdir()
        self.assertHistoryError([str(empty)], f"{empty}: a directory holding no test runs (no .stestr/ or "
                                ".testrepository/ in it, nor the 'format' file of one: a project that never ran its "
                                "tests has none yet), so no history; give ")
        store = self.write("history.db", b"SQLite format 3\x00" + b"\x00" * 100)
        self.assertHistoryError([str(store)], f"{store}: a SQLite database file, which is read as a history store "
                                f"only through its URL; give sqlite:///{store} (a store `partitioner history push "
                                f"--to sqlite:///{store}` filled), or another history")
        for path in (junk, empty, store):
            self.assertNotIn("--history", self.assertHistoryError([str(path)]))


class TestStdin(LoadCase):
    def test_dash_reads_a_stream(self) -> None:
        history = load_history(["-"], io.BytesIO(stream("a.B.c", T0)))
        self.assertEqual(["-"], [r.run_id for r in history.runs])
        self.assertEqual(("subunit:- (1 tests)",), history.sources)

    def test_dash_reads_gzip_and_v1(self) -> None:
        v1 = b"time: 2020-01-01 00:00:00Z\ntest: a.B.c\ntime: 2020-01-01 00:00:01.5Z\nsuccess: a.B.c\n"
        history = load_history(["subunit:-"], io.BytesIO(gzip.compress(v1)))
        self.assertEqual(1.5, history.runs[0].records[0].duration)

    def test_json_from_stdin(self) -> None:
        data = b'{"format_version": 1, "tests": {"a.B.c": [2]}}'
        history = load_history(["json:-"], io.BytesIO(data))
        self.assertEqual({"a.B.c": (2.0,)}, dict(history.samples[0].tests))

    def test_stdin_with_files(self) -> None:
        path = self.write("r.subunit", stream("f.T.a", T0 + 50))
        history = load_history([str(path), "-"], io.BytesIO(stream("s.T.a", T0)))
        self.assertEqual(["-", str(path)], [r.run_id for r in history.runs])

    def test_empty_stdin(self) -> None:
        self.assertHistoryError(["-"], "-: empty stream", stdin=b"")

    def test_stdin_twice(self) -> None:
        self.assertHistoryError(["-", "-"], "given more than once", stdin=stream("a.B.c", T0))

    def test_repository_from_stdin(self) -> None:
        self.assertHistoryError(["stestr:-"], "cannot be read from stdin", stdin=b"")
