"""The tool's times.dbm opened before a run of ours starts (dispatch/timescheck.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import fixtures
import testtools

from partitioner.dispatch.timescheck import check_times


class TestTimesCheck(testtools.TestCase):
    """The tool's times.dbm is opened as the tool opens it before a run starts, and only when there is one."""

    class Repository:
        """The tool's repository as the check sees it: ``get_test_times`` opens (and so creates) the file."""

        def __init__(self, base: str) -> None:
            self.base = base
            self.opened = 0

        def get_test_times(self, test_ids: list[str]) -> dict[str, Any]:
            self.opened += 1
            Path(self.base, "times.dbm.dat").touch()
            return {}

    def test_a_repository_without_timings_is_left_alone(self) -> None:
        # the tool makes times.dbm as it stores the first run; opened before, an empty one stayed behind a run
        # interrupted while the tool listed its tests
        repo = self.Repository(self.useFixture(fixtures.TempDir()).path)
        check_times(repo)
        self.assertEqual(0, repo.opened)
        self.assertEqual([], os.listdir(repo.base))

    def test_a_repository_with_timings_has_them_opened(self) -> None:
        repo = self.Repository(self.useFixture(fixtures.TempDir()).path)
        Path(repo.base, "times.dbm.dir").touch()
        check_times(repo)
        self.assertEqual(1, repo.opened)
