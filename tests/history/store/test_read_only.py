"""A read never writes: it opens the store read-only, creates no file, table or WAL journal and runs no
migration; a SQLite file that is no store is said to be what it is (only a push creates a store)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fixtures
import testtools
from sqlalchemy import event, inspect, text

from partitioner.history.store import StoreError, open_store
from partitioner.history.store.store import Store
from tests.history.store.backends import PostgresStore, SqliteStore
from tests.history.store.helpers import make_run

#: statements a read may not run: DDL, row changes, and the SQLite journal switch (which rewrites the header)
_WRITES = ("create", "alter", "drop", "insert", "update", "delete", "pragma journal_mode =")


def reads(store: Store) -> dict[str, Callable[[], object]]:
    """Every public read of a store."""
    return {"head": store.head, "plan_history": store.plan_history, "history": store.history, "runs": store.runs,
            "run_infos": store.run_infos, "schema_version": store.schema_version}


@contextmanager
def statements(store: Store) -> Iterator[list[str]]:
    """The SQL statements ``store`` runs inside the block (lower case), on its reading and writing engines."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(" ".join(statement.lower().split()))

    engines = {id(e): e for e in (store._db.engine, store._db.reader)}.values()
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


class ReadOnlyContract(testtools.TestCase if TYPE_CHECKING else object):
    """What every backend does (a mixin: not collected itself)."""

    backend: type[fixtures.Fixture]

    def setUp(self) -> None:
        super().setUp()
        self.where = self.useFixture(self.backend(self))  # type: ignore[call-arg]

    def store(self) -> Store:
        store = open_store(self.where.url)  # type: ignore[attr-defined]
        self.addCleanup(store.close)
        return store

    def test_reads_run_no_statement_that_writes(self) -> None:
        store = self.store()
        store.push_run(make_run(1))
        with statements(store) as seen:
            for read in reads(store).values():
                read()
        self.assertTrue(seen)
        self.assertEqual([], [s for s in seen if s.startswith(_WRITES)])

    def test_a_read_transaction_refuses_to_write(self) -> None:
        store = self.store()
        store.push_run(make_run(1))
        with store._db.reading("test") as conn:
            self.assertEqual(1, conn.execute(text("SELECT count(*) FROM partitioner_runs")).scalar_one())
        for statement in ("CREATE TABLE x (a INTEGER)", "DELETE FROM partitioner_runs"):
            error = self.assertRaises(StoreError, self._in_read, store, statement)
            self.assertRegex(str(error), "readonly database|read-only transaction")
        self.assertEqual(1, store.head())

    @staticmethod
    def _in_read(store: Store, statement: str) -> None:
        with store._db.reading("writing in a read") as conn:
            conn.execute(text(statement))


