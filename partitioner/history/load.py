"""Load timing history from every kind of source into one :class:`~partitioner.history.model.History`, read-only.

Sources, in detection order (:data:`SOURCES`):

``testrepository``  a ``.testrepository/`` directory, or a project directory holding one
``stestr``          a ``.stestr/`` directory, or a project directory holding one
``json``            a portable JSON timing file (:mod:`partitioner.history.jsonfile`)
``subunit``         a subunit v1/v2 stream file, optionally gzip'd; ``-`` reads one from stdin

A path may be prefixed with its kind to skip detection (``stestr:ci/.stestr``, ``subunit:run.bin``,
``json:-``). An unprefixed project directory holding both repositories loads both. :func:`load_history`
orders the runs of all sources oldest first (by their first timestamp; runs without timestamps stay after
the run loaded before them) and renumbers ``Run.order`` 0, 1, ... in that order.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import IO, Protocol

from partitioner.errors import HistoryError
from partitioner.history.jsonfile import parse_samples, read_samples
from partitioner.history.model import History, Run, Samples
from partitioner.history.repository import REPOSITORY_DIRS, discover, read_repository, repository_kind
from partitioner.history.subunit import read_stream, read_stream_file, stream_kind

STDIN = "-"
_PREFIX = re.compile(r"^(?P<kind>[A-Za-z][A-Za-z0-9_-]+):(?P<rest>.*)$", re.DOTALL)
#: lines that only a subunit v1 stream starts with (a text file holding one of them is taken as v1)
_V1_LINE = re.compile(
    rb"(?m)^(test|testing|time|tags|progress|success|successful|failure|error|skip|xfail|uxsuccess)[: ]"
)
_SNIFF_BYTES = 65536


class Source(Protocol):
    """One kind of history source: recognizes a path and loads it into a partial :class:`History`."""

    name: str

    def detect(self, path: Path) -> bool:
        """Whether ``path`` looks like this kind of source (cheap: reads at most a few KiB)."""
        ...

    def load(self, path: Path, order: int, newest: int | None = None) -> History:
        """Load ``path``; ``order`` is the source's position among the paths given (runs of a single stream
        get it as their ``order``); ``newest`` caps how many of a repository's newest runs are read.

        :raises HistoryError: when ``path`` is missing or unreadable as this kind
        """
        ...


class RepositorySource:
    """A testrepository or stestr repository (or a project directory holding one)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def detect(self, path: Path) -> bool:
        """True for this kind's repository directory, or a project directory holding one."""
        if not path.is_dir():
            return False
        own = repository_kind(path)
        if own is not None:
            return own == self.name
        return repository_kind(path / REPOSITORY_DIRS[self.name]) is not None

    def load(self, path: Path, order: int, newest: int | None = None) -> History:
        """Read the runs (the ``newest`` ones when given) and ``times.dbm``; runs keep their numbers as ``order``."""
        runs, times, warnings = read_repository(path, kind=self.name, newest=newest)
        label = f"{self.name}:{path} ({len(runs)} runs, {len(times)} times.dbm entries)"
        return History(runs=runs, last_times=times, sources=(label,), warnings=warnings)


class JsonSource:
    """A portable JSON timing file."""

    name = "json"

    def detect(self, path: Path) -> bool:
        """True for a file named ``*.json`` or whose first non-blank character is ``{``."""
        if not path.is_file():
            return False
        if path.suffix.lower() == ".json":
            return True
        return _head(path, 4096).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")

    def load(self, path: Path, order: int, newest: int | None = None) -> History:
        """Read and validate the file."""
        return _json_history(read_samples(path), str(path))


class SubunitSource:
    """A subunit stream file: v2, v1 or gzip'd."""

    name = "subunit"

    def detect(self, path: Path) -> bool:
        """True for a gzip or v2 file, a ``*.subunit`` file, or text holding a subunit v1 line."""
        if not path.is_file():
            return False
        head = _head(path, _SNIFF_BYTES)
        kind = stream_kind(head[:2])
        if kind in ("gzip", "v2") or path.suffix.lower() == ".subunit":
            return True
        return kind == "v1" and _V1_LINE.search(head) is not None

    def load(self, path: Path, order: int, newest: int | None = None) -> History:
        """Parse the stream into one run."""
        return _stream_history(read_stream_file(path, order=order), str(path))


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
    }
)

_ACCEPTED = (
    "a .testrepository/ or .stestr/ directory (or a project directory holding one), a JSON timing file, "
    "a subunit v1/v2 stream (optionally gzip'd), or '-' for a stream on stdin"
)


def _split(spec: str) -> tuple[str | None, str]:
    """``kind:path`` -> ``(kind, path)``; a plain path (or an existing file whose name has a colon) ->
    ``(None, path)``.

    :raises HistoryError: for an unknown kind prefix or a prefix without a path
    """
    match = _PREFIX.match(spec)
    if match is None or Path(spec).exists():
        return None, spec
    kind, rest = match.group("kind"), match.group("rest")
    if kind not in SOURCES:
        raise HistoryError(
            f"{spec}: unknown history kind {kind!r}; valid kinds are {', '.join(SOURCES)} "
            f"(e.g. stestr:.stestr), or give the path without a prefix to detect its kind"
        )
    if not rest:
        raise HistoryError(f"{spec}: no path after '{kind}:'; write e.g. {kind}:{_example(kind)}")
    return kind, rest


def _example(kind: str) -> str:
    return {"testrepository": ".testrepository", "stestr": ".stestr", "json": "times.json"}.get(kind, "-")


