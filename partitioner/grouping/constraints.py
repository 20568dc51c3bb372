"""Constraints on where groups go: declared resources merge groups, ``serial`` groups leave the parallel phase.

Without a ``serial`` option, a tempest suite's own serial tests are serial: tempest keeps the tests that must
not run beside any other under ``tempest.serial_tests`` and makes them take a lock for writing that every
other test takes for reading, so in the parallel phase such a test waits for all the others. ``serial``
replaces that default; ``serial = none`` turns it off.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import repeat

from partitioner import testids
from partitioner.errors import ConfigError
from partitioner.grouping.table import Group, GroupTable


@dataclass(frozen=True)
class Merge:
    """Groups joined because their tests share declared resources.

    :ivar key: the merged group's key (``resource:NAME[,NAME...]``)
    :ivar resources: the resource names that joined them
    :ivar members: the original group keys
    """

    key: str
    resources: tuple[str, ...]
    members: tuple[str, ...]


def merge_by_resources(groups: Sequence[Group], resources: Sequence[tuple[str, re.Pattern[str]]]
                       ) -> tuple[GroupTable, tuple[Merge, ...]]:
    """Join every group that has a test matching a resource with the other groups matching it.

    Groups sharing resources merge transitively (union-find). Placing a merged group on one worker
    makes its tests mutually exclusive in time at no cost beyond the imbalance it may cause.

    :param resources: ``(name, compiled regex)`` pairs; a test matches when ``regex.search(id)``
    :returns: the new groups (sorted by key) and one :class:`Merge` per merged set with 2+ groups
    """
    if not resources:
        return GroupTable.from_groups(groups), ()
    parent = list(range(len(groups)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    names: dict[int, set[str]] = {}
    first_holder: dict[str, int] = {}
    for i, group in enumerate(groups):
        for name, pattern in resources:
            if any(pattern.search(t) for t in group.tests):
                names.setdefault(i, set()).add(name)
                if name in first_holder:
                    a, b = find(i), find(first_holder[name])
                    parent[max(a, b)] = min(a, b)
                else:
                    first_holder[name] = i
    components: dict[int, list[int]] = {}
    for i in range(len(groups)):
        components.setdefault(find(i), []).append(i)
    out: list[Group] = []
    merges: list[Merge] = []
    for members in components.values():
        if len(members) == 1:
            out.append(groups[members[0]])
            continue
        used = sorted(set().union(*(names.get(i, set()) for i in members)))
        key = "resource:" + ",".join(used)
        tests = tuple(sorted(t for i in members for t in groups[i].tests))
        out.append(Group(key, tests))
        merges.append(Merge(key, tuple(used), tuple(sorted(groups[i].key for i in members))))
    return (GroupTable.from_groups(sorted(out, key=lambda g: g.key)),
            tuple(sorted(merges, key=lambda m: m.key)))


#: the package where tempest keeps its serial tests (``tempest/serial_tests``, the ``@serial`` class decorator)
TEMPEST_SERIAL = "tempest.serial_tests."
#: the ``serial`` value that makes no test serial (not even tempest's)
NO_SERIAL = "none"


def default_serial(test_ids: Sequence[str], ordered: bool = False) -> Callable[[str], bool] | None:
    """The ``serial`` rule when the option is not set: tempest's serial tests, when the ids include any.

    :param ordered: ``test_ids`` is sorted (:attr:`GroupTable.ordered`): one bisection instead of a pass over a
        million ids on every run
    :returns: a predicate matching the ids under :data:`TEMPEST_SERIAL`, or ``None`` (no serial phase)
    """
    if ordered:
        at = bisect_left(test_ids, TEMPEST_SERIAL)
        found = at < len(test_ids) and test_ids[at].startswith(TEMPEST_SERIAL)
    else:
        found = any(map(str.startswith, test_ids, repeat(TEMPEST_SERIAL)))  # no Python frame per id
    if not found:
        return None
    return lambda test_id: test_id.startswith(TEMPEST_SERIAL)


def serial_matcher(spec: str, where: str = "serial") -> Callable[[str], bool]:
    """A predicate for the ``serial`` option: ``[attr]`` matches a test attribute, ``none`` nothing (not even
    tempest's serial tests), anything else is a regex search."""
    text = spec.strip()
    if text.lower() == NO_SERIAL:
        return lambda test_id: False
    if text.startswith("[") and text.endswith("]") and len(text) > 2:
        wanted = {a.strip() for a in text[1:-1].split(",") if a.strip()}
        return lambda test_id: bool(wanted.intersection(testids.parse(test_id).attrs))
    try:
        pattern = re.compile(text)
    except re.error as exc:
        raise ConfigError(f"invalid serial regex {text!r} in {where}: {exc}; fix the regular expression "
                          "or use [attr] for a test attribute") from exc
    return lambda test_id: pattern.search(test_id) is not None


def split_serial(groups: Sequence[Group], is_serial: Callable[[str], bool] | None
                 ) -> tuple[GroupTable, GroupTable]:
    """``(parallel, serial)``: a group with any serial test is serial as a whole."""
    if is_serial is None:
        return GroupTable.from_groups(groups), GroupTable.from_groups(())
    serial = [g for g in groups if any(is_serial(t) for t in g.tests)]
    chosen = {g.key for g in serial}
    return (GroupTable.from_groups([g for g in groups if g.key not in chosen]),
            GroupTable.from_groups(serial))
