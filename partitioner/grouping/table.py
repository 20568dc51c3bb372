"""Groups in columns: :class:`GroupTable` and :func:`group_tests`, which builds one from ids and a grouper.

Determinism: groups are sorted by key and each group's tests are sorted, whatever the input order.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, compress, islice, repeat
from typing import NamedTuple

from partitioner import sortedids
from partitioner.columns import Rows
from partitioner.grouping.spec import Grouper
from partitioner.sortedids import Runs
from partitioner.testids import class_key


class Group(NamedTuple):
    """Tests that must run on the same worker (a NamedTuple: immutable and cheap for million-id inputs).

    :ivar key: the group key (e.g. the class ``pkg.mod.Class``)
    :ivar tests: its test ids, sorted
    """

    key: str
    tests: tuple[str, ...]


class GroupTable(Rows[Group]):
    """Groups in columns: a sequence of :class:`Group` that holds no per-group object.

    Group ``g`` is ``keys[g]`` with tests ``tests[bounds[g]:bounds[g + 1]]``; keys are sorted and each
    group's tests are sorted. On million-id inputs this is what keeps planning near linear: grouping,
    costing and assembling a plan work on whole columns and slices instead of a value per group.

    :ivar keys: group keys, sorted
    :ivar tests: every test id, grouped (groups in key order, tests sorted inside each)
    :ivar bounds: ``len(keys) + 1`` offsets into ``tests``
    :ivar ordered: True when ``tests`` is sorted as a whole (group keys follow the ids' own order)
    :ivar one_class: True when every group is known to hold exactly one class
    """

    __slots__ = ("_class_runs", "bounds", "keys", "one_class", "ordered", "tests")

    def __init__(self, keys: Sequence[str], tests: Sequence[str], bounds: Sequence[int], ordered: bool = False,
                 one_class: bool = False) -> None:
        self.keys = keys
        self.tests = tests
        self.bounds = bounds
        self.ordered = ordered
        self.one_class = one_class
        self._class_runs: Runs | None = None

    @classmethod
    def from_groups(cls, groups: Iterable[Group]) -> GroupTable:
        """A table from groups sorted by key (returned as is if a table); each group's tests get sorted."""
        if isinstance(groups, GroupTable):
            return groups
        keys: list[str] = []
        tests: list[str] = []
        bounds = [0]
        for group in groups:
            keys.append(group.key)
            tests.extend(sorted(group.tests))
            bounds.append(len(tests))
        return cls(keys, tests, bounds)

    def __len__(self) -> int:
        return len(self.keys)

    def row(self, index: int) -> Group:
        """Group ``index``."""
        return Group(self.keys[index], tuple(self.tests[self.bounds[index]:self.bounds[index + 1]]))

    def __iter__(self) -> Iterator[Group]:
        tests, bounds = self.tests, self.bounds
        for g, key in enumerate(self.keys):
            yield Group(key, tuple(tests[bounds[g]:bounds[g + 1]]))

    @property
    def singletons(self) -> bool:
        """True when every group holds one test."""
        return len(self.tests) == len(self.keys)

    @property
    def per_test(self) -> bool:
        """True when every group is one test keyed by its own id (a split per test, as stestr's without a
        ``group_regex``), not a class that happens to hold one test."""
        return self.keys is self.tests or (self.singletons and self.keys == self.tests)

    def sizes(self) -> list[int]:
        """Tests per group."""
        if self.singletons:
            return [1] * len(self.keys)
        return list(map(operator.sub, islice(self.bounds, 1, None), self.bounds))

    def tests_of(self, indices: Sequence[int]) -> tuple[str, ...]:
        """The tests of the groups at ``indices``, in that order."""
        if self.singletons:
            return tuple(map(self.tests.__getitem__, indices))
        tests, bounds = self.tests, self.bounds
        # the slices made by C-level maps: no Python frame per group on million-id plans
        starts = map(bounds.__getitem__, indices)
        stops = map(bounds.__getitem__, map((1).__add__, indices))
        return tuple(chain.from_iterable(map(tests.__getitem__, map(slice, starts, stops))))

    @property
    def class_runs(self) -> Runs:
        """The class of every test as runs ``(class_key, start, end)`` over ``tests`` (computed once).

        Runs never span two groups unless the tests are globally sorted, where they may.
        """
        if self._class_runs is None:
            if self.ordered:
                self._class_runs = sortedids.class_runs(self.tests)
            elif self.singletons:  # one test per group in no order (stestr's ids, split per test): a run per test
                self._class_runs = [(k, i, i + 1) for i, k in enumerate(map(class_key, self.tests))]
            else:
                runs: Runs = []
                for g in range(len(self.keys)):
                    runs.extend(sortedids.class_runs(self.tests, self.bounds[g], self.bounds[g + 1]))
                self._class_runs = runs
        return self._class_runs

    def _run_spans(self) -> Iterator[tuple[int, int]]:
        """For each group, the first and last index of the class runs that overlap it."""
        runs, bounds = self.class_runs, self.bounds
        r = 0
        for g in range(len(self.keys)):
            lo, hi = bounds[g], bounds[g + 1]
            while runs[r][2] <= lo:
                r += 1
            k = r
            while runs[k][2] < hi:
                k += 1
            yield r, k

    def group_classes(self) -> list[tuple[str, ...]]:
        """The distinct class keys of each group, sorted."""
        runs = self.class_runs
        return [(runs[r][0],) if r == k else tuple(sorted({runs[i][0] for i in range(r, k + 1)}))
                for r, k in self._run_spans()]

    def _one_run_each(self) -> bool:
        """True when every group is exactly one class run (a group per class, as tempest's class regex makes)."""
        runs = self.class_runs
        return len(runs) == len(self.keys) and all(map(operator.eq, (r[1] for r in runs), self.bounds))

    def first_classes(self) -> list[str]:
        """The class of each group's first test (its only class when ``one_class``)."""
        if self._one_run_each():
            return [r[0] for r in self.class_runs]
        return [self.class_runs[r][0] for r, _ in self._run_spans()]

    def class_counts(self) -> list[int]:
        """How many distinct classes each group holds."""
        if self.one_class or self.singletons or self._one_run_each():
            return [1] * len(self.keys)
        return [len(c) for c in self.group_classes()]

    def __eq__(self, other: object) -> bool:
        """Equal to another table (or a tuple of groups) holding the same groups."""
        if isinstance(other, GroupTable):
            return (list(self.keys) == list(other.keys) and list(self.bounds) == list(other.bounds)
                    and list(self.tests) == list(other.tests))
        if isinstance(other, Sequence):
            return len(self) == len(other) and all(map(operator.eq, self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking columns: not hashable

    def __repr__(self) -> str:
        return f"GroupTable({len(self.keys)} groups, {len(self.tests)} tests)"


def sorted_unique(test_ids: Iterable[str]) -> list[str]:
    """The ids sorted, duplicates dropped (listings arrive nearly sorted, where this is linear)."""
    ids = list(test_ids)
    if all(map(operator.lt, ids, islice(ids, 1, None))):
        return ids  # already strictly increasing: sorted, no duplicates (one pass)
    ids.sort()
    if any(map(operator.eq, ids, islice(ids, 1, None))):
        ids = list(dict.fromkeys(ids))
    return ids


def _bulk_runs(grouper: Grouper, ids: list[str]) -> tuple[Runs, Runs | None] | None:
    """Key runs (and class runs, when found on the way) over the sorted ids, when the grouper can find
    them a block at a time; else None."""
    runs = getattr(grouper, "runs", None)
    return runs(ids) if runs is not None else None


def _bulk_keys(grouper: Grouper, ids: list[str]) -> list[str]:
    keys = getattr(grouper, "keys", None)
    return keys(ids) if keys is not None else list(map(grouper, ids))


def group_tests(test_ids: Iterable[str], grouper: Grouper) -> GroupTable:
    """Group ids (duplicates dropped); groups sorted by key, tests sorted inside each group.

    The result does not depend on the input order, which is what makes plans deterministic.
    """
    ids = sorted_unique(test_ids)
    n = len(ids)
    if grouper.spec == "none":
        return GroupTable(ids, ids, range(n + 1), ordered=True, one_class=True)
    one_class = grouper.spec == "class"
    found = (sortedids.class_runs(ids), None) if one_class else _bulk_runs(grouper, ids)
    if found is not None:
        runs, found_classes = found
        if all(map(operator.lt, (r[0] for r in runs), (r[0] for r in islice(runs, 1, None)))):
            table = GroupTable([r[0] for r in runs], ids, [r[1] for r in runs] + [n], ordered=True,
                               one_class=one_class)
            table._class_runs = runs if one_class else found_classes
            return table
        keys = list(chain.from_iterable(repeat(key, stop - start) for key, start, stop in runs))
    else:
        keys = _bulk_keys(grouper, ids)
    tests: list[str] = ids
    # where the key changes; the keys are in order iff they rise at every change
    starts = [0, *compress(range(1, n), map(operator.ne, keys, islice(keys, 1, None)))] if n else []
    ordered = all(keys[s - 1] < keys[s] for s in islice(starts, 1, None))
    if not ordered:
        # a stable sort by key keeps each group's tests in id order
        order = sorted(range(n), key=keys.__getitem__)
        tests = list(map(ids.__getitem__, order))
        keys = list(map(keys.__getitem__, order))
        starts = [0, *compress(range(1, n), map(operator.ne, keys, islice(keys, 1, None)))] if n else []
    return GroupTable(list(map(keys.__getitem__, starts)), tests, [*starts, n], ordered=ordered,
                      one_class=one_class)

