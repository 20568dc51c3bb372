"""Load timing history from every kind of source into one :class:`~partitioner.history.model.History`, read-only.

The kinds (repositories, JSON timing files, subunit streams, store URLs, http(s) URLs) and how each is
recognized are in :mod:`partitioner.history.sources`. A source may be prefixed with its kind to skip
detection (``stestr:ci/.stestr``, ``subunit:run.bin``, ``json:-``, ``json:https://ci.example/timings``). An
unprefixed project directory holding both repositories loads both. Relative paths (and relative
``sqlite:///`` paths) are taken from ``base``, the project directory; the command line first applies
:func:`given_here` to what it was given (a relative path that exists in the current directory is read from
there). :func:`load_history` orders the runs of all sources oldest first (by their first timestamp; runs
without timestamps stay after the run loaded before them) and renumbers ``Run.order`` 0, 1, ... in that order.

**What a store gives.** For planning (``purpose="plan"``) a store returns its aggregated samples (the
newest 5 per test and per class, computed in SQL, whatever the number of runs); for ``purpose="runs"``
(``races``, ``history summary``) it returns its full runs, the ``newest`` ones when given.

**Optional sources.** When planning, a store or a remote URL that cannot be read (server down, wrong
password, HTTP error, timeout, no store file yet, a body that is no stream) is *optional*: it becomes one
warning line and the plan goes on without it. A plan from less history is still a valid plan, only less
balanced, so an unreachable log server or database must not fail the CI job it was meant to speed up. A
source is *required* (its failure is an error) when:

* the URL itself is malformed (a typo to fix, found before anything is fetched);
* it is a local path (a missing file on the planning machine is a mistake, not an outage), or a SQLite store
  file that is there but cannot be read as a store (not a SQLite database: a mistake too; a missing store file
  is still optional, as the first job sees it before any push);
* the read is for ``purpose="runs"`` (the command's whole job is to read it);
* the store URL is pinned (``?upto=N``): a pin exists so that several jobs plan from the same history, and a
  job that planned without it would disagree with the others;
* ``strict=True``: shard jobs that each plan the whole split must all see the same history.

A password in any URL is never shown: messages, warnings and source names carry the URL with ``***``.
"""

from __future__ import annotations

import codecs
import dataclasses
import math
import os
import re
import stat
import sys
from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType
from typing import IO
from urllib.parse import quote, unquote

from partitioner.errors import HistoryError
from partitioner.history.jsonfile import parse_samples
from partitioner.history.model import History, Run, Samples
from partitioner.history.repository import discover, repository_kind
from partitioner.history.sources import SOURCES, Purpose, Request, is_url, json_history, stream_history
from partitioner.history.store.url import is_store_url, parse_store_url, redact
from partitioner.history.subunit import read_stream

__all__ = ["STDIN", "combine", "given_here", "load_history", "load_history_for", "pin_sources", "unpinned_stores"]

STDIN = "-"
_PREFIX = re.compile(r"^(?P<kind>[A-Za-z][A-Za-z0-9_-]+):(?P<rest>.*)$", re.DOTALL)

_ACCEPTED = (
    "a .testrepository/ or .stestr/ directory (or a project directory holding one), a JSON timing file, "
    "a subunit v1/v2 stream (optionally gzip'd), '-' for a stream on stdin, a history store URL "
    "(sqlite:///PATH, postgresql://USER@HOST/DB) or the http(s):// URL of a stream or timing file"
)


def _split(spec: str) -> tuple[str | None, str]:
    """``kind:target`` -> ``(kind, target)``; a URL, a plain path (or an existing file whose name has a colon)
    -> ``(None, spec)``.

    :raises HistoryError: for an unknown kind prefix or a prefix without a target
    """
    if is_url(spec):
        return None, spec
    match = _PREFIX.match(spec)
    if match is None or _exists(Path(spec)):
        return None, spec
    kind, rest = match.group("kind"), match.group("rest")
    if kind not in SOURCES:
        raise HistoryError(
            f"{redact(spec)}: unknown history kind {kind!r}; valid kinds are {', '.join(SOURCES)} "
            f"(e.g. stestr:.stestr), a store URL (sqlite:///PATH, postgresql://USER@HOST/DB), an http(s):// URL, "
            f"or a path without a prefix to detect its kind"
        )
    if not rest:
        raise HistoryError(f"{spec}: no path after '{kind}:'; write e.g. {kind}:{_example(kind)}")
    return kind, rest


