"""The dispatch queue: whole groups, in suite order or longest predicted cost first; pure, no I/O.

A :class:`Queue` holds the parallel items (handed to whichever lane is idle, in order) and the serial
items (handed one at a time once no parallel group is running). Build it from ``(key, cost, tests)``
triples with :func:`order_queue`, or from a grouped table and a cost model with :func:`queue_from_costs`.

The orders (:data:`ORDERS`, the ``dispatch_order`` option):

* ``suite``: the groups in suite order, each at its first test; suite order is id order, as
  unittest's discovery sorts modules, classes and methods (testr and stestr hand their ids over unordered).
  Every lane then hands its worker groups in suite order, so each worker process runs its tests in
  the same relative order plain stestr or testr would (each of their workers runs its share in suite
  order): a suite whose tests depend on what ran before them in the same process (leftover global state,
  as tempest's own unit tests have) gives the same results. Balancing is still dynamic: whoever is idle
  takes the next group.
* ``cost``: longest predicted first, ties by key (list scheduling in LPT order): the best balance, since
  the small groups come last and fill the gaps; for suites whose tests do not depend on their order.
* ``mono``: longest predicted first among the groups that sort after the lane's last one, so each test
  process still runs its tests in increasing suite order; when none is left, the lane takes the longest
  group in a *fresh* process: its pull worker forks one from the process that loaded the suite and ran
  nothing (:mod:`partitioner.dispatch.forks`), a few milliseconds. The balance of ``cost``, and no test
  follows a later one; but a fresh process may start mid-suite, without what earlier tests set up (some
  of tempest's unit tests need that), so it is not the default (:func:`pick` decides; ``docs/dispatch.md``).
* ``lookahead`` (the default): suite order, except that a lane may skip ahead to a long group that would
  otherwise end the run alone; each test process still starts at the earliest queued group and runs in
  increasing suite order, so what ``suite`` keeps for order-dependent suites still holds
  (:mod:`partitioner.dispatch.lookahead` decides, with what the dispatcher knows of the other lanes).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from partitioner.costmodel import CostModel
from partitioner.errors import InputError
from partitioner.grouping import GroupTable


@dataclass(frozen=True)
class WorkItem:
    """One entry of the queue: a group that runs whole on one lane.

    :ivar key: the group key (a class by default; a resource-merged group is one item)
    :ivar tests: its test ids, in the order the group lists them
    :ivar cost: predicted seconds (or test-count units without history); only orders the queue
    :ivar serial: True for a group that must run with no other group running
    :ivar at: the suite position of its first test (``mono`` order)
    :ivar upto: the suite position of its last test (``mono`` order)
    """

    key: str
    tests: tuple[str, ...]
    cost: float
    serial: bool = False
    at: int = field(default=0, compare=False)
    upto: int = field(default=0, compare=False)


#: the dispatch orders (see the module docstring); the first is the default
ORDERS = ("lookahead", "suite", "cost", "mono")
#: a queue of more than this many parallel items per lane is handed out in batches (:meth:`Queue.batched`)
BATCH_ABOVE_PER_LANE = 64
#: a batch holds at most 1 / (BATCH_FACTOR x lanes) of the cost still queued when it is made
BATCH_FACTOR = 8


def _order(item: WorkItem) -> tuple[float, str]:
    return (-item.cost, item.key)


@dataclass(frozen=True)
class Queue:
    """Everything a dispatcher hands out.

    :ivar items: parallel groups in hand-out order (see :data:`ORDERS`)
    :ivar serial: serial groups in key order; they run after every parallel group, one at a time
    :ivar order: the order the items were put in; ``mono`` makes each lane :func:`pick` among them
    """

    items: tuple[WorkItem, ...]
    serial: tuple[WorkItem, ...] = ()
    order: str = "cost"

    def __post_init__(self) -> None:
        seen: set[str] = set()
        keys: set[tuple[bool, str]] = set()
        for item in self.all_items():
            if (item.serial, item.key) in keys:
                raise InputError(f"group {item.key!r} is queued twice; give each group one entry")
            keys.add((item.serial, item.key))
            for test_id in item.tests:
                if test_id in seen:
                    raise InputError(f"test id {test_id!r} is queued in two groups (the second is {item.key!r}); "
                                     "each id must belong to exactly one group")
                seen.add(test_id)

    def all_items(self) -> Iterator[WorkItem]:
        """Parallel items, then serial ones."""
        yield from self.items
        yield from self.serial

    def test_ids(self) -> list[str]:
        """Every queued id, in hand-out order."""
        return [t for item in self.all_items() for t in item.tests]

    @property
    def total_cost(self) -> float:
        """Sum of the parallel items' costs."""
        return sum(item.cost for item in self.items)

    def batched(self, lanes: int) -> Queue:
        """This queue as ``lanes`` lanes are handed it: when it holds many small items (a suite split per test,
        as stestr splits one without a ``group_regex``), runs of consecutive items are joined into one hand-out.

        Each hand-out is a round trip between worker, lane and dispatcher (a few milliseconds); 18,000
        single-test groups would spend more time on the trips than in the tests. A batch takes consecutive
        items while their cost stays within 1 / (:data:`BATCH_FACTOR` x ``lanes``) of the cost still queued
        (guided self-scheduling): large batches first, single items at the tail, where balance is decided.
        An item costlier than that stays alone; the order is kept (a batch of suite-ordered items runs as a
        stestr worker runs its share). Only a per-test split is batched: a queue with any item of several
        tests (a class, a resource group) is handed out item by item, because such costs are too coarse to
        join on (without history a class costs its test count, and one batch of 127 tempest tests held the
        two slow classes of the suite). A queue of at most :data:`BATCH_ABOVE_PER_LANE` items per lane, and
        the serial items, are unchanged.
        """
        left = self.total_cost
        if (lanes < 1 or len(self.items) <= BATCH_ABOVE_PER_LANE * lanes or not left > 0.0
                or any(len(item.tests) != 1 for item in self.items)):
            return self
        # ``mono``: batches of items consecutive in suite order, then picked longest first like single items
        items = sorted(self.items, key=lambda item: (item.at, item.key)) if self.order == "mono" else self.items
        batches: list[WorkItem] = []
        batch: list[WorkItem] = []
        room = 0.0
        for item in items:
            if batch and item.cost > room:
                batches.append(_joined(batch))
                batch = []
            if not batch:
                room = left / (BATCH_FACTOR * lanes)
            batch.append(item)
            room -= item.cost
            left -= item.cost
        if batch:
            batches.append(_joined(batch))
        if self.order == "mono":
            batches.sort(key=_order)
        return Queue(tuple(batches), self.serial, self.order)


