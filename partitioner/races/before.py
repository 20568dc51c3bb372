"""What ran before a failed class in its test process (:func:`order_suspects`); pure.

A test that passes alone and fails after certain other tests ran in the same process depends on state they
left behind. For each class with a failed test, its worker in the diagnosed run and the stretches
(:class:`~partitioner.history.summary.Stretch`: a class's consecutive tests) before it there, from
:class:`~partitioner.history.summary.Lanes`. Classes that also ran before it on its worker in a stored run where
its failed tests passed are *cleared*; the others are *fresh*, the first suspects. :mod:`partitioner.races.order`
searches them for the fewest that make it fail.
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
    :ivar failed: its failed tests (canonical ids; the class key for a failed fixture such as ``setUpClass``)
    :ivar worker: the worker it failed on (``""`` in an untagged serial run)
    :ivar before: the stretches before it on that worker, in the order they ran
    :ivar own: its own stretch there (what a replay runs for it)
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
    """One :class:`OrderSuspect` per class with a failed test in ``run``, sorted by class key.

    :param history: stored runs (``run`` itself may be among them); those in which a suspect's failed tests
        passed clear the classes that ran before it there (runs where nearly everything failed are left out)
    """
    lanes = Lanes(run)
    others = [Lanes(r) for r in history if r is not run and r.records != run.records and broken_run(r) is None]
    found: list[OrderSuspect] = []
    failed_classes = sorted({s.klass for lane in lanes.lanes.values() for s in lane if s.failed})
    for klass in failed_classes:
        where = lanes.before(klass)
        assert where is not None  # it failed in a stretch of this run
        worker, before, own = where
        tests = own.failed
        good = [o for o in others if passed(o.run, tests) and o.before(klass) is not None]
        found.append(OrderSuspect(klass, tests, worker, before, own, tuple(run_name(o.run) for o in good),
                                  cleared(klass, good)))
    return tuple(found)
