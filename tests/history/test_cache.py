"""Tests for partitioner.history.cache: hits, misses on any change, a damaged cache, turning it off."""

from __future__ import annotations

import os
from pathlib import Path

import fixtures
import testtools

from partitioner.history import cache
from partitioner.history.model import Run, TestRecord
from partitioner.history.repository import read_repository
from partitioner.history.subunit import read_stream_file
from tests.builders import stream
from tests.suites import subunit_v2, tree_snapshot


class CountingReader:
    """read_stream_file, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, path: Path, order: int) -> Run:
        self.calls += 1
        return read_stream_file(path, order)


class TestRunCache(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.where = Path(self.useFixture(fixtures.TempDir()).path) / "cache"
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE_DIR", str(self.where)))
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE"))
        self.repo = Path(self.useFixture(fixtures.TempDir()).path) / ".stestr"
        self.repo.mkdir()
        (self.repo / "format").write_text("1\n")
        (self.repo / "next-stream").write_text("1\n")
        self.stream = self.repo / "0"
        self.stream.write_bytes(subunit_v2([("a.B.t1", "success", 10.0, 11.5, "worker-0"),
                                            ("a.B.t2[smoke]", "fail", 11.5, 12.25, "worker-1")]))

    def test_second_read_comes_from_the_cache_and_equals_the_parse(self) -> None:
        reader = CountingReader()
        first = cache.load_run(self.stream, 3, reader)
        second = cache.load_run(self.stream, 3, reader)
        self.assertEqual(1, reader.calls)
        self.assertEqual(first, second)
        self.assertEqual(read_stream_file(self.stream, 3), second)
        self.assertEqual(1, len(list(self.where.glob("*.json"))))

    def test_a_changed_stream_is_parsed_again(self) -> None:
        reader = CountingReader()
        cache.load_run(self.stream, 0, reader)
        self.stream.write_bytes(subunit_v2([("a.B.t9", "success", 1.0, 2.0, "worker-0")]))
        os.utime(self.stream, ns=(1, 1))
        run = cache.load_run(self.stream, 0, reader)
        self.assertEqual(2, reader.calls)
        self.assertEqual(["a.B.t9"], [r.test_id for r in run.records])

    def test_damaged_or_foreign_entries_are_misses_and_get_replaced(self) -> None:
        reader = CountingReader()
        cache.load_run(self.stream, 0, reader)
        (entry,) = self.where.glob("*.json")
        for junk in ("{not json", '{"version": 99, "records": []}', '{"version": 1, "records": [[1]]}', "\xff"):
            entry.write_text(junk, encoding="latin-1")
            self.assertEqual(read_stream_file(self.stream, 0), cache.load_run(self.stream, 0, reader))
        self.assertEqual(5, reader.calls)
        self.assertEqual(read_stream_file(self.stream, 0), cache.load_run(self.stream, 0, reader))
        self.assertEqual(5, reader.calls)  # the last miss rewrote a good entry

    def test_valid_json_of_the_wrong_shape_is_a_miss(self) -> None:
        # issue 10 item 2: the docs say a damaged entry is a miss, but these passed as runs and raised later
        reader = CountingReader()
        expected = cache.load_run(self.stream, 0, reader)
        (entry,) = self.where.glob("*.json")
        good = '["a.B.t1", "success", 10.0, 11.5, "worker-0", ["worker-0"], ""]'
        shapes = [f'{{"version": {cache.VERSION}, "records": {records}}}' for records in (
            '[["a.B.t1", "success", "10", 11.5, "worker-0", [], ""]]',
            '[["a.B.t1", "success", 10.0, NaN, "worker-0", [], ""]]',
            '[["a.B.t1", "success", true, 11.5, "worker-0", [], ""]]',
            '[["a.B.t1", "success", 10.0, 11.5, 3, [], ""]]',
            '[["a.B.t1", "success", 10.0, 11.5, "worker-0", "tags", ""]]',
            '[["a.B.t1", "success", 10.0, 11.5, "worker-0", [1], ""]]',
            '[["a.B.t1", "success", 10.0, 11.5, "worker-0", [], null]]',
            '[["a.B.t1", "success", 10.0, 11.5, "worker-0", []]]',  # an entry of version 1's shape
            '[[["a"], "success", 10.0, 11.5, null, [], ""]]',
            '[{"a": 1}]',
            '{"x": 1}',
            '"abcdef"',
            f'[{good}, 7]',
        )]
        shapes.append("[" * 100000)
        for number, shape in enumerate(shapes, 2):
            entry.write_text(shape)
            self.assertEqual(expected, cache.load_run(self.stream, 0, reader), shape)
            self.assertEqual(number, reader.calls, shape)
        entry.write_text(f'{{"version": {cache.VERSION}, "records": [{good}]}}')  # the right shape is a hit
        self.assertEqual(["a.B.t1"], [r.test_id for r in cache.load_run(self.stream, 0, reader).records])
        self.assertEqual(len(shapes) + 1, reader.calls)

    def test_a_failures_reason_comes_back_from_the_cache(self) -> None:
        # what tells a test an interruption cut short from a real failure (races, history summary)
        why = "interrupted: lane 0 received SIGTERM, and its test process was killed by SIGTERM (signal 15)"
        self.stream.write_bytes(stream([TestRecord("a.B.t1", "fail", 1.0, 2.0, "worker-0", frozenset({"worker-0"}),
                                                   why)]))
        reader = CountingReader()
        cache.load_run(self.stream, 0, reader)
        (record,) = cache.load_run(self.stream, 0, reader).records
        self.assertEqual((1, why), (reader.calls, record.reason))

    def test_turned_off_or_unwritable_still_reads(self) -> None:
        reader = CountingReader()
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE", "0"))
        cache.load_run(self.stream, 0, reader)
        cache.load_run(self.stream, 0, reader)
        self.assertEqual(2, reader.calls)
        self.assertFalse(self.where.exists())
        blocker = Path(self.useFixture(fixtures.TempDir()).path) / "file"
        blocker.write_text("x")
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE", "1"))
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE_DIR", str(blocker / "sub")))
        self.assertEqual(read_stream_file(self.stream, 0), cache.load_run(self.stream, 0, reader))

    def test_repository_reads_use_it_and_never_write_into_the_repository(self) -> None:
        before = tree_snapshot(self.repo)
        runs, _, _ = read_repository(self.repo)
        again, _, _ = read_repository(self.repo)
        self.assertEqual(runs, again)
        self.assertEqual(before, tree_snapshot(self.repo))
        self.assertEqual(1, len(list(self.where.glob("*.json"))))

    def test_prunes_to_the_newest_entries(self) -> None:
        self.patch(cache, "MAX_ENTRIES", 2)
        for number in range(4):
            stream = self.repo / str(number + 1)
            stream.write_bytes(subunit_v2([(f"a.B.t{number}", "success", 1.0, 2.0, "worker-0")]))
            cache.load_run(stream, number, read_stream_file)
        self.assertEqual(2, len(list(self.where.glob("*.json"))))
