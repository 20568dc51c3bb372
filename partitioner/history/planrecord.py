"""The plan recorded beside a run: what the runner or the hooks predicted (static) or handed out (dynamic).

testr and stestr own their repositories (we never write into ``.stestr/`` or ``.testrepository/``) and
assign the run number themselves, so a record is keyed by the run's own content (:func:`run_key`): the sha256 of
the line ``first start {us}`` and the sorted, distinct lines ``f"{worker}\\t{test_id}\\n"`` over the run's
*keyed* tests. The first start is the earliest start of those tests, in integer epoch microseconds (as subunit
stores timestamps): the placement alone is the same for every run of a static plan on an unchanged suite, and
such runs shared one record, the newest run's. The writer knows the placement in advance for a static plan
(worker i runs its partition) and at the end of a dynamic run (lane i ran these tests), and the first start
from the events it streams (each test's start as the reader takes a record's, :func:`stamp_us` of its
timestamp); the reader computes the same key from any stored run (:func:`own_key`).

A run whose tests carry no timestamp has no first start: its key is the placement's alone, as every key was
before keys had a first start. :func:`find_record` looks under a run's own key first and, when no record is
there, under its placement-only key: that finds a record written before keys had a first start, and one a
writer wrote that did not know the first start (such a record may be another run's with the same tests on the
same workers: ``partitioner timeline`` checks its file's time against the run's). An old record of a timed run
that a newer run with the same placement replaced is another run's, and is not found any more.

A record says what its predictions are in (``unit``: seconds, or test-count units for a plan made without
timing history). Records written before it said so have no ``unit``: they decode with ``unit=None``, and a
reader infers it as it always did (``partitioner timeline``'s ``planned_blind``).

A test is keyed when its record has a final status and a ``worker-N`` tag, and its id is a real test: not a
pseudo-test a tool invents (testr's ``process-returncode``, python-subunit's ``subunit.parser``) and not a
fixture error unittest reports under ``setUpClass (module.Class)`` and the like. Neither side can know those
in advance, so leaving them out keeps the keys equal.

Records live in ``<cache base>/plans/<key>.json``, the directory family of :mod:`partitioner.history.cache`:
``$PARTITIONER_CACHE_DIR/plans``, else ``$XDG_CACHE_HOME/partitioner/plans``, else
``~/.cache/partitioner/plans``; ``PARTITIONER_CACHE=0`` turns them off. Writes are atomic; every failure is
ignored (a run never fails for its record); at most :data:`MAX_RECORDS` are kept, the oldest removed. A
damaged or foreign file is a miss. Stdlib only.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from partitioner.costmodel import SECONDS, TESTS
from partitioner.history.cachefiles import write_entry
from partitioner.history.model import Run
from partitioner.statuses import FINAL, PSEUDO_TESTS, SUBUNIT_PARSER

#: the shape of a record file; another version is a miss
FORMAT_VERSION = 1
#: record files kept; the oldest go first
MAX_RECORDS = 500
_OFF = frozenset({"0", "no", "off", "false"})
#: ids unittest reports fixture errors under: not tests of the plan
_FIXTURE_ERROR = re.compile(r"^(setUpClass|tearDownClass|setUpModule|tearDownModule) \(")
_NOT_TESTS = PSEUDO_TESTS | {SUBUNIT_PARSER}
#: what a record's predictions may be in (:mod:`partitioner.costmodel`'s units)
UNITS = frozenset({SECONDS, TESTS})

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_MICROSECOND = datetime.timedelta(microseconds=1)

Dispatch = Literal["static", "dynamic"]


@dataclass(frozen=True)
class PlannedGroup:
    """One group as planned (static) or handed out (dynamic).

    :ivar key: the group key (a class by default)
    :ivar tests: its test ids
    :ivar predicted_s: the cost model's figure for it: seconds, or test-count units (the record's ``unit``)
    :ivar start_s: seconds from the run's start: predicted for a static plan, the hand-out time for a
        dynamic run; ``None`` when unknown
    :ivar stop_s: likewise, the predicted end or the time its lane reported it done
    """

    key: str
    tests: tuple[str, ...]
    predicted_s: float
    start_s: float | None = None
    stop_s: float | None = None


@dataclass(frozen=True)
class PlannedLane:
    """One worker's groups, in the order it runs (or ran) them.

    :ivar worker: the ``worker-N`` tag its tests carry in the stored run
    """

    worker: str
    groups: tuple[PlannedGroup, ...]


@dataclass(frozen=True)
class PlanRecord:
    """What was planned for one run.

    :ivar format_version: :data:`FORMAT_VERSION`
    :ivar dispatch: ``static`` (partitions fixed before the run) or ``dynamic`` (a queue, handed out)
    :ivar concurrency: workers (lanes) run at once
    :ivar predicted_makespan_s: the plan's (or the simulated queue's) predicted makespan, if known
    :ivar workers: one lane per worker
    :ivar unit: what the predictions are in: :data:`~partitioner.costmodel.SECONDS`, or
        :data:`~partitioner.costmodel.TESTS` (test-count units) when the plan had no timing history; ``None``
        when the writer did not say (a record written before records said it)
    """

    format_version: int
    dispatch: Dispatch
    concurrency: int
    predicted_makespan_s: float | None
    workers: tuple[PlannedLane, ...]
    unit: str | None = None

    def pairs(self) -> list[tuple[str, str]]:
        """``(worker, test_id)`` for every test of the record (what :func:`run_key` takes)."""
        return [(lane.worker, t) for lane in self.workers for group in lane.groups for t in group.tests]


def keyed(test_id: str) -> bool:
    """Whether ``test_id`` takes part in a run's key (a real test, not a pseudo-test or a fixture error)."""
    return test_id not in _NOT_TESTS and not _FIXTURE_ERROR.match(test_id)


