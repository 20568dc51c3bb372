"""The history store's schema (SQLAlchemy Core metadata, one comment per column) and its upgrade path.

Version 1. Every table is prefixed ``partitioner_`` so a store can share a PostgreSQL database.

``partitioner_schema``   one row: the schema version and how many samples per key are kept live
``partitioner_names``    every string the other tables refer to by number: raw test ids, canonical
                         test ids, class keys (a 10,000-test run stores 10,000 integers, not 10,000 ids)
``partitioner_runs``     one row per stored run (or pushed JSON timing file); ``content_key`` is unique,
                         so a run pushed twice is stored once
``partitioner_labels``   free-form labels of a run (branch, job, shard, ...)
``partitioner_results``  every test result of every run, in stream order: what ``races``, ``history
                         summary`` and a timeline need
``partitioner_samples``  the planning inputs, computed at push time from the run's results and worker lanes:
                         passing durations, skip/fail durations, class setup gaps, worker start offsets,
                         start-up times. Per (kind, key) at most ``keep`` rows are *live*; a push that moves a
                         row out of the newest ``keep`` sets its ``superseded`` to the pushing run's id instead
                         of deleting it, so a read pinned at run N takes the rows with
                         ``run_id <= N < superseded`` and sees exactly the newest ``keep`` samples as of N.
                         Skip/fail durations of a test that has passed, and start offsets of a class with a
                         setup gap, are retired the same way (the estimator would not use them).
``partitioner_run_files`` which stored run files of which repository were pushed (so a repository push
                         reads only its new runs)

Upgrade path: a change to the tables bumps :data:`SCHEMA_VERSION` and adds ``MIGRATIONS[old]``, a function
that takes a connection inside the writing transaction (the store lock held) and turns a version ``old``
store into version ``old + 1`` (``ALTER TABLE``, backfills). A push to an older store applies every step in
order and records the new version in the same transaction, so an upgrade is all or nothing. A read never
creates tables nor upgrades: it refuses an older store (push to it with this partitioner first). A store of
a newer version, or of a version with no migration (e.g. 0), is refused with
:class:`~partitioner.history.store.errors.StoreVersionError` naming both versions: upgrade partitioner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Connection,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    inspect,
    select,
    text,
)

from partitioner.history.store.errors import StoreError, StoreVersionError

__all__ = [
    "KEEP",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "labels",
    "metadata",
    "names",
    "not_a_store",
    "results",
    "run_files",
    "runs",
    "samples",
    "schema",
]

#: the schema this partitioner writes; see the module docstring for the upgrade path
SCHEMA_VERSION = 1
#: samples kept live per (kind, key) in a new store: what the estimator reads (the median of the newest
#: ``estimate.RECENT``); a read returns every live row, so more would only slow reads down
KEEP = 5

#: a 64-bit key on PostgreSQL; on SQLite an INTEGER PRIMARY KEY (the rowid: AUTOINCREMENT, never reused)
_ID = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

schema = Table(
    "partitioner_schema", metadata,
    Column("singleton", Integer, primary_key=True, autoincrement=False,
           comment="always 1: the table has one row"),
    Column("version", Integer, nullable=False, comment="the schema version of this store (SCHEMA_VERSION)"),
    Column("keep", Integer, nullable=False, comment="samples kept live per (kind, key) in partitioner_samples"),
    Column("created_us", BigInteger, nullable=False, comment="when the store was created, epoch microseconds"),
    CheckConstraint("singleton = 1", name="partitioner_schema_one_row"),
    comment="one row: the store's schema version",
)

names = Table(
    "partitioner_names", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True, comment="the number other tables use"),
    Column("name", Text, nullable=False, unique=True,
           comment="a raw test id, a canonical test id (no [attrs]), a class key, or '' (start-up)"),
    comment="strings the other tables refer to by number",
)

runs = Table(
    "partitioner_runs", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True,
           comment="run id: grows in commit order (pushes hold the store lock), so id <= N is a snapshot"),
    Column("content_key", String(64), nullable=False,
           comment="sha256 of the run's results (or timing file): the same run pushed twice is stored once"),
    Column("at_us", BigInteger, nullable=False,
           comment="when the run started (its first timestamp; the push time if it has none), epoch us; "
                   "orders runs and samples, newest last"),
    Column("t0_us", BigInteger, nullable=True,
           comment="the run's first timestamp, epoch microseconds: results' start/stop are offsets from it"),
    Column("pushed_at_us", BigInteger, nullable=False, comment="when it was pushed, epoch microseconds"),
    Column("host", Text, nullable=False, comment="the machine that pushed it"),
    Column("source", Text, nullable=False, comment="where it was read from; a URL's password is never kept"),
    Column("tool", Text, nullable=False, comment="stestr, testrepository, subunit (a bare stream) or json"),
    Column("concurrency", Integer, nullable=True, comment="workers the run used (distinct worker tags)"),
    Column("tests", Integer, nullable=False, comment="how many results the run has in partitioner_results"),
    UniqueConstraint("content_key", name="partitioner_runs_content_key"),
    Index("partitioner_runs_at", "at_us", "id"),
    sqlite_autoincrement=True,
    comment="one row per stored run or pushed JSON timing file",
)

labels = Table(
    "partitioner_labels", metadata,
    Column("run_id", _ID, ForeignKey("partitioner_runs.id", ondelete="CASCADE"), primary_key=True,
           comment="the labelled run"),
    Column("name", Text, primary_key=True, comment="label name, e.g. branch, job, shard"),
    Column("value", Text, nullable=False, comment="label value"),
    comment="free-form labels of runs",
)

results = Table(
    "partitioner_results", metadata,
    Column("run_id", _ID, ForeignKey("partitioner_runs.id", ondelete="CASCADE"), primary_key=True,
           comment="the run"),
    Column("seq", Integer, primary_key=True, autoincrement=False,
           comment="position of the result in the run's stream (0, 1, ...)"),
    Column("test_id", _ID, ForeignKey("partitioner_names.id"), nullable=False,
           comment="the test id exactly as the stream has it ([attrs] kept), in partitioner_names"),
    Column("status", Text, nullable=False, comment="subunit status: success, fail, skip, xfail, ..."),
    Column("start_us", BigInteger, nullable=True,
           comment="start (inprogress event), microseconds after the run's t0_us; NULL when untimed"),
    Column("stop_us", BigInteger, nullable=True,
           comment="stop (final event), microseconds after the run's t0_us; NULL when unknown"),
    Column("worker", Text, nullable=True, comment="the worker-N tag; NULL when the stream has none"),
    Column("tags", Text, nullable=True,
           comment="the test's other tags, space separated; NULL when it has only its worker tag"),
    sqlite_with_rowid=False,  # clustered on (run_id, seq): no second copy of the key
    comment="every test result of every run",
)

samples = Table(
    "partitioner_samples", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True, comment="row number"),
    Column("run_id", _ID, ForeignKey("partitioner_runs.id", ondelete="CASCADE"), nullable=False,
           comment="the run the sample was measured in"),
    Column("kind", String(8), nullable=False,
           comment="test (a passing duration), other (skip/fail duration), setup (class setup gap), "
                   "first (worker start offset), startup (per-worker start-up)"),
    Column("key_id", _ID, ForeignKey("partitioner_names.id"), nullable=False,
           comment="the canonical test id (test, other), class key (setup, first) or '' (startup)"),
    Column("seq", Integer, nullable=False, comment="order of the sample within its run"),
    Column("seconds", Double, nullable=False, comment="the sample, seconds"),
    Column("at_us", BigInteger, nullable=False, comment="the run's at_us (samples are ranked newest first by it)"),
    Column("superseded", BigInteger, nullable=True,
           comment="NULL while among the newest `keep` of its (kind, key) (and, for other/first, while the key "
                   "has no test/setup sample); else the id of the run whose push retired it: a read pinned at N "
                   "sees the rows with run_id <= N < superseded"),
    # the live rows only (a few per key), covering a planning read; and the retired rows by when they were
    # retired, for reads pinned before that
    Index("partitioner_samples_live", "kind", "key_id", "at_us", "run_id", "seq", "seconds",
          sqlite_where=text("superseded IS NULL"), postgresql_where=text("superseded IS NULL")),
    Index("partitioner_samples_retired", "superseded",
          sqlite_where=text("superseded IS NOT NULL"), postgresql_where=text("superseded IS NOT NULL")),
    sqlite_autoincrement=True,
    comment="planning inputs, the newest `keep` per (kind, key) live",
)

run_files = Table(
    "partitioner_run_files", metadata,
    Column("origin", Text, primary_key=True, comment="host:absolute path of the repository the run came from"),
    Column("fingerprint", Text, primary_key=True, comment="run number:size:mtime_ns of the stored run file"),
    Column("run_id", _ID, ForeignKey("partitioner_runs.id", ondelete="CASCADE"), nullable=False,
           comment="the stored run (the earlier one when the run was already there)"),
    comment="run files of repositories already pushed",
)

Migration = Callable[[Connection], None]
#: ``MIGRATIONS[v]`` turns a version-``v`` store into version ``v + 1`` (none yet: version 1 is the first)
MIGRATIONS: Mapping[int, Migration] = MappingProxyType({})


def stored_version(conn: Connection) -> tuple[int, int] | None:
    """``(version, keep)`` of the store behind ``conn``, or ``None`` when it has no partitioner tables."""
    if not inspect(conn).has_table(schema.name):
        return None
    row = conn.execute(select(schema.c.version, schema.c.keep)).first()
    if row is None:
        return None
    return int(row.version), int(row.keep)


def not_a_store(conn: Connection, path: Path, display: str) -> StoreError:
    """What a SQLite file without partitioner's tables is (an empty file, a database of no or other tables),
    as one line that says how to fix it: a store file is what ``partitioner history push --to`` creates."""
    elsewhere = "point the URL at the store file `partitioner history push --to` created"
    first = f"or push a run to this one first (partitioner history push --to {display}), which makes it a store"
    try:
        size = path.stat().st_size
    except OSError:
        size = -1
    if size == 0:
        return StoreError(f"{display}: {path} is an empty file, not a history store; {elsewhere}, {first}")
    tables = sorted(inspect(conn).get_table_names())
    if not tables:
        return StoreError(f"{display}: {path} is a SQLite database with no tables, not a history store; {elsewhere}, "
                          f"{first}")
    if schema.name in tables:  # a push writes the table and its row in one transaction: someone emptied it
        return StoreError(f"{display}: {path} is a damaged history store (its {schema.name} table has no row); "
                          f"{elsewhere}, or recreate this one")
    shown = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
    return StoreError(f"{display}: {path} is a SQLite database of other tables ({shown}), not a history store "
                      f"(it has no {schema.name} table); {elsewhere}")


def check_version(found: int, display: str, migrations: Mapping[int, Migration] | None = None) -> list[Migration]:
    """The migrations that bring a version-``found`` store to :data:`SCHEMA_VERSION` (empty when current).

    :raises StoreVersionError: when ``found`` is newer than this partitioner or has no upgrade path
    """
    steps = MIGRATIONS if migrations is None else migrations
    if found == SCHEMA_VERSION:
        return []
    if found > SCHEMA_VERSION:
        raise StoreVersionError(
            f"{display}: the store is schema version {found}, newer than this partitioner's {SCHEMA_VERSION}; "
            f"upgrade partitioner (pip install -U testr-partitioner) to read or push it"
        )
    chain = [steps.get(version) for version in range(found, SCHEMA_VERSION)]
    if found < 1 or any(step is None for step in chain):
        raise StoreVersionError(
            f"{display}: the store is schema version {found}, which this partitioner (version "
            f"{SCHEMA_VERSION}) cannot upgrade; point at a new store or recreate this one"
        )
    return [step for step in chain if step is not None]
