"""The files of a cache directory (parsed runs, digests, plan records): written atomically, pruned to the newest.

Every entry is ``<dir>/<name>.json``, written as a ``.tmp-*.json`` file in the same directory and renamed into
place, so a reader sees a whole entry or none. After each write the directory keeps only its ``keep`` most
recently written entries. Callers decide what a failure means (the caches ignore it). Stdlib only.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

#: the prefix of an entry being written; never counted, never read
TEMPORARY_PREFIX = ".tmp-"


def write_entry(where: Path, entry: Path, text: str, keep: int) -> None:
    """Write ``text`` to ``entry`` (a file in ``where``) atomically, then prune ``where`` to ``keep`` entries.

    :raises OSError: when the directory or the file cannot be written (a partial file is removed)
    """
    where.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=where, prefix=TEMPORARY_PREFIX, suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, entry)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    prune(where, keep)


def prune(where: Path, keep: int) -> None:
    """Remove all but the ``keep`` most recently written ``*.json`` entries of ``where``.

    :raises OSError: when ``where`` cannot be listed or an old entry cannot be removed
    """
    entries = [p for p in where.iterdir() if p.suffix == ".json" and not p.name.startswith(TEMPORARY_PREFIX)]
    if len(entries) <= keep:
        return

    def written(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    for old in sorted(entries, key=written)[: len(entries) - keep]:
        old.unlink(missing_ok=True)
