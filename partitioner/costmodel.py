"""The cost model: what each test and each class setup is estimated to cost, and what a group then costs; pure.

:class:`CostModel` keeps per-test estimates in columns (planning a million ids builds no value per test) and
answers per test (:meth:`~CostModel.test`), per class (:meth:`~CostModel.class_setup`) and per group
(:meth:`~CostModel.group_costs`, the :class:`~partitioner.strategies.protocol.CostTable` strategies read).
Every :class:`Estimate` names its source. :mod:`partitioner.estimate` builds the model from history.
"""

from __future__ import annotations

import math
import operator
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import islice, repeat
from typing import NamedTuple

from partitioner.grouping import Group, GroupTable
from partitioner.strategies.protocol import CostTable, GroupCost
from partitioner.testids import class_key

#: cost of a test and of a class setup when there is no history at all (test-count units)
NO_HISTORY_TEST = 1.0
NO_HISTORY_SETUP = 1.0
#: with no history, what a test the id marks as long-running costs (tempest's ``[slow]`` attribute, a
#: ``scenario`` module), in test-count units: tempest's scenario tests ran 25-160x an API test on average in
#: the real runs of ``shared/data``, so an order of magnitude is a cautious guess
NO_HISTORY_HEAVY_TEST = 10.0

#: the unit of a model's, a plan's and a cost table's numbers: seconds, or test-count units when there is no
#: history (a test 1, each class's setup 1 per group it is in, a test whose id says slow 10; a split per test
#: charges no class setup, so there the numbers are test counts)
SECONDS = "s"
TESTS = "tests"
#: what people read after a number in each unit (``12.5s``, ``40.0 units``)
UNIT_SUFFIX = {SECONDS: "s", TESTS: " units"}
#: the one-phrase definition of the no-history unit, for every output that shows such numbers
TEST_UNITS = ("test-count units, not seconds: a test counts 1, a class's setup 1 (none when split per test), "
              "a test whose id says slow 10")

MEASURED = "measured"
MEASURED_NOT_PASSING = "measured (skip/fail)"
TIMES_DBM = "times.dbm"
FIRST_ON_WORKER = "worker start offset"
SIBLING_CLASS = "class mean"
SIBLING_MODULE = "module mean"
SIBLING_SUITE = "suite mean"
NO_HISTORY = "no history"
NO_HISTORY_HEAVY = "no history (the id says slow)"
#: sources that are real measurements of the thing itself
MEASURED_SOURCES = frozenset({MEASURED, MEASURED_NOT_PASSING, TIMES_DBM, FIRST_ON_WORKER})


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


#: what a test and a class setup cost when there is no history at all (immutable, so shared safely)
NO_HISTORY_TEST_ESTIMATE = Estimate(NO_HISTORY_TEST, NO_HISTORY)
NO_HISTORY_SETUP_ESTIMATE = Estimate(NO_HISTORY_SETUP, NO_HISTORY)


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
    :ivar unmatched_history: True when history was given but none of it matched these ids: the model is then
        the no-history one (test counts), and the plan says why
    :ivar has_history: False when no source gave any timing: costs are then in test-count units (:attr:`unit`);
        ``seconds`` is then empty, or holds each test's count weight when an id says a test is long-running
    :ivar untimed_tests: how many of the ids have no estimate of their own although the history's runs name
        them, with no timing (the tests an interrupted run did not run): the history is this suite's
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
    unmatched_history: bool = False
    untimed_tests: int = 0

    @property
    def measured_tests(self) -> int:
        """How many of the ids have an estimate of their own (measured, or a times.dbm/get_test_times value)."""
        return len(self.ids) - len(self.derived) if self.has_history and self.seconds else 0

    @property
    def unit(self) -> str:
        """What the numbers are in: :data:`SECONDS`, or :data:`TESTS` (test counts) when there is no history."""
        return SECONDS if self.has_history else TESTS

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

    @cached_property
    def _class_sizes(self) -> Counter[str]:
        """How many of :attr:`ids` each class holds (a split per test spreads a class's setup over them)."""
        return Counter(map(class_key, self.ids))

    def group_costs(self, table: GroupTable) -> CostTable:
        """Every group's cost (tests + each class's setup once), in the table's order; in a split per test each
        test carries its share of its class's setup instead."""
        keys, bounds = table.keys, table.bounds
        n_groups = len(keys)
        sizes = table.sizes()
        if not self.seconds or not self.has_history:
            t, s = self.default_test, self.default_setup
            if s.source in MEASURED_SOURCES:  # pragma: no cover - the defaults are never measured
                raise AssertionError("default setup estimate must not be a measurement")
            if table.per_test:  # a class setup is paid once per worker its tests land on, not once per test
                setup, tests = [0.0] * n_groups, [t.seconds] * n_groups
            elif table.singletons:  # one test and one class per group: constant columns
                setup, tests = [s.seconds] * n_groups, [t.seconds] * n_groups
            else:
                setup = [c * s.seconds for c in table.class_counts()]
                tests = [k * t.seconds for k in sizes]
            if self.seconds:  # test-count weights: some ids say their test is long-running
                weights, _ = self._columns_for(table)
                tests = list(weights) if table.singletons else \
                    [math.fsum(weights[bounds[g]:bounds[g + 1]]) for g in range(n_groups)]
            cost = list(map(operator.add, tests, setup))
            return CostTable(keys, cost, setup, [0.0] * n_groups, cost, sizes, sizes)
        seconds, derived = self._columns_for(table)
        if table.singletons:
            tests_s = list(seconds)
        else:
            tests_s = list(map(sum, map(seconds.__getitem__, map(slice, bounds, islice(bounds, 1, None)))))
        unmeasured = [0] * n_groups
        derived_s = [0.0] * n_groups
        if derived:
            # per group: how many of its tests are derived and their sum, in C-level passes over the cuts
            cut = list(map(bisect_left, repeat(derived, len(bounds)), bounds))
            unmeasured = list(map(operator.sub, islice(cut, 1, None), cut))
            values = list(map(seconds.__getitem__, derived))
            derived_s = list(map(math.fsum, map(values.__getitem__, map(slice, cut, islice(cut, 1, None)))))
        setup_get, default_setup = self.setup.get, self.default_setup
        if table.per_test:
            # a split per test: a class's setup is paid once per worker its tests land on, not once per test;
            # each test carries its share (its class's setup over the class's tests in the table), so the
            # class costs its setup once where it runs whole, as a class group would
            classes = table.first_classes()
            shares = Counter(classes)
            if table.tests is not self.ids:  # a part of the suite (one group): the class's tests in the suite
                whole = self._class_sizes
                shares = Counter({c: max(n, whole.get(c, 0)) for c, n in shares.items()})
            per_class = {c: setup_get(c, default_setup) for c in shares}
            share = {c: e.seconds / shares[c] for c, e in per_class.items()}
            setup_s = [share[c] for c in classes]
            setup_est = [0.0 if per_class[c].source in MEASURED_SOURCES else share[c] for c in classes]
        elif not self.setup:  # every class costs the default: only the class counts matter
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
