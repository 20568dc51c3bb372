"""Tests for partitioner.history.repository: layout, detection, read-only access, the Repository object."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import fixtures
import testtools

from partitioner.errors import HistoryError
from partitioner.history import load_history_for
from partitioner.history.repository import Repository, find_repository, read_repository
from partitioner.pipeline import PLAN_RUNS
from tests.suites import subunit_v2


def make_repo(case: testtools.TestCase, name: str = ".stestr", runs: int = 1) -> Path:
    root = Path(case.useFixture(fixtures.TempDir()).path)
    repo = root / name
    repo.mkdir()
    (repo / "format").write_text("1\n")
    (repo / "next-stream").write_text(f"{runs}\n")
    for number in range(runs):
        stream = subunit_v2([(f"a.B.test_{number}", "success", 10.0 + number, 11.5 + number, "worker-0")])
        (repo / str(number)).write_bytes(stream)
    return repo


class TestRepositoryLayout(testtools.TestCase):
    """Hand-built repositories: detection, missing pieces, damaged dbm."""

    def test_missing_directory(self) -> None:
        error = self.assertRaises(HistoryError, read_repository, "/nonexistent/.stestr")
        self.assertEqual(
            "no such directory: /nonexistent/.stestr; name an existing .stestr/ or .testrepository/ directory, or the "
            "project directory holding one (a project that never ran its tests has none yet: `stestr run`, or "
            "`testr init` and `testr run`, makes it)",
            str(error),
        )

    def test_not_a_repository(self) -> None:
        root = self.useFixture(fixtures.TempDir()).path
        error = self.assertRaises(HistoryError, read_repository, root)
        self.assertIn("not a stestr/testr repository", str(error))
        self.assertNotIn("--history", str(error))  # the history it names is the one given: never "pass --history"

    def test_a_file_is_not_a_repository(self) -> None:
        repo = make_repo(self, )
        error = self.assertRaises(HistoryError, read_repository, repo / "format")
        self.assertIn("not a directory", str(error))

    def test_numeric_order_and_no_times(self) -> None:
        repo = make_repo(self, ".testrepository", runs=12)
        runs, times, warnings = read_repository(repo)
        self.assertEqual(list(range(12)), [run.order for run in runs])
        self.assertEqual(f"{repo}/11", runs[-1].run_id)
        self.assertEqual({}, dict(times))
        self.assertEqual((), warnings)

    def test_newest_runs_only(self) -> None:
        repo = make_repo(self, ".testrepository", runs=12)
        runs, _, _ = read_repository(repo, newest=3)
        self.assertEqual([9, 10, 11], [run.order for run in runs])
        # planning reads the newest PLAN_RUNS; races and history summaries read them all
        planned = load_history_for(repo.parent, [], newest=PLAN_RUNS)
        self.assertEqual([f"{repo}/{n}" for n in range(12 - PLAN_RUNS, 12)], [run.run_id for run in planned.runs])
        self.assertEqual(12, len(load_history_for(repo.parent, []).runs))

    def test_run_id_uses_the_path_as_given(self) -> None:
        repo = make_repo(self, )
        runs, _, _ = read_repository(f"{repo.parent}/")
        self.assertEqual(f"{repo}/0", runs[0].run_id)
        runs, _, _ = read_repository(str(repo))
        self.assertEqual(f"{repo}/0", runs[0].run_id)

    def test_empty_repository_warns(self) -> None:
        repo = make_repo(self, runs=0)
        runs, _, warnings = read_repository(repo)
        self.assertEqual((), runs)
        self.assertIn("holds no runs yet", warnings[0])

    def test_kind_is_found_from_project_dir(self) -> None:
        repo = make_repo(self, ".testrepository")
        self.assertEqual((repo, "testrepository"), find_repository(repo.parent))
        self.assertEqual((repo, "testrepository"), find_repository(repo))


class TestRepositoryObject(testtools.TestCase):
    """Repository: runs read once, named by number; the newest of a project's two repositories."""

    def test_latest_run_and_numbers(self) -> None:
        repo = make_repo(self, ".testrepository", runs=4)
        (repo / "2").write_bytes(b"garbage")
        found = Repository.read(repo.parent)
        self.assertEqual((repo, ".testrepository"), (found.path, found.name))
        self.assertEqual("0-1, 3", found.numbers())
        self.assertEqual(3, found.latest().order)
        self.assertEqual(f"{repo}/1", found.run(1).run_id)
        error = self.assertRaises(HistoryError, found.run, 2)
        self.assertIn("run 2 in .testrepository is damaged (", str(error))
        error = self.assertRaises(HistoryError, found.run, 7)
        self.assertEqual("run 7 not found in .testrepository (runs 0-1, 3); pass an existing run id", str(error))

    def test_no_readable_run(self) -> None:
        repo = make_repo(self, runs=0)
        error = self.assertRaises(HistoryError, Repository.read(repo).latest)
        self.assertIn("holds no readable runs; run the tests first (testr run --parallel, or stestr run)", str(error))

    def test_no_readable_run_where_testr_runs_the_runner_says_testr_run(self) -> None:
        repo = make_repo(self, ".testrepository", runs=0)
        (repo.parent / ".testr.conf").write_text(
            "[DEFAULT]\ntest_command=python -m partitioner.run $LISTOPT $IDOPTION -- python -m subunit.run discover\n")
        error = self.assertRaises(HistoryError, Repository.read(repo).latest)
        self.assertIn("holds no readable runs; run the tests first (testr run (the runner in .testr.conf's "
                      "test_command runs the workers; not --parallel))", str(error))
        stestr = make_repo(self, ".stestr", runs=0)  # stestr's own repository: stestr's advice stays
        (stestr.parent / ".testr.conf").write_text((repo.parent / ".testr.conf").read_text())
        error = self.assertRaises(HistoryError, Repository.read(stestr).latest)
        self.assertIn("(testr run --parallel, or stestr run)", str(error))

    def test_in_directory_takes_the_one_written_last(self) -> None:
        stestr = make_repo(self, ".stestr", runs=1)
        self.assertIsNone(Repository.in_directory(stestr))
        testr = stestr.parent / ".testrepository"
        shutil.copytree(stestr, testr)
        os.utime(testr / "0", (1, 1))
        self.assertEqual(stestr, Repository.in_directory(stestr.parent).path)  # type: ignore[union-attr]
        os.utime(stestr / "0", (0, 0))
        self.assertEqual(testr, Repository.in_directory(stestr.parent).path)  # type: ignore[union-attr]
