"""One scenario set run against every store backend (SQLite and a real PostgreSQL), as testrepository does
for its repositories.

The scenarios are one concrete TestCase class per backend (at the bottom): testscenarios' run-time
expansion is invisible to pytest, which would run the bare class without a backend.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

import fixtures
import testtools
from sqlalchemy import text, update

from partitioner.errors import HistoryError
from partitioner.estimate import MEASURED, build_cost_model
from partitioner.history.jsonfile import dumps_samples
from partitioner.history.model import History, Run, Samples, TestRecord
from partitioner.history.store import StoreError, StoreVersionError, open_store, schema
from partitioner.history.store.store import Store
from tests.history.store.backends import PostgresStore, SqliteStore
from tests.history.store.helpers import make_run, reference_windows
from tests.suites import subunit_v2


class StoreContract(testtools.TestCase if TYPE_CHECKING else object):
    """Every backend pushes, de-duplicates, pins and reads the same way (a mixin: not collected itself)."""

    backend: type[fixtures.Fixture]

    def setUp(self) -> None:
        super().setUp()
        self.where = self.useFixture(self.backend(self))  # type: ignore[call-arg]

    def store(self, url: str | None = None) -> Store:
        store = open_store(url or self.where.url)  # type: ignore[attr-defined]
        self.addCleanup(store.close)
        return store

    def test_push_then_read_back_every_record_exactly(self) -> None:
        store = self.store()
        run = make_run(1)
        pushed = store.push_run(run, source="run.subunit", tool="stestr")
        self.assertEqual((1, False, len(run.records)), (pushed.run_id, pushed.duplicate, pushed.tests))
        [back] = store.runs()
        self.assertEqual(run.records, back.records)  # floats bit-identical, tags, untimed record included
        self.assertEqual(1, store.head())

    def test_a_stream_round_trips_through_the_store(self) -> None:
        store = self.store()
        data = subunit_v2([("a.B.test_1[x]", "success", 1.25, 2.5, "worker-0"),
                           ("a.C.test_2", "fail", 1.5, 1.75, "worker-1"),
                           ("a.C.test_3", "skip", None, None, None)])
        store.push_stream(gzip.compress(data), name="run.subunit.gz")
        from partitioner.history.subunit import read_stream

        self.assertEqual(read_stream(data, "x").records, store.runs()[0].records)
        # the same run from a file object (stdin) or a file is the same run
        self.assertTrue(store.push_stream(io.BytesIO(data), name="-").duplicate)
        path = Path(self.useFixture(fixtures.TempDir()).path) / "last.subunit"
        path.write_bytes(data)
        self.assertTrue(store.push_file(path).duplicate)

    def test_the_same_run_pushed_twice_is_stored_once(self) -> None:
        store = self.store()
        first = store.push_run(make_run(2), source="a")
        again = store.push_run(dataclasses.replace(make_run(2), run_id="other name"), source="b", host="elsewhere")
        self.assertFalse(first.duplicate)
        self.assertTrue(again.duplicate)
        self.assertEqual(first.run_id, again.run_id)
        self.assertEqual(1, len(store.runs()))
        self.assertEqual(["a"], [i.source for i in store.run_infos()])

    def test_plan_history_is_the_newest_keep_samples_at_every_pin(self) -> None:
        store = self.store()
        # runs pushed out of time order: the window follows the runs' start times, not the push order
        starts = [5, 1, 9, 3, 7, 2, 8, 6, 4, 10, 0, 11]
        runs = [make_run(seed, start=1_700_000_000.0 + 10_000 * at) for seed, at in enumerate(starts)]
        for count, run in enumerate(runs, start=1):
            store.push_run(run)
            self.check_windows(store, runs[:count], count)
        for pin in range(1, len(runs) + 1):  # earlier pins, read after every later push
            self.check_windows(store, runs[:pin], pin)

    def check_windows(self, store: Store, runs: list[Run], pin: int) -> None:
        expected = reference_windows(runs, schema.KEEP)
        got = store.plan_history(upto=pin)
        self.assertEqual(pin, got.upto)
        self.assertEqual(pin, got.runs)
        self.assertEqual(expected["test"], dict(got.passing))
        self.assertEqual(expected["other"], dict(got.other))
        self.assertEqual(expected["setup"], dict(got.setup))
        self.assertEqual(expected["first"], dict(got.first))

    def test_a_pinned_read_does_not_change_while_others_push(self) -> None:
        store = self.store()
        for seed in range(3):
            store.push_run(make_run(seed, start=1_700_000_000.0 + seed * 100))
        pin = store.head()
        before = (store.plan_history(upto=pin), store.runs(upto=pin), store.run_infos(upto=pin))
        for seed in range(3, 9):
            store.push_run(make_run(seed, start=1_700_000_000.0 + seed * 100))
        after = (store.plan_history(upto=pin), store.runs(upto=pin), store.run_infos(upto=pin))
        self.assertEqual(before, after)
        self.assertNotEqual(before[0], store.plan_history())

    def test_the_pin_can_come_from_the_url(self) -> None:
        store = self.store()
        for seed in range(4):
            store.push_run(make_run(seed, start=1_700_000_000.0 + seed * 100))
        pinned = self.store(f"{self.where.url}?upto=2")  # type: ignore[attr-defined]
        self.assertEqual(dataclasses.replace(store.plan_history(upto=2), source=""),
                         dataclasses.replace(pinned.plan_history(), source=""))
        self.assertEqual(2, len(pinned.runs()))

    def test_a_pin_beyond_the_newest_run_is_refused(self) -> None:
        store = self.store()
        store.push_run(make_run(1))
        error = self.assertRaises(StoreError, store.plan_history, upto=5)
        self.assertIn("upto=5 is beyond the newest stored run (1)", str(error))

    def test_runs_newest_and_labels(self) -> None:
        store = self.store()
        for seed in range(5):
            store.push_run(make_run(seed, start=1_700_000_000.0 + seed * 100, name=f"r{seed}"),
                           labels={"branch": "main" if seed % 2 == 0 else "dev", "shard": f"{seed}/5"})
        self.assertEqual([3, 4, 5], [int(r.run_id.rsplit("#", 1)[1]) for r in store.runs(newest=3)])
        self.assertEqual([0, 1, 2], [r.order for r in store.runs(newest=3)])
        self.assertEqual([1, 3, 5], [i.id for i in store.run_infos(labels={"branch": "main"})])
        self.assertEqual({"branch": "dev", "shard": "1/5"}, dict(store.run_infos()[1].labels))
        self.assertEqual(2, store.run_infos()[0].concurrency)

    def test_json_timing_files_are_pushed_once_and_feed_the_plan(self) -> None:
        store = self.store()
        samples = Samples({"a.B.test_1": (1.0, 2.0)}, {"a.B": (4.0,)}, (0.5, 0.75))
        folder = Path(self.useFixture(fixtures.TempDir()).path)
        (folder / "t.json").write_text(dumps_samples(samples))
        first = store.push_json(folder / "t.json")
        again = store.push_json(dumps_samples(samples).encode(), name="-")
        self.assertEqual((False, True), (first.duplicate, again.duplicate))
        got = store.plan_history()
        self.assertEqual({"a.B.test_1": (1.0, 2.0)}, dict(got.passing))
        self.assertEqual({"a.B": (4.0,)}, dict(got.setup))
        self.assertEqual((0.5, 0.75), got.startup)
        self.assertEqual((), store.runs())  # a timing file has no results
        self.assertEqual("json", store.run_infos()[0].tool)

    def test_a_repository_push_reads_only_new_runs(self) -> None:
        store = self.store()
        repo = Path(self.useFixture(fixtures.TempDir()).path) / ".stestr"
        repo.mkdir()
        (repo / "format").write_text("1\n")
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE", "0"))
        streams = [subunit_v2([(f"a.B.test_{n}", "success", 10.0 * n, 10.0 * n + 1, "worker-0")]) for n in range(3)]
        for n in range(2):
            (repo / str(n)).write_bytes(streams[n])
        first = store.push_repository(repo.parent)
        self.assertEqual([1, 2], [r.run_id for r in first.results])
        (repo / "2").write_bytes(streams[2])
        (repo / "3").write_bytes(b"\xb3garbage")
        second = store.push_repository(repo)
        self.assertEqual(2, second.already)
        self.assertEqual([3], [r.run_id for r in second.results])
        self.assertEqual(1, len(second.warnings))
        self.assertIn("/.stestr/3", second.warnings[0])
        self.assertEqual("stestr", store.run_infos()[0].tool)
        self.assertEqual(3, len(store.runs()))

    def test_history_feeds_the_estimator_like_the_runs_themselves(self) -> None:
        store = self.store()
        runs = [make_run(seed, start=1_700_000_000.0 + seed * 100) for seed in range(schema.KEEP)]
        for run in runs:
            store.push_run(run)
        ids = sorted({r.test_id for r in runs[0].records})
        from_runs = build_cost_model(ids, History(runs=tuple(runs)))
        from_store = build_cost_model(ids, store.history())
        self.assertEqual(from_runs.seconds, from_store.seconds)
        measured = {k: e.seconds for k, e in from_runs.setup.items() if e.source == MEASURED}
        self.assertTrue(measured)
        self.assertEqual(measured, {k: from_store.setup[k].seconds for k in measured})

    def test_an_empty_store_gives_an_empty_history_with_a_warning(self) -> None:
        store = self.store()
        store.push_run(make_run(1))  # creates the tables
        empty = self.store(self.fresh_url())
        if empty.url.kind == "sqlite":
            error = self.assertRaises(StoreError, empty.plan_history)
            self.assertIn("no such store file", str(error))
            self.assertFalse(Path(str(empty.url.path)).exists())  # a read never creates the file
            return
        history = empty.history()
        self.assertTrue(history.empty)
        self.assertIn("holds no runs yet", history.warnings[0])
        self.assertEqual(0, empty.head())

    def fresh_url(self) -> str:
        if "sqlite" in self.where.url:  # type: ignore[attr-defined]
            return f"sqlite:///{Path(self.useFixture(fixtures.TempDir()).path) / 'none.db'}"
        server = self.where.server  # type: ignore[attr-defined]
        name = f"empty_{os.getpid()}_{id(self)}"
        self.addCleanup(server.drop_database, name)
        return str(server.create_database(name))

    def set_version(self, store: Store, version: int) -> None:
        with store._db.writing("test") as conn:
            conn.execute(update(schema.schema).values(version=version))

    def test_a_newer_schema_is_refused_naming_the_store_and_both_versions(self) -> None:
        store = self.store()
        store.push_run(make_run(1))
        self.set_version(store, schema.SCHEMA_VERSION + 1)
        for call in (self.store().plan_history, lambda: self.store().push_run(make_run(2))):
            error = self.assertRaises(StoreVersionError, call)
            message = str(error)
            self.assertIn(f"schema version {schema.SCHEMA_VERSION + 1}, newer than this partitioner's "
                          f"{schema.SCHEMA_VERSION}", message)
            self.assertIn(store.url.display, message)
            if store.url.password:
                self.assertNotIn(store.url.password, message)
            self.assertNotIn("\n", message)

    def test_an_unknown_schema_version_is_refused(self) -> None:
        store = self.store()
        store.push_run(make_run(1))
        self.set_version(store, 0)
        error = self.assertRaises(StoreVersionError, self.store().runs)
        self.assertIn("schema version 0, which this partitioner (version 1) cannot upgrade", str(error))

    def test_an_older_schema_is_upgraded_by_its_migrations_in_order(self) -> None:
        store = self.store()
        store.push_run(make_run(1))
        calls: list[int] = []

        def to_2(conn: object) -> None:
            calls.append(2)
            conn.execute(text("ALTER TABLE partitioner_runs ADD COLUMN note TEXT"))  # type: ignore[attr-defined]

        def to_3(conn: object) -> None:
            calls.append(3)
            conn.execute(text("UPDATE partitioner_runs SET note = 'migrated'"))  # type: ignore[attr-defined]

        self.useFixture(fixtures.MonkeyPatch("partitioner.history.store.schema.SCHEMA_VERSION", 3))
        self.useFixture(fixtures.MonkeyPatch("partitioner.history.store.schema.MIGRATIONS", {1: to_2, 2: to_3}))
        upgraded = self.store()
        # a read never upgrades: it refuses the older store in one line and leaves it as it was
        for read in (upgraded.runs, upgraded.plan_history, upgraded.head, upgraded.run_infos):
            error = self.assertRaises(StoreVersionError, read)
            self.assertIn("the store is schema version 1, older than this partitioner's 3, and a read never "
                          "upgrades it; push a run to it with this partitioner (partitioner history push --to ",
                          str(error))
            self.assertNotIn("\n", str(error))
        self.assertEqual([], calls)
        self.assertEqual(1, upgraded.schema_version())
        upgraded.push_run(make_run(2))  # a push upgrades it, then stores its run
        self.assertEqual([2, 3], calls)
        self.assertEqual(3, upgraded.schema_version())
        self.assertEqual(2, len(upgraded.runs()))
        with upgraded._db.reading("test") as conn:
            self.assertEqual(["migrated", None],
                             list(conn.execute(text("SELECT note FROM partitioner_runs ORDER BY id")).scalars()))
        upgraded.push_run(make_run(3))
        self.assertEqual([2, 3], calls)  # once

    def test_a_repository_push_upgrades_an_older_store_before_it_reads_what_was_pushed(self) -> None:
        store = self.store()
        store.push_run(make_run(1))
        calls: list[int] = []
        self.useFixture(fixtures.MonkeyPatch("partitioner.history.store.schema.SCHEMA_VERSION", 2))
        self.useFixture(fixtures.MonkeyPatch("partitioner.history.store.schema.MIGRATIONS",
                                             {1: lambda conn: calls.append(2)}))
        repo = Path(self.useFixture(fixtures.TempDir()).path) / ".stestr"
        repo.mkdir()
        (repo / "format").write_text("1\n")
        (repo / "0").write_bytes(subunit_v2([("a.B.test_1", "success", 1.0, 2.0, "worker-0")]))
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE", "0"))
        pushed = self.store().push_repository(repo)
        self.assertEqual(([2], [2]), (calls, [r.run_id for r in pushed.results]))
        self.assertEqual(2, self.store().schema_version())

    def test_an_unreadable_stream_pushes_nothing(self) -> None:
        store = self.store()
        self.assertRaises(HistoryError, store.push_stream, b"\xb3\x00garbage", "bad.subunit")
        store.push_run(make_run(1))
        self.assertEqual(1, store.head())

    def test_untimed_runs_and_records_round_trip(self) -> None:
        store = self.store()
        run = Run("x", (TestRecord("a.B.test_1", "success", None, None), TestRecord("a.B.test_2", "inprogress", 5.0,
                                                                                      None, "worker-3",
                                                                                      frozenset({"worker-3", "x"}))))
        store.push_run(run)
        self.assertEqual(run.records, store.runs()[0].records)
        self.assertEqual({}, dict(store.plan_history().passing))



class TestStoreContractSqlite(StoreContract, testtools.TestCase):
    """The contract on a SQLite file."""

    backend = SqliteStore


class TestStoreContractPostgres(StoreContract, testtools.TestCase):
    """The contract on a real PostgreSQL server."""

    backend = PostgresStore
