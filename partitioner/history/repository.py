"""Read a testrepository (``.testrepository/``) or stestr (``.stestr/``) repository, strictly read-only.

A repository is a directory holding a ``format`` file, numbered run streams (``0``, ``1``, ...; stored as
subunit v1 by both tools), and ``times.dbm``: the last-known duration of every test, in a dbm database
(stestr: ``dbm.dumb``, i.e. ``times.dbm.dat``/``.dir``, keys with ``[attrs]`` stripped; testr: the
platform's default dbm, raw ids). Nothing here ever creates, modifies, repairs or deletes a file: streams
are opened for reading and dbm databases with flag ``'r'`` (no lock files, no ``.bak``).

Policy: a missing or non-repository directory raises :class:`~partitioner.errors.HistoryError`; a run
stream that cannot be parsed is skipped with a one-line warning (the other runs still load); a
``times.dbm`` that cannot be read (unknown format such as Berkeley DB, dbm module missing from this Python,
damaged files) gives a warning and an empty mapping, never an error.
"""

from __future__ import annotations

import dbm
import importlib
import math
import re
import struct
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from partitioner.errors import HistoryError
from partitioner.history.cache import load_run
from partitioner.history.model import Run
from partitioner.history.subunit import read_stream_file
from partitioner.testids import canonical

__all__ = [
    "REPOSITORY_DIRS",
    "find_repository",
    "read_repository",
    "read_times_dbm",
    "repository_kind",
]

#: repository kind -> the directory name its tool creates in a project
REPOSITORY_DIRS: Mapping[str, str] = MappingProxyType({"testrepository": ".testrepository", "stestr": ".stestr"})
_RUN_NAME = re.compile(r"^[0-9]+$")
#: suffixes dbm implementations add to a database's base name
_DBM_SUFFIXES = (".dat", ".dir", ".bak", ".pag", ".db")
#: Berkeley DB magic numbers (hash, btree, queue) found at byte 12 of a database file
_BDB_MAGICS = frozenset({0x00061561, 0x00053162, 0x00042253})
_TIMES_FALLBACK = "per-test times will come from the stored run streams only"


def repository_kind(path: Path) -> str | None:
    """The kind of repository ``path`` itself is (``stestr``/``testrepository``), or ``None``.

    A repository directory holds a ``format`` file. Its kind comes from its name (``.stestr`` or
    ``.testrepository``); a renamed copy counts as stestr when its ``times.dbm`` is ``dbm.dumb`` files.
    """
    if not (path / "format").is_file():
        return None
    for kind, dirname in REPOSITORY_DIRS.items():
        if path.name == dirname:
            return kind
    if (path / "times.dbm.dir").exists() and not (path / "times.dbm").exists():
        return "stestr"
    return "testrepository"


def find_repository(path: str | Path, kind: str | None = None) -> tuple[Path, str]:
    """Locate the repository directory ``path`` names: the repository itself or a project containing one.

    :param path: a ``.stestr``/``.testrepository`` directory, or a project directory containing one
    :param kind: ``stestr`` or ``testrepository`` to choose inside a project directory holding both
    :returns: the repository directory and its kind
    :raises HistoryError: when ``path`` is missing, not a directory, or holds no (or an ambiguous) repository
    """
    where = Path(path)
    if not where.exists():
        raise HistoryError(
            f"no such directory: {path}; run `testr init`/`stestr init` and a run first, or pass --history FILE"
        )
    if not where.is_dir():
        raise HistoryError(
            f"{path}: not a directory; pass a .stestr/.testrepository directory or a project directory containing one"
        )
    own = repository_kind(where)
    if own is not None:
        return where, own
    found = [
        (where / dirname, k)
        for k, dirname in REPOSITORY_DIRS.items()
        if (kind is None or k == kind) and repository_kind(where / dirname) is not None
    ]
    if len(found) == 1:
        return found[0]
    if found:
        raise HistoryError(
            f"{path}: holds both .testrepository and .stestr; pass one of them "
            f"(e.g. {where / '.stestr'}) or prefix the path with the kind (stestr:{path})"
        )
    wanted = REPOSITORY_DIRS.get(kind or "", ".stestr/ or .testrepository/")
    raise HistoryError(
        f"{path}: not a stestr/testr repository (no 'format' file and no {wanted} inside); "
        f"run `testr init`/`stestr init` and a run first, or pass --history FILE"
    )


def _numbered_streams(repo: Path) -> list[tuple[int, Path]]:
    """The repository's run files ``(number, path)``, oldest (smallest number) first."""
    runs = [(int(p.name), p) for p in repo.iterdir() if _RUN_NAME.match(p.name) and p.is_file()]
    return sorted(runs)


