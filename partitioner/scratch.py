"""A run's scratch directories: made 0700 in the temp directory, marked with their owner, swept once it died.

The dispatcher's socket, a preloader's socket, the runner's id lists and the trials of ``races --confirm`` live in
``partitioner-KIND-XXXXXXXX`` directories that their process removes when it ends. A process killed with SIGKILL
(a CI job's timeout, the OOM killer) cannot, so each directory holds a marker, ``.owner``: the owner's pid and
its pid namespace (``/proc/self/ns/pid``). The next :func:`make` in the same namespace removes every marked
directory whose owner is gone. Nothing else is ever removed: a directory without a marker (one of another user,
another version, a run still writing its marker), one whose owner lives (or whose pid was reused), or one made in
another pid namespace (a container sharing ``/tmp``, where our pids say nothing). Without ``/proc`` (macOS) no
marker is written and nothing is swept. Standard library only: the preloader imports it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator

PREFIX = "partitioner-"
#: the kinds of directory :func:`make` makes, and the only ones :func:`sweep` looks at
KINDS = frozenset({"dispatch", "preload", "run", "confirm", "lent"})
MARKER = ".owner"

_swept = False


def _namespace() -> str | None:
    """Our pid namespace (``pid:[4026531836]``), or ``None`` where the system does not say."""
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, and is another user's
        return True
    return True


def make(kind: str) -> str:
    """A new 0700 ``partitioner-KIND-*`` directory in the temp directory, marked as ours (the first call in a
    process sweeps first)."""
    global _swept
    if kind not in KINDS:
        raise ValueError(f"unknown scratch directory kind {kind!r}")
    if not _swept:
        _swept = True
        sweep()
    where = tempfile.mkdtemp(prefix=f"{PREFIX}{kind}-")
    namespace = _namespace()
    if namespace is not None:
        with contextlib.suppress(OSError), open(os.path.join(where, MARKER), "w", encoding="utf-8") as marker:
            marker.write(f"{os.getpid()} {namespace}\n")
    return where


@contextlib.contextmanager
def directory(kind: str) -> Iterator[str]:
    """:func:`make`'s directory for the ``with`` block, removed after it."""
    where = make(kind)
    try:
        yield where
    finally:
        shutil.rmtree(where, ignore_errors=True)


def sweep(root: str | None = None) -> list[str]:
    """Remove the scratch directories in ``root`` (default: the temp directory) whose owner is gone; returns them."""
    namespace = _namespace()
    if namespace is None:
        return []
    removed: list[str] = []
    try:
        entries = list(os.scandir(root or tempfile.gettempdir()))
    except OSError:
        return removed
    for entry in entries:
        kind = entry.name[len(PREFIX):].rpartition("-")[0] if entry.name.startswith(PREFIX) else ""
        if kind not in KINDS:
            continue
        try:
            with open(os.path.join(entry.path, MARKER), encoding="utf-8") as marker:
                pid, _, owner = marker.read().strip().partition(" ")
            if not entry.is_dir(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
        except (OSError, ValueError):  # no marker (yet), not ours, not readable: leave it
            continue
        if owner == namespace and pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.path)
    return removed
