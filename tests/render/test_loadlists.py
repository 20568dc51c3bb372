"""Tests for partitioner.render.loadlists: one id file per worker, errors as OutputError."""

from __future__ import annotations

from pathlib import Path

import fixtures
import testtools

from partitioner.errors import OutputError
from partitioner.render import write_load_lists
from tests.builders import IDS, plan_for


class TestLoadLists(testtools.TestCase):
    def test_one_file_per_worker(self) -> None:
        tmp = Path(self.useFixture(fixtures.TempDir()).path)
        plan = plan_for(IDS, 3)
        paths = write_load_lists(plan, tmp / "lists")
        self.assertEqual(["worker-0.list", "worker-1.list", "worker-2.list"], [p.name for p in paths])
        self.assertEqual(sorted(IDS), sorted(line for p in paths for line in p.read_text().split()))

    def test_unwritable_directory(self) -> None:
        tmp = Path(self.useFixture(fixtures.TempDir()).path)
        (tmp / "file").write_text("")
        error = self.assertRaises(OutputError, write_load_lists, plan_for(IDS, 2), tmp / "file" / "lists")
        self.assertIn(f"cannot write load lists into {tmp}/file/lists", str(error))
