"""The kinds of history source :func:`~partitioner.history.load.load_history` reads, and how each is recognized.

In detection order (:data:`SOURCES`):

``testrepository``  a ``.testrepository/`` directory, or a project directory holding one
``stestr``          a ``.stestr/`` directory, or a project directory holding one
``json``            a portable JSON timing file (:mod:`partitioner.history.jsonfile`), a path or (forced with
                    ``json:``) an http(s) URL
``subunit``         a subunit v1/v2 stream file, optionally gzip'd, a path or (forced with ``subunit:``) a URL
``store``           a history store URL: ``sqlite:///PATH`` or ``postgresql://USER[:PASSWORD]@HOST[:PORT]/DB``,
                    optionally pinned with ``?upto=N`` (:mod:`partitioner.history.store`)
``remote``          an ``http(s)://`` URL of a subunit stream (gzip ok) or a JSON timing file that an earlier
                    job published (:mod:`partitioner.history.remote`)

A source gets a :class:`Request` (the target text, not a ``Path``: ``Path("sqlite:///x")`` would drop a slash)
and returns a partial :class:`~partitioner.history.model.History`. A store or URL that cannot be read returns
a warning instead of raising when the request allows it (:attr:`Request.optional`, and for a store only when
it is not pinned and not a SQLite file that is here); the rules are in :mod:`partitioner.history.load`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal, Protocol

from partitioner.errors import HistoryError
from partitioner.history.jsonfile import read_samples
from partitioner.history.model import History, Run, Samples
from partitioner.history.repository import REPOSITORY_DIRS, read_repository, repository_kind
from partitioner.history.store.url import is_store_url, parse_store_url, redact
from partitioner.history.subunit import read_stream_file, stream_kind

__all__ = [
    "SOURCES",
    "JsonSource",
    "Purpose",
    "RemoteSource",
    "RepositorySource",
    "Request",
    "Source",
    "StoreSource",
    "SubunitSource",
    "is_url",
    "json_history",
    "stream_history",
]

#: what a load is for: ``plan`` (what the estimator reads) or ``runs`` (every record of the runs)
Purpose = Literal["plan", "runs"]
#: lines that only a subunit v1 stream starts with (a text file holding one of them is taken as v1)
_V1_LINE = re.compile(
    rb"(?m)^(test|testing|time|tags|progress|success|successful|failure|error|skip|xfail|uxsuccess)[: ]"
)
_SNIFF_BYTES = 65536
_SKIPPED = "planning without it"


def is_url(text: str) -> bool:
    """Whether ``text`` names a store (``sqlite:``, ``postgresql:``) or an ``http(s)://`` URL, not a path."""
    return is_store_url(text) or _is_http(text)


def _is_http(text: str) -> bool:
    return text[:8].lower().startswith(("http://", "https://"))


@dataclass(frozen=True)
class Request:
    """What a source is asked to load.

    :ivar target: the source without its kind prefix: a path, ``-``, or a URL
    :ivar order: the source's position among those given (the run of a single stream gets it as ``order``)
    :ivar newest: at most this many of a repository's newest runs (a store's, for ``purpose="runs"``)
    :ivar base: the directory relative paths are taken from (``None``: the working directory)
    :ivar purpose: ``plan`` or ``runs`` (see :mod:`partitioner.history.load`)
    :ivar strict: every source is required, even when planning (shard jobs must agree)
    """

    target: str
    order: int = 0
    newest: int | None = None
    base: Path | None = None
    purpose: Purpose = "plan"
    strict: bool = False

    @property
    def path(self) -> Path:
        """``target`` as a path, relative ones taken from ``base``."""
        path = Path(self.target)
        return path if self.base is None or path.is_absolute() else self.base / path

    @property
    def optional(self) -> bool:
        """Whether a network source that cannot be read may be skipped with a warning."""
        return self.purpose == "plan" and not self.strict


class Source(Protocol):
    """**Protocol:** one kind of history source: recognizes a target and loads it into a partial :class:`History`."""

    name: str

    def detect(self, request: Request) -> bool:
        """Whether ``request.target`` looks like this kind of source (cheap: reads at most a few KiB)."""
        ...

    def load(self, request: Request) -> History:
        """Load ``request.target``.

        :raises HistoryError: when it is missing or unreadable as this kind (an optional source returns a
            :class:`History` with a warning instead; see :mod:`partitioner.history.load`)
        """
        ...


class RepositorySource:
    """A testrepository or stestr repository (or a project directory holding one)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def detect(self, request: Request) -> bool:
        """True for this kind's repository directory, or a project directory holding one."""
        path = request.path
        if not path.is_dir():
            return False
        own = repository_kind(path)
        if own is not None:
            return own == self.name
        return repository_kind(path / REPOSITORY_DIRS[self.name]) is not None

    def load(self, request: Request) -> History:
        """Read the runs (the ``newest`` ones when given) and ``times.dbm``; runs keep their numbers as ``order``."""
        if is_url(request.target):
            raise HistoryError(f"{self.name}:{redact(request.target)}: a repository cannot be read from a URL; "
                               f"pass its directory, or publish a run stream and pass the stream's URL")
        path = request.path
        runs, times, warnings = read_repository(path, kind=self.name, newest=request.newest)
        label = f"{self.name}:{path} ({len(runs)} runs, {len(times)} times.dbm entries)"
        return History(runs=runs, last_times=times, sources=(label,), warnings=warnings)


