"""Estimate what each test and each class's setup will cost, from history; pure, no I/O.

Per test: the median of the most recent successful samples (``RECENT`` of them). Failed, skipped and
interrupted samples are left out: a failure often stops early and a skip costs nothing, so neither says
what a passing run costs. The median of a few recent runs ignores one slow outlier (a loaded CI node)
yet follows a test that really got slower within a couple of runs; the mean of the same window does
neither. ``times.dbm`` values (one per test, last run only) are used only for tests no run covers.

Per class (fixed cost): setUpClass/tearDownClass run outside every test's start/stop window. On one
worker, the gap between a test's stop and the next test's start where the class changes is the new
class's setup plus the previous class's teardown; we charge it to the new class (the median of its
recent samples). A class is charged once per group it appears in, so splitting a class costs twice.

Unseen tests get the mean estimate of their class's measured tests, else their module's, else the
suite's; never zero. Unseen classes get their module's mean setup, else the suite's. With no history
at all every test costs 1 and every class 1 (a test-count-and-structure balance), and the model says so.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

from partitioner import testids
from partitioner.grouping import Group
from partitioner.history.model import SUCCESS_STATUSES, History, Run, Samples, TestRecord

#: how many recent successful samples feed a test's or a class's estimate
RECENT = 5
#: cost of a test and of a class setup when there is no history at all (test-count units)
NO_HISTORY_TEST = 1.0
NO_HISTORY_SETUP = 1.0

MEASURED = "measured"
MEASURED_NOT_PASSING = "measured (skip/fail)"
TIMES_DBM = "times.dbm"
FIRST_ON_WORKER = "worker start offset"
SIBLING_CLASS = "class mean"
SIBLING_MODULE = "module mean"
SIBLING_SUITE = "suite mean"
NO_HISTORY = "no history"
#: sources that are real measurements of the thing itself
MEASURED_SOURCES = frozenset({MEASURED, MEASURED_NOT_PASSING, TIMES_DBM, FIRST_ON_WORKER})
#: final statuses whose duration is still what the test costs when it never passes (not interrupted ones)
_OTHER_FINAL = frozenset({"fail", "skip", "uxsuccess"})


class Estimate(NamedTuple):
    """A cost and where it came from (a NamedTuple: one is built per measured test).

    :ivar seconds: the estimate
    :ivar source: one of measured, times.dbm, class mean, module mean, suite mean, no history
    :ivar samples: how many samples the estimate rests on (0 for derived estimates)
    """

    seconds: float
    source: str
    samples: int = 0

    @property
    def measured(self) -> bool:
        return self.source in MEASURED_SOURCES


class GroupCost(NamedTuple):
    """A group's predicted cost, split into its parts (a NamedTuple: one is built per group).

    :ivar key: the group key
    :ivar cost: tests + class setups, seconds
    :ivar setup_s: the class-setup part of ``cost``
    :ivar measured_tests_s: the part of the test cost measured directly (what testr/stestr would see)
    :ivar estimated_s: the part of ``cost`` that was estimated rather than measured
    :ivar n_tests: number of tests
    :ivar n_unmeasured: tests with no measurement of their own
    """

    key: str
    cost: float
    setup_s: float
    measured_tests_s: float
    estimated_s: float
    n_tests: int
    n_unmeasured: int


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def _nothing(_key: str) -> None:
    """The lookup of an empty source."""
    return


def _mean(values: Iterable[float]) -> float:
    """Exact (math.fsum), so the same values in any order give the same mean, bit for bit."""
    items = list(values)
    return math.fsum(items) / len(items) if items else 0.0


def _run_lanes(run: Run) -> list[list[TestRecord]]:
    """A run's timed records split into per-worker lanes, each in start order.

    A run with no worker tags is one lane (a serial run); in a tagged run, untagged records (e.g.
    tempest's ``devstack`` pseudo-test) belong to no lane.
    """
    timed = [r for r in run.records if r.start is not None and r.stop is not None]
    tagged = any(r.worker is not None for r in timed)
    lanes: dict[str, list[TestRecord]] = defaultdict(list)
    for record in timed:
        if tagged and record.worker is None:
            continue
        lanes[record.worker or ""].append(record)
    return [sorted(lane, key=lambda r: (r.start or 0.0, r.test_id)) for _, lane in sorted(lanes.items())]


def setup_gaps(run: Run) -> list[tuple[str, float]]:
    """``(class_key, seconds)`` for every class change on every worker lane of a run.

    Fixture pseudo-tests (``setUpClass (X)``) are skipped; a negative gap (clock skew) is ignored.
    """
    gaps: list[tuple[str, float]] = []
    for lane in _run_lanes(run):
        previous: TestRecord | None = None
        for record in lane:
            if testids.parse(record.test_id).fixture:
                continue
            if previous is not None and (record.status in SUCCESS_STATUSES or record.status in _OTHER_FINAL):
                before, after = testids.class_key(previous.test_id), testids.class_key(record.test_id)
                gap = (record.start or 0.0) - (previous.stop or 0.0)
                if before != after and gap >= 0.0:
                    gaps.append((after, gap))
            previous = record
    return gaps


def first_offsets(run: Run) -> list[tuple[str, float]]:
    """``(class_key, seconds)`` for the first class on each worker lane but the earliest one.

    Nothing runs before a worker's first class, so no gap shows its setup. In a parallel run every
    worker starts at about the same moment, so a lane's first start minus the earliest lane's first
    start is that class's setup less the earliest first class's (a lower estimate, used only for a
    class with no gap sample at all).
    """
    firsts = []
    for lane in _run_lanes(run):
        head = next((r for r in lane if not testids.parse(r.test_id).fixture), None)
        if head is not None and head.start is not None:
            firsts.append((head.start, head.test_id))
    if len(firsts) < 2:
        return []
    earliest = min(start for start, _ in firsts)
    return [(testids.class_key(test_id), start - earliest) for start, test_id in firsts if start > earliest]


def _other_samples(history: History) -> dict[str, list[float]]:
    """Durations of skipped and failed results, by canonical id, oldest first."""
    other: dict[str, list[float]] = defaultdict(list)
    for run in sorted(history.runs, key=lambda r: (r.order, r.run_id)):
        for record in run.records:
            duration = record.duration
            if record.status in _OTHER_FINAL and duration is not None:
                other[testids.canonical(record.test_id)].append(duration)
    return other


def collect_samples(history: History) -> Samples:
    """Every timing sample in a history, oldest first: runs in order, then JSON samples.

    This is what ``partitioner history export`` writes.
    """
    tests: dict[str, list[float]] = defaultdict(list)
    setup: dict[str, list[float]] = defaultdict(list)
    startup: list[float] = []
    for samples in history.samples:
        for key, values in samples.tests.items():
            tests[key].extend(values)
        for key, values in samples.setup.items():
            setup[key].extend(values)
        startup.extend(samples.startup)
    for run in sorted(history.runs, key=lambda r: (r.order, r.run_id)):
        for record in run.records:
            duration = record.duration
            if record.status in SUCCESS_STATUSES and duration is not None:
                tests[testids.canonical(record.test_id)].append(duration)
        for klass, gap in setup_gaps(run):
            setup[klass].append(gap)
    return Samples(MappingProxyType({k: tuple(v) for k, v in sorted(tests.items())}),
                   MappingProxyType({k: tuple(v) for k, v in sorted(setup.items())}),
                   tuple(startup))


#: what a test and a class setup cost when there is no history at all (immutable, so shared safely)
NO_HISTORY_TEST_ESTIMATE = Estimate(NO_HISTORY_TEST, NO_HISTORY)
NO_HISTORY_SETUP_ESTIMATE = Estimate(NO_HISTORY_SETUP, NO_HISTORY)


@dataclass(frozen=True)
class CostModel:
    """Per-test and per-class estimates for one set of test ids.

    :ivar tests: estimates by test id; an id not in it costs ``default_test``
    :ivar setup: estimates by class key; a class not in it costs ``default_setup``
    :ivar startup_s: per-worker start-up seconds (0 when the history cannot show it)
    :ivar has_history: False when no source gave any timing: costs are then in test-count units
    """

    tests: Mapping[str, Estimate]
    setup: Mapping[str, Estimate]
    startup_s: float
    has_history: bool
    default_test: Estimate = NO_HISTORY_TEST_ESTIMATE
    default_setup: Estimate = NO_HISTORY_SETUP_ESTIMATE
    #: class key of each test, when the model computed it (saves parsing every id twice)
    classes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def test(self, test_id: str) -> Estimate:
        """The estimate for one test."""
        return self.tests.get(test_id, self.default_test)

    def class_setup(self, klass: str) -> Estimate:
        """The setup estimate for one class key."""
        return self.setup.get(klass, self.default_setup)

    def group_cost(self, group: Group) -> GroupCost:
        """The cost of running ``group`` on one worker, class setups included once per class."""
        if len(group.tests) == 1:  # the common case with --group-by none: no set, one lookup each
            test_id = group.tests[0]
            e = self.tests.get(test_id, self.default_test)
            s = self.setup.get(self.classes.get(test_id) or testids.class_key(test_id),
                               self.default_setup) if self.setup else self.default_setup
            measured = e.source in MEASURED_SOURCES
            est = (0.0 if measured else e.seconds) + (0.0 if s.source in MEASURED_SOURCES else s.seconds)
            return GroupCost(group.key, e.seconds + s.seconds, s.seconds, e.seconds if measured else 0.0, est, 1,
                             0 if measured else 1)
        tests_s = measured_s = estimated = 0.0
        unmeasured = 0
        classes = set()
        for test_id in group.tests:
            e = self.tests.get(test_id, self.default_test)
            tests_s += e.seconds
            if e.source in MEASURED_SOURCES:
                measured_s += e.seconds
            else:
                estimated += e.seconds
                unmeasured += 1
            classes.add(self.classes.get(test_id) or testids.class_key(test_id))
        setup_s = 0.0
        for klass in classes:
            e = self.setup.get(klass, self.default_setup)
            setup_s += e.seconds
            if e.source not in MEASURED_SOURCES:
                estimated += e.seconds
        return GroupCost(key=group.key, cost=tests_s + setup_s, setup_s=setup_s, measured_tests_s=measured_s,
                         estimated_s=estimated, n_tests=len(group.tests), n_unmeasured=unmeasured)


def _sibling(values_by_key: Mapping[str, list[float]], keys: Sequence[tuple[str, str]],
             suite: Sequence[float]) -> Estimate | None:
    """The mean of the first key's values that exist, else of the whole suite's, else None."""
    for source, key in keys:
        values = values_by_key.get(key)
        if values:
            return Estimate(_mean(values), source)
    if suite:
        return Estimate(_mean(suite), SIBLING_SUITE)
    return None


def build_cost_model(test_ids: Iterable[str], history: History, recent: int = RECENT) -> CostModel:
    """Estimate every test in ``test_ids`` and every class they belong to.

    :param test_ids: the ids to plan (any order, duplicates allowed)
    :param history: everything the sources gave
    :param recent: how many recent successful samples to take the median of
    :returns: the cost model
    """
    if history.empty:
        # every test and class costs the defaults: nothing to look up, even for a million ids
        return CostModel(MappingProxyType({}), MappingProxyType({}), 0.0, False)
    # No sort of the ids: means use math.fsum, which is exact and so independent of input order.
    ids = test_ids if isinstance(test_ids, (set, frozenset)) else set(test_ids)
    samples = collect_samples(history)
    other = _other_samples(history)
    class_key = testids.class_key

    tests: dict[str, Estimate] = {}
    by_class: dict[str, list[float]] = defaultdict(list)
    unseen: list[tuple[str, str]] = []
    class_of: dict[str, str] = {}
    # one bound lookup per source (this loop runs once per id, a million times on big suites)
    sample_get = samples.tests.get if samples.tests else _nothing
    other_get = other.get if other else _nothing
    last_get = history.last_times.get if history.last_times else _nothing
    canonical = testids.canonical
    for test_id in ids:
        klass = class_of[test_id] = class_key(test_id)
        key = canonical(test_id) if "[" in test_id else test_id
        values = sample_get(key)
        if values:
            window = values[-recent:]
            estimate = Estimate(_median(window), MEASURED, len(window))
        elif (failed := other_get(key)) is not None:
            # it never passed: what it does instead (skip at once, time out) is what it costs
            window = tuple(failed[-recent:])
            estimate = Estimate(_median(window), MEASURED_NOT_PASSING, len(window))
        else:
            seconds = last_get(key)
            if seconds is None and key != test_id:
                seconds = last_get(test_id)
            if seconds is None:
                unseen.append((test_id, klass))
                continue
            estimate = Estimate(float(seconds), TIMES_DBM, 1)
        tests[test_id] = estimate
        by_class[klass].append(estimate.seconds)

    # a class's module is its parent (derived from the class, not parsed again from every id)
    by_module: dict[str, list[float]] = defaultdict(list)
    for klass, class_values in by_class.items():
        by_module[testids.parent(klass)].extend(class_values)
    suite = [v for class_values in by_class.values() for v in class_values]
    class_means = {k: Estimate(_mean(v), SIBLING_CLASS) for k, v in by_class.items()}
    module_means = {k: Estimate(_mean(v), SIBLING_MODULE) for k, v in by_module.items()}
    suite_mean = Estimate(_mean(suite), SIBLING_SUITE) if suite else Estimate(NO_HISTORY_TEST, NO_HISTORY)
    for test_id, klass in unseen:
        tests[test_id] = class_means.get(klass) or module_means.get(testids.parent(klass)) or suite_mean

    classes = set(by_class).union(klass for _, klass in unseen)  # a set: tested per stored class below
    setup: dict[str, Estimate] = {}
    setup_by_module: dict[str, list[float]] = defaultdict(list)
    setup_suite: list[float] = []
    for klass, values in samples.setup.items():
        window = values[-recent:]
        seconds = _median(window)
        if klass in classes:
            setup[klass] = Estimate(seconds, MEASURED, len(window))
        setup_by_module[testids.parent(klass)].append(seconds)
        setup_suite.append(seconds)
    firsts: dict[str, list[float]] = defaultdict(list)
    for run in history.runs:
        for klass, offset in first_offsets(run):
            firsts[klass].append(offset)
    for klass in classes:
        if klass in setup or klass not in firsts:
            continue
        window = tuple(firsts[klass][-recent:])
        setup[klass] = Estimate(_median(window), FIRST_ON_WORKER, len(window))
    for klass in classes:
        if klass in setup:
            continue
        module = testids.parent(klass)
        found = _sibling(setup_by_module, [(SIBLING_MODULE, module)], setup_suite)
        setup[klass] = found or Estimate(0.0, SIBLING_SUITE)

    startup = _median(samples.startup[-recent:]) if samples.startup else 0.0
    # plain dicts behind Mapping-typed fields: read-only by type, and a third faster to read than proxies
    return CostModel(tests, setup, startup, True, classes=class_of)