def pick(items: Sequence[WorkItem], last: int | None, order: str) -> tuple[int, bool]:
    """Which of the queued ``items`` a lane takes next, and whether it takes it in a fresh test process.

    Under ``suite`` and ``cost`` the first, in its current process. Under ``mono`` (items longest first):
    the first item that starts after the lane's ``last`` suite position (its previous item's
    :attr:`WorkItem.upto`), so its process runs in increasing suite order; when none does, the first
    item in a fresh process. A lane's first item (``last`` ``None``) is fresh too: that is what turns its
    worker into a process that forks one child per chain (:mod:`partitioner.dispatch.forks`).

    :raises IndexError: no items
    """
    if not items:
        raise IndexError("no queued item to pick")
    if order != "mono":
        return 0, False
    if last is None:
        return 0, True
    for index, item in enumerate(items):
        if item.at > last:
            return index, False
    return 0, True


def _joined(items: Sequence[WorkItem]) -> WorkItem:
    """One hand-out of consecutive items: the first one's key (with how many more), every test, the summed cost."""
    if len(items) == 1:
        return items[0]
    return WorkItem(f"{items[0].key} (+{len(items) - 1} groups)", tuple(t for item in items for t in item.tests),
                    sum(item.cost for item in items), at=min(item.at for item in items),
                    upto=max(item.upto for item in items))


def order_queue(parallel: Iterable[tuple[str, float, Sequence[str]]],
                serial: Iterable[tuple[str, float, Sequence[str]]] = (), order: str = "cost",
                positions: Mapping[str, int] | None = None) -> Queue:
    """A queue from ``(key, cost, tests)`` triples: parallel longest first (ties by key), or in suite order,
    serial by key (likewise).

    Empty groups are left out.

    :param order: ``cost`` or ``mono`` (longest first) or ``suite``/``lookahead`` (by ``positions``: each group
        at its first test)
    :param positions: test id -> its place in the suite's listing (every order but ``cost``; an id
        without one sorts after those with one, by key)
    :raises InputError: a key or a test id appears twice, or a cost is negative or not a number
    """
    place = positions or {}
    unplaced = len(place)

    def items(triples: Iterable[tuple[str, float, Sequence[str]]], is_serial: bool) -> list[WorkItem]:
        out = []
        for key, cost, tests in triples:
            if not cost >= 0.0:  # also rejects NaN
                raise InputError(f"group {key!r} has cost {cost!r}; a predicted cost must be a number >= 0")
            if tests:
                spots = [place.get(t, unplaced) for t in tests]
                out.append(WorkItem(key, tuple(tests), float(cost), is_serial, min(spots), max(spots)))
        return out

    if order not in ORDERS:
        raise InputError(f"unknown dispatch order {order!r}; choose one of: {', '.join(ORDERS)}")
    if order in ("suite", "lookahead"):
        def at(item: WorkItem) -> tuple[int, str]:
            return (item.at, item.key)

        return Queue(tuple(sorted(items(parallel, False), key=at)), tuple(sorted(items(serial, True), key=at)),
                     order)
    return Queue(tuple(sorted(items(parallel, False), key=_order)),
                 tuple(sorted(items(serial, True), key=lambda item: item.key)), order)


def queue_from_costs(parallel: GroupTable, model: CostModel, serial: GroupTable | None = None,
                     order: str = "cost", listing: Sequence[str] | None = None) -> Queue:
    """The queue for groups priced by a cost model (history; class means and test counts where there is none).

    :param parallel: the groups that may run side by side (resource-merged groups already joined)
    :param model: the cost model built for these ids
    :param serial: the groups that must run alone (the ``serial`` option), if any
    :param order: one of :data:`ORDERS` (see the module docstring)
    :param listing: the test ids in suite order (``suite`` and ``mono`` orders; default: sorted ids, as
        discovery sorts)
    """
    def triples(table: GroupTable) -> Iterator[tuple[str, float, Sequence[str]]]:
        costs = model.group_costs(table)
        for group, cost in zip(table, costs.cost, strict=True):
            yield group.key, cost, group.tests

    positions = {t: n for n, t in enumerate(listing)} if listing is not None else None
    if order in ("suite", "mono", "lookahead") and positions is None:
        positions = {t: n for n, t in enumerate(sorted(t for g in (*parallel, *(serial or ())) for t in g.tests))}
    return order_queue(triples(parallel), triples(serial) if serial is not None else (), order, positions)
