"""What a strategy is and what it is given: the :class:`Strategy` protocol, :class:`GroupCost`, :class:`CostTable`.

A strategy sees only costed groups (sorted by key) and a worker count, and returns which group indices
each worker gets. Grouping, estimation and rendering are not its business, so a new strategy is small.
The cost model (:mod:`partitioner.estimate`) produces a :class:`CostTable`; a strategy plugin may also be
handed any sequence of :class:`GroupCost` values and reads it through :meth:`CostTable.of`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

from partitioner.columns import Rows


class Strategy(Protocol):
    """**Protocol:** assign costed groups to ``n`` workers.

    ``assign`` gets groups sorted by key and returns exactly ``n`` lists of group indices that together
    hold every index once. It must be deterministic: equal inputs give equal outputs.
    """

    name: str
    cost_aware: bool
    description: str

    def assign(self, groups: Sequence[GroupCost], n: int) -> list[list[int]]: ...


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


class CostTable(Rows[GroupCost]):
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

    def row(self, index: int) -> GroupCost:
        """Group ``index``'s cost."""
        return GroupCost(self.keys[index], self.cost[index], self.setup_s[index], self.measured_tests_s[index],
                         self.estimated_s[index], self.n_tests[index], self.n_unmeasured[index])