class JsonSource:
    """A portable JSON timing file (a path, or an http(s) URL when forced with ``json:``)."""

    name = "json"

    def detect(self, request: Request) -> bool:
        """True for a file named ``*.json`` or whose first non-blank character is ``{``."""
        path = request.path
        if not path.is_file():
            return False
        if path.suffix.lower() == ".json":
            return True
        return _head(path, 4096).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")

    def load(self, request: Request) -> History:
        """Read and validate the file."""
        if _is_http(request.target):
            return RemoteSource().load(request, kind="json")
        return json_history(read_samples(request.path), str(request.path))


class SubunitSource:
    """A subunit stream file: v2, v1 or gzip'd (a path, or an http(s) URL when forced with ``subunit:``)."""

    name = "subunit"

    def detect(self, request: Request) -> bool:
        """True for a gzip or v2 file, a ``*.subunit`` file, or text holding a subunit v1 line."""
        path = request.path
        if not path.is_file():
            return False
        head = _head(path, _SNIFF_BYTES)
        kind = stream_kind(head[:2])
        if kind in ("gzip", "v2") or path.suffix.lower() == ".subunit":
            return True
        return kind == "v1" and _V1_LINE.search(head) is not None

    def load(self, request: Request) -> History:
        """Parse the stream into one run."""
        if _is_http(request.target):
            return RemoteSource().load(request, kind="subunit")
        return stream_history(read_stream_file(request.path, order=request.order), str(request.path))


class StoreSource:
    """A history store (:mod:`partitioner.history.store`): SQLite or PostgreSQL, named by its URL."""

    name = "store"

    def detect(self, request: Request) -> bool:
        """True for a ``sqlite:``/``postgresql:``/``postgres:`` URL."""
        return is_store_url(request.target)

    def load(self, request: Request) -> History:
        """The store's planning samples (``plan``) or its runs (``runs``), at the URL's pin when it has one.

        :raises HistoryError: for a malformed URL; for an unreadable store unless it is optional (see
            :mod:`partitioner.history.load`: a pinned store is always required)
        """
        url = parse_store_url(request.target, request.base)  # a malformed URL fails here, before connecting
        from partitioner.history.store import open_store  # SQLAlchemy: only when a store is named

        try:
            with open_store(url) as store:
                if request.purpose == "plan":
                    return store.history()
                runs = store.runs(newest=request.newest)
                return History(runs=runs, sources=(f"store:{url.display} ({len(runs)} runs)",))
        except HistoryError as error:
            # a SQLite file that is here but unreadable (not a database) is a mistake to fix, as any local path
            if not request.optional or url.upto is not None or (url.path is not None and _exists(url.path)):
                raise
            return History(sources=(f"store:{url.display} (unreadable)",),
                           warnings=(url.redact(f"{error}; {_SKIPPED}"),))


class RemoteSource:
    """A stream or JSON timing file fetched over http(s) (:mod:`partitioner.history.remote`)."""

    name = "remote"

    def detect(self, request: Request) -> bool:
        """True for an ``http://`` or ``https://`` URL."""
        return _is_http(request.target)

    def load(self, request: Request, kind: Literal["json", "subunit"] | None = None) -> History:
        """Fetch and read it (as ``kind`` when given, else by its content).

        :raises HistoryError: for a malformed URL; for a failed fetch or an unreadable body unless optional
        """
        from partitioner.history.remote import check_url, load_remote  # urllib and ssl: only when needed

        check_url(request.target)
        try:
            return load_remote(request.target, request.order, kind=kind)
        except HistoryError as error:
            if not request.optional:
                raise
            shown = redact(request.target)
            return History(sources=(f"remote:{shown} (unreadable)",), warnings=(redact(f"{error}; {_SKIPPED}"),))


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):  # a name the system refuses: as good as missing
        return False


def _head(path: Path, size: int) -> bytes:
    try:
        with path.open("rb") as stream:
            return stream.read(size)
    except OSError:
        return b""


#: every source kind, in detection order
SOURCES: Mapping[str, Source] = MappingProxyType(
    {
        "testrepository": RepositorySource("testrepository"),
        "stestr": RepositorySource("stestr"),
        "json": JsonSource(),
        "subunit": SubunitSource(),
        "store": StoreSource(),
        "remote": RemoteSource(),
    }
)


def json_history(samples: Samples, name: str) -> History:
    """The history a JSON timing file gives."""
    return History(samples=(samples,), sources=(f"json:{name} ({len(samples.tests)} tests)",))


def stream_history(run: Run, name: str) -> History:
    """The history a subunit stream gives: its one run."""
    return History(runs=(run,), sources=(f"subunit:{name} ({len(run.records)} tests)",))
