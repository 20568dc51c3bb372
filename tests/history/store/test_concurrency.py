"""Many processes pushing to one store at once lose nothing and duplicate nothing; a server stopped in the
middle of a push gives one clear error and loses no acknowledged run. Real processes, real databases."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import IO

import fixtures
import testtools

from partitioner.history.store import open_store
from partitioner.history.store.rows import encode_run
from partitioner.history.store.testing import SUPERUSER, ThrowawayPostgres
from tests.history.store.backends import OwnPostgres, PostgresStore, SqliteStore
from tests.history.store.helpers import make_run
from tests.suites import REPO

#: a pusher: argv = url, then seeds; prints "ACK seed run_id duplicate" per acknowledged push
PUSHER = """
import sys
from partitioner.errors import PartitionerError
from partitioner.history.store import open_store
from tests.history.store.helpers import make_run
url, classes, *seeds = sys.argv[1:]
store = open_store(url)
try:
    for seed in map(int, seeds):
        result = store.push_run(make_run(seed, classes=int(classes), start=1_700_000_000.0 + seed), source=f"s{seed}")
        print("ACK", seed, result.run_id, int(result.duplicate), flush=True)
except PartitionerError as error:
    print(f"partitioner: error: {error}", file=sys.stderr)
    sys.exit(1)
"""


def pusher(url: str, seeds: list[int], classes: int = 6) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", PUSHER, url, str(classes), *map(str, seeds)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)


class ConcurrentPushes:
    """Four processes push 6 shared and 5 own runs each, all at once."""

    backend: type[fixtures.Fixture]

    def test_concurrent_pushers_store_every_run_exactly_once(self) -> None:
        where = self.useFixture(self.backend(self))  # type: ignore[attr-defined,call-arg]
        shared = list(range(6))
        jobs = [pusher(where.url, shared[k:] + shared[:k] + [100 * (k + 1) + j for j in range(5)])
                for k in range(4)]
        acks: dict[int, set[int]] = {}
        for job in jobs:
            out, err = job.communicate(timeout=300)
            self.assertEqual(0, job.returncode, err)
            for line in out.splitlines():
                _, seed, run_id, _ = line.split()
                acks.setdefault(int(seed), set()).add(int(run_id))
        expected = set(shared) | {100 * (k + 1) + j for k in range(4) for j in range(5)}
        self.assertEqual(expected, set(acks))
        self.assertTrue(all(len(ids) == 1 for ids in acks.values()), acks)  # every pusher got the same id
        store = open_store(where.url)
        self.addCleanup(store.close)  # type: ignore[attr-defined]
        infos = store.run_infos()
        self.assertEqual(len(expected), len(infos))
        self.assertEqual(sorted(i.id for i in infos), sorted(next(iter(v)) for v in acks.values()))
        by_source = {int(i.source[1:]): i for i in infos}
        for seed, info in by_source.items():
            run = make_run(seed, start=1_700_000_000.0 + seed)
            self.assertEqual(encode_run(run).content_key, info.content_key)
        runs = {r.run_id.rsplit("#", 1)[1]: r for r in store.runs()}
        for seed, info in by_source.items():
            self.assertEqual(make_run(seed, start=1_700_000_000.0 + seed).records, runs[str(info.id)].records)


    def test_a_pin_read_while_others_push_reads_the_same_later(self) -> None:
        where = self.useFixture(self.backend(self))  # type: ignore[attr-defined,call-arg]
        store = open_store(where.url)
        self.addCleanup(store.close)  # type: ignore[attr-defined]
        store.push_run(make_run(0, start=1_700_000_000.0))
        jobs = [pusher(where.url, [10 * (k + 1) + j for j in range(6)]) for k in range(3)]
        seen = []
        while any(job.poll() is None for job in jobs) or not seen:
            pin = store.head()
            seen.append((pin, store.plan_history(upto=pin), len(store.run_infos(upto=pin))))
        for job in jobs:
            self.assertEqual(0, job.wait(timeout=300), job.stderr.read() if job.stderr else "")  # type: ignore[attr-defined]
        self.assertEqual(19, store.head())  # type: ignore[attr-defined]
        for pin, plan, count in seen:  # run ids grow in commit order: nothing appears below a pin later
            self.assertEqual(plan, store.plan_history(upto=pin))  # type: ignore[attr-defined]
            self.assertEqual(pin, count)  # type: ignore[attr-defined]


class TestConcurrentPushesSqlite(ConcurrentPushes, testtools.TestCase):
    backend = SqliteStore


class TestConcurrentPushesPostgres(ConcurrentPushes, testtools.TestCase):
    backend = PostgresStore


def _lines(stream: IO[str], until: int, timeout: float) -> list[str]:
    got: list[str] = []
    deadline = time.monotonic() + timeout
    while len(got) < until and time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        got.append(line)
    return got


#: classes per pushed run in the mid-push test (4 tests each): a push long enough to be caught inside
CLASSES = 1000


def _in_transaction(server: ThrowawayPostgres, timeout: float = 60) -> bool:
    """Wait until a pusher (application_name partitioner) is inside a transaction."""
    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(host="127.0.0.1", port=server.port, user=SUPERUSER, password=server.password,
                         dbname="postgres", autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'partitioner' "
                               "AND xact_start IS NOT NULL").fetchone()
            if row is not None and row[0]:
                return True
            time.sleep(0.002)
    return False


class TestServerStoppedMidPush(testtools.TestCase):
    """pg_ctl stop -m immediate while a pusher is busy: one clear error, every acknowledged run intact."""

    def test_stopping_the_server_mid_push(self) -> None:
        own = self.useFixture(OwnPostgres(self))
        job = pusher(own.url, list(range(1000, 1400)), classes=CLASSES)
        self.addCleanup(lambda: job.poll() is None and job.kill())
        assert job.stdout is not None and job.stderr is not None
        acked = _lines(job.stdout, 3, 120)
        self.assertEqual(3, len(acked), job.stderr.read() if job.poll() is not None else "pusher too slow")
        self.assertTrue(_in_transaction(own.server), "no push transaction seen")
        own.server.stop("immediate")  # while the pusher is inside a transaction
        out, err = job.communicate(timeout=120)
        acked += out.splitlines(keepends=True)
        self.assertEqual(1, job.returncode, err)
        lines = err.strip().splitlines()
        self.assertEqual(1, len(lines), err)  # one line, no traceback
        self.assertIn("partitioner: error: postgresql://partitioner:***@127.0.0.1:", lines[0])
        self.assertIn("pushing s", lines[0])
        self.assertNotIn("Connection refused", lines[0])  # it broke mid-push, not at the next connect
        self.assertIn("pushing it again is safe", lines[0])
        self.assertNotIn(own.server.password, err)

        own.server.start()  # crash recovery; a new port
        store = open_store(own.server.url("history"))
        self.addCleanup(store.close)
        infos = {i.id: i for i in store.run_infos()}
        acks = {int(run_id): int(seed) for _, seed, run_id, _ in (line.split() for line in acked)}
        self.assertLessEqual(set(acks), set(infos))  # every acknowledged run survived
        self.assertLessEqual(len(infos) - len(acks), 1)  # at most the one whose commit raced the stop
        runs = {int(r.run_id.rsplit("#", 1)[1]): r for r in store.runs()}
        for run_id, info in infos.items():  # and every stored run is whole
            seed = int(info.source[1:])
            self.assertEqual(make_run(seed, classes=CLASSES, start=1_700_000_000.0 + seed).records,
                             runs[run_id].records)
