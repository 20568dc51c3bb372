"""How each test fared across stored runs, and over time windows: failures in parallel and in serial runs; pure.

``partitioner history summary`` shows it; a test failing only in parallel is the signature of a race
(:mod:`partitioner.races` then says what ran beside it), or of an order dependence: a test that fails after
certain other tests ran in the same process (:mod:`partitioner.races.order` says what ran before it).

**What ran before.** testr and stestr start one test process per worker, and partitioner's lanes keep one
per lane (unless it crashed), so what ran before a test on its worker ran before it in its process.
:class:`Lanes` cuts each worker's tests (in start order) into *stretches*, a class's consecutive tests;
:attr:`TestSummary.before` says, for a test failing only in parallel, what ran before it (its class's stretch on the
worker that ran it: split per test, a class's tests run on several) in the newest parallel run it failed in, and
which of those classes never ran before it where it passed.

**Broken runs.** A run in which (nearly) every class failed -- :data:`BROKEN_SHARE` of its classes, at least
:data:`BROKEN_MIN_CLASSES` of them -- tells nothing about races: something broke the whole run (no cloud
configured, bad credentials, a service down). :func:`broken_run` names such runs; the summary counts them
apart and leaves them out of every test's counts, so they never make a test look "parallel only".

**Failures in every run.** A test that failed in every run that ran it, whatever ran beside it, is no race but an
ordinary failure (an environment, a bug): ``partitioner races`` leaves such tests out by its rule
(:func:`partitioner.races.always_failing`, which the caller passes in as ``deterministic``), and so does the
summary: such a test is :attr:`TestSummary.every_run`, never :attr:`~TestSummary.only_parallel`, and a run that
failed in it failed for no race.

**The cost of the races.** Of the parallel runs, those in which a test failed that never fails serially
(:attr:`Summary.race_failed`), and those in which *only* such tests failed (:attr:`Summary.race_only`): the
latter would have passed but for the races, so ``race_only / parallel`` estimates how often a parallel run
fails because of them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from partitioner.history.model import Run, is_parallel
from partitioner.history.samples import short_name, worker_lanes
from partitioner.statuses import FAILING, FINAL, PASSING, PSEUDO_TESTS
from partitioner.testids import canonical, class_key, parse

#: a run in which at least this share of its classes failed is broken (no race: something broke it all) ...
BROKEN_SHARE = 0.8
#: ... when that is at least this many classes (two failed classes of three can still be races)
BROKEN_MIN_CLASSES = 3


def broken_run(run: Run) -> tuple[int, int] | None:
    """``(failed classes, classes)`` when (nearly) every class of ``run`` failed, else ``None``.

    testr's ``process-returncode`` pseudo-test does not count.
    """
    classes: set[str] = set()
    failed: set[str] = set()
    for record in run.records:
        if record.test_id in PSEUDO_TESTS:
            continue
        key = class_key(canonical(record.test_id))
        classes.add(key)
        if record.status in FAILING:
            failed.add(key)
    if len(failed) >= BROKEN_MIN_CLASSES and len(failed) >= BROKEN_SHARE * len(classes):
        return len(failed), len(classes)
    return None


def run_name(run: Run) -> str:
    """A run's short name: its number in a repository (``.stestr/12`` -> ``12``), else its file name."""
    return short_name(run.run_id)


def run_time(run: Run) -> float | None:
    """When a run began (its first timestamp, epoch seconds), or ``None`` for a run without timestamps."""
    return min((r.start for r in run.records if r.start is not None), default=None)


@dataclass(frozen=True)
class Stretch:
    """One class's consecutive tests on a worker lane: what a replay of the lane runs as one group.

    :ivar klass: the class key
    :ivar tests: canonical ids of its tests that ran there, in order (none when only a fixture record, such as
        a failed ``setUpClass (pkg.mod.Class)``, ran)
    :ivar failed: canonical ids of those that failed (a failed fixture record counts as the class's: ``klass``)
    :ivar start: epoch seconds its first record started
    :ivar seconds: its share of the lane: from the stop of the record before it (its own start for a lane's
        first) to its last stop, class setup included
    """

    klass: str
    tests: tuple[str, ...]
    failed: tuple[str, ...] = ()
    start: float = 0.0
    seconds: float = 0.0


