"""The history read while the tool lists its tests (history/prefetch.py): the same history the hook would read,
taken once, and never one from before a run was stored."""

from __future__ import annotations

import sys

import fixtures

from partitioner.estimate import build_cost_model
from partitioner.history import digest, prefetch
from partitioner.history.model import TestRecord
from tests.builders import stream
from tests.history.test_digest import RepositoryCase

IDS = ["m.A.t1", "m.B.t1", "m.C.t1", "m.D.new"]


class TestPrefetch(RepositoryCase):
    def prices(self, history: object) -> list[object]:
        model = build_cost_model(IDS, history)  # type: ignore[arg-type]
        return [[model.test(t) for t in IDS], dict(model.setup)]

    def test_the_history_read_ahead_is_the_one_the_hook_would_read_and_is_taken_once(self) -> None:
        prefetch.start(str(self.repo), 10)
        taken = prefetch.take(str(self.repo.parent / ".stestr" / ".." / ".stestr"), 10)  # the same directory
        self.assertIsNotNone(taken)
        direct = digest.planning_history(self.repo, 10)
        self.assertEqual(self.prices(direct), self.prices(taken))
        self.assertEqual((direct.sources, direct.digested, direct.warnings),
                         (taken.sources, taken.digested, taken.warnings))  # type: ignore[union-attr]
        self.assertIsNone(prefetch.take(str(self.repo), 10))  # taken: the next plan reads for itself

    def test_runs_not_digested_are_read_beyond_the_budget_while_the_tool_lists(self) -> None:
        # the first exec after plain stestr runs planned from times.dbm alone: its one run was over the budget
        self.useFixture(fixtures.MonkeyPatch("partitioner.history.digest.DEFAULT_BUDGET_S", 0.0))
        prefetch.start(str(self.repo), 10)
        prefetch._PENDING[prefetch._key(str(self.repo), 10)]._thread.join()  # the listing outlasts the reading
        taken = prefetch.take(str(self.repo), 10)
        assert taken is not None
        self.assertEqual((3, ()), (len(taken.digested), taken.unread))
        self.assertEqual(3, len(digest.planning_history(self.repo, 10, budget_s=0.0).digested))  # now cached

    def test_nothing_started_or_another_newest_or_a_read_that_failed_leaves_the_hook_to_read(self) -> None:
        self.assertIsNone(prefetch.take(str(self.repo), 10))
        prefetch.start(str(self.repo), 3)
        self.addCleanup(prefetch.take, str(self.repo), 3)
        self.assertIsNone(prefetch.take(str(self.repo), 10))
        not_a_repo = self.where / "project"  # planning_history raises HistoryError on it: the hook reports it
        (self.repo / "format").unlink()
        prefetch.start(str(not_a_repo), 10)
        self.assertIsNone(prefetch.take(str(not_a_repo), 10))
        prefetch.start(str(self.where / "missing"), 10)  # not a directory: nothing started
        self.assertIsNone(prefetch.take(str(self.where / "missing"), 10))

    def test_the_modules_asked_for_are_imported_first_and_one_that_fails_leaves_no_result(self) -> None:
        modules = self.where / "modules"
        modules.mkdir()
        (modules / "prefetch_probe_ok.py").write_text("LOADED = True\n")
        (modules / "prefetch_probe_bad.py").write_text("raise ImportError('not here')\n")
        self.useFixture(fixtures.MonkeyPatch("sys.path", [str(modules), *sys.path]))
        for name in ("prefetch_probe_ok", "prefetch_probe_bad"):
            self.addCleanup(sys.modules.pop, name, None)
        prefetch.start(str(self.repo), 10, ("prefetch_probe_ok",))
        self.assertIsNotNone(prefetch.take(str(self.repo), 10))
        self.assertTrue(sys.modules["prefetch_probe_ok"].LOADED)
        prefetch.start(str(self.repo), 10, ("prefetch_probe_bad",))
        self.assertIsNone(prefetch.take(str(self.repo), 10))  # the tool's thread imports it and meets the error

    def test_a_second_listing_reads_again_so_a_run_stored_between_is_in(self) -> None:
        # testr run --until-failure lists before every run; a read never taken must not outlive a stored run
        prefetch.start(str(self.repo), 10)
        (self.repo / "3").write_bytes(stream([
            TestRecord("m.D.new", "success", 0.0, 4.0, "worker-0", frozenset({"worker-0"}))]))
        prefetch.start(str(self.repo), 10)
        taken = prefetch.take(str(self.repo), 10)
        self.assertEqual(self.prices(digest.planning_history(self.repo, 10)), self.prices(taken))
        self.assertEqual(4, len(taken.digested))  # type: ignore[union-attr]
