"""Race windows: each test's *extended window* in a run, indexed for overlap queries; pure.

Every timed test on a worker gets the window from the stop of the test before it on the same worker (the
run's first timestamp for a worker's first test) to its own stop: the first test of a class thereby
carries its class's ``setUpClass`` time. Windows come from the run's worker lanes
(:func:`partitioner.history.samples.worker_lanes`); two windows *overlap* when they are on different
workers and share time.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from partitioner.history.model import Run
from partitioner.history.samples import worker_lanes
from partitioner.statuses import FAILING, PSEUDO_TESTS
from partitioner.testids import canonical, class_key

Level = Literal["test", "class"]


@dataclass(frozen=True)
class Span:
    start: float
    stop: float
    worker: str
    test: str  # canonical id
    klass: str
    failed: bool

    @property
    def length(self) -> float:
        return self.stop - self.start


class Timeline:
    """One run's extended windows, indexed for overlap queries."""

    def __init__(self, run: Run, ignore: frozenset[str]) -> None:
        self.run = run
        lanes = [(worker, [r for r in lane if r.test_id not in PSEUDO_TESTS])
                 for worker, lane in worker_lanes(run) if worker]  # a tagged run's lanes: the serial "" has none
        real = sum(1 for r in run.records if r.test_id not in PSEUDO_TESTS)
        self.untimed = real - sum(len(lane) for _, lane in lanes)
        first = min((r.start for _, lane in lanes for r in lane if r.start is not None), default=0.0)
        spans: list[Span] = []
        for worker, lane in lanes:
            items: list[tuple[float, float, str, bool]] = []
            for r in lane:
                assert r.start is not None and r.stop is not None  # lanes hold timed records only
                failed = r.status in FAILING and canonical(r.test_id) not in ignore
                items.append((r.start, max(r.start, r.stop), r.test_id, failed))
            previous = first
            for start, stop, test_id, failed in sorted(items):
                begin = previous if previous <= start else start
                key = canonical(test_id)
                spans.append(Span(begin, stop, worker, key, class_key(key), failed))
                previous = max(previous, stop)
        spans.sort(key=lambda s: (s.start, s.stop, s.worker, s.test))
        self.spans = spans
        self.starts = [s.start for s in spans]
        self.longest = max((s.length for s in spans), default=0.0)
        self.failed_tests = frozenset(s.test for s in spans if s.failed)
        self.failed_classes = frozenset(s.klass for s in spans if s.failed)
        self.tests = frozenset(s.test for s in spans)
        self.classes = frozenset(s.klass for s in spans)
        self.raw_ids = {canonical(r.test_id): r.test_id for r in run.records}

    def of(self, key: str, level: Level) -> list[Span]:
        return [s for s in self.spans if (s.test if level == "test" else s.klass) == key]

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
        return list(onset.values()) or [s for s in mine if s.test in focus] or mine

    def beside(self, window: Sequence[Span], level: Level) -> dict[str, float]:
        """Units on other workers whose spans overlap ``window``, with the seconds of overlap."""
        found: dict[str, float] = {}
        for mine in window:
            low = bisect.bisect_left(self.starts, mine.start - self.longest)
            high = bisect.bisect_left(self.starts, mine.stop)
            for other in self.spans[low:high]:
                if other.worker == mine.worker:
                    continue
                seconds = min(mine.stop, other.stop) - max(mine.start, other.start)
                if seconds > 0:
                    key = other.test if level == "test" else other.klass
                    found[key] = found.get(key, 0.0) + seconds
        return found

