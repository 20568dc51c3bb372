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
import operator
import statistics
from bisect import bisect_left
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import compress, repeat
from types import MappingProxyType
from typing import NamedTuple, TypeVar, overload

from partitioner import testids
from partitioner.grouping import BUILTIN, Group, GroupTable, group_tests
from partitioner.history.model import SUCCESS_STATUSES, History, Run, Samples, TestRecord

_T = TypeVar("_T")

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


class CostTable(Sequence[GroupCost]):
    """Group costs in columns (one list per :class:`GroupCost` field); ``table[i]`` is a GroupCost.

    Strategies read the columns; a plain sequence of GroupCost values is turned into one by
    :meth:`of`, so a strategy plugin may be handed either.
    """

    __slots__ = ("cost", "estimated_s", "keys", "measured_tests_s", "n_tests", "n_unmeasured", "setup_s")

    def __init__(self, keys: Sequence[str], cost: Sequence[float], setup_s: Sequence[float],
                 measured_tests_s: Sequence[float], estimated_s: Sequence[float], n_tests: Sequence[int],
                 n_unmeasured: Sequence[int]) -> None:
        self.keys = keys
        self.cost = cost
        self.setup_s = setup_s
        self.measured_tests_s = measured_tests_s
        self.estimated_s = estimated_s
        self.n_tests = n_tests
        self.n_unmeasured = n_unmeasured

    @classmethod
    def of(cls, rows: Sequence[GroupCost]) -> CostTable:
        """The columns of ``rows`` (``rows`` itself when it is already a table)."""
        if isinstance(rows, CostTable):
            return rows
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(GroupCost._fields)
        return cls(*(list(c) for c in columns))

    def __len__(self) -> int:
        return len(self.keys)

    @overload
    def __getitem__(self, index: int) -> GroupCost: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[GroupCost, ...]: ...

    def __getitem__(self, index: int | slice) -> GroupCost | tuple[GroupCost, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self.keys))))
        return GroupCost(self.keys[index], self.cost[index], self.setup_s[index], self.measured_tests_s[index],
                         self.estimated_s[index], self.n_tests[index], self.n_unmeasured[index])


class _Estimates(Mapping[str, Estimate]):
    """A read-only ``id -> Estimate`` view of a model's columns (its index is built on first lookup)."""

    def __init__(self, model: CostModel) -> None:
        self._model = model

    def __getitem__(self, test_id: str) -> Estimate:
        m = self._model
        if not m.seconds:
            raise KeyError(test_id)
        i = m.index[test_id]
        at = bisect_left(m.derived, i)
        if at < len(m.derived) and m.derived[at] == i:
            return Estimate(m.seconds[i], m.derived_sources[at], 0)
        return Estimate(m.seconds[i], m.sources[i], m.samples[i])

    def __iter__(self) -> Iterator[str]:
        return iter(self._model.ids if self._model.seconds else ())

    def __len__(self) -> int:
        return len(self._model.ids) if self._model.seconds else 0


