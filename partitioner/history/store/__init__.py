"""A history store that many machines push runs to and plan from: SQLite (one file) or PostgreSQL.

One URL names it (see :mod:`partitioner.history.store.url`)::

    from partitioner.history.store import open_store

    with open_store("sqlite:///ci/history.db") as store:          # or postgresql://user:pw@host/db
        store.push_stream(stream_bytes, name="tempest run 42", labels={"branch": "main"})
        store.push_repository(".stestr")                           # its new runs only
        pin = store.head()                                         # share it: ?upto=<pin>
        history = store.history(upto=pin)                          # what build_cost_model reads
        runs = store.runs(newest=20, upto=pin)                     # full runs: races, summary, timeline

**Pushing.** A run is stored once: its content key (a sha256 of every result's id, status, timestamps and
worker) is unique, and writers hold the store lock while they check and insert, so many jobs pushing at
once lose nothing and duplicate nothing. A push returns only after its commit. Each push stores the run's
results and, computed once from its worker lanes, its planning samples (passing and skip/fail durations,
class setup gaps, worker start offsets).

**Reading for a plan** returns, per test and per class, only the newest 5 samples (the estimator's window):
the store keeps that window live as runs arrive (:mod:`partitioner.history.store.schema`), so a read costs
one indexed scan of ``5 x keys`` rows whatever the number of runs.

**Pinning.** Run ids grow in commit order. ``head()`` is the newest; a read at ``upto=N`` (a parameter, or
``?upto=N`` in the URL) sees exactly the runs with id <= N and the sample windows as they were then, so M
shard jobs that share N plan from the same history even while others push.

**Reads never write.** Every read opens the store read-only (SQLite: a ``mode=ro`` URI; PostgreSQL: a
``READ ONLY`` transaction): it never creates the file or the tables, nor upgrades a schema. Only a push
does. A SQLite file without partitioner's tables (an empty file, another program's database) is no store,
and reading it is an error saying what it is; a PostgreSQL database without them is a store no one pushed
to yet (empty).

**Versions.** The schema carries a version (:data:`SCHEMA_VERSION`); an older store is upgraded by the
next push (a read refuses it), a newer or unknown one is refused with a one-line error.

Importing this package does not import SQLAlchemy: only :func:`open_store` (or :class:`Store`) does.
PostgreSQL needs the ``postgresql`` extra (psycopg 3).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from partitioner.history.store.errors import StoreError as StoreError
from partitioner.history.store.errors import StoreVersionError as StoreVersionError
from partitioner.history.store.url import StoreURL as StoreURL
from partitioner.history.store.url import is_store_url as is_store_url
from partitioner.history.store.url import parse_store_url as parse_store_url
from partitioner.history.store.url import redact as redact
from partitioner.history.store.values import PlanHistory as PlanHistory
from partitioner.history.store.values import PushResult as PushResult
from partitioner.history.store.values import RunInfo as RunInfo

if TYPE_CHECKING:
    from partitioner.history.store.store import Store

__all__ = [
    "PlanHistory",
    "PushResult",
    "RunInfo",
    "StoreError",
    "StoreURL",
    "StoreVersionError",
    "is_store_url",
    "open_store",
    "parse_store_url",
    "redact",
]


def open_store(url: str | StoreURL, base: Path | None = None, connect_timeout: float = 10.0,
               busy_timeout: float = 120.0) -> Store:
    """The store behind ``url`` (nothing is connected until the first read or push).

    :param base: the directory a relative SQLite path is taken from (default: the working directory)
    :param connect_timeout: seconds to wait for a PostgreSQL server
    :param busy_timeout: seconds a SQLite writer waits while another one pushes
    :raises StoreError: for a URL partitioner cannot use, or PostgreSQL without its driver
    """
    parsed = url if isinstance(url, StoreURL) else parse_store_url(url, base)
    if parsed.kind == "postgresql":
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise StoreError(f"{parsed.display}: PostgreSQL stores need the psycopg driver; install "
                             f"partitioner's postgresql extra (pip install 'testr-partitioner[postgresql]')") from None
    from partitioner.history.store.store import Store

    return Store(parsed, base, connect_timeout, busy_timeout)
