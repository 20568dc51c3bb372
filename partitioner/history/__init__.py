"""History: what past runs say about each test. Re-exports only, imported on first use (PEP 562).

* :mod:`~partitioner.history.model`: the values (``TestRecord``, ``Run``, ``Samples``, ``History``);
* :mod:`~partitioner.history.samples`: timing samples and worker lanes out of runs (pure);
* :mod:`~partitioner.history.summary`: how each test fared across runs (pure);
* :mod:`~partitioner.history.sources`: the kinds of source (paths, store and http(s) URLs) and their detection;
  :mod:`~partitioner.history.load`: :func:`load_history`, pins for shard jobs (read-only I/O from here on);
* :mod:`~partitioner.history.repository`, :mod:`~partitioner.history.timesdbm`,
  :mod:`~partitioner.history.subunit`, :mod:`~partitioner.history.jsonfile`: one reader per format;
  :mod:`~partitioner.history.cache`: parsed runs cached outside the repositories;
  :mod:`~partitioner.history.digest`: what planning reads of each run, cached by content;
* :mod:`~partitioner.history.store`: the SQLite/PostgreSQL history store; :mod:`~partitioner.history.remote`:
  streams and timing files fetched over http(s).

The names below are loaded when first asked for: the hooks plan inside every ``stestr run`` from digests
(:mod:`~partitioner.history.digest`), and importing ``partitioner.history`` must not import python-subunit,
which only the readers of streams need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from partitioner import lazy

#: how many of a repository's newest runs planning reads: enough for RECENT samples of a test that is
#: sometimes filtered out or failing, while the time to plan stays flat as a repository grows (python-subunit
#: parses about 20,000 events a second); older runs are still read by ``races`` and ``history``
PLAN_RUNS = 10

if TYPE_CHECKING:
    from partitioner.history.jsonfile import merge_samples as merge_samples
    from partitioner.history.jsonfile import parse_samples as parse_samples
    from partitioner.history.jsonfile import read_samples as read_samples
    from partitioner.history.jsonfile import write_samples as write_samples
    from partitioner.history.load import combine as combine
    from partitioner.history.load import load_history as load_history
    from partitioner.history.load import load_history_for as load_history_for
    from partitioner.history.load import pin_sources as pin_sources
    from partitioner.history.load import unpinned_stores as unpinned_stores
    from partitioner.history.model import History as History
    from partitioner.history.model import Run as Run
    from partitioner.history.model import Samples as Samples
    from partitioner.history.model import TestRecord as TestRecord
    from partitioner.history.model import is_parallel as is_parallel
    from partitioner.history.repository import Repository as Repository
    from partitioner.history.repository import discover as discover
    from partitioner.history.repository import read_repository as read_repository
    from partitioner.history.sources import SOURCES as SOURCES
    from partitioner.history.sources import JsonSource as JsonSource
    from partitioner.history.sources import Purpose as Purpose
    from partitioner.history.sources import RemoteSource as RemoteSource
    from partitioner.history.sources import RepositorySource as RepositorySource
    from partitioner.history.sources import Request as Request
    from partitioner.history.sources import Source as Source
    from partitioner.history.sources import StoreSource as StoreSource
    from partitioner.history.sources import SubunitSource as SubunitSource
    from partitioner.history.sources import is_url as is_url
    from partitioner.history.subunit import read_stream as read_stream
    from partitioner.history.subunit import read_stream_file as read_stream_file
    from partitioner.history.timesdbm import read_times_dbm as read_times_dbm

#: every re-exported name -> the module that defines it
_WHERE = {
    **dict.fromkeys(("merge_samples", "parse_samples", "read_samples", "write_samples"), "jsonfile"),
    **dict.fromkeys(("combine", "load_history", "load_history_for", "pin_sources", "unpinned_stores"), "load"),
    **dict.fromkeys(("History", "Run", "Samples", "TestRecord", "is_parallel"), "model"),
    **dict.fromkeys(("Repository", "discover", "read_repository"), "repository"),
    **dict.fromkeys(("SOURCES", "JsonSource", "Purpose", "RemoteSource", "RepositorySource", "Request", "Source",
                     "StoreSource", "SubunitSource", "is_url"), "sources"),
    **dict.fromkeys(("read_stream", "read_stream_file"), "subunit"),
    "read_times_dbm": "timesdbm",
}

__all__ = list(_WHERE)


def __getattr__(name: str) -> Any:
    """Load a re-exported name from its module on first use (and keep it here)."""
    return lazy.attribute(__name__, _WHERE, globals(), name)


def __dir__() -> list[str]:
    return lazy.names(_WHERE, globals())