class Lanes:
    """A run's worker lanes as test processes: each worker's stretches in the order they ran.

    :ivar lanes: worker tag (``""`` for an untagged serial run) -> its stretches in order
    """

    def __init__(self, run: Run) -> None:
        self.run = run
        self.lanes: dict[str, tuple[Stretch, ...]] = {}
        #: class -> (passed, start, worker, index) of the stretch where it first failed, else of its first one
        self._at: dict[str, tuple[bool, float, str, int]] = {}
        #: the same per test (canonical id; a failed fixture's class key too, as :attr:`Stretch.failed` has it)
        self._tests: dict[str, tuple[bool, float, str, int]] = {}
        for worker, records in worker_lanes(run):
            stretches: list[Stretch] = []
            klass: str | None = None
            tests: list[str] = []
            failed: list[str] = []
            begin = stop = 0.0
            previous: float | None = None
            for record in records:
                if record.test_id in PSEUDO_TESTS:
                    continue
                assert record.start is not None and record.stop is not None  # lanes hold timed records only
                parsed = parse(record.test_id)
                key = parsed.class_key
                if key != klass:
                    if klass is not None:
                        stretches.append(Stretch(klass, tuple(tests), tuple(failed), begin, stop - begin))
                    klass, tests, failed = key, [], []
                    begin = record.start if previous is None else min(record.start, previous)
                if not parsed.fixture:
                    tests.append(parsed.key)
                if record.status in FAILING:
                    failed.append(klass if parsed.fixture else parsed.key)
                stop = max(stop, record.stop)
                previous = record.stop
            if klass is not None:
                stretches.append(Stretch(klass, tuple(tests), tuple(failed), begin, stop - begin))
            self.lanes[worker] = tuple(stretches)
            for index, stretch in enumerate(stretches):
                mark = (not stretch.failed, stretch.start, worker, index)  # where it failed first, then earliest
                if stretch.klass not in self._at or mark < self._at[stretch.klass]:
                    self._at[stretch.klass] = mark
                for test in dict.fromkeys((*stretch.tests, *stretch.failed)):
                    mark = (test not in stretch.failed, stretch.start, worker, index)
                    if test not in self._tests or mark < self._tests[test]:
                        self._tests[test] = mark

    def at(self, klass: str) -> tuple[str, int] | None:
        """Where ``klass`` ran: the worker and stretch index where it first failed, else where it first ran."""
        found = self._at.get(klass)
        return None if found is None else (found[2], found[3])

    def where(self, test: str) -> tuple[str, int] | None:
        """Where one test ran (canonical id; a class key for its failed fixture, else for the class, as :meth:`at`):
        the worker and stretch index where it first failed, else where it first ran. Split per test (no
        ``group_regex``), a class's tests run on several workers: each test's own place is what ran before it."""
        found = self._tests.get(test)
        if found is None:  # a class key, or a fixture's id (``setUpClass (pkg.mod.Class)``): its class's stretch
            parsed = parse(test)
            return self.at(parsed.class_key if parsed.fixture else test)
        return found[2], found[3]

    def before(self, klass: str) -> tuple[str, tuple[Stretch, ...], Stretch] | None:
        """What ran before ``klass`` in its test process (see :meth:`at`): its worker, the stretches before
        it in order, and its own stretch; ``None`` when it did not run (timed) in this run."""
        return self._before(self.at(klass))

    def before_test(self, test: str) -> tuple[str, tuple[Stretch, ...], Stretch] | None:
        """:meth:`before` for one test (:meth:`where`): what ran before it in its own test process."""
        return self._before(self.where(test))

    def failed_on(self) -> dict[tuple[str, str], list[int]]:
        """``(class, worker)`` -> the indices of the stretches on that worker in which the class failed, in order:
        a class split over workers (per test) failed in as many test processes."""
        found: dict[tuple[str, str], list[int]] = {}
        for worker, lane in self.lanes.items():
            for index, stretch in enumerate(lane):
                if stretch.failed:
                    found.setdefault((stretch.klass, worker), []).append(index)
        return found

    def _before(self, found: tuple[str, int] | None) -> tuple[str, tuple[Stretch, ...], Stretch] | None:
        if found is None:
            return None
        worker, index = found
        lane = self.lanes[worker]
        return worker, lane[:index], lane[index]


def passed(run: Run, tests: Iterable[str]) -> bool:
    """Whether every one of ``tests`` that ran in ``run`` passed, and at least one of them ran.

    :param tests: canonical ids, or class keys (a class's every test, and its fixtures, such as ``setUpClass``)
    """
    wanted = set(tests)
    seen = False
    for record in run.records:
        if record.test_id in PSEUDO_TESTS:
            continue
        key = canonical(record.test_id)
        if key in wanted or class_key(key) in wanted:
            if record.status in FAILING:
                return False
            seen = seen or record.status in PASSING
    return seen


