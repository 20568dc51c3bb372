"""What ran before a failed class in its test process (:func:`order_suspects`); pure.

A test that passes alone and fails after certain other tests ran in the same process depends on state they
left behind. For each class with a failed test, its worker in the diagnosed run and the stretches
(:class:`~partitioner.history.summary.Stretch`: a class's consecutive tests) before it there, from
:class:`~partitioner.history.summary.Lanes`. Classes that also ran before its failed tests in a stored run where
they passed are *cleared*; the others are *fresh*, the first suspects. :mod:`partitioner.races.order`
searches them for the fewest that make it fail.

A suite split per test (no ``group_regex``) runs one class's tests on several workers: each worker it failed on
is a test process of its own, so the class is a suspect once per such worker, judged there (its failed tests on
that worker, what ran before the first of them there).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from partitioner.history.model import Run
from partitioner.history.summary import Lanes, Stretch, broken_run, cleared, passed, run_name


@dataclass(frozen=True)
class OrderSuspect:
    """A class that failed in the diagnosed run, and what ran before it in its test process.

    :ivar klass: the class key
    :ivar failed: its failed tests on ``worker`` (canonical ids; the class key for a failed fixture such as
        ``setUpClass``)
    :ivar worker: the worker it failed on (``""`` in an untagged serial run); a class split per test over several
        workers is one suspect per worker it failed on
    :ivar before: the stretches before its first failure on that worker, in the order they ran
    :ivar own: the stretch of that first failure (what a replay runs for it)
    :ivar passed: names of the stored runs in which its failed tests ran and passed
    :ivar cleared: classes that ran before it on its worker in one of those runs
    """

    klass: str
    failed: tuple[str, ...]
    worker: str
    before: tuple[Stretch, ...]
    own: Stretch
    passed: tuple[str, ...] = ()
    cleared: frozenset[str] = frozenset()

    @property
    def tests(self) -> int:
        """How many tests ran before it on its worker."""
        return sum(len(s.tests) for s in self.before)

    @property
    def classes(self) -> tuple[str, ...]:
        """The classes that ran before it on its worker, nearest first."""
        return tuple(dict.fromkeys(s.klass for s in reversed(self.before) if s.klass != self.klass))

    @property
    def fresh(self) -> tuple[str, ...]:
        """Of :attr:`classes`, those not cleared (never before it where it passed), nearest first."""
        return tuple(c for c in self.classes if c not in self.cleared)


def order_suspects(run: Run, history: Iterable[Run] = ()) -> tuple[OrderSuspect, ...]:
    """One :class:`OrderSuspect` per class with a failed test in ``run`` and worker it failed on, sorted by class
    key, then worker.

    :param history: stored runs (``run`` itself may be among them); those in which a suspect's failed tests
        passed clear the classes that ran before them there (runs where nearly everything failed are left out)
    """
    lanes = Lanes(run)
    others = [Lanes(r) for r in history if r is not run and r.records != run.records and broken_run(r) is None]
    found: list[OrderSuspect] = []
    for (klass, worker), indices in sorted(lanes.failed_on().items()):
        lane = lanes.lanes[worker]
        before, own = lane[:indices[0]], lane[indices[0]]
        tests = tuple(dict.fromkeys(t for i in indices for t in lane[i].failed))
        good = [o for o in others if passed(o.run, tests) and any(o.where(t) is not None for t in tests)]
        found.append(OrderSuspect(klass, tests, worker, before, own, tuple(run_name(o.run) for o in good),
                                  cleared(klass, good, tests)))
    return tuple(found)