def _load_stdin(kind: str | None, order: int, stdin: IO[bytes] | None) -> History:
    if kind not in (None, "subunit", "json"):
        raise HistoryError(
            f"{kind}:-: a repository cannot be read from stdin; pass its directory, or use subunit:- or json:-"
        )
    source = stdin if stdin is not None else sys.stdin.buffer
    try:
        data = source.read()
    except OSError as error:
        raise HistoryError(f"-: cannot read stdin ({error}); pipe a subunit stream or pass a file") from None
    if kind == "json":
        return _json_history(parse_samples(data, STDIN), STDIN)
    return _stream_history(read_stream(data, STDIN, order), STDIN)


def _json_history(samples: Samples, name: str) -> History:
    """The history a JSON timing file gives."""
    return History(samples=(samples,), sources=(f"json:{name} ({len(samples.tests)} tests)",))


def _stream_history(run: Run, name: str) -> History:
    """The history a subunit stream gives: its one run."""
    return History(runs=(run,), sources=(f"subunit:{name} ({len(run.records)} tests)",))


def _load_path(kind: str | None, target: str, order: int, newest: int | None = None) -> list[History]:
    path = Path(target)
    if not path.exists():
        raise HistoryError(
            f"no such file or directory: {target}; pass {_ACCEPTED} "
            f"(for a repository run `testr init`/`stestr init` and a run first)"
        )
    if kind is not None:
        return [SOURCES[kind].load(path, order, newest)]
    if path.is_dir() and repository_kind(path) is None:
        found = discover(path)
        if len(found) > 1:  # a project directory holding both repositories: read both
            return [_load_path(None, repo, order, newest)[0] for repo in found]
    for source in SOURCES.values():
        if source.detect(path):
            return [source.load(path, order, newest)]
    raise HistoryError(
        f"{target}: not a history source partitioner can read; accepted: {_ACCEPTED}; "
        f"force a kind with a prefix ({', '.join(f'{k}:' for k in SOURCES)})"
    )


def _first_time(run: Run) -> float | None:
    stamps = [t for r in run.records for t in (r.start, r.stop) if t is not None]
    return min(stamps) if stamps else None


def _chronological(runs: Sequence[Run]) -> tuple[Run, ...]:
    """``runs`` (given in load order) sorted oldest first and renumbered 0, 1, ...

    A run's time is its earliest timestamp; a run without one takes the time of the run before it in load
    order, so it stays next to it.
    """
    keyed: list[tuple[float, int, Run]] = []
    previous = -math.inf
    for index, run in enumerate(runs):
        first = _first_time(run)
        previous = first if first is not None else previous
        keyed.append((previous, index, run))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return tuple(dataclasses.replace(run, order=position) for position, (_, _, run) in enumerate(keyed))


def combine(parts: Sequence[History]) -> History:
    """Merge partial histories given in load order into one (see :func:`load_history` for the rules)."""
    runs: list[Run] = []
    samples: list[Samples] = []
    last_times: dict[str, float] = {}
    sources: list[str] = []
    warnings: list[str] = []
    for part in parts:
        runs.extend(sorted(part.runs, key=lambda run: run.order))
        samples.extend(part.samples)
        last_times.update(part.last_times)  # a later source's last-known time wins
        sources.extend(part.sources)
        warnings.extend(part.warnings)
    return History(
        runs=_chronological(runs),
        samples=tuple(samples),
        last_times=MappingProxyType(last_times),
        sources=tuple(sources),
        warnings=tuple(warnings),
    )


def load_history(paths: Sequence[str], stdin: IO[bytes] | None = None, newest: int | None = None) -> History:
    """Load every history source named in ``paths`` and combine them into one :class:`History`.

    :param paths: paths, each optionally prefixed ``kind:``; ``-`` (or ``subunit:-``/``json:-``) is stdin
    :param stdin: where ``-`` reads from (default ``sys.stdin.buffer``); it can be read only once
    :param newest: read at most this many of each repository's newest runs (default: all)
    :returns: runs oldest first across all sources (``order`` renumbered), samples in path order,
        ``times.dbm`` entries merged (later paths win), one source name per source, every warning
    :raises HistoryError: for an unknown prefix, a missing path, a path of no known kind, stdin given twice,
        or a source that cannot be read at all (a repository's damaged runs only warn)
    """
    parts: list[History] = []
    seen: set[tuple[str | None, str]] = set()
    stdin_used = False
    warnings: list[str] = []
    for index, spec in enumerate(paths):
        kind, target = _split(spec)
        if target == STDIN:
            if stdin_used:
                raise HistoryError(f"{spec}: stdin ('-') given more than once; it can be read only once")
            stdin_used = True
            parts.append(_load_stdin(kind, index, stdin))
            continue
        identity = (kind, str(Path(target).resolve()))
        if identity in seen:
            warnings.append(f"{spec}: given more than once; read once")
            continue
        seen.add(identity)
        parts.extend(_load_path(kind, target, index, newest))
    combined = combine(parts)
    if warnings:
        combined = dataclasses.replace(combined, warnings=combined.warnings + tuple(warnings))
    return combined


def load_history_for(cwd: Path, paths: Sequence[str], stdin: IO[bytes] | None = None,
                     newest: int | None = None) -> History:
    """Load the given sources (relative paths are taken from ``cwd``), or discover ``.stestr``/``.testrepository``
    in ``cwd`` when none given.

    :param newest: read at most this many of each repository's newest runs (default: all)
    """
    chosen = list(paths) or discover(cwd)
    if not chosen:
        return History()
    return load_history([p if p == "-" or os.path.isabs(p) or ":" in p else str(cwd / p) for p in chosen],
                        stdin=stdin, newest=newest)