def given_here(spec: str) -> str:
    """A source named on the command line, with the rule for relative paths applied: a relative path (or the
    path of a ``sqlite:///`` URL) that exists in the current directory is made absolute, so that it is read
    from there; anything else is returned unchanged, and a relative path is then taken from the project
    directory (``base`` of :func:`load_history`), as paths in config files are.

    Never raises: a spec that is wrong in another way is reported when it is loaded.
    """
    try:
        kind, target = _split(spec)
    except HistoryError:
        return spec
    prefix = f"{kind}:" if kind is not None else ""
    if target == STDIN:
        return spec
    if is_store_url(target):
        scheme, sep, rest = target.partition(":///")
        name, question, query = rest.partition("?")
        if not sep or scheme.lower() != "sqlite" or not name or name.startswith("/"):
            return spec
        path = Path(unquote(name))
        return f"{prefix}{scheme}:///{quote(str(path.absolute()))}{question}{query}" if _exists(path) else spec
    if is_url(target):
        return spec
    path = Path(target)
    if path.is_absolute() or not _exists(path):
        return spec
    return f"{prefix}{path.absolute()}"


def check_sources(specs: Sequence[str], base: Path) -> None:
    """Check that every local file or directory among ``specs`` exists and can be read (relative paths from
    ``base``), before a command that reads them later starts anything; URLs, stores and stdin are left to the
    load.

    :raises HistoryError: for an unknown kind prefix, or a path that is missing or unreadable (one line)
    """
    for spec in specs:
        kind, target = _split(spec)
        if target == STDIN or is_url(target) or is_store_url(target) or kind in ("store", "remote"):
            continue
        path = Path(target)
        _check_readable(path if path.is_absolute() else base / path, target)