@dataclass(frozen=True, eq=False)
class CostModel:
    """Per-test and per-class estimates for one set of test ids, kept in columns.

    :ivar ids: the ids the per-test columns describe (the grouped order of the table the model was built for)
    :ivar seconds: each id's estimate; empty when there is no history (every test costs ``default_test``)
    :ivar sources: where each measured estimate came from (``measured``, ``times.dbm``, ...)
    :ivar samples: how many samples each measured estimate rests on
    :ivar derived: positions (ascending) whose estimate is derived from siblings, not measured; for these
        ``derived_sources`` (aligned with ``derived``) says which mean, and ``sources``/``samples`` do not apply
    :ivar setup: estimates by class key; a class not in it costs ``default_setup``
    :ivar startup_s: per-worker start-up seconds (0 when the history cannot show it)
    :ivar has_history: False when no source gave any timing: costs are then in test-count units
    """

    ids: Sequence[str]
    seconds: Sequence[float]
    sources: Sequence[str]
    samples: Sequence[int]
    setup: Mapping[str, Estimate]
    startup_s: float
    has_history: bool
    default_test: Estimate = NO_HISTORY_TEST_ESTIMATE
    default_setup: Estimate = NO_HISTORY_SETUP_ESTIMATE
    derived: Sequence[int] = ()
    derived_sources: Sequence[str] = ()

    @cached_property
    def index(self) -> dict[str, int]:
        """Position of each id in the columns (built on first use: the planning path never needs it)."""
        return {t: i for i, t in enumerate(self.ids)}

    @cached_property
    def tests(self) -> Mapping[str, Estimate]:
        """Estimates by test id (a view over the columns)."""
        return _Estimates(self)

    def test(self, test_id: str) -> Estimate:
        """The estimate for one test."""
        return self.tests.get(test_id, self.default_test)

    def class_setup(self, klass: str) -> Estimate:
        """The setup estimate for one class key."""
        return self.setup.get(klass, self.default_setup)

    def group_cost(self, group: Group) -> GroupCost:
        """The cost of running ``group`` on one worker, class setups included once per class."""
        return self.group_costs(GroupTable.from_groups([group]))[0]

    def _columns_for(self, table: GroupTable) -> tuple[Sequence[float], Sequence[int]]:
        """Seconds aligned with ``table.tests``, and the positions there whose estimate is not measured."""
        if table.tests is self.ids:
            return self.seconds, self.derived
        positions = list(map(self.index.get, table.tests))
        default = self.default_test.seconds
        seconds = [default if i is None else self.seconds[i] for i in positions]
        derived = set(self.derived)
        return seconds, [k for k, i in enumerate(positions) if i is None or i in derived]

    def group_costs(self, table: GroupTable) -> CostTable:
        """Every group's cost (tests + each class's setup once), in the table's order."""
        keys, bounds = table.keys, table.bounds
        n_groups = len(keys)
        sizes = table.sizes()
        if not self.seconds or not self.has_history:
            t, s = self.default_test, self.default_setup
            classes = table.class_counts()
            if s.source in MEASURED_SOURCES:  # pragma: no cover - the defaults are never measured
                raise AssertionError("default setup estimate must not be a measurement")
            if table.singletons:  # one test and one class per group: constant columns
                setup, tests = [s.seconds] * n_groups, [t.seconds] * n_groups
            else:
                setup = [c * s.seconds for c in classes]
                tests = [k * t.seconds for k in sizes]
            cost = list(map(operator.add, tests, setup))
            return CostTable(keys, cost, setup, [0.0] * n_groups, cost, sizes, sizes)
        seconds, derived = self._columns_for(table)
        if table.singletons:
            tests_s = list(seconds)
        else:
            tests_s = [sum(seconds[bounds[g]:bounds[g + 1]]) for g in range(n_groups)]
        unmeasured = [0] * n_groups
        derived_s = [0.0] * n_groups
        if derived:
            cut = [bisect_left(derived, b) for b in bounds]
            get = seconds.__getitem__
            for g in range(n_groups):
                if cut[g + 1] > cut[g]:
                    unmeasured[g] = cut[g + 1] - cut[g]
                    derived_s[g] = math.fsum(map(get, derived[cut[g]:cut[g + 1]]))
        setup_get, default_setup = self.setup.get, self.default_setup
        if not self.setup:  # every class costs the default: only the class counts matter
            setup_s = [c * default_setup.seconds for c in table.class_counts()]
            setup_est = [0.0] * n_groups if default_setup.source in MEASURED_SOURCES else setup_s
        elif table.singletons or table.one_class:
            setups = [setup_get(c, default_setup) for c in table.first_classes()]
            setup_s = [e.seconds for e in setups]
            setup_est = [0.0 if e.source in MEASURED_SOURCES else e.seconds for e in setups]
        else:
            setup_s, setup_est = [], []
            for group_classes in table.group_classes():
                found = [setup_get(c, default_setup) for c in group_classes]
                setup_s.append(math.fsum(e.seconds for e in found))
                setup_est.append(math.fsum(e.seconds for e in found if e.source not in MEASURED_SOURCES))
        cost = list(map(operator.add, tests_s, setup_s))
        measured = list(map(operator.sub, tests_s, derived_s))
        estimated = list(map(operator.add, derived_s, setup_est))
        return CostTable(keys, cost, setup_s, measured, estimated, sizes, unmeasured)


