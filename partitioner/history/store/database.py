"""Connections to a store: one SQLAlchemy engine per URL, read and write transactions, one-line errors.

Writers are serialized: a write transaction first takes the store lock (SQLite: ``BEGIN IMMEDIATE``, the
database's write lock; PostgreSQL: a transaction-scoped advisory lock), so run ids are handed out in commit
order and a pin ``id <= N`` taken from a committed ``N`` never gains a run later. Reads take a snapshot
(SQLite: a WAL read transaction; PostgreSQL: ``REPEATABLE READ``), so the several queries of one read
agree with each other while others push.

Reads never write: SQLite opens the file read-only (a ``mode=ro`` URI: no file is created, grown or
switched to WAL, whatever it holds), PostgreSQL runs the read in a ``READ ONLY`` transaction. Only a
writer creates the file, the tables or the WAL journal.

Every database error leaves as a :class:`~partitioner.errors.HistoryError` subclass with one line that
names the store (password hidden), says what was being done, what the driver said, and what to do.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from partitioner.history.store.errors import StoreError
from partitioner.history.store.url import StoreURL

__all__ = ["LOCK_KEY", "Database"]

#: the PostgreSQL advisory lock every writer takes (a fixed 64-bit number: "partitio" in ASCII)
LOCK_KEY = 0x7061727469746F
_WRITE = "partitioner_write"
_RETRY = "pushing it again is safe (a run already stored is never stored twice)"


def _one_line(text_: str, limit: int = 300) -> str:
    flat = " ".join(text_.split())
    return flat if len(flat) <= limit else f"{flat[: limit - 3]}..."


class Database:
    """The engine of one store URL.

    :param url: the parsed store URL
    :param connect_timeout: seconds to wait for a PostgreSQL connection (unless the URL sets connect_timeout)
    :param busy_timeout: seconds a SQLite writer waits for another writer's lock
    """

    def __init__(self, url: StoreURL, connect_timeout: float = 10.0, busy_timeout: float = 120.0) -> None:
        self.url = url
        self.busy_timeout = busy_timeout
        if url.kind == "sqlite":
            assert url.path is not None  # parse_store_url guarantees it
            self.engine: Engine = create_engine(URL.create("sqlite+pysqlite", database=str(url.path)),
                                                poolclass=NullPool, hide_parameters=True,
                                                connect_args={"timeout": busy_timeout})
            event.listen(self.engine, "connect", self._sqlite_connect)
            event.listen(self.engine, "begin", self._sqlite_begin)
            # reads: the same file through a mode=ro URI, so a read can never create or change it
            self.reader: Engine = create_engine("sqlite+pysqlite://", creator=self._sqlite_open_read_only,
                                                poolclass=NullPool, hide_parameters=True)
            event.listen(self.reader, "connect", self._sqlite_connect_read_only)
            event.listen(self.reader, "begin", self._sqlite_begin)
        else:
            # psycopg logs what it ignores while closing a broken connection; the error itself reaches the
            # user as one line, so keep those log records off stderr (unless the application logs them)
            logging.getLogger("psycopg").addHandler(logging.NullHandler())
            options = dict(url.options)
            connect_args: dict[str, Any] = {"application_name": "partitioner"}
            if "connect_timeout" not in options:
                connect_args["connect_timeout"] = max(1, round(connect_timeout))
            self.engine = create_engine(
                URL.create("postgresql+psycopg", username=url.username, password=url.password, host=url.host,
                           port=url.port, database=url.database, query=options),
                poolclass=NullPool, hide_parameters=True, connect_args=connect_args)
            self.reader = self.engine  # reads run in READ ONLY transactions (see reading)

    @property
    def sqlite(self) -> bool:
        return self.url.kind == "sqlite"

    def _sqlite_open_read_only(self) -> sqlite3.Connection:
        assert self.url.path is not None
        # as_uri percent-encodes what a URI cannot hold (?, #, %, spaces) in the path
        return sqlite3.connect(f"{self.url.path.as_uri()}?mode=ro", uri=True, timeout=self.busy_timeout)

    def _sqlite_connect(self, dbapi_connection: Any, _record: Any, read_only: bool = False) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun in _sqlite_begin
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if read_only:
                return  # switching the journal mode writes the file: a writer's job
            mode = cursor.execute("PRAGMA journal_mode").fetchone()
            if mode is not None and str(mode[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")  # readers never wait for a pushing writer
        finally:
            cursor.close()

    def _sqlite_connect_read_only(self, dbapi_connection: Any, record: Any) -> None:
        self._sqlite_connect(dbapi_connection, record, read_only=True)

    @staticmethod
    def _sqlite_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")

    @contextmanager
    def writing(self, action: str) -> Iterator[Connection]:
        """A transaction holding the store lock; committed when the block ends without an exception.

        :param action: what is being done, for error messages (``pushing run.subunit``)
        :raises StoreError: for any database error, the commit's included
        """
        if self.url.path is not None:
            try:
                self.url.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreError(f"{self.url.display}: cannot create the directory {self.url.path.parent} "
                                 f"({error.strerror or error}); check the path and permissions") from None
        try:
            with self.engine.connect() as conn:
                conn.execution_options(**{_WRITE: True})
                with conn.begin():
                    if not self.sqlite:
                        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
                    yield conn
        except SQLAlchemyError as error:
            raise self.error(action, error, writing=True) from None

    @contextmanager
    def reading(self, action: str) -> Iterator[Connection]:
        """A read-only snapshot transaction: it can neither create nor change anything (see the module
        docstring).

        :raises StoreError: for any database error, and for a SQLite file that is not there
        """
        if self.sqlite:
            assert self.url.path is not None
            if not self.url.path.is_file():
                raise StoreError(f"{self.url.display}: no such store file ({self.url.path}); push a run to it "
                                 f"first (partitioner history push --to {self.url.display}) or fix the path")
        try:
            with self.reader.connect() as conn:
                if not self.sqlite:
                    conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
                with conn.begin():
                    if not self.sqlite:  # a planning read sorts ~5 rows per test in memory, not on disk
                        conn.execute(text("SET LOCAL work_mem = '64MB'"))
                    yield conn
        except SQLAlchemyError as error:
            raise self.error(action, error, writing=False) from None

    def error(self, action: str, error: BaseException, writing: bool) -> StoreError:
        """One line for ``error``: the store, the action, the driver's words (password hidden), a remedy."""
        orig = getattr(error, "orig", None) or error
        detail = self.url.redact(_one_line(str(orig).split("(Background on this error")[0]))
        lowered = detail.lower()
        if "password authentication failed" in lowered or "no password supplied" in lowered:
            hint = "check the user and password in the store URL"
        elif re.search(r"database \S+ does not exist", lowered):
            hint = "create the database (createdb) or fix its name in the URL"
        elif "database is locked" in lowered:
            hint = f"another process held the store for more than {self.busy_timeout:.0f} s; retry"
        elif ("unable to open database file" in lowered or "readonly database" in lowered) and writing:
            hint = "check that the file's directory exists and is writable"
        elif "unable to open database file" in lowered or "readonly database" in lowered:
            hint = ("check that the file is readable; SQLite reads a store (kept in WAL mode) through the -wal and "
                    "-shm files beside it, so a reader must find them there or be allowed to create them in the "
                    "file's directory (else copy the store somewhere it may)")
        elif "file is not a database" in lowered:
            hint = "the file is not a SQLite database; point the URL at a store file"
        elif "connection" in lowered or "timeout" in lowered or "terminat" in lowered or "server" in lowered:
            hint = "check that the database server is running and reachable"
        else:
            hint = "check the store URL and the database"
        if writing:
            hint = f"{hint}; nothing of this push was stored unless it failed at the commit: {_RETRY}"
        return StoreError(f"{self.url.display}: {action} failed ({detail}); {hint}")

    def dispose(self) -> None:
        """Close every connection (the engines keep none between calls: NullPool)."""
        self.engine.dispose()
        self.reader.dispose()
