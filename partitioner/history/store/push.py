"""Write one encoded run into the store, once: de-duplication, names, rows, the live sample window.

Called inside :meth:`Database.writing` (the store lock held), so the check for an existing content key
and the insert cannot interleave with another writer's; the unique constraint on ``content_key`` stands
behind it anyway.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, insert, select, tuple_, update

from partitioner.history.store import schema as s
from partitioner.history.store.rows import EncodedRun, to_us

__all__ = ["RunMeta", "ensure_schema", "insert_run", "name_ids"]

_CHUNK = 500


@dataclass(frozen=True)
class RunMeta:
    """Where a run came from (every text already free of passwords)."""

    source: str
    tool: str
    host: str
    concurrency: int | None = None
    labels: Mapping[str, str] | None = None
    origin: str | None = None
    fingerprint: str | None = None


def ensure_schema(conn: Connection, display: str) -> int:
    """Create the tables when the store has none, upgrade an older schema; return the store's ``keep``.

    Runs inside the writing transaction, so two processes creating one store at once create it once.

    :raises StoreVersionError: for a newer or unknown schema version
    """
    found = s.stored_version(conn)
    if found is None:
        s.metadata.create_all(conn)
        conn.execute(insert(s.schema).values(singleton=1, version=s.SCHEMA_VERSION, keep=s.KEEP,
                                             created_us=to_us(time.time())))
        return s.KEEP
    version, keep = found
    steps = s.check_version(version, display)
    for step in steps:
        step(conn)
    if steps:
        conn.execute(update(s.schema).values(version=s.SCHEMA_VERSION))
    return keep


def name_ids(conn: Connection, wanted: Iterable[str], cache: MutableMapping[str, int]) -> dict[str, int]:
    """The ids of ``wanted`` names, inserting the missing ones.

    :param cache: names known to be committed already (read first; never holds a name this transaction
        inserted, since a rollback would void it -- the caller merges the result after its commit)
    """
    found = {name: cache[name] for name in wanted if name in cache}
    todo = sorted(set(wanted) - found.keys())
    lookup = select(s.names.c.name, s.names.c.id).where(s.names.c.name.in_(bindparam("chunk", expanding=True)))
    for i in range(0, len(todo), _CHUNK):
        found.update((row.name, int(row.id)) for row in conn.execute(lookup, {"chunk": todo[i:i + _CHUNK]}))
    missing = [name for name in todo if name not in found]
    if missing:
        conn.execute(insert(s.names), [{"name": name} for name in missing])
        for i in range(0, len(missing), _CHUNK):
            found.update((row.name, int(row.id)) for row in conn.execute(lookup, {"chunk": missing[i:i + _CHUNK]}))
    return found


def existing_run(conn: Connection, content_key: str) -> int | None:
    """The id of the stored run with this content key, if any."""
    found = conn.execute(select(s.runs.c.id).where(s.runs.c.content_key == content_key)).scalar()
    return None if found is None else int(found)


def record_file(conn: Connection, meta: RunMeta, run_id: int) -> None:
    """Remember that ``meta``'s repository run file is stored as ``run_id`` (once)."""
    if meta.origin is None or meta.fingerprint is None:
        return
    known = conn.execute(select(s.run_files.c.run_id).where(s.run_files.c.origin == meta.origin,
                                                            s.run_files.c.fingerprint == meta.fingerprint)).first()
    if known is None:
        conn.execute(insert(s.run_files).values(origin=meta.origin, fingerprint=meta.fingerprint, run_id=run_id))