def _windows(samples: Mapping[str, Sequence[float]], recent: int, source: str) -> dict[str, tuple[float, str, int]]:
    """``key -> (median of the recent window, source, window size)`` for every key with samples."""
    out: dict[str, tuple[float, str, int]] = {}
    for key, values in samples.items():
        if values:
            window = values[-recent:]
            out[key] = (_median(window), source, len(window))
    return out


def build_cost_model(test_ids: Iterable[str] | GroupTable, history: History, recent: int = RECENT) -> CostModel:
    """Estimate every test in ``test_ids`` and every class they belong to.

    :param test_ids: the ids to plan (any order, duplicates allowed), or the :class:`GroupTable` they
        were grouped into (the model's columns then follow its order, which saves a lookup per test)
    :param history: everything the sources gave
    :param recent: how many recent successful samples to take the median of
    :returns: the cost model
    """
    table = test_ids if isinstance(test_ids, GroupTable) else group_tests(test_ids, BUILTIN["class"])
    ids = table.tests
    if history.empty:
        # every test and class costs the defaults: nothing to look up, even for a million ids
        return CostModel(ids, (), (), (), {}, 0.0, False)
    n = len(ids)
    samples = collect_samples(history)
    known = _windows(samples.tests, recent, MEASURED)
    for key, found in _windows(_other_samples(history), recent, MEASURED_NOT_PASSING).items():
        known.setdefault(key, found)  # a test that ever passed is priced by its passing samples
    # one column entry per id, from the first source that knows it: passing samples, skip/fail samples
    # (both by canonical id), durations for the exact id (get_test_times), times.dbm (canonical id).
    # _ABSENT (a private 0.0 object, so sums need no filtering) marks an id no source knows yet.
    seconds: list[float]
    sources: Sequence[str]
    counts: Sequence[int]
    missing: list[int]
    canon: list[str] | None = None
    if known:
        canonical = testids.canonical
        canon = [canonical(t) if "[" in t else t for t in ids]
        hits = list(map(known.get, canon))
        missing = list(compress(range(n), map(operator.is_, hits, repeat(None))))
        seconds = [h[0] if h else _ABSENT for h in hits]
        sources = [h[1] if h else SIBLING_SUITE for h in hits]
        counts = [h[2] if h else 0 for h in hits]
        del hits
        if history.exact_times and missing:
            missing = _fill(history.exact_times, [ids[i] for i in missing], missing, seconds, sources, counts)
    elif history.exact_times:  # nothing else knows any id: take the whole column in one pass
        seconds = list(map(history.exact_times.get, ids, repeat(_ABSENT)))
        sources, counts = _Same(TIMES_DBM, n), _Same(1, n)
        missing = list(compress(range(n), map(operator.is_, seconds, repeat(_ABSENT))))
    else:
        seconds, sources, counts, missing = [_ABSENT] * n, _Same(TIMES_DBM, n), _Same(1, n), list(range(n))
    if history.last_times and missing:
        keys = [canon[i] for i in missing] if canon is not None else \
            [testids.canonical(ids[i]) if "[" in ids[i] else ids[i] for i in missing]
        missing = _fill(history.last_times, keys, missing, seconds, sources, counts)

    # sibling means: by class (over the table's class runs, which depend on the set of ids and the
    # grouping, never on the input order), then module, then suite
    runs = table.class_runs
    class_sum: dict[str, list[float]] = defaultdict(list)
    class_count: dict[str, int] = defaultdict(int)
    gaps: list[tuple[int, int, int]] = []  # (run, first, end) slices of ``missing`` inside each run
    for r, (klass, lo, hi) in enumerate(runs):
        known_here = hi - lo
        if missing:
            first, end = bisect_left(missing, lo), bisect_left(missing, hi)
            if end > first:
                gaps.append((r, first, end))
                known_here -= end - first
        if known_here:
            class_sum[klass].append(sum(seconds[lo:hi]))  # _ABSENT adds nothing
            class_count[klass] += known_here
    derived_sources: list[str] = []
    if missing:
        measured = n - len(missing)
        suite_mean = Estimate(sum(seconds) / measured, SIBLING_SUITE) if measured \
            else Estimate(NO_HISTORY_TEST, NO_HISTORY)
        module_means: dict[str, Estimate] | None = None  # built only when a class has no measured test
        means: dict[str, Estimate] = {}
        for r, first, end in gaps:
            klass = runs[r][0]
            e = means.get(klass)
            if e is None:
                if klass in class_sum:
                    e = Estimate(sum(class_sum[klass]) / class_count[klass], SIBLING_CLASS)
                else:
                    if module_means is None:
                        module_means = _module_means(class_sum, class_count)
                    e = module_means.get(testids.parent(klass), suite_mean)
                means[klass] = e
            where = missing[first:end]
            k = end - first
            # scatter in C: setitem mapped over the positions
            deque(map(seconds.__setitem__, where, repeat(e.seconds, k)), maxlen=0)
            derived_sources.extend(repeat(e.source, k))

    setup: dict[str, Estimate] = {}
    setup_by_module: dict[str, list[float]] = defaultdict(list)
    setup_suite: list[float] = []
    firsts: dict[str, list[float]] = defaultdict(list)
    for run in history.runs:
        for klass, offset in first_offsets(run):
            firsts[klass].append(offset)
    default_setup = Estimate(0.0, SIBLING_SUITE)
    if samples.setup or firsts:
        classes = {klass for klass, _, _ in runs}
        for klass, values in samples.setup.items():
            window = values[-recent:]
            median = _median(window)
            if klass in classes:
                setup[klass] = Estimate(median, MEASURED, len(window))
            setup_by_module[testids.parent(klass)].append(median)
            setup_suite.append(median)
        for klass in classes:
            if klass in setup or klass not in firsts:
                continue
            window = tuple(firsts[klass][-recent:])
            setup[klass] = Estimate(_median(window), FIRST_ON_WORKER, len(window))
        if setup_suite:
            default_setup = Estimate(_mean(setup_suite), SIBLING_SUITE)
        module_setup = {m: Estimate(_mean(v), SIBLING_MODULE) for m, v in setup_by_module.items()}
        for klass in classes:
            if klass not in setup:
                module_estimate = module_setup.get(testids.parent(klass))
                if module_estimate is not None:
                    setup[klass] = module_estimate
    # any other class costs default_setup: the suite's mean setup, or 0 when no setup was ever seen

    startup = _median(samples.startup[-recent:]) if samples.startup else 0.0
    return CostModel(ids, seconds, sources, counts, setup, startup, True, default_setup=default_setup,
                     derived=missing,
                     derived_sources=derived_sources)


