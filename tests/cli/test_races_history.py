"""Tests for ``partitioner races --history``: an explicit history names the repository the run comes from."""

from __future__ import annotations

import json
import os

from tests.builders import A, B, C, D, racing_runs, rec, run
from tests.cli.harness import RepositoryCase


class TestExplicitHistoryWins(RepositoryCase):
    """A project that moved from testr to stestr keeps both repositories; stestr's was written to last."""

    def setUp(self) -> None:
        super().setUp()
        testr = self.repository(racing_runs())  # run 3, the latest: B failed beside A
        stestr = self.repository([run(rec(f"{D}.test_1", "worker-0", 0.0, 1.0, "fail"),
                                       rec(f"{C}.test_1", "worker-1", 0.0, 1.0))], name=".stestr")
        for repo, stamp in ((testr, 1_000_000), (stestr, 2_000_000)):
            for path in repo.iterdir():
                os.utime(path, (stamp, stamp))

    def suspects(self, *argv: str) -> list[str]:
        status, out, err = self.cli("races", "--format", "json", *argv)
        self.assertEqual(0, status, err)
        return [s["test"] for s in json.loads(out)["suspects"]]

    def test_without_history_the_repository_written_to_last_is_diagnosed(self) -> None:
        self.assertEqual([f"{D}.test_1"], self.suspects())

    def test_history_naming_a_repository_is_where_the_run_comes_from(self) -> None:
        self.assertEqual([f"{B}.test_1"], self.suspects("--history", ".testrepository"))
        self.assertEqual([f"{B}.test_1"], self.suspects("--history", str(self.dir / ".testrepository")))
        self.assertEqual([f"{B}.test_1"], self.suspects("--history", "testrepository:.testrepository"))
        self.assertEqual([A], self.suspects("2", "--history", ".testrepository"))
        self.assertEqual([f"{D}.test_1"], self.suspects("--history", ".stestr"))

    def test_history_naming_a_stored_run_takes_runs_from_its_repository(self) -> None:
        self.assertEqual([A], self.suspects("0", "--history", ".testrepository/0"))

    def test_history_naming_a_stream_file_leaves_the_run_to_the_directory(self) -> None:
        (self.dir / "old.subunit").write_bytes((self.dir / ".testrepository" / "0").read_bytes())
        self.assertEqual([f"{D}.test_1"], self.suspects("--history", "old.subunit"))

    def test_history_naming_a_project_directory_takes_its_repository_of_that_kind(self) -> None:
        self.assertEqual([f"{B}.test_1"], self.suspects("--history", f"testrepository:{self.dir}"))
        # both are read for the counts, as plan reads them; the run is the one written to last
        self.assertEqual([f"{D}.test_1"], self.suspects("--history", str(self.dir)))

    def test_the_table_names_the_run_of_the_repository_named(self) -> None:
        _, out, _ = self.cli("races", "--history", ".testrepository", "--history", ".testrepository/3")
        self.assertIn("run 3 of .testrepository: 1 failed test in 1 class", out)

    def test_order_takes_the_run_from_the_repository_named_too(self) -> None:
        status, out, err = self.cli("races", "--order", "--format", "json", "--history", ".testrepository")
        self.assertEqual(0, status, err)
        self.assertIn(B, out)
        self.assertNotIn(D, out)
