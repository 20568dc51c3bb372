"""Tests for partitioner.history.cachefiles: atomic entries, pruning to the newest, no partial file left."""

from __future__ import annotations

import os
from pathlib import Path

import fixtures
import testtools

from partitioner.history import cachefiles


class TestWriteEntry(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.where = Path(self.useFixture(fixtures.TempDir()).path) / "deep" / "cache"

    def test_makes_the_directory_and_writes_the_text(self) -> None:
        cachefiles.write_entry(self.where, self.where / "a.json", '{"x": "é"}', keep=5)
        self.assertEqual('{"x": "é"}', (self.where / "a.json").read_text(encoding="utf-8"))
        self.assertEqual(["a.json"], sorted(p.name for p in self.where.iterdir()))

    def test_replaces_an_entry(self) -> None:
        cachefiles.write_entry(self.where, self.where / "a.json", "old", keep=5)
        cachefiles.write_entry(self.where, self.where / "a.json", "new", keep=5)
        self.assertEqual("new", (self.where / "a.json").read_text(encoding="utf-8"))

    def test_keeps_the_most_recently_written(self) -> None:
        for number in range(4):
            entry = self.where / f"e{number}.json"
            cachefiles.write_entry(self.where, entry, str(number), keep=10)
            os.utime(entry, (1000.0 + number, 1000.0 + number))
        cachefiles.write_entry(self.where, self.where / "e4.json", "4", keep=2)
        self.assertEqual(["e3.json", "e4.json"], sorted(p.name for p in self.where.iterdir()))

    def test_prune_leaves_other_files_and_temporaries(self) -> None:
        self.where.mkdir(parents=True)
        for name in ("notes.txt", ".tmp-abc.json", "a.json", "b.json"):
            (self.where / name).write_text(name, encoding="utf-8")
        cachefiles.prune(self.where, keep=0)
        self.assertEqual([".tmp-abc.json", "notes.txt"], sorted(p.name for p in self.where.iterdir()))

    def test_a_failed_rename_raises_and_leaves_no_temporary(self) -> None:
        self.where.mkdir(parents=True)
        (self.where / "a.json").mkdir()  # a directory cannot be replaced by a file
        self.assertRaises(OSError, cachefiles.write_entry, self.where, self.where / "a.json", "x", 5)
        self.assertEqual(["a.json"], sorted(p.name for p in self.where.iterdir()))