def run_key(pairs: Iterable[tuple[str, str]], first_start: int | None = None) -> str:
    """The key of a run whose tests ran as ``(worker, test_id)``: sha256 of the line ``first start {us}`` (left
    out when ``first_start`` is ``None``) and the sorted distinct lines ``worker\\ttest_id\\n``, over the keyed
    ids (see :func:`keyed`).

    :param first_start: the earliest start of the keyed tests, in epoch microseconds (:func:`stamp_us`)
    """
    lines = sorted({f"{worker}\t{test_id}\n" for worker, test_id in pairs if keyed(test_id)})
    digest = hashlib.sha256()
    if first_start is not None:  # no tab: never one of the pair lines
        digest.update(f"first start {first_start}\n".encode("ascii"))
    for line in lines:
        digest.update(line.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def stamp_us(stamp: datetime.datetime) -> int:
    """A stream timestamp as integer epoch microseconds (a naive one taken as UTC, as the history reader takes it):
    what the writer passes as :func:`run_key`'s ``first_start``."""
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=datetime.timezone.utc)
    return (stamp - _EPOCH) // _MICROSECOND


def _keyed_tests(run: Run) -> list[tuple[str, str, float | None]]:
    """``(worker, test_id, start)`` of the records that take part in a stored run's key: a keyed id
    (:func:`keyed`), a final status and a worker tag."""
    return [(worker, r.test_id, r.start) for r in run.records
            if (worker := r.worker) is not None and r.status in FINAL and keyed(r.test_id)]


def first_start(run: Run) -> int | None:
    """The earliest start of a stored run's keyed tests, in epoch microseconds; ``None`` when none has one: the
    first start in the run's own key (:func:`own_key`).

    A record's ``start`` is :func:`stamp_us`'s figure in seconds, rounded to the nearest float; the float's exact
    value scaled back and rounded is the same integer until the year 2242 (a float's step stays under a
    microsecond), which ``round(start * 1e6)`` is only until 2041. The history store keeps integer microseconds.
    """
    return _earliest(_keyed_tests(run))


def _earliest(tests: list[tuple[str, str, float | None]]) -> int | None:
    starts = [start for _, _, start in tests if start is not None]
    return round(Fraction(min(starts)) * 1_000_000) if starts else None


def own_key(run: Run) -> str:
    """The key a stored run's record is written under: its placement and its first start (:func:`first_start`),
    from one walk over the run's records."""
    tests = _keyed_tests(run)
    return run_key(((worker, test_id) for worker, test_id, _ in tests), _earliest(tests))


