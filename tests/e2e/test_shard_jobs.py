"""Three shard jobs as separate processes in separate checkouts, each through the real CLI (``partitioner exec
--shard K/3 -- stestr run``, then ``partitioner history push``) with the real stestr, pushing to one store at the
same time, against SQLite and a real PostgreSQL: the union of what they stored is the suite, exactly once; the
next round plans from the store (pinned with ``partitioner history head``) and its shards are balanced."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import fixtures
import testtools

from tests.history.store.backends import SqliteStore, shared_server
from tests.shardjobs import ShardCheckouts, job_script, run_jobs, stored_by_label
from tests.suites import GEN_SUITE, GeneratedSuite, tool, tool_env

SHARDS, WORKERS = 3, 2


class PostgresWithoutPassword(fixtures.Fixture):
    """A fresh database on the throwaway PostgreSQL, named by a URL without its password (``PGPASSWORD`` carries
    it, as examples/ci does); ``url``, ``env``."""

    kind = "postgresql"

    def __init__(self, testcase: testtools.TestCase) -> None:
        super().__init__()
        self.testcase = testcase

    def _setUp(self) -> None:
        import uuid

        server = shared_server(self.testcase)
        name = f"shards_{uuid.uuid4().hex[:12]}"
        server.create_database(name)
        self.addCleanup(server.drop_database, name)
        self.url = f"postgresql://partitioner@127.0.0.1:{server.port}/{name}"
        self.env = {"PGPASSWORD": server.password}
        self.useFixture(fixtures.EnvironmentVariable("PGPASSWORD", server.password))  # this process reads it too


class SqliteFile(SqliteStore):
    env: dict[str, str] = {}


class ShardJobs(testtools.TestCase if TYPE_CHECKING else object):
    """The jobs against one backend (a mixin: the concrete classes at the bottom name it, so that pytest and
    testr both see one class per backend)."""

    backend: type[fixtures.Fixture]

    def setUp(self) -> None:
        super().setUp()
        if not GEN_SUITE.exists():
            self.skipTest(f"{GEN_SUITE} is missing (set PARTITIONER_SHARED)")
        self.store = self.useFixture(self.backend(self))  # type: ignore[call-arg]
        self.url: str = self.store.url  # type: ignore[attr-defined]
        self.suite = self.useFixture(GeneratedSuite(classes=48, serial_s=6.0, seed=5))  # grains fine enough for 5%
        dataset = json.loads((self.suite.path / "dataset.json").read_text())
        self.ids = sorted(t for c in dataset["classes"] for t in c["tests"])
        cache = Path(self.useFixture(fixtures.TempDir()).path)
        self.env = tool_env(BENCH_LOCKDIR=str(self.suite.lockdir), BENCH_SCALE="1", PARTITIONER_CACHE_DIR=str(cache),
                            **self.store.env)  # type: ignore[attr-defined]

    def cli(self, *argv: str) -> str:
        proc = subprocess.run([tool("partitioner"), *argv], cwd=self.suite.path, env=self.env, capture_output=True,
                              text=True, check=False, timeout=120)
        self.assertEqual(0, proc.returncode, proc.stderr)
        return proc.stdout

    def round(self, number: int, history: list[str]) -> list[float]:
        """Run the M jobs at once; returns each shard's predicted time, after checking that they agreed and
        that the store holds every test of this round once."""
        checkouts = self.useFixture(ShardCheckouts(self.suite.path, SHARDS))
        commands = [(job_script(f"{k}/{SHARDS}", WORKERS, self.url, history, labels={"round": str(number),
                                                                                       "shard": f"{k}/{SHARDS}"}),
                     path) for k, path in enumerate(checkouts.paths, 1)]
        jobs = run_jobs(commands, self.env)
        for job in jobs:
            self.assertEqual(0, job.returncode, f"job {job.shard}: {job.stdout}\n{job.stderr}")
            self.assertNotIn("Traceback", job.stderr)
        splits = [job.split() for job in jobs]
        self.assertEqual(1, len({s["digest"] for s in splits}), [job.stderr for job in jobs])  # they agree
        self.assertEqual([f"{k}/{SHARDS}" for k in range(1, SHARDS + 1)], [s["shard"] for s in splits])
        stored = stored_by_label(self.url, round=str(number))
        self.assertEqual({f"{k}/{SHARDS}" for k in range(1, SHARDS + 1)}, set(stored))
        self.assertEqual(self.ids, sorted(t for tests in stored.values() for t in tests))  # once each: none lost
        return [float(s["predicted"]) for s in splits]

    def test_jobs_agree_store_every_test_once_and_the_next_round_is_balanced(self) -> None:
        # round 1: a store with no runs yet; every job splits by test count and class structure alike
        self.round(1, [])
        # round 2: pinned once (as a first CI job would), the jobs plan from the store while they push
        pin = self.cli("history", "head", "--history", self.url).strip()
        self.assertEqual(str(SHARDS), pin)
        predicted = self.round(2, [f"{self.url}?upto={pin}"])
        # the issue asks for 5%; the jobs' lines show tenths of a second (shards of ~1.1 s here: 1.1 and 1.2 can
        # be 1.15 and 1.15), so each figure may be 0.05 off; plan --shards below checks the unrounded ones
        self.assertLess((max(predicted) - 0.05) / (min(predicted) + 0.05), 1.05, predicted)
        # the next round's plan reads the store (all 6 runs now): its shards are within 5% of each other
        split = json.loads(self.cli("plan", "--shards", str(SHARDS), "-n", str(WORKERS), "--history", self.url,
                                    "--format", "json"))
        shards = [s["predicted_s"] for s in split["shards"]]
        self.assertTrue(split["has_history"])
        self.assertEqual([f"{self.url}?upto={2 * SHARDS}"], split["history"])
        self.assertLess(max(shards) / min(shards), 1.05, shards)



class TestShardJobsSqlite(ShardJobs, testtools.TestCase):
    backend = SqliteFile


class TestShardJobsPostgres(ShardJobs, testtools.TestCase):
    backend = PostgresWithoutPassword