def cleared(klass: str, lanes: Iterable[Lanes], tests: Collection[str] = ()) -> frozenset[str]:
    """The classes that ran before ``klass`` in its test process in any of these runs (where it passed).

    :param tests: the tests of ``klass`` to judge by (canonical ids; its failed ones), each where it ran: in one run,
        a class is cleared when it ran before every one of them there (split per test, they may have run in
        several processes); default: the class where it ran (:meth:`Lanes.before`)
    """
    found: set[str] = set()
    for one in lanes:
        places = [one.before_test(t) for t in tests] if tests else [one.before(klass)]
        seen = [frozenset(s.klass for s in place[1]) for place in places if place is not None]
        if seen:
            found.update(frozenset.intersection(*seen))
    found.discard(klass)
    return frozenset(found)


@dataclass(frozen=True)
class RanBefore:
    """What ran before a failed test (its class's stretch) in its test process, in the newest parallel run it failed in.

    :ivar run: that run's name (:func:`run_name`); ``worker`` the worker it failed on
    :ivar tests: how many tests ran before its stretch there; ``classes`` how many classes they belong to
    :ivar fresh: those classes that never ran before it on its worker in a stored run where it passed,
        nearest first: the first suspects of leaving state behind that makes it fail
    :ivar passed: how many stored runs it passed in (those ``fresh`` is measured against)
    """

    run: str
    worker: str
    tests: int
    classes: int
    fresh: tuple[str, ...] = ()
    passed: int = 0


def ran_before(test: str, failing: Lanes, passing: Sequence[Lanes]) -> RanBefore | None:
    """:class:`RanBefore` for ``test`` (a canonical id) in the run of ``failing``, where it ran (:meth:`Lanes.where`:
    on the worker that ran it, though its class's other tests ran on another), measured against the runs of
    ``passing``."""
    found = failing.before_test(test)
    if found is None:
        return None
    klass = class_key(test)
    worker, stretches, _ = found
    classes = list(dict.fromkeys(s.klass for s in reversed(stretches) if s.klass != klass))
    known = cleared(klass, passing, (test,))
    return RanBefore(run_name(failing.run), worker, sum(len(s.tests) for s in stretches), len(classes),
                     tuple(c for c in classes if c not in known), len(passing))


@dataclass(frozen=True)
class TestSummary:
    """How one test fared across stored runs (ids matched with ``[attrs]`` stripped; broken runs left out).

    :ivar test: the id as the newest run that has it spells it
    :ivar runs: runs it appears in
    :ivar parallel_failures: parallel runs (2+ worker tags) in which it failed
    :ivar serial_failures: serial runs (one worker tag or none) in which it failed
    :ivar parallel_runs: parallel runs it appears in
    :ivar serial_runs: serial runs it appears in
    :ivar failed_in: the names (:func:`run_name`) of the runs it failed in, oldest first
    :ivar windows: per time window of the :class:`Summary` (same order), ``(parallel failures, parallel
        runs, serial failures, serial runs)``
    :ivar before: for a test failing only in parallel, what ran before it in its test process in the newest
        parallel run it failed in (:class:`RanBefore`); else ``None``
    :ivar every_run: it failed in every run that ran it, whatever ran beside it (the ``deterministic`` tests given
        to :func:`summarize`): an ordinary failure, not a race
    """

    __test__ = False  # not a test case, despite the name

    test: str
    runs: int
    parallel_failures: int
    serial_failures: int
    parallel_runs: int = 0
    serial_runs: int = 0
    failed_in: tuple[str, ...] = ()
    windows: tuple[tuple[int, int, int, int], ...] = ()
    before: RanBefore | None = None
    every_run: bool = False

    @property
    def only_parallel(self) -> bool:
        """Failed in some parallel run and in no serial run, and not in every run whatever ran beside it: the
        signature of a race."""
        return self.parallel_failures > 0 and self.serial_failures == 0 and not self.every_run