def placement_key_of_run(run: Run) -> str:
    """A stored run's placement-only key: what every key was before keys had a first start."""
    return run_key((worker, test_id) for worker, test_id, _ in _keyed_tests(run))


def key_of_run(run: Run) -> str:
    """The key :func:`find_record` reads ``run``'s record under: its own (:func:`own_key`) when a record is stored
    there, else its placement-only key (:func:`placement_key_of_run`; see the module docstring)."""
    own = own_key(run)
    where = plans_dir()
    if where is None or (where / f"{own}.json").is_file():
        return own
    return placement_key_of_run(run)


def plans_dir() -> Path | None:
    """Where records live, or ``None`` when the cache is turned off."""
    if os.environ.get("PARTITIONER_CACHE", "").strip().lower() in _OFF:
        return None
    explicit = os.environ.get("PARTITIONER_CACHE_DIR")
    if explicit:
        return Path(explicit) / "plans"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "partitioner" / "plans"


def _number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 6)


def encode(record: PlanRecord) -> str:
    """The record as JSON text."""
    workers = [{"worker": lane.worker,
                "groups": [{"key": g.key, "tests": list(g.tests), "predicted_s": _number(g.predicted_s) or 0.0,
                            "start_s": _number(g.start_s), "stop_s": _number(g.stop_s)} for g in lane.groups]}
               for lane in record.workers]
    doc: dict[str, Any] = {"format_version": record.format_version, "dispatch": record.dispatch,
                           "concurrency": record.concurrency,
                           "predicted_makespan_s": _number(record.predicted_makespan_s), "workers": workers}
    if record.unit is not None:
        doc["unit"] = record.unit
    return json.dumps(doc, separators=(",", ":"))


def _optional(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"not a number: {value!r}")
    return float(value)


def decode(text: str) -> PlanRecord | None:
    """A record from JSON text; ``None`` when it is damaged, foreign or of another version."""
    try:
        doc = json.loads(text)
        if not isinstance(doc, dict) or doc.get("format_version") != FORMAT_VERSION:
            return None
        dispatch = doc["dispatch"]
        concurrency = doc["concurrency"]
        if dispatch not in ("static", "dynamic") or isinstance(concurrency, bool) or not isinstance(concurrency, int):
            return None
        unit = doc.get("unit")
        if unit is not None and unit not in UNITS:
            return None
        lanes = []
        for lane in doc["workers"]:
            groups = []
            for g in lane["groups"]:
                tests = g["tests"]
                if not isinstance(g["key"], str) or not isinstance(tests, list) or \
                        not all(isinstance(t, str) for t in tests):
                    return None
                groups.append(PlannedGroup(g["key"], tuple(tests), _optional(g["predicted_s"]) or 0.0,
                                           _optional(g.get("start_s")), _optional(g.get("stop_s"))))
            if not isinstance(lane["worker"], str):
                return None
            lanes.append(PlannedLane(lane["worker"], tuple(groups)))
        return PlanRecord(FORMAT_VERSION, dispatch, concurrency, _optional(doc.get("predicted_makespan_s")),
                          tuple(lanes), unit)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def write_record(record: PlanRecord, key: str) -> None:
    """Write ``record`` as ``<plans dir>/<key>.json``, atomically; every failure is ignored."""
    where = plans_dir()
    if where is None or not re.fullmatch(r"[0-9a-f]{64}", key):
        return
    try:
        write_entry(where, where / f"{key}.json", encode(record), MAX_RECORDS)
    except (OSError, ValueError):
        return


def read_record(key: str) -> PlanRecord | None:
    """The record stored under ``key``, or ``None`` (none, unreadable, damaged, foreign)."""
    where = plans_dir()
    if where is None or not re.fullmatch(r"[0-9a-f]{64}", key):
        return None
    try:
        return decode((where / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def find_record(run: Run) -> PlanRecord | None:
    """The record written for ``run`` (under its own key, else under its placement-only key), or ``None``."""
    return read_record(key_of_run(run))
