"""Read a testr/stestr ``times.dbm`` database (last-known duration per test), strictly read-only.

stestr writes ``dbm.dumb`` (``times.dbm.dat``/``.dir``, keys with ``[attrs]`` stripped); testr writes the
platform's default dbm (raw ids). The kind is detected with ``dbm.whichdb`` and the database is opened with
flag ``'r'`` (no lock files, no ``.bak``). A database that cannot be read (an unknown format such as
Berkeley DB, a dbm module missing from this Python, damaged files) gives a warning and an empty mapping,
never an error: per-test times then come from the stored run streams only.
"""

from __future__ import annotations

import dbm
import importlib
import struct
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from partitioner.history.jsonfile import MAX_SECONDS, is_duration
from partitioner.testids import canonical

__all__ = ["DBM_SUFFIXES", "read_times_dbm", "times_dbm_exists"]

#: suffixes dbm implementations add to a database's base name
DBM_SUFFIXES = (".dat", ".dir", ".bak", ".pag", ".db")
#: Berkeley DB magic numbers (hash, btree, queue) found at byte 12 of a database file
_BDB_MAGICS = frozenset({0x00061561, 0x00053162, 0x00042253})
_TIMES_FALLBACK = "per-test times will come from the stored run streams only"


def times_dbm_exists(base: Path) -> bool:
    """Whether a database is stored under ``base`` (``times.dbm`` itself, or the files a dbm adds a suffix to)."""
    return any(Path(f"{base}{suffix}").exists() for suffix in ("", *DBM_SUFFIXES))


def _dbm_base(path: Path) -> tuple[Path, str | None]:
    """The base name to open a dbm database by, and ``dbm.whichdb``'s verdict on it.

    Accepts the base name itself or one of the files an implementation makes (``times.dbm.dat`` ...).
    """
    kind = _whichdb(path)
    if kind:
        return path, kind
    for suffix in DBM_SUFFIXES:
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
                elif value > 0.0:  # exactly 0: a test the tool stored with no run time, not a measurement
                    raw[name] = value
        finally:
            db.close()
    except Exception as error:  # dbm modules raise their own error types on damaged files
        detail = " ".join(f"{type(error).__name__}: {error}".split())[:160]
        return MappingProxyType({}), (f"cannot read {path} ({kind}: {detail}); {_TIMES_FALLBACK}",)
    warnings: list[str] = []
    if bad:
        warnings.append(
            f"{path}: ignored {len(bad)} entries whose value is not a duration from 0 to {MAX_SECONDS:g} seconds "
            f"(e.g. {bad[0]!r})"
        )
    times: dict[str, float] = {}
    for name in sorted(raw):  # deterministic when two raw ids share a canonical id: the later one wins
        times[canonical(name)] = raw[name]
    return MappingProxyType(times), tuple(warnings)


def _seconds(value: object) -> float | None:
    """A stored duration as float seconds, or ``None`` when it is not a number from 0 to ``MAX_SECONDS``."""
    try:
        text = value.decode("ascii") if isinstance(value, bytes | bytearray) else str(value)
        seconds = float(text)
    except (UnicodeDecodeError, ValueError):
        return None
    return seconds if is_duration(seconds) else None