def insert_run(conn: Connection, encoded: EncodedRun, meta: RunMeta, keep: int,
               cache: MutableMapping[str, int]) -> tuple[int, bool, dict[str, int]]:
    """Store ``encoded`` unless a run with its content key is stored already.

    :returns: ``(run id, duplicate, names this transaction looked up)``
    """
    existing = existing_run(conn, encoded.content_key)
    if existing is not None:
        record_file(conn, meta, existing)
        return existing, True, {}
    pushed = to_us(time.time())
    at = encoded.t0_us if encoded.t0_us is not None else pushed
    inserted = conn.execute(insert(s.runs).values(
        content_key=encoded.content_key, at_us=at, t0_us=encoded.t0_us, pushed_at_us=pushed, host=meta.host,
        source=meta.source, tool=meta.tool, concurrency=meta.concurrency or encoded.concurrency,
        tests=len(encoded.results))).inserted_primary_key
    assert inserted is not None  # an INSERT of one row always has it
    run_id = int(inserted[0])
    record_file(conn, meta, run_id)
    if meta.labels:
        conn.execute(insert(s.labels), [{"run_id": run_id, "name": k, "value": v}
                                        for k, v in sorted(meta.labels.items())])
    ids = name_ids(conn, encoded.names(), cache)
    if encoded.results:
        bulk_insert(conn, s.results, ("run_id", "seq", "test_id", "status", "start_us", "stop_us", "worker", "tags"),
                    [(run_id, r.seq, ids[r.test_id], r.status, r.start_us, r.stop_us, r.worker, r.tags)
                     for r in encoded.results])
    if encoded.samples:
        # the run's rows get consecutive ids above every earlier one (writers hold the store lock)
        after = int(conn.execute(select(func.coalesce(func.max(s.samples.c.id), 0))).scalar_one())
        bulk_insert(conn, s.samples, ("run_id", "kind", "key_id", "seq", "seconds", "at_us"),
                    [(run_id, x.kind, ids[x.key], x.seq, x.seconds, at) for x in encoded.samples])
        supersede(conn, run_id, after, keep)
    return run_id, False, ids


def bulk_insert(conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) inside the current transaction.

    PostgreSQL gets them through ``COPY`` on the same connection (about ten times faster than a
    parameterised ``executemany`` for a 10,000-result run); SQLite through ``executemany``.
    """
    if conn.dialect.name == "postgresql":
        driver: Any = conn.connection.driver_connection
        names = ", ".join(columns)
        with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    conn.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])


#: a kind whose live rows are retired once its key has a live row of the other kind: skip/fail durations
#: once the test has passed, start offsets once the class has a setup gap (the estimator ignores them then)
_OUTRANKED_BY = (("other", "test"), ("first", "setup"))


def supersede(conn: Connection, run_id: int, after: int, keep: int) -> None:
    """Retire the live samples that the push of ``run_id`` (sample ids above ``after``) outdated: those
    moved out of the newest ``keep`` of their (kind, key), and those :data:`_OUTRANKED_BY` a new sample."""
    sm = s.samples.c
    mine = s.samples.alias("mine")
    touched = select(mine.c.kind, mine.c.key_id).where(mine.c.id > after).distinct()
    ranked = (
        select(sm.id, func.row_number().over(partition_by=(sm.kind, sm.key_id),
                                             order_by=(sm.at_us.desc(), sm.run_id.desc(), sm.seq.desc())).label("rank"))
        .where(sm.superseded.is_(None), tuple_(sm.kind, sm.key_id).in_(touched))
        .subquery()
    )
    conn.execute(update(s.samples).where(sm.id.in_(select(ranked.c.id).where(ranked.c.rank > keep)))
                 .values(superseded=run_id))
    for weak, strong in _OUTRANKED_BY:
        live = s.samples.alias("live")
        stronger = select(live.c.id).where(live.c.kind == strong, live.c.key_id == sm.key_id,
                                           live.c.superseded.is_(None)).exists()
        keys = select(mine.c.key_id).where(mine.c.id > after, mine.c.kind.in_((weak, strong)))
        conn.execute(update(s.samples)
                     .where(sm.kind == weak, sm.superseded.is_(None), sm.key_id.in_(keys), stronger)
                     .values(superseded=run_id))
