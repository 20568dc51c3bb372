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
at all every test costs 1 and every class 1 (a test-count-and-structure balance; a test whose id says it is
long-running, tempest's ``[slow]`` or a ``scenario`` module, counts 10), and the model says so (its ``unit``).

:func:`build_cost_model` takes these rules as four named steps: :func:`_test_estimates` (per test),
:func:`_sibling_means` (unseen tests), :func:`_class_setups` (per class) and :func:`_startup` (per
worker). What it builds is a :class:`~partitioner.costmodel.CostModel` (re-exported here with its source
names); the column tricks the steps use live in :mod:`partitioner.columns`.
"""

from __future__ import annotations

import math
import operator
import statistics
from bisect import bisect_left
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from itertools import chain, compress, repeat
from types import MappingProxyType
from typing import Any, NamedTuple

from partitioner import testids
from partitioner.columns import ABSENT, Same, fill, positions_of, scatter
from partitioner.costmodel import (
    FIRST_ON_WORKER,
    MEASURED,
    MEASURED_NOT_PASSING,
    MEASURED_SOURCES,
    NO_HISTORY,
    NO_HISTORY_HEAVY,
    NO_HISTORY_HEAVY_TEST,
    NO_HISTORY_SETUP_ESTIMATE,
    NO_HISTORY_TEST,
    NO_HISTORY_TEST_ESTIMATE,
    SIBLING_CLASS,
    SIBLING_MODULE,
    SIBLING_SUITE,
    TIMES_DBM,
    CostModel,
    Estimate,
)
from partitioner.grouping import BUILTIN, GroupTable, group_tests
from partitioner.history.model import History, Samples
from partitioner.history.samples import collect_samples, first_offsets, not_passing_samples, untimed
from partitioner.sortedids import Runs

__all__ = [
    "FIRST_ON_WORKER", "MEASURED", "MEASURED_NOT_PASSING", "MEASURED_SOURCES", "NO_HISTORY", "NO_HISTORY_HEAVY",
    "NO_HISTORY_HEAVY_TEST",
    "NO_HISTORY_SETUP_ESTIMATE", "NO_HISTORY_TEST", "NO_HISTORY_TEST_ESTIMATE", "RECENT", "SIBLING_CLASS",
    "SIBLING_MODULE", "SIBLING_SUITE", "TIMES_DBM", "CostModel", "Estimate", "build_cost_model",
]

#: how many recent successful samples feed a test's or a class's estimate
RECENT = 5
#: above this many ids, no-history plans count tests without reading what the ids say: the scan costs about
#: 0.1 s per million ids, a sixth of such a plan (tempest suites hold thousands)
HINT_LIMIT = 250_000


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def _mean(values: Iterable[float]) -> float:
    """Exact (math.fsum), so the same values in any order give the same mean, bit for bit."""
    items = list(values)
    return math.fsum(items) / len(items) if items else 0.0


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
        return _no_history(ids)
    samples = collect_samples(history)
    tests = _test_estimates(ids, history, samples, recent)
    untimed = _untimed_count(ids, tests.missing, history)
    if ids and len(tests.missing) == len(ids):
        # nothing in the history is one of these tests (another suite, another test path, renamed ids): its
        # means would price every test alike in seconds of other tests; count tests instead, and say so
        return replace(_no_history(ids), unmatched_history=True, untimed_tests=untimed)
    derived_sources = _sibling_means(tests, table.class_runs)
    setup, default_setup = _class_setups(table.class_runs, history, samples, recent)
    return CostModel(ids, tests.seconds, tests.sources, tests.samples, setup, _startup(samples, recent), True,
                     default_setup=default_setup, derived=tests.missing, derived_sources=derived_sources,
                     untimed_tests=untimed)


def heavy_by_id(test_id: str) -> bool:
    """Whether the id itself says its test is long-running: tempest's ``slow`` attribute, or a module path with
    a ``scenario`` package (tempest's scenario tests drive whole workflows: servers, volumes, networks)."""
    parsed = testids.parse(test_id)
    return "slow" in parsed.attrs or ".scenario." in f".{parsed.module_key}."


def _no_history(ids: Sequence[str]) -> CostModel:
    """The model with no history: every test 1 and every class 1 (test counts), except tests whose id says
    they are long-running, which count :data:`~partitioner.costmodel.NO_HISTORY_HEAVY_TEST`."""
    if not ids or len(ids) > HINT_LIMIT or not _may_be_heavy("\n".join(ids)):  # one C-level pass, if any
        return CostModel(ids, (), (), (), {}, 0.0, False)
    heavy = [i for i, t in enumerate(ids) if _may_be_heavy(t) and heavy_by_id(t)]
    if not heavy:
        return CostModel(ids, (), (), (), {}, 0.0, False)
    weights = [NO_HISTORY_TEST] * len(ids)
    sources: list[str] = [NO_HISTORY] * len(ids)
    scatter(weights, heavy, NO_HISTORY_HEAVY_TEST)
    scatter(sources, heavy, NO_HISTORY_HEAVY)
    return CostModel(ids, weights, sources, Same(0, len(ids)), {}, 0.0, False)


def _may_be_heavy(text: str) -> bool:
    return "slow" in text or "scenario" in text


class _TestColumns(NamedTuple):
    """The per-test columns while they are built (aligned with the planned ids).

    :ivar seconds: each id's estimate; :data:`~partitioner.columns.ABSENT` where no source knows the id yet
    :ivar sources: where each known estimate came from
    :ivar samples: how many samples each known estimate rests on
    :ivar missing: the positions no source knows, ascending
    """

    seconds: list[float]
    sources: Sequence[str]
    samples: Sequence[int]
    missing: list[int]


def _test_estimates(ids: Sequence[str], history: History, samples: Samples, recent: int) -> _TestColumns:
    """Step 1, per test: each id's estimate from the first source that knows it.

    Sources in order: passing samples, then skip/fail samples (both by canonical id; a test that ever
    passed is priced by its passing samples), then durations for the exact id (a repository's
    ``get_test_times``), then ``times.dbm`` (canonical id).
    """
    n = len(ids)
    known = _windows(samples.tests, recent, MEASURED)
    for key, found in _windows(_not_passing(history), recent, MEASURED_NOT_PASSING).items():
        known.setdefault(key, found)
    seconds: list[float]
    sources: Sequence[str]
    counts: Sequence[int]
    canon: list[str] | None = None
    if known:
        canon = _canonical_ids(ids)
        hits = list(map(known.get, canon))
        missing = positions_of(hits, None)
        seconds = [h[0] if h else ABSENT for h in hits]
        sources = [h[1] if h else SIBLING_SUITE for h in hits]
        counts = [h[2] if h else 0 for h in hits]
        del hits
        if missing and (len(known) <= _SCENARIO_SCAN or 4 * len(missing) >= n) and \
                any(map(str.endswith, known, repeat(")"))):
            missing = _scenario_sums(known, canon, missing, seconds, sources, counts)
        if history.exact_times and missing:
            missing = _last_known(history.exact_times, [ids[i] for i in missing], missing, seconds, sources, counts)
    elif history.exact_times:  # nothing else knows any id: take the whole column in one pass
        exact = history.exact_times
        # a read-only proxy's get() is a method call on the dict behind it: its (C-level) copy looks up twice as fast
        getter = exact.copy().get if isinstance(exact, MappingProxyType) else exact.get
        seconds = list(map(getter, ids, repeat(ABSENT)))
        sources, counts = Same(TIMES_DBM, n), Same(1, n)
        missing = positions_of(seconds, ABSENT)
    else:
        seconds, sources, counts, missing = [ABSENT] * n, Same(TIMES_DBM, n), Same(1, n), list(range(n))
    if missing and history.last_times:  # in this order: a digested history reads times.dbm only when needed
        keys = [canon[i] for i in missing] if canon is not None else _canonical_ids([ids[i] for i in missing])
        missing = _last_known(history.last_times, keys, missing, seconds, sources, counts)
        # stestr stores a parametrised class's tests under one key (its first "[...]" removed): take that
        # entry, a real time of a sibling parameter, before a mean
        bracketed = [i for i in missing if "[" in ids[i] and testids.stestr_key(ids[i]) != testids.canonical(ids[i])]
        if bracketed:
            still = _last_known(history.last_times, [testids.stestr_key(ids[i]) for i in bracketed], bracketed,
                                seconds, sources, counts)
            missing = sorted(set(missing) - set(bracketed) | set(still))
    return _TestColumns(seconds, sources, counts, missing)


#: histories of up to this many ids are always searched for testscenarios variants of the unknown ids (5 ms);
#: a larger one only when a quarter or more of the ids are unknown (50 ms per million ids, on the planning path)
_SCENARIO_SCAN = 100_000


def _scenario_sums(known: Mapping[str, tuple[float, str, int]], canon: Sequence[str], missing: list[int],
                   seconds: list[float], sources: Any, counts: Any) -> list[int]:
    """Price each listed id the history knows only by its testscenarios variants (the listing says
    ``test_x``, the run stored ``test_x(thread)`` and ``test_x(green)``: running ``test_x`` runs them all) at
    the sum of theirs; returns the positions still unknown."""
    rolled: dict[str, list[Any]] = {}
    for key, (cost, source, count) in known.items():
        if not key.endswith(")"):
            continue
        scenario = testids.parse(key).scenario
        if scenario is None:
            continue
        entry = rolled.setdefault(key[:len(key) - len(scenario) - 2], [0.0, source, count])
        entry[0] += cost
        entry[2] = min(entry[2], count)
    left: list[int] = []
    for i in missing:
        found = rolled.get(canon[i])
        if found is None:
            left.append(i)
        else:
            seconds[i], sources[i], counts[i] = found
    return left


def _not_passing(history: History) -> Mapping[str, Sequence[float]]:
    """Skip/fail durations by canonical id: a digested history's (see
    :class:`~partitioner.history.digest.PlanningHistory`, which holds no runs), else the runs'."""
    digested: Mapping[str, Sequence[float]] | None = getattr(history, "not_passing", None)
    if digested is not None and not history.runs:
        return digested
    return not_passing_samples(history)


def _untimed_count(ids: Sequence[str], missing: Sequence[int], history: History) -> int:
    """How many of the ``missing`` positions of ``ids`` (no estimate of their own) the history's runs name
    without a timing (:func:`~partitioner.history.samples.untimed`; a digested history keeps them as
    ``untimed``): tests an interrupted run did not run, not tests of another suite."""
    if not missing:
        return 0
    named: frozenset[str] = getattr(history, "untimed", frozenset()) | untimed(history)
    if not named:
        return 0
    return sum(1 for t in _canonical_ids([ids[i] for i in missing]) if t in named)


def _canonical_ids(ids: Sequence[str]) -> list[str]:
    """:func:`~partitioner.testids.canonical` of each id (called only for ids holding a ``[``)."""
    canonical = testids.canonical
    return [canonical(t) if "[" in t else t for t in ids]


def _last_known(times: Mapping[str, float], keys: Sequence[str], positions: list[int], seconds: list[float],
                sources: Sequence[str], counts: Sequence[int]) -> list[int]:
    """Fill ``positions`` (looked up under ``keys``) from a last-known-duration map; returns those still missing.

    Filled entries count as one ``times.dbm`` sample (columns that are already all ``times.dbm`` stay so).
    """
    filled, missing = fill(seconds, positions, map(times.get, keys))
    if isinstance(sources, list) and isinstance(counts, list):
        scatter(sources, filled, TIMES_DBM)
        scatter(counts, filled, 1)
    return missing


def _sibling_means(tests: _TestColumns, runs: Runs) -> list[str]:
    """Step 2, unseen tests: the mean measured test of their class, else of their module, else of the suite.

    Classes are the table's class runs, which depend on the set of ids and the grouping, never on the
    input order. Fills ``tests.seconds`` at ``tests.missing`` in place.

    :returns: the source of each filled estimate (aligned with ``tests.missing``)
    """
    seconds, missing = tests.seconds, tests.missing
    if not missing:
        return []
    n_runs = len(runs)
    # where each run's slice of ``missing`` starts and ends: two C-level passes, no Python call per run
    firsts = list(map(bisect_left, repeat(missing, n_runs), (r[1] for r in runs)))
    ends = list(map(bisect_left, repeat(missing, n_runs), (r[2] for r in runs)))
    gapped = list(compress(range(n_runs), map(operator.lt, firsts, ends)))
    measured = len(seconds) - len(missing)
    suite_mean = Estimate(sum(seconds) / measured, SIBLING_SUITE) if measured \
        else Estimate(NO_HISTORY_TEST, NO_HISTORY)
    sums: tuple[dict[str, list[float]], dict[str, int]] | None = None  # every class's, built only when needed
    unique = len({r[0] for r in runs}) == n_runs  # each class one run (sorted tables): its own slice is its sum
    counts = list(map(operator.sub, map(ends.__getitem__, gapped), map(firsts.__getitem__, gapped)))
    if unique:
        los = [runs[r][1] for r in gapped]
        his = [runs[r][2] for r in gapped]
        measured_here = list(map(operator.sub, map(operator.sub, his, los), counts))
        if all(measured_here):  # every class with an unseen test has a measured one: class means, in C-level passes
            totals = map(sum, map(seconds.__getitem__, map(slice, los, his)))  # ABSENT adds nothing
            class_means = list(map(operator.truediv, totals, measured_here))
            deque(map(seconds.__setitem__, missing, chain.from_iterable(map(repeat, class_means, counts))), maxlen=0)
            return [SIBLING_CLASS] * len(missing)
    module_means: dict[str, Estimate] | None = None  # built only when a class has no measured test
    means: dict[str, Estimate] = {}
    found: list[Estimate] = []
    for r in gapped:
        klass, lo, hi = runs[r]
        e = means.get(klass)
        if e is None:
            known = hi - lo - (ends[r] - firsts[r])
            if unique and known:
                e = Estimate(sum(seconds[lo:hi]) / known, SIBLING_CLASS)  # ABSENT adds nothing
            else:
                if sums is None:
                    sums = _class_sums(seconds, runs, firsts, ends)
                class_sum, class_count = sums
                if klass in class_sum:
                    e = Estimate(sum(class_sum[klass]) / class_count[klass], SIBLING_CLASS)
                else:
                    if module_means is None:
                        module_means = _module_means(class_sum, class_count)
                    e = module_means.get(testids.parent(klass), suite_mean)
            means[klass] = e
        found.append(e)
    values = list(chain.from_iterable(map(repeat, (e.seconds for e in found), counts)))
    deque(map(seconds.__setitem__, missing, values), maxlen=0)  # the slices partition ``missing``, in order
    return list(chain.from_iterable(map(repeat, (e.source for e in found), counts)))


def _class_sums(seconds: Sequence[float], runs: Runs, firsts: Sequence[int], ends: Sequence[int]
                ) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Each class's measured seconds (one sum per run of it) and how many of its tests are measured."""
    class_sum: dict[str, list[float]] = defaultdict(list)
    class_count: dict[str, int] = defaultdict(int)
    for r, (klass, lo, hi) in enumerate(runs):
        known_here = hi - lo - (ends[r] - firsts[r])
        if known_here:
            class_sum[klass].append(sum(seconds[lo:hi]))  # ABSENT adds nothing
            class_count[klass] += known_here
    return class_sum, class_count


def _module_means(class_sum: Mapping[str, list[float]], class_count: Mapping[str, int]) -> dict[str, Estimate]:
    """The mean measured test of each module, from its classes' sums and counts."""
    sums: dict[str, list[float]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for klass, parts in class_sum.items():
        module = testids.parent(klass)
        sums[module].extend(parts)
        counts[module] += class_count[klass]
    return {m: Estimate(math.fsum(v) / counts[m], SIBLING_MODULE) for m, v in sums.items()}


def _class_setups(runs: Runs, history: History, samples: Samples, recent: int
                  ) -> tuple[dict[str, Estimate], Estimate]:
    """Step 3, per class: the median of its recent setup gaps, else of its first-on-worker offsets, else
    its module's mean setup.

    :returns: estimates for the classes of ``runs`` that have one, and what any other class costs: the
        suite's mean setup, or 0 when no setup was ever seen
    """
    setup: dict[str, Estimate] = {}
    setup_by_module: dict[str, list[float]] = defaultdict(list)
    setup_suite: list[float] = []
    firsts: dict[str, list[float]] = defaultdict(list)
    for klass, offsets in getattr(history, "firsts", {}).items():  # a digested history's runs (older first)
        firsts[klass].extend(offsets)
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
    return setup, default_setup


def _startup(samples: Samples, recent: int) -> float:
    """Step 4, per worker: the median of the recent start-up samples (0 when the history cannot show it)."""
    return _median(samples.startup[-recent:]) if samples.startup else 0.0