class TestReadOnlySqlite(ReadOnlyContract, testtools.TestCase):
    backend = SqliteStore

    def snapshot(self) -> tuple[bytes, int]:
        path: Path = self.where.path
        return path.read_bytes(), path.stat().st_mtime_ns

    def assert_every_read_leaves_the_file_alone(self, fragment: str | None) -> None:
        """Each read (in a store of its own, as each command opens one) raises ``fragment`` in one line, or
        succeeds when ``None``; the file's bytes and mtime never change."""
        before = self.snapshot()
        for name in reads(self.store()):
            store = self.store()
            read = reads(store)[name]
            if fragment is None or name == "schema_version":  # schema_version: None for a file without tables
                read()
            else:
                error = self.assertRaises(StoreError, read)
                self.assertIn(fragment, str(error), name)
                self.assertNotIn("\n", str(error))
            self.assertEqual(before, self.snapshot(), name)

    def test_reading_a_store_leaves_its_file_unchanged(self) -> None:
        self.store().push_run(make_run(1))
        self.assert_every_read_leaves_the_file_alone(None)

    def test_reading_a_store_kept_in_rollback_mode_does_not_switch_it_to_wal(self) -> None:
        # a writer switches the journal to WAL; a reader used to as well, rewriting the file's header
        self.store().push_run(make_run(1))
        with sqlite3.connect(self.where.path) as conn:
            conn.execute("PRAGMA journal_mode = DELETE")
        self.assert_every_read_leaves_the_file_alone(None)
        with sqlite3.connect(self.where.path) as conn:
            self.assertEqual("delete", conn.execute("PRAGMA journal_mode").fetchone()[0])

    def test_an_empty_file_is_said_to_be_one_and_stays_empty(self) -> None:
        # SQLite creates a database in an empty file it opens read-write: a plan grew it to 4096 bytes and then
        # said "the store holds no runs yet"
        self.where.path.write_bytes(b"")
        self.assert_every_read_leaves_the_file_alone(
            f"{self.where.url}: {self.where.path} is an empty file, not a history store; point the URL at the store "
            f"file `partitioner history push --to` created, or push a run to this one first (partitioner history "
            f"push --to {self.where.url}), which makes it a store")
        self.assertEqual(0, self.where.path.stat().st_size)

    def test_a_database_of_other_tables_is_said_to_be_one(self) -> None:
        with sqlite3.connect(self.where.path) as conn:
            conn.execute("CREATE TABLE accounts (id INTEGER)")
            conn.execute("CREATE TABLE orders (id INTEGER)")
        conn.close()
        self.assert_every_read_leaves_the_file_alone(
            f"{self.where.url}: {self.where.path} is a SQLite database of other tables (accounts, orders), not a "
            f"history store (it has no partitioner_schema table); point the URL at the store file `partitioner "
            f"history push --to` created")
        with sqlite3.connect(self.where.path) as conn:
            self.assertEqual(["accounts", "orders"],
                             [r[0] for r in conn.execute("SELECT name FROM sqlite_master ORDER BY name")])
        conn.close()

    def test_a_database_with_no_tables_is_said_to_be_one(self) -> None:
        with sqlite3.connect(self.where.path) as conn:
            conn.execute("PRAGMA user_version = 3")  # writes the header: a database, with no tables
        conn.close()
        self.assert_every_read_leaves_the_file_alone("is a SQLite database with no tables, not a history store; ")

    def test_a_missing_file_is_not_created_by_a_read(self) -> None:
        for name, read in reads(self.store()).items():
            error = self.assertRaises(StoreError, read)
            self.assertIn("no such store file", str(error), name)
        self.assertEqual([], list(self.where.path.parent.iterdir()))

    def test_a_push_still_makes_a_store_of_an_empty_file_or_none(self) -> None:
        self.where.path.write_bytes(b"")
        self.assertEqual(1, self.store().push_run(make_run(1)).run_id)
        self.assertEqual(1, self.store().head())
        self.where.path.unlink()
        self.assertEqual(1, self.store().push_run(make_run(2)).run_id)


class TestReadOnlyPostgres(ReadOnlyContract, testtools.TestCase):
    backend = PostgresStore

    def tables(self) -> list[str]:
        store = self.store()
        with store._db.reading("test") as conn:
            return sorted(inspect(conn).get_table_names())

    def test_reading_a_database_no_one_pushed_to_creates_nothing(self) -> None:
        # a PostgreSQL database without partitioner's tables is a store not pushed to yet: empty, and a read
        # leaves it so (no CREATE TABLE)
        store = self.store()
        with statements(store) as seen:
            self.assertEqual(0, store.head())
            self.assertIn("holds no runs yet", store.history().warnings[0])
            self.assertEqual((), store.runs())
            self.assertIsNone(store.schema_version())
        self.assertEqual([], [s for s in seen if s.startswith(_WRITES)])
        self.assertEqual([], self.tables())
        store.push_run(make_run(1))  # a push creates them
        self.assertIn("partitioner_runs", self.tables())
