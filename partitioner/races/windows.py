"""Race windows: each test's *extended window* in a run, indexed for overlap queries; pure.

Every timed test on a worker gets the window from the stop of the test before it on the same worker (the
run's first timestamp for a worker's first test) to its own stop: the first test of a class thereby
carries its class's ``setUpClass`` time. Windows come from the run's worker lanes
(:func:`partitioner.history.samples.worker_lanes`); two windows *overlap* when they are on different
workers and share time.

A window of no length reaches forward to the start of the next test on its worker (to the end of the run
when nothing follows). That is stestr's ``setUpClass (pkg.mod.Class)`` pseudo-test when a class fails in
``setUpClass`` before anything else ran on its worker: it starts and stops at the moment of the failure, so
the window behind it is empty, while whatever held the resource is still holding it just after.

Windows are indexed by test, by class and by worker (a lane's windows sorted by start, with the running
maximum of their stops), so looking up one suspect's windows, or what overlapped a window, never scans
the whole run.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from partitioner.history.model import Run
from partitioner.history.samples import worker_lanes
from partitioner.statuses import FAILING, FINAL, PSEUDO_TESTS
from partitioner.testids import canonical, class_key

Level = Literal["test", "class"]


class Span(NamedTuple):
    """One test's extended window on a worker (a named tuple: a run has one per test, built fast)."""

    start: float
    stop: float
    worker: str
    test: str  # canonical id
    klass: str
    failed: bool

    @property
    def length(self) -> float:
        return self.stop - self.start


@dataclass(frozen=True)
class _Lane:
    """One worker's windows sorted by start, and the running maximum of their stops (for bisecting)."""

    spans: tuple[Span, ...]
    reach: tuple[float, ...]


class Timeline:
    """One run's extended windows, indexed for overlap queries.

    :ivar spans: every window, sorted by (start, stop, worker, test)
    :ivar untimed: records left out for lack of timestamps or a worker tag
    :ivar failed_tests: canonical ids of the failed tests (not ignored)
    :ivar failed_classes: their class keys
    :ivar tests: every timed test (canonical ids); ``classes`` their class keys
    :ivar raw_ids: canonical id -> the id as the run spells it
    """

    def __init__(self, run: Run, ignore: frozenset[str]) -> None:
        self.run = run
        lanes = [(worker, [r for r in lane if r.test_id not in PSEUDO_TESTS])
                 for worker, lane in worker_lanes(run) if worker]  # a tagged run's lanes: the serial "" has none
        # results only: a test still in progress where its stream ends was cut short, not left untimed
        real = sum(1 for r in run.records if r.test_id not in PSEUDO_TESTS and r.status in FINAL)
        self.untimed = real - sum(1 for _, lane in lanes for r in lane if r.status in FINAL)
        first = min((r.start for _, lane in lanes for r in lane if r.start is not None), default=0.0)
        last = max((r.stop for _, lane in lanes for r in lane if r.stop is not None), default=0.0)
        spans: list[Span] = []
        self._lanes: dict[str, _Lane] = {}
        for worker, lane in lanes:
            items: list[tuple[float, float, str, bool]] = []
            for r in lane:
                assert r.start is not None and r.stop is not None  # lanes hold timed records only
                key = canonical(r.test_id)
                items.append((r.start, max(r.start, r.stop), key, r.status in FAILING and key not in ignore))
            items.sort()
            previous = first
            mine: list[Span] = []
            for index, (start, stop, key, failed) in enumerate(items):
                begin = previous if previous <= start else start
                end = stop
                if end <= begin:  # no length: reach forward to the next test on this worker
                    end = next((s for s, *_ in items[index + 1:] if s > begin), max(last, begin))
                mine.append(Span(begin, end, worker, key, class_key(key), failed))
                previous = max(previous, stop)
            mine.sort(key=lambda s: (s.start, s.stop, s.test))
            reach: list[float] = []
            for span in mine:
                reach.append(max(span.stop, reach[-1]) if reach else span.stop)
            self._lanes[worker] = _Lane(tuple(mine), tuple(reach))
            spans.extend(mine)
        spans.sort(key=lambda s: (s.start, s.stop, s.worker, s.test))
        self.spans = spans
        self._by_test: dict[str, list[Span]] = {}
        self._by_class: dict[str, list[Span]] = {}
        for span in spans:
            self._by_test.setdefault(span.test, []).append(span)
            self._by_class.setdefault(span.klass, []).append(span)
        self.failed_tests = frozenset(s.test for s in spans if s.failed)
        self.failed_classes = frozenset(s.klass for s in spans if s.failed)
        self.tests = frozenset(self._by_test)
        self.classes = frozenset(self._by_class)
        self.raw_ids = {canonical(r.test_id): r.test_id for r in run.records}

    def of(self, key: str, level: Level) -> Sequence[Span]:
        """The windows of a test (canonical id) or a class, sorted by start; empty when it did not run."""
        return (self._by_test if level == "test" else self._by_class).get(key, ())

    def has(self, key: str, level: Level) -> bool:
        """Whether the test (or class) ran, timed, in this run."""
        return key in (self._by_test if level == "test" else self._by_class)

    def failed(self, key: str, level: Level) -> bool:
        return key in (self.failed_tests if level == "test" else self.failed_classes)

    def window(self, key: str, level: Level, focus: frozenset[str]) -> list[Span]:
        """The suspect's vulnerable window: where its failures began (on each worker, its first failed span),
        else -- when it passed -- its ``focus`` tests' spans, else all of it.
        """
        mine = self.of(key, level)
        onset: dict[str, Span] = {}
        for span in mine:  # spans are sorted by start
            if span.failed and span.worker not in onset:
                onset[span.worker] = span
        return list(onset.values()) or [s for s in mine if s.test in focus] or list(mine)

    def beside(self, window: Sequence[Span], level: Level) -> dict[str, float]:
        """Units on other workers whose spans overlap ``window``, with the seconds of overlap."""
        found: dict[str, float] = {}
        for mine in window:
            for worker, lane in self._lanes.items():
                if worker == mine.worker:
                    continue
                index = bisect.bisect_right(lane.reach, mine.start)  # every span before it stopped by then
                for other in lane.spans[index:]:
                    if other.start >= mine.stop:
                        break
                    seconds = min(mine.stop, other.stop) - max(mine.start, other.start)
                    if seconds > 0:
                        key = other.test if level == "test" else other.klass
                        found[key] = found.get(key, 0.0) + seconds
        return found
