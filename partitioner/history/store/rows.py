"""What a run becomes in the store, and back: result rows, planning samples, the content key; pure.

Timestamps are kept as integer microseconds (what subunit carries): a record read from a stream comes
back with bit-identical floats, since python-subunit's epoch seconds are themselves microseconds / 10**6.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from partitioner.history.jsonfile import dumps_samples
from partitioner.history.model import Run, Samples, TestRecord
from partitioner.history.samples import first_offsets, setup_gaps
from partitioner.statuses import PASSING
from partitioner.testids import canonical

__all__ = [
    "OTHER_STATUSES",
    "EncodedRun",
    "ResultRow",
    "SampleRow",
    "decode_record",
    "encode_run",
    "encode_samples",
    "from_us",
    "to_us",
]

#: final statuses whose durations price a test that never passed (as ``estimate`` does)
OTHER_STATUSES = frozenset({"fail", "skip", "uxsuccess"})
#: sample kinds, in the order a read returns them
KINDS = ("test", "other", "setup", "first", "startup")
#: the key of start-up samples
STARTUP_KEY = ""


def to_us(seconds: float) -> int:
    """Epoch (or relative) seconds as integer microseconds."""
    return round(seconds * 1_000_000)


def from_us(micros: int) -> float:
    """Integer microseconds as seconds (the inverse of :func:`to_us` for microsecond timestamps)."""
    return micros / 1_000_000


@dataclass(frozen=True)
class ResultRow:
    """One test result as stored: ``start_us``/``stop_us`` are offsets from the run's ``t0_us``."""

    seq: int
    test_id: str
    status: str
    start_us: int | None
    stop_us: int | None
    worker: str | None
    tags: str | None


@dataclass(frozen=True)
class SampleRow:
    """One planning sample: ``kind`` is one of :data:`KINDS`; ``key`` a canonical id or class key."""

    seq: int
    kind: str
    key: str
    seconds: float


@dataclass(frozen=True)
class EncodedRun:
    """A run ready to store.

    :ivar content_key: sha256 of (test id, status, start, stop, worker) of every result, sorted
    :ivar t0_us: the earliest timestamp (``None`` for an untimed run)
    :ivar concurrency: distinct worker tags (``None`` when there are none)
    """

    content_key: str
    t0_us: int | None
    concurrency: int | None
    results: tuple[ResultRow, ...]
    samples: tuple[SampleRow, ...]

    def names(self) -> set[str]:
        """Every string the rows refer to."""
        return {r.test_id for r in self.results} | {s.key for s in self.samples}


def _stamps(records: Iterable[TestRecord]) -> Iterator[float]:
    for record in records:
        if record.start is not None:
            yield record.start
        if record.stop is not None:
            yield record.stop


def _samples(run: Run) -> list[SampleRow]:
    rows: list[SampleRow] = []
    for record in run.records:
        duration = record.duration
        if duration is None:
            continue
        if record.status in PASSING:
            rows.append(SampleRow(len(rows), "test", canonical(record.test_id), duration))
        elif record.status in OTHER_STATUSES:
            rows.append(SampleRow(len(rows), "other", canonical(record.test_id), duration))
    for klass, gap in setup_gaps(run):
        rows.append(SampleRow(len(rows), "setup", klass, gap))
    for klass, offset in first_offsets(run):
        rows.append(SampleRow(len(rows), "first", klass, offset))
    return rows


def _extra_tags(record: TestRecord) -> str | None:
    extra = sorted(record.tags - {record.worker} if record.worker else record.tags)
    return " ".join(extra) if extra else None


def encode_run(run: Run) -> EncodedRun:
    """The rows of ``run`` and its content key."""
    stamps = list(_stamps(run.records))
    t0 = to_us(min(stamps)) if stamps else None
    base = t0 or 0
    results: list[ResultRow] = []
    keyed: list[tuple[str, str, int | None, int | None, str | None]] = []
    for seq, record in enumerate(run.records):
        start = to_us(record.start) if record.start is not None else None
        stop = to_us(record.stop) if record.stop is not None else None
        keyed.append((record.test_id, record.status, start, stop, record.worker))
        results.append(ResultRow(seq, record.test_id, record.status,
                                 None if start is None else start - base, None if stop is None else stop - base,
                                 record.worker, _extra_tags(record)))
    keyed.sort(key=lambda k: (k[0], k[1], k[2] or 0, k[3] or 0, k[4] or ""))
    digest = hashlib.sha256(b"partitioner-run-1\n")
    for item in keyed:
        digest.update(json.dumps(item, separators=(",", ":")).encode("utf8", "surrogateescape"))
        digest.update(b"\n")
    workers = run.workers
    return EncodedRun(digest.hexdigest(), t0, len(workers) or None, tuple(results), tuple(_samples(run)))


def encode_samples(samples: Samples) -> EncodedRun:
    """The rows of a JSON timing file's samples (no results) and its content key."""
    rows: list[SampleRow] = []
    for kind, series in (("test", samples.tests), ("setup", samples.setup)):
        for key in sorted(series):
            rows.extend(SampleRow(len(rows), kind, key, value) for value in series[key])
    rows.extend(SampleRow(len(rows), "startup", STARTUP_KEY, value) for value in samples.startup)
    digest = hashlib.sha256(b"partitioner-samples-1\n")
    digest.update(dumps_samples(samples).encode("utf8", "surrogateescape"))
    return EncodedRun(digest.hexdigest(), None, None, (), tuple(rows))


def decode_record(test_id: str, status: str, start_us: int | None, stop_us: int | None, worker: str | None,
                  tags: str | None, t0_us: int | None) -> TestRecord:
    """A stored result as the :class:`TestRecord` it was read from."""
    base = t0_us or 0
    tag_set = set(tags.split(" ")) if tags else set()
    if worker:
        tag_set.add(worker)
    return TestRecord(test_id, status,
                      None if start_us is None else from_us(base + start_us),
                      None if stop_us is None else from_us(base + stop_us),
                      worker, frozenset(tag_set))


def group_series(rows: Iterable[Sequence[Any]]) -> dict[str, dict[str, list[float]]]:
    """``(kind, key, seconds, ...)`` rows (ordered oldest first within a key) -> ``{kind: {key: [seconds]}}``."""
    out: dict[str, dict[str, list[float]]] = {kind: {} for kind in KINDS}
    for row in rows:
        out[row[0]].setdefault(row[1], []).append(row[2])
    return out