def read_repository(
    path: str | Path, kind: str | None = None, newest: int | None = None
) -> tuple[tuple[Run, ...], Mapping[str, float], tuple[str, ...]]:
    """Read the stored runs and ``times.dbm`` of a repository, without changing anything in it.

    :param path: a ``.stestr``/``.testrepository`` directory, or a project directory containing one
    :param kind: ``stestr`` or ``testrepository`` to choose inside a project directory holding both
    :param newest: read only this many of the newest runs (default: every run)
    :returns: ``(runs, times, warnings)``: runs oldest first (``run_id`` like ``.stestr/12``, ``order`` the
        run number), ``times.dbm`` durations keyed by canonical id, and one line per problem skipped over
    :raises HistoryError: when ``path`` is not (and holds no) repository
    """
    repo, _ = find_repository(path, kind)
    warnings: list[str] = []
    fmt = _read_format(repo)
    if fmt != "1":
        warnings.append(f"{repo / 'format'}: unexpected repository format {fmt!r} (expected '1'); reading anyway")
    runs: list[Run] = []
    try:
        streams = _numbered_streams(repo)
    except OSError as error:
        raise HistoryError(f"{repo}: cannot list directory ({error.strerror or error}); check permissions") from None
    for number, stream in streams[-newest:] if newest else streams:
        try:
            runs.append(load_run(stream, number, read_stream_file))
        except HistoryError as error:
            warnings.append(f"{error} [run skipped; the other runs still load]")
    if not streams:
        warnings.append(f"{repo}: repository holds no runs yet; run the tests once to record timings")
    times: Mapping[str, float] = MappingProxyType({})
    base = repo / "times.dbm"
    if any(Path(f"{base}{suffix}").exists() for suffix in ("", *_DBM_SUFFIXES)):
        times, dbm_warnings = read_times_dbm(base)
        warnings.extend(dbm_warnings)
    return tuple(runs), times, tuple(warnings)


def _read_format(repo: Path) -> str:
    try:
        return (repo / "format").read_text(encoding="utf8", errors="replace").strip()
    except OSError as error:
        raise HistoryError(f"{repo / 'format'}: cannot read ({error.strerror or error}); check permissions") from None


def _dbm_base(path: Path) -> tuple[Path, str | None]:
    """The base name to open a dbm database by, and ``dbm.whichdb``'s verdict on it.

    Accepts the base name itself or one of the files an implementation makes (``times.dbm.dat`` ...).
    """
    kind = _whichdb(path)
    if kind:
        return path, kind
    for suffix in _DBM_SUFFIXES:
        if path.name.endswith(suffix) and len(path.name) > len(suffix):
            stripped = path.with_name(path.name[: -len(suffix)])
            other = _whichdb(stripped)
            if other:
                return stripped, other
    return path, kind


def _whichdb(path: Path) -> str | None:
    try:
        return dbm.whichdb(str(path))
    except Exception:  # whichdb itself may try to open an ndbm database; treat any failure as unknown
        return ""


def _looks_like_bdb(path: Path) -> bool:
    """Whether ``path`` starts like a Berkeley DB database file (magic at byte 12, either byte order)."""
    try:
        with path.open("rb") as stream:
            head = stream.read(16)
    except OSError:
        return False
    if len(head) < 16:
        return False
    return any(struct.unpack(f"{order}I", head[12:16])[0] in _BDB_MAGICS for order in "<>")


def read_times_dbm(path: str | Path) -> tuple[Mapping[str, float], tuple[str, ...]]:
    """Read a ``times.dbm`` database read-only: test id -> last-known seconds, keyed by canonical id.

    :param path: the database's base name (``.../times.dbm``) or one of its files (``times.dbm.dat``)
    :returns: ``(times, warnings)``; an unreadable database gives an empty mapping and one warning
    """
    given = Path(path)
    base, kind = _dbm_base(given)
    if kind is None:
        return MappingProxyType({}), (f"cannot read {path}: no such dbm database; {_TIMES_FALLBACK}",)
    if not kind:
        what = (
            "Berkeley DB database, which this Python's dbm cannot open"
            if _looks_like_bdb(base)
            else "unknown dbm format"
        )
        return MappingProxyType({}), (f"cannot read {path} ({what}); {_TIMES_FALLBACK}",)
    try:
        module: Any = importlib.import_module(kind)
    except ImportError:
        return MappingProxyType({}), (
            f"cannot read {path} ({kind} database, but {kind} is not available in this Python); {_TIMES_FALLBACK}",
        )
    raw: dict[str, float] = {}
    bad: list[str] = []
    try:
        db = module.open(str(base), "r")
        try:
            # keys(): gdbm objects cannot be iterated directly
            keys = sorted(k.encode("utf8") if isinstance(k, str) else bytes(k) for k in db.keys())  # noqa: SIM118
            for key in keys:
                name = key.decode("utf8", "replace")
                value = _seconds(db[key])
                if value is None:
                    bad.append(name)
                else:
                    raw[name] = value
        finally:
            db.close()
    except Exception as error:  # dbm modules raise their own error types on damaged files
        detail = " ".join(f"{type(error).__name__}: {error}".split())[:160]
        return MappingProxyType({}), (f"cannot read {path} ({kind}: {detail}); {_TIMES_FALLBACK}",)
    warnings: list[str] = []
    if bad:
        warnings.append(
            f"{path}: ignored {len(bad)} entries whose value is not a duration in seconds (e.g. {bad[0]!r})"
        )
    times: dict[str, float] = {}
    for name in sorted(raw):  # deterministic when two raw ids share a canonical id: the later one wins
        times[canonical(name)] = raw[name]
    return MappingProxyType(times), tuple(warnings)


def _seconds(value: object) -> float | None:
    """A stored duration as float seconds, or ``None`` when it is not a finite non-negative number."""
    try:
        text = value.decode("ascii") if isinstance(value, bytes | bytearray) else str(value)
        seconds = float(text)
    except (UnicodeDecodeError, ValueError):
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds
