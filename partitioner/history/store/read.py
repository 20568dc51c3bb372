"""Read a store at a pin: planning inputs (aggregated in SQL), full runs, run metadata."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, Select, bindparam, func, select, union_all

from partitioner.history.model import Run, TestRecord
from partitioner.history.store import schema as s
from partitioner.history.store.errors import StoreError
from partitioner.history.store.rows import decode_record, from_us, group_series
from partitioner.history.store.values import PlanHistory, RunInfo

__all__ = ["head", "pin", "plan_history", "run_infos", "runs"]

_CHUNK = 500


def head(conn: Connection) -> int:
    """The newest committed run id (0 for an empty store)."""
    return int(conn.execute(select(func.coalesce(func.max(s.runs.c.id), 0))).scalar_one())


def pin(conn: Connection, upto: int | None, display: str) -> int:
    """The run id a read sees up to: ``upto``, or the head when ``None``.

    :raises StoreError: when ``upto`` is beyond the newest run (a pin must come from a committed head)
    """
    newest = head(conn)
    if upto is None:
        return newest
    if upto > newest:
        raise StoreError(f"{display}: upto={upto} is beyond the newest stored run ({newest}); pin to a run id "
                         f"the store has (the head when the jobs started), e.g. ?upto={newest}")
    return upto


def _live(at: int, newest: int) -> Sequence[Select[Any]]:
    """The samples visible at pin ``at``, as selects of (kind, key, seconds) in ranking order."""
    sm, nm = s.samples.c, s.names.c
    columns = (sm.kind, nm.name, sm.seconds, sm.key_id, sm.at_us, sm.run_id, sm.seq)
    base = select(*columns).join(s.names, nm.id == sm.key_id)
    if at >= newest:  # nothing is newer than the pin: the live rows are exactly what it sees
        return [base.where(sm.superseded.is_(None))]
    return [base.where(sm.superseded.is_(None), sm.run_id <= at),
            base.where(sm.superseded > at, sm.run_id <= at)]


def plan_history(conn: Connection, at: int, display: str) -> PlanHistory:
    """The planning inputs visible at pin ``at``: per key its newest ``keep`` samples, oldest first."""
    newest = head(conn)
    parts = _live(at, newest)
    query = parts[0] if len(parts) == 1 else union_all(*parts)
    ordered = query.order_by("kind", "key_id", "at_us", "run_id", "seq")
    series = group_series(conn.execute(ordered).all())
    count = int(conn.execute(select(func.count()).select_from(s.runs).where(s.runs.c.id <= at)).scalar_one())

    def frozen(kind: str, drop: Mapping[str, object] = MappingProxyType({})) -> Mapping[str, tuple[float, ...]]:
        return MappingProxyType({k: tuple(v) for k, v in series[kind].items() if k not in drop})

    passing = frozen("test")
    setup = frozen("setup")
    return PlanHistory(passing, frozen("other", passing), setup, frozen("first", setup),
                       tuple(series["startup"].get("", ())), at, count, display)


def _chosen_runs(conn: Connection, at: int, newest: int | None, labels: Mapping[str, str] | None,
                 with_results: bool = False) -> list[tuple[int, int | None]]:
    """``(id, t0_us)`` of the newest ``newest`` runs up to ``at`` (matching every label; only those with
    results when ``with_results``), oldest first."""
    rc = s.runs.c
    query = select(rc.id, rc.t0_us).where(rc.id <= at)
    if with_results:
        query = query.where(rc.tests > 0)
    for name, value in sorted((labels or {}).items()):
        query = query.where(select(s.labels.c.run_id).where(s.labels.c.run_id == rc.id, s.labels.c.name == name,
                                                            s.labels.c.value == value).exists())
    query = query.order_by(rc.at_us.desc(), rc.id.desc())
    if newest is not None:
        query = query.limit(newest)
    return [(int(i), None if t is None else int(t)) for i, t in conn.execute(query)][::-1]


def runs(conn: Connection, at: int, display: str, newest: int | None = None,
         labels: Mapping[str, str] | None = None) -> tuple[Run, ...]:
    """Full runs (every result) up to ``at``, the newest ``newest`` of them, oldest first (``order`` 0, 1, ...).

    JSON timing files (which hold no results) are left out.
    """
    chosen = _chosen_runs(conn, at, newest, labels, with_results=True)
    r, nm = s.results.c, s.names.c
    query = (select(r.run_id, nm.name, r.status, r.start_us, r.stop_us, r.worker, r.tags)
             .join(s.names, nm.id == r.test_id)
             .where(r.run_id.in_(bindparam("ids", expanding=True)))
             .order_by(r.run_id, r.seq))
    records: dict[int, list[TestRecord]] = {i: [] for i, _ in chosen}
    base = dict(chosen)
    ids = [i for i, _ in chosen]
    for k in range(0, len(ids), _CHUNK):
        for run_id, name, status, start, stop, worker, tags in conn.execute(query, {"ids": ids[k:k + _CHUNK]}):
            records[int(run_id)].append(decode_record(name, status, start, stop, worker, tags, base[int(run_id)]))
    return tuple(Run(f"{display}#{i}", tuple(records[i]), order)
                 for order, i in enumerate(ids))


def run_infos(conn: Connection, at: int, newest: int | None = None,
              labels: Mapping[str, str] | None = None) -> tuple[RunInfo, ...]:
    """Metadata of the newest ``newest`` runs up to ``at``, oldest first."""
    ids = [i for i, _ in _chosen_runs(conn, at, newest, labels)]
    rc, lc = s.runs.c, s.labels.c
    found: dict[int, dict[str, str]] = {i: {} for i in ids}
    infos: dict[int, RunInfo] = {}
    for k in range(0, len(ids), _CHUNK):
        chunk = ids[k:k + _CHUNK]
        for run_id, name, value in conn.execute(select(lc.run_id, lc.name, lc.value).where(lc.run_id.in_(chunk))):
            found[int(run_id)][name] = value
        for row in conn.execute(select(s.runs).where(rc.id.in_(chunk))):
            infos[int(row.id)] = RunInfo(int(row.id), from_us(row.at_us), from_us(row.pushed_at_us), row.host,
                                         row.source, row.tool, row.concurrency, int(row.tests),
                                         MappingProxyType(found[int(row.id)]), row.content_key)
    return tuple(infos[i] for i in ids)