@dataclass(frozen=True)
class Window:
    """The runs that began in one time window ``[start, stop)`` (epoch seconds).

    :ivar parallel: parallel runs; ``parallel_failed`` those with a failed test
    :ivar race_failed: parallel runs in which a test failed that never fails serially
    :ivar race_only: parallel runs in which only such tests failed
    :ivar serial: serial runs; ``serial_failed`` those with a failed test
    """

    start: float
    stop: float
    parallel: int = 0
    parallel_failed: int = 0
    race_failed: int = 0
    race_only: int = 0
    serial: int = 0
    serial_failed: int = 0


@dataclass(frozen=True)
class Summary:
    """:func:`summarize`'s result.

    :ivar tests: one row per test, those failing only in parallel first (see :func:`history_summary`)
    :ivar windows: time windows, oldest first (runs without timestamps belong to none)
    :ivar parallel: parallel runs counted; ``serial`` serial ones
    :ivar parallel_failed: parallel runs with a failed test
    :ivar race_failed: parallel runs in which a test failed that fails only in parallel
    :ivar race_only: parallel runs whose failed tests all fail only in parallel (they would have passed
        but for the races)
    :ivar broken: names of the runs left out because (nearly) every class failed in them
    :ivar first: when the first counted run began (``None`` without timestamps); ``last`` the last one
    """

    tests: tuple[TestSummary, ...]
    windows: tuple[Window, ...]
    parallel: int
    serial: int
    parallel_failed: int = 0
    race_failed: int = 0
    race_only: int = 0
    broken: tuple[str, ...] = ()
    first: float | None = None
    last: float | None = None


def _outcomes(run: Run) -> dict[str, tuple[bool, str]]:
    """canonical id -> (failed, the id as spelt) for the real tests of a run (a repeated test counts once; a test with
    no result, cut short by an interruption, did not run to an end: it neither passed nor failed)."""
    found: dict[str, tuple[bool, str]] = {}
    for record in run.records:
        if record.test_id in PSEUDO_TESTS or record.status not in FINAL:
            continue
        key = canonical(record.test_id)
        failed = found.get(key, (False, ""))[0] or record.status in FAILING
        found[key] = (failed, record.test_id)
    return found


def _rank(s: TestSummary) -> tuple[int, int, int, str]:
    kind = (0 if s.only_parallel else 1 if s.every_run else 2 if s.parallel_failures else 3 if s.serial_failures
            else 4)
    return (kind, -s.parallel_failures, -s.serial_failures, s.test)


def select_runs(runs: Iterable[Run], since: float | None = None, last: int | None = None) -> list[Run]:
    """The runs that began at or after ``since`` (runs without timestamps are kept), then the newest ``last``.

    :returns: runs oldest first (by ``order``, then as given)
    """
    ordered = [r for _, _, r in sorted((r.order, i, r) for i, r in enumerate(runs))]
    if since is not None:
        stamps = [(run_time(r), r) for r in ordered]
        ordered = [r for stamp, r in stamps if stamp is None or stamp >= since]
    if last is not None:
        ordered = ordered[-last:] if last > 0 else []
    return ordered


#: window widths :func:`auto_window` chooses from (10 minutes to 30 days)
WINDOWS = (600.0, 3600.0, 6 * 3600.0, 86400.0, 7 * 86400.0, 30 * 86400.0)


def auto_window(runs: Sequence[Run], most: int = 12) -> float:
    """The narrowest of :data:`WINDOWS` that splits the runs' time span into at most ``most`` windows."""
    stamps = [t for t in (run_time(r) for r in runs) if t is not None]
    span = max(stamps) - min(stamps) if stamps else 0.0
    return next((w for w in WINDOWS if span / w < most), WINDOWS[-1])


