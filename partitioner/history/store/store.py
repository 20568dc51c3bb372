"""The :class:`Store` facade: push runs in, read planning inputs and runs out, at a pin."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, TypeVar

from sqlalchemy import Connection, select

from partitioner.errors import HistoryError
from partitioner.history.cache import load_run
from partitioner.history.jsonfile import parse_samples, read_samples
from partitioner.history.model import History, Run, Samples
from partitioner.history.repository import find_repository
from partitioner.history.store import read, schema
from partitioner.history.store.database import Database
from partitioner.history.store.errors import StoreError, StoreVersionError
from partitioner.history.store.push import RunMeta, ensure_schema, insert_run
from partitioner.history.store.rows import EncodedRun, encode_run, encode_samples
from partitioner.history.store.schema import check_version, not_a_store, run_files, stored_version
from partitioner.history.store.url import StoreURL, parse_store_url, redact
from partitioner.history.store.values import PlanHistory, PushResult, RunInfo
from partitioner.history.subunit import read_stream, read_stream_file

__all__ = ["RepositoryPush", "Store"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class RepositoryPush:
    """What a repository push did.

    :ivar results: one per new run file, oldest first (``duplicate`` when the run was stored already)
    :ivar warnings: one line per run file that could not be read (it is retried on the next push)
    :ivar already: run files skipped because an earlier push of this repository stored them
    """

    results: tuple[PushResult, ...]
    warnings: tuple[str, ...]
    already: int


class Store:
    """A history store behind one URL (``sqlite:///...``, ``postgresql://...``); see the package docstring.

    :param url: the store URL, or one parsed already
    :param base: the directory relative SQLite paths are taken from (default: the working directory)
    :param connect_timeout: seconds to wait for a PostgreSQL server
    :param busy_timeout: seconds a SQLite writer waits while another one pushes
    :raises StoreError: for a URL partitioner cannot use
    """

    def __init__(self, url: str | StoreURL, base: Path | None = None, connect_timeout: float = 10.0,
                 busy_timeout: float = 120.0) -> None:
        self.url = url if isinstance(url, StoreURL) else parse_store_url(url, base)
        self._db = Database(self.url, connect_timeout, busy_timeout)
        self._names: dict[str, int] = {}  # committed names -> ids (names are never deleted)

    def __repr__(self) -> str:
        return f"Store({self.url.display!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Release the database connections."""
        self._db.dispose()

    # --- reading -------------------------------------------------------------------------------------------

    def _read(self, action: str, body: Callable[[Connection], _T], empty: _T, pushing: bool = False) -> _T:
        """``body(conn)`` in a read-only snapshot. A read never writes: an older schema is refused (a push
        upgrades it), and so is a SQLite file without partitioner's tables (an empty file, another program's
        database), which is no store; a PostgreSQL database without them is a store nobody pushed to yet:
        ``empty``. A newer or unknown schema is refused.

        :param pushing: the read is a push's (which creates and upgrades the store next): ``empty`` for a
            file without tables, and an older schema is upgraded first, in a write transaction
        """
        for _ in range(2):
            with self._db.reading(action) as conn:
                found = stored_version(conn)
                if found is None:
                    if self.url.path is not None and not pushing:
                        raise not_a_store(conn, self.url.path, self.url.display)
                    return empty
                if not check_version(found[0], self.url.display):
                    return body(conn)
                if not pushing:
                    raise StoreVersionError(
                        f"{self.url.display}: the store is schema version {found[0]}, older than this "
                        f"partitioner's {schema.SCHEMA_VERSION}, and a read never upgrades it; push a run to it "
                        f"with this partitioner (partitioner history push --to {self.url.display}), which "
                        f"upgrades it, or read it with the partitioner that pushed to it")
            with self._db.writing(f"upgrading the store from schema version {found[0]}") as conn:
                ensure_schema(conn, self.url.display)
        raise StoreError(f"{self.url.display}: {action} failed (the schema changed while upgrading); retry")

    def head(self) -> int:
        """The newest stored run id (0 when empty): share it as the pin (``?upto=N``) of jobs that must agree."""
        return self._read("reading the newest run id", read.head, 0)

    def _pin(self, upto: int | None) -> int | None:
        return self.url.upto if upto is None else upto

    def plan_history(self, upto: int | None = None) -> PlanHistory:
        """What planning needs, as of run ``upto`` (default: the URL's ``?upto=``, else the newest run).

        Per canonical test id the newest passing durations (and for tests that never passed their skip/fail
        durations), per class key the newest setup gaps (and worker start offsets for classes without one),
        start-up samples; each the newest ``keep`` (5) by the runs' start time, oldest first.

        :raises StoreError: when the store cannot be read, or ``upto`` is beyond its newest run
        """
        def body(conn: Connection) -> PlanHistory:
            return read.plan_history(conn, read.pin(conn, self._pin(upto), self.url.display), self.url.display)

        return self._read("reading the planning history", body, PlanHistory(source=self.url.display))

    def history(self, upto: int | None = None) -> History:
        """:meth:`plan_history` as a :class:`History` for ``build_cost_model``."""
        return self.plan_history(upto).to_history()

    def runs(self, newest: int | None = None, upto: int | None = None,
             labels: Mapping[str, str] | None = None) -> tuple[Run, ...]:
        """Full runs (every result), oldest first, for ``races``, ``history summary`` and timelines.

        :param newest: only this many of the newest runs (default: all)
        :param upto: the pin (default: the URL's ``?upto=``, else the newest run)
        :param labels: only runs carrying every one of these labels
        """
        def body(conn: Connection) -> tuple[Run, ...]:
            at = read.pin(conn, self._pin(upto), self.url.display)
            return read.runs(conn, at, self.url.display, newest, labels)

        return self._read("reading runs", body, ())

    def run_infos(self, newest: int | None = None, upto: int | None = None,
                  labels: Mapping[str, str] | None = None) -> tuple[RunInfo, ...]:
        """Metadata of the stored runs (and pushed timing files), oldest first."""
        def body(conn: Connection) -> tuple[RunInfo, ...]:
            return read.run_infos(conn, read.pin(conn, self._pin(upto), self.url.display), newest, labels)

        return self._read("listing runs", body, ())

    # --- pushing -------------------------------------------------------------------------------------------

    def _meta(self, source: str, tool: str, host: str | None, concurrency: int | None,
              labels: Mapping[str, str] | None, origin: str | None = None,
              fingerprint: str | None = None) -> RunMeta:
        secrets = self.url.secrets
        clean = {redact(k, secrets): redact(v, secrets) for k, v in (labels or {}).items()}
        return RunMeta(redact(source, secrets), tool, host or socket.gethostname(), concurrency, clean,
                       origin, fingerprint)

    def _push(self, encoded: EncodedRun, meta: RunMeta) -> PushResult:
        with self._db.writing(f"pushing {meta.source}") as conn:
            keep = ensure_schema(conn, self.url.display)
            run_id, duplicate, names = insert_run(conn, encoded, meta, keep, self._names)
        self._names.update(names)  # committed now
        return PushResult(run_id, duplicate, len(encoded.results), meta.source)

    def push_run(self, run: Run, source: str | None = None, tool: str = "subunit", host: str | None = None,
                 concurrency: int | None = None, labels: Mapping[str, str] | None = None) -> PushResult:
        """Store one run, unless the same run (same results and timestamps) is stored already.

        The result comes back only after the commit: a returned run is stored, whatever happens next.

        :param source: where the run came from (default its ``run_id``); a URL password in it is hidden
        :param tool: stestr, testrepository, subunit, ...
        :param host: the pushing machine (default this one's name)
        :param concurrency: workers used (default: the run's distinct worker tags)
        :param labels: e.g. ``{"branch": "main", "job": "tempest-full", "shard": "2/4"}``
        :raises StoreError: when the store cannot be written; nothing of the run is stored then (unless the
            connection broke during the commit itself), and pushing again is always safe
        """
        return self._push(encode_run(run), self._meta(source or run.run_id, tool, host, concurrency, labels))

    def push_stream(self, data: bytes | BinaryIO, name: str = "-", tool: str = "subunit", host: str | None = None,
                    concurrency: int | None = None, labels: Mapping[str, str] | None = None) -> PushResult:
        """Parse a subunit stream (v1/v2, gzip ok; bytes or a binary file such as stdin) and push it.

        :raises HistoryError: when the stream is unreadable (nothing is pushed)
        :raises StoreError: when the store cannot be written
        """
        run = read_stream(data, redact(name, self.url.secrets))
        return self.push_run(run, name, tool, host, concurrency, labels)

    def push_file(self, path: str | os.PathLike[str], tool: str = "subunit", host: str | None = None,
                  concurrency: int | None = None, labels: Mapping[str, str] | None = None) -> PushResult:
        """Push a subunit stream file."""
        return self.push_run(read_stream_file(Path(path)), str(path), tool, host, concurrency, labels)

    def push_samples(self, samples: Samples, source: str, host: str | None = None,
                     labels: Mapping[str, str] | None = None) -> PushResult:
        """Push a JSON timing file's samples (stored once, keyed by their content)."""
        return self._push(encode_samples(samples), self._meta(source, "json", host, None, labels))

    def push_json(self, data: bytes | str | os.PathLike[str], name: str | None = None, host: str | None = None,
                  labels: Mapping[str, str] | None = None) -> PushResult:
        """Push a JSON timing file: a path, or its content (``bytes``) named ``name``."""
        if isinstance(data, bytes):
            samples, source = parse_samples(data, name or "-"), name or "-"
        else:
            samples, source = read_samples(data), str(data)
        return self.push_samples(samples, source, host, labels)

    def push_repository(self, path: str | os.PathLike[str], kind: str | None = None, host: str | None = None,
                        labels: Mapping[str, str] | None = None) -> RepositoryPush:
        """Push the runs of a ``.stestr``/``.testrepository`` that no earlier push from this machine stored.

        Run files already pushed (same repository path on this host, same run number, size and mtime) are
        not even parsed; each new run is its own transaction, acknowledged when committed. The repository is
        only read. A damaged run file gives a warning and is retried next time.

        :raises HistoryError: when ``path`` is not (and holds no) repository
        :raises StoreError: when the store cannot be written (runs pushed before the failure stay stored)
        """
        repo, found_kind = find_repository(Path(path), kind)
        machine = host or socket.gethostname()
        origin = f"{machine}:{repo.resolve()}"
        done = self._known_files(origin)
        streams = sorted((int(p.name), p) for p in repo.iterdir() if p.name.isdigit() and p.is_file())
        results: list[PushResult] = []
        warnings: list[str] = []
        already = 0
        for number, stream in streams:
            stat = stream.stat()
            fingerprint = f"{number}:{stat.st_size}:{stat.st_mtime_ns}"
            if fingerprint in done:
                already += 1
                continue
            try:
                run = load_run(stream, number, read_stream_file)
            except HistoryError as error:
                warnings.append(f"{error} [not pushed; the other runs are]")
                continue
            meta = self._meta(f"{found_kind}:{stream}", found_kind, machine, None, labels, origin, fingerprint)
            results.append(self._push(encode_run(run), meta))
        return RepositoryPush(tuple(results), tuple(warnings), already)

    def _known_files(self, origin: str) -> set[str]:
        if self.url.path is not None and not self.url.path.is_file():
            return set()  # a SQLite store not created yet

        def body(conn: Connection) -> set[str]:
            query = select(run_files.c.fingerprint).where(run_files.c.origin == origin)
            return {str(f) for f in conn.execute(query).scalars()}

        return self._read("reading pushed run files", body, set(), pushing=True)

    def schema_version(self) -> int | None:
        """The store's schema version (``None`` when it has no partitioner tables yet)."""
        with self._db.reading("reading the schema version") as conn:
            found = stored_version(conn)
        return None if found is None else found[0]
