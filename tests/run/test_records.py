"""The plan records the runner leaves beside its runs: each stored run finds its own, also when two runs ran the
same tests on the same workers (every second run of a static plan on an unchanged suite)."""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from pathlib import Path

import testtools

from partitioner.costmodel import SECONDS, TESTS
from partitioner.history import planrecord
from partitioner.history.model import Run
from partitioner.history.subunit import read_stream
from partitioner.run import Shares, main
from tests.run.harness import RealProject

SUITE = '''
import unittest


class A(unittest.TestCase):
    def test_1(self):
        pass


class B(unittest.TestCase):
    def test_1(self):
        pass
'''


def planner(has_history: bool) -> object:
    """A planner that puts each test on a worker of its own (the same placement every time), its costs in seconds
    from a history or, without one, in test-count units: the two records differ in their unit alone."""

    def plan(test_ids: Sequence[str], concurrency: int, *, cwd: Path, history: Sequence[str] = (),
             group_by: str | None = None, strategy: str | None = None) -> Shares:
        ids = sorted(test_ids)
        return Shares(tuple((t,) for t in ids), has_history=has_history)

    return plan


class TestRecordsOfRepeatedRuns(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        project = self.useFixture(RealProject({"test_s": SUITE}))
        self.root, self.cache = project.root, project.cache

    def run_runner(self, has_history: bool, order: int) -> Run:
        out, err = io.BytesIO(), io.StringIO()
        code = main(["--dispatch", "static", "-j", "2", "--", sys.executable, "-m", "subunit.run", "discover", "-t",
                     ".", "./pkg"], planner=planner(has_history), stdout=out, stderr=err,  # type: ignore[arg-type]
                    cwd=self.root)
        self.assertEqual(0, code, err.getvalue())
        return read_stream(out.getvalue(), f"run {order}", order)  # as the history reader stores it

    def test_two_runs_with_the_same_placement_each_find_their_own_record(self) -> None:
        first = self.run_runner(has_history=False, order=0)  # a first run: no history, a plan in units
        second = self.run_runner(has_history=True, order=1)  # the next, planned from the first: seconds
        self.assertEqual({r.test_id: r.worker for r in first.records},
                         {r.test_id: r.worker for r in second.records})  # the same tests on the same workers
        records = [planrecord.find_record(run) for run in (first, second)]
        self.assertEqual([TESTS, SECONDS], [r.unit if r is not None else None for r in records])
