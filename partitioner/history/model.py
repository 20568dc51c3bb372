"""Frozen values for what history sources yield: test records, runs, and timing samples.

Readers in :mod:`partitioner.history` produce these; the pure estimator and the race diagnosis consume
them. Statuses are spelled as :mod:`partitioner.statuses` defines them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

#: how a plan with no timings balances, by grouping: groups of classes weigh tests and class setups; a split
#: per test (stestr with no ``group_regex``) has no class setup to weigh
BALANCED_BY_CLASS = "balanced by test count and class structure"
BALANCED_PER_TEST = "balanced by test count (split per test)"
#: what a reader warns when a repository holds no runs: the plan then says no more about the missing history
#: (a reader does not know the grouping: a plan split per test says :data:`BALANCED_PER_TEST` instead)
NO_RUNS_YET = f"repository holds no runs yet: {BALANCED_BY_CLASS}; this run records timings"
#: the part of :data:`NO_RUNS_YET` every wording keeps (a plan split per test rewords what follows the colon)
_NO_RUNS_MARK = NO_RUNS_YET.partition(":")[0]


#: what a plan says when it has fewer tests than workers (``--failing`` reruns say it every time): it plans for
#: one worker per test, and nothing is wrong
FEWER_TESTS_MARK = "workers asked for, but there"


def is_note(message: str) -> bool:
    """Whether a history or plan warning is only a note: nothing is wrong on a first run, whose repository holds no
    runs yet (:data:`NO_RUNS_YET` in either wording), nor when there are fewer tests than workers
    (:data:`FEWER_TESTS_MARK`). Printers label it ``note:``; JSON keeps it in ``warnings``."""
    return _NO_RUNS_MARK in message or FEWER_TESTS_MARK in message


def _empty_mapping() -> Mapping[str, tuple[float, ...]]:
    return MappingProxyType({})


@dataclass(frozen=True)
class TestRecord:
    """One test's outcome in one run, as read from a subunit stream.

    :ivar test_id: the id exactly as the stream carries it (``[attrs]`` kept when present)
    :ivar status: subunit status: success, fail, skip, xfail, uxsuccess, exists, inprogress, ...
    :ivar start: epoch seconds of the ``inprogress`` event, ``None`` when the stream has no timestamp
    :ivar stop: epoch seconds of the final status event, ``None`` when unknown
    :ivar worker: the ``worker-N`` tag, ``None`` when the stream carries none
    :ivar tags: every tag on the test
    :ivar reason: for a failure, why in one line: the first line of its ``reason`` (what partitioner's lanes, its
        runner and ``partitioner exec`` write for a test they fail: ``interrupted: ...``, ``not run: ...``), else
        the last line of its traceback (``KeyboardInterrupt``); ``""`` for any other result, or when none is known
    """

    __test__ = False  # not a test case, despite the name

    test_id: str
    status: str
    start: float | None
    stop: float | None
    worker: str | None = None
    tags: frozenset[str] = frozenset()
    reason: str = ""

    @property
    def duration(self) -> float | None:
        """Seconds between start and stop, or ``None`` when either timestamp is missing."""
        if self.start is None or self.stop is None:
            return None
        return max(0.0, self.stop - self.start)


@dataclass(frozen=True)
class Run:
    """One stored run: its records in stream order.

    :ivar run_id: a name that says where the run came from, e.g. ``.stestr/12`` or ``last.subunit``
    :ivar records: the test records in the order the stream reported them
    :ivar order: position of the run among all loaded runs; larger is newer
    """

    run_id: str
    records: tuple[TestRecord, ...]
    order: int = 0

    @property
    def workers(self) -> frozenset[str]:
        """The distinct worker tags seen in this run."""
        return frozenset(r.worker for r in self.records if r.worker is not None)


def is_parallel(run: Run) -> bool:
    """Whether the run used two or more workers (one worker tag or none counts as serial)."""
    return len(run.workers) >= 2


@dataclass(frozen=True)
class Samples:
    """Pre-aggregated timing samples (what a portable JSON timing file holds), oldest first.

    Keys of ``tests`` are canonical ids (see :func:`partitioner.testids.canonical`); keys of ``setup``
    are class keys (see :func:`partitioner.testids.class_key`).
    """

    tests: Mapping[str, tuple[float, ...]] = field(default_factory=_empty_mapping)
    setup: Mapping[str, tuple[float, ...]] = field(default_factory=_empty_mapping)
    startup: tuple[float, ...] = ()


@dataclass(frozen=True)
class History:
    """Everything loaded from every history source, oldest run first.

    :ivar runs: runs read from streams (their records give per-test samples and class-setup gaps)
    :ivar samples: samples read from portable JSON timing files
    :ivar last_times: last-known durations from ``times.dbm`` files, keyed by canonical id; used only for
        tests that no run or sample covers
    :ivar exact_times: last-known durations keyed by the exact ids being planned (what a repository's
        ``get_test_times`` returns); used before ``last_times``
    :ivar sources: a human-readable name for each source that was loaded
    :ivar warnings: one line per source that was skipped or only partly read
    """

    runs: tuple[Run, ...] = ()
    samples: tuple[Samples, ...] = ()
    last_times: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    exact_times: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    sources: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """True when no source contributed any timing."""
        return (not self.runs and not any(s.tests for s in self.samples) and not self.last_times
                and not self.exact_times)