def _module_means(class_sum: Mapping[str, list[float]], class_count: Mapping[str, int]) -> dict[str, Estimate]:
    """The mean measured test of each module, from its classes' sums and counts."""
    sums: dict[str, list[float]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for klass, parts in class_sum.items():
        module = testids.parent(klass)
        sums[module].extend(parts)
        counts[module] += class_count[klass]
    return {m: Estimate(math.fsum(v) / counts[m], SIBLING_MODULE) for m, v in sums.items()}


#: marks a missing estimate in the seconds column while it is built: a 0.0 no mapping can hold
_ABSENT = float("0")


class _Same(Sequence[_T]):
    """``n`` times the same value, without a list of them."""

    __slots__ = ("_n", "_value")

    def __init__(self, value: _T, n: int) -> None:
        self._value, self._n = value, n

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, index: int) -> _T: ...

    @overload
    def __getitem__(self, index: slice) -> list[_T]: ...

    def __getitem__(self, index: int | slice) -> _T | list[_T]:
        if isinstance(index, slice):
            return [self._value] * len(range(*index.indices(self._n)))
        if not -self._n <= index < self._n:
            raise IndexError(index)
        return self._value


def _fill(times: Mapping[str, float], keys: Sequence[str], positions: list[int], seconds: list[float],
          sources: Sequence[str], counts: Sequence[int]) -> list[int]:
    """Fill ``positions`` (looked up under ``keys``) from a last-known-duration map; the rest stay missing."""
    still: list[int] = []
    writable = isinstance(sources, list) and isinstance(counts, list)
    for i, value in zip(positions, map(times.get, keys), strict=True):
        if value is None:
            still.append(i)
        else:
            seconds[i] = float(value)
            if writable:
                sources[i], counts[i] = TIMES_DBM, 1  # type: ignore[index]  # lists, checked above
    return still