def _exists(path: Path) -> bool:
    """Whether ``path`` exists, for a guess (a name holding a colon, a path relative to here): a name the system
    refuses (too long, a NUL byte) is "no"; reading it later says why."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _example(kind: str) -> str:
    return {"testrepository": ".testrepository", "stestr": ".stestr", "json": "times.json",
            "store": "sqlite:///history.db", "remote": "https://ci.example/testrepository.subunit.gz"}.get(kind, "-")


def _load_stdin(kind: str | None, order: int, stdin: IO[bytes] | None) -> History:
    if kind not in (None, "subunit", "json"):
        raise HistoryError(
            f"{kind}:-: a {kind} source cannot be read from stdin; pass its directory or URL, or use subunit:- "
            f"or json:-"
        )
    source = stdin if stdin is not None else sys.stdin.buffer
    try:
        data = source.read()
    except OSError as error:
        raise HistoryError(f"-: cannot read stdin ({error}); pipe a subunit stream or pass a file") from None
    if kind == "json":
        return json_history(parse_samples(data, STDIN), STDIN)
    return stream_history(read_stream(data, STDIN, order), STDIN)


def _load_one(kind: str | None, request: Request) -> list[History]:
    local = not is_url(request.target)
    path = request.path
    if local:
        _check_readable(path, request.target)
    if kind is not None:
        return [SOURCES[kind].load(request)]
    if local and path.is_dir() and repository_kind(path) is None:
        found = discover(path)
        if len(found) > 1:  # a project directory holding both repositories: read both
            return [_load_one(None, dataclasses.replace(request, target=repo))[0] for repo in found]
    for source in SOURCES.values():
        if source.detect(request):
            return [source.load(request)]
    raise HistoryError(_not_a_history(request.target, path))


#: how a SQLite database file starts (its header string)
_SQLITE_HEADER = b"SQLite format 3\x00"


def _not_a_history(target: str, path: Path) -> str:
    """The one line for a local path no source kind recognized: what it is, and what to give instead."""
    instead = (f"give a .stestr/ or .testrepository/ directory (or the project directory holding one), a subunit "
               f"stream (`stestr last --subunit > FILE`), a JSON timing file or a history store URL, or force a "
               f"kind with a prefix ({', '.join(f'{k}:' for k in SOURCES)})")
    if path.is_dir():
        return (f"{target}: a directory holding no test runs (no .stestr/ or .testrepository/ in it, nor the 'format' "
                f"file of one: a project that never ran its tests has none yet), so no history; {instead}")
    try:
        with path.open("rb") as stream:
            head = stream.read(64)
    except OSError as error:  # it was readable a moment ago (_check_readable): say what changed
        return f"cannot read {target}: {error.strerror or error}; {instead}"
    if not head:
        return f"{target}: an empty file, so no history; {instead}"
    if head.startswith(_SQLITE_HEADER):
        url = f"sqlite:///{quote(str(path.absolute()))}"
        return (f"{target}: a SQLite database file, which is read as a history store only through its URL; give "
                f"{url} (a store `partitioner history push --to {url}` filled), or another history")
    try:  # incremental: a character the 64 bytes cut in two is no reason to call it binary
        codecs.getincrementaldecoder("utf-8")().decode(head)
        what = "a text file that is neither a subunit v1 stream nor a JSON timing file"
    except UnicodeDecodeError:
        what = f"a binary file that is not a subunit stream (it starts with {head[:16]!r})"
    return f"{target}: {what}, so no history; {instead}"


def _check_readable(path: Path, target: str) -> None:
    """Detection reads a few bytes of each candidate and takes what it cannot read for "not this kind": say
    why instead (missing, permission denied, a name too long: not "not a history source").

    :raises HistoryError: when ``path`` does not exist or cannot be opened (a file) or listed (a directory)
    """
    try:
        if stat.S_ISDIR(path.stat().st_mode):
            with os.scandir(path):
                pass
        else:
            with path.open("rb"):
                pass
    except (FileNotFoundError, NotADirectoryError):
        raise HistoryError(
            f"no such file or directory: {redact(target)}; pass {_ACCEPTED} "
            f"(for a repository run `testr init`/`stestr init` and a run first)"
        ) from None
    except PermissionError as error:
        raise HistoryError(f"cannot read {target}: {error.strerror}; check its permissions, or leave it out of "
                           f"the history") from None
    except OSError as error:
        raise HistoryError(f"cannot read {target}: {error.strerror or error}; pass a readable history source, "
                           f"or leave it out") from None


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


def _identity(kind: str | None, request: Request) -> tuple[str | None, str]:
    """What makes two sources the same: the resolved path, or the URL itself."""
    if is_url(request.target):
        return kind, request.target
    try:
        return kind, str(request.path.resolve())
    except OSError:  # a name the system refuses: loading it says why
        return kind, str(request.path)


def load_history(paths: Sequence[str], stdin: IO[bytes] | None = None, newest: int | None = None, *,
                 base: Path | None = None, purpose: Purpose | None = None, strict: bool = False) -> History:
    """Load every history source named in ``paths`` and combine them into one :class:`History`.

    :param paths: paths and URLs, each optionally prefixed ``kind:``; ``-`` (or ``subunit:-``/``json:-``) is stdin
    :param stdin: where ``-`` reads from (default ``sys.stdin.buffer``); it can be read only once
    :param newest: read at most this many of each repository's newest runs (default: all)
    :param base: the directory relative paths are taken from (default: the working directory)
    :param purpose: ``plan`` or ``runs`` (see the module docstring); default ``plan`` when ``newest`` is given,
        else ``runs`` (what the callers that predate the parameter mean)
    :param strict: every source is required, even when planning (shard jobs must agree)
    :returns: runs oldest first across all sources (``order`` renumbered), samples in path order,
        ``times.dbm`` entries merged (later paths win), one source name per source, every warning
    :raises HistoryError: for an unknown prefix, a malformed URL, a missing path, a path of no known kind,
        stdin given twice, or a required source that cannot be read at all (a repository's damaged runs
        and unreadable optional sources only warn)
    """
    chosen: Purpose = purpose if purpose is not None else ("plan" if newest is not None else "runs")
    parts: list[History] = []
    seen: set[tuple[str | None, str]] = set()
    stdin_used = False
    warnings: list[str] = []
    for index, spec in enumerate(paths):
        if "\x00" in spec:
            raise HistoryError(f"{redact(spec)!r}: a history source cannot hold a NUL character; fix the path")
        kind, target = _split(spec)
        if target == STDIN:
            if stdin_used:
                raise HistoryError(f"{spec}: stdin ('-') given more than once; it can be read only once")
            stdin_used = True
            parts.append(_load_stdin(kind, index, stdin))
            continue
        request = Request(target, index, newest, base, chosen, strict)
        identity = _identity(kind, request)
        if identity in seen:
            warnings.append(f"{redact(spec)}: given more than once; read once")
            continue
        seen.add(identity)
        parts.extend(_load_one(kind, request))
    combined = combine(parts)
    if warnings:
        combined = dataclasses.replace(combined, warnings=combined.warnings + tuple(warnings))
    return combined


def load_history_for(cwd: Path, paths: Sequence[str], stdin: IO[bytes] | None = None,
                     newest: int | None = None, *, purpose: Purpose | None = None, strict: bool = False) -> History:
    """Load the given sources (relative paths are taken from ``cwd``), or discover ``.stestr``/``.testrepository``
    in ``cwd`` when none given.

    :param newest: read at most this many of each repository's newest runs (default: all)
    :param purpose: ``plan`` or ``runs``; see :func:`load_history`
    :param strict: every source is required (shard jobs must agree)
    """
    chosen = list(paths) or [Path(found).name for found in discover(cwd)]  # names: taken from cwd below
    if not chosen:
        return History()
    return load_history(chosen, stdin=stdin, newest=newest, base=cwd, purpose=purpose, strict=strict)


def _store_target(spec: str) -> str | None:
    """The store URL ``spec`` names (``store:`` prefix or not), or ``None``."""
    target = spec[len("store:"):] if spec.startswith("store:") else spec
    return target if is_store_url(target) else None


def pin_sources(paths: Sequence[str], base: Path | None = None, strict: bool = True) -> tuple[str, ...]:
    """``paths`` with every unpinned store URL pinned to the store's newest run now (``?upto=N`` added), so
    that reading them again later gives the same history while other jobs push.

    The URLs keep their passwords (they are for reading); show them through
    :func:`~partitioner.history.store.url.redact`. Other sources are returned unchanged: a file or a fixed
    URL is its own pin.

    :param strict: a store that cannot be read is an error (jobs that each plan the split must agree); when
        False it is left unpinned, and the load that follows warns about it (one job writing a plan file)
    :raises HistoryError: for a malformed store URL; when ``strict``, for a store that cannot be read
    """
    from partitioner.history.store import open_store

    pinned: list[str] = []
    for spec in paths:
        target = _store_target(spec)
        if target is None or parse_store_url(target, base).upto is not None:
            pinned.append(spec)
            continue
        try:
            with open_store(target, base) as store:
                head = store.head()
        except HistoryError:
            if strict:
                raise
            pinned.append(spec)
            continue
        joiner = "&" if "?" in spec else "?"
        pinned.append(f"{spec}{joiner}upto={head}")
    return tuple(pinned)


def unpinned_stores(paths: Sequence[str], base: Path | None = None) -> tuple[str, ...]:
    """The store URLs in ``paths`` without ``?upto=N`` (password hidden): jobs reading them at different
    times may plan from different histories.

    :raises HistoryError: for a malformed store URL
    """
    return tuple(redact(spec) for spec in paths
                 if (target := _store_target(spec)) is not None and parse_store_url(target, base).upto is None)
