"""A cache of parsed repository runs, outside the repository, so planning does not re-parse every stream.

python-subunit parses a stored run at 50-250 us per test (more with attachments), so a tempest repository
of ten 1,500-test runs costs seconds on every ``stestr run`` through the hook. A stored run never changes
after testr/stestr write it, so its parsed records are kept, keyed by the stream's absolute path, size and
modification time: any change to the file is a miss and the stream is parsed again.

Where: ``$PARTITIONER_CACHE_DIR``, else ``$XDG_CACHE_HOME/partitioner/runs``, else
``~/.cache/partitioner/runs``. ``PARTITIONER_CACHE=0`` turns it off. Nothing is ever written into a
``.testrepository/`` or ``.stestr/``. The cache is disposable: an unreadable, damaged or foreign entry is
a miss, a failed write is ignored (planning never fails because of the cache), and at most ``MAX_ENTRIES``
files are kept (the least recently written go first).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable
from pathlib import Path

from partitioner.history.cachefiles import write_entry
from partitioner.history.model import Run, TestRecord

#: bump when the stored shape of a run changes: entries of another version are misses
VERSION = 2
#: entries kept; older ones are removed when a new one is written
MAX_ENTRIES = 2000
_OFF = frozenset({"0", "no", "off", "false"})


def cache_dir() -> Path | None:
    """Where parsed runs are kept, or ``None`` when the cache is turned off."""
    if os.environ.get("PARTITIONER_CACHE", "").strip().lower() in _OFF:
        return None
    explicit = os.environ.get("PARTITIONER_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "partitioner" / "runs"


def _key(stream: Path) -> str | None:
    try:
        stat = stream.stat()
        where = stream.resolve()
    except OSError:
        return None
    text = f"{VERSION}\0{where}\0{stat.st_size}\0{stat.st_mtime_ns}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _encode(run: Run) -> str:
    records = [[r.test_id, r.status, r.start, r.stop, r.worker, sorted(r.tags), r.reason] for r in run.records]
    return json.dumps({"version": VERSION, "records": records}, separators=(",", ":"))


def _decode(text: str, run_id: str, order: int) -> Run | None:
    """The run an entry holds, or ``None`` when it is not exactly what :func:`_encode` writes (any other JSON,
    of any shape, is a miss: the stream is parsed again)."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(doc, dict) or doc.get("version") != VERSION or not isinstance(doc.get("records"), list):
        return None
    records = []
    for item in doc["records"]:
        if not (isinstance(item, list) and len(item) == 7):
            return None
        test_id, status, start, stop, worker, tags, reason = item
        if not (isinstance(test_id, str) and isinstance(status, str) and _stamp(start) and _stamp(stop)
                and (worker is None or isinstance(worker, str))
                and isinstance(tags, list) and all(isinstance(tag, str) for tag in tags) and isinstance(reason, str)):
            return None
        records.append(TestRecord(test_id, status, start, stop, worker, frozenset(tags), reason))
    return Run(run_id, tuple(records), order)


def _stamp(value: object) -> bool:
    """Whether ``value`` is what a record's start or stop may be: ``None`` or a finite number (no bool)."""
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value))


def load_run(stream: Path, order: int, read: Callable[[Path, int], Run]) -> Run:
    """The run stored in ``stream``: from the cache when it holds this exact file, else ``read(stream, order)``.

    :param stream: a stored run file of a repository (never written to)
    :param read: the parser, e.g. :func:`partitioner.history.subunit.read_stream_file`; its errors pass through
    """
    where = cache_dir()
    key = _key(stream) if where is not None else None
    if where is None or key is None:
        return read(stream, order)
    entry = where / f"{key}.json"
    try:
        cached = _decode(entry.read_text(encoding="utf-8"), str(stream), order)
    except (OSError, UnicodeDecodeError):
        cached = None
    if cached is not None:
        return cached
    run = read(stream, order)
    store_entry(where, entry, _encode(run))
    return run


def store_entry(where: Path, entry: Path, text: str) -> None:
    """Write ``entry`` atomically (a temporary file renamed into place); any failure is ignored."""
    try:
        write_entry(where, entry, text, MAX_ENTRIES)
    except OSError:
        return