def summarize(runs: Sequence[Run], window_s: float | None = None, deterministic: Collection[str] = ()) -> Summary:
    """Per test and per time window: failures in parallel runs and in serial runs.

    :param runs: the runs to count, oldest first (see :func:`select_runs`)
    :param window_s: the width of a time window in seconds; ``None`` for one window over every run
    :param deterministic: canonical ids of the tests that failed in every run, whatever ran beside them
        (:func:`partitioner.races.always_failing` over ``runs``): counted apart, not as failing only in parallel
    """
    always = frozenset(deterministic)
    counted: list[tuple[Run, dict[str, tuple[bool, str]], bool, float | None]] = []
    broken: list[str] = []
    for run in runs:
        if broken_run(run) is not None:
            broken.append(run_name(run))
            continue
        counted.append((run, _outcomes(run), is_parallel(run), run_time(run)))
    stamps = [t for *_, t in counted if t is not None]
    first, last = (min(stamps), max(stamps)) if stamps else (None, None)
    edges: list[float] = []
    if first is not None and last is not None:
        width = window_s if window_s and window_s > 0 else max(last - first, 0.0) + 1.0
        edges = [first + width * i for i in range(int((last - first) // width) + 2)]

    def window_of(stamp: float | None) -> int | None:
        if stamp is None or not edges:
            return None
        return min(int((stamp - edges[0]) // (edges[1] - edges[0])), len(edges) - 2)

    slots = len(edges) - 1 if edges else 0
    rows: dict[str, list[int]] = {}  # key -> [runs, p_fail, s_fail, p_runs, s_runs]
    trend: dict[str, list[list[int]]] = {}
    failed_in: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for run, outcome, parallel, stamp in counted:
        slot = window_of(stamp)
        for key, (failed, spelt) in outcome.items():
            names[key] = spelt  # runs come oldest first: the newest spelling wins
            row = rows.setdefault(key, [0, 0, 0, 0, 0])
            row[0] += 1
            row[1 if parallel else 2] += failed
            row[3 if parallel else 4] += 1
            if failed:
                failed_in.setdefault(key, []).append(run_name(run))
            if slot is not None:
                cells = trend.setdefault(key, [[0, 0, 0, 0] for _ in range(slots)])
                cells[slot][0 if parallel else 2] += failed
                cells[slot][1 if parallel else 3] += 1
    empty = tuple((0, 0, 0, 0) for _ in range(slots))
    befores = _befores(counted, {k for k, row in rows.items() if row[1] and not row[2] and k not in always})
    tests = tuple(sorted((TestSummary(names[k], row[0], row[1], row[2], row[3], row[4], tuple(failed_in.get(k, ())),
                                      tuple((c[0], c[1], c[2], c[3]) for c in trend[k]) if k in trend else empty,
                                      befores.get(k), k in always)
                          for k, row in rows.items()), key=_rank))
    only = {canonical(t.test) for t in tests if t.only_parallel}
    windows = [[0] * 6 for _ in range(slots)]
    totals = [0, 0, 0]
    for _, outcome, parallel, stamp in counted:
        bad = [k for k, (f, _) in outcome.items() if f]
        slot = window_of(stamp)
        if parallel:
            flags = (bool(bad), any(k in only for k in bad), bool(bad) and all(k in only for k in bad))
            totals = [a + b for a, b in zip(totals, flags, strict=True)]
            if slot is not None:
                windows[slot][0] += 1
                for i, flag in enumerate(flags, 1):
                    windows[slot][i] += flag
        elif slot is not None:
            windows[slot][4] += 1
            windows[slot][5] += bool(bad)
    width = edges[1] - edges[0] if len(edges) > 1 else 0.0
    parallel_runs = sum(1 for _, _, p, _ in counted if p)
    return Summary(tests, tuple(Window(edges[i], edges[i] + width, *cells) for i, cells in enumerate(windows)),
                   parallel_runs, len(counted) - parallel_runs, totals[0], totals[1], totals[2], tuple(broken),
                   first, last)


def _befores(counted: Sequence[tuple[Run, Mapping[str, tuple[bool, str]], bool, float | None]],
              keys: Iterable[str]) -> dict[str, RanBefore]:
    """:class:`RanBefore` per test key: in the newest parallel run it failed in, against the runs it passed in."""
    lanes: dict[int, Lanes] = {}

    def of(run: Run) -> Lanes:
        if id(run) not in lanes:
            lanes[id(run)] = Lanes(run)
        return lanes[id(run)]

    found: dict[str, RanBefore] = {}
    for key in keys:
        failing = [run for run, outcome, parallel, _ in counted if parallel and outcome.get(key, (False, ""))[0]]
        if not failing:
            continue
        passing = [of(run) for run, outcome, _, _ in counted if key in outcome and not outcome[key][0]]
        before = ran_before(key, of(failing[-1]), passing)
        if before is not None:
            found[key] = before
    return found


def history_summary(runs: Iterable[Run], deterministic: Collection[str] = ()) -> tuple[TestSummary, ...]:
    """Per test: runs, failures in parallel runs, failures in serial runs (broken runs left out).

    A run with one worker tag or none counts as serial. Sorted so that tests failing only in parallel come
    first (most parallel failures first), then those failing in every run (``deterministic``, as for
    :func:`summarize`), then tests failing in both, then only serially, then never; ties by id.
    """
    return summarize(select_runs(runs), deterministic=deterministic).tests
