"""Column helpers: the speed tricks that keep planning near linear on million-id inputs, in one place.

The core keeps one list per field (a column) instead of a value per test or per group. The helpers here do
per-item work in C-level passes (``map``, ``compress``, ``operator``) so that the rules using them
(:mod:`partitioner.estimate`, :mod:`partitioner.grouping`) read as rules:

* :data:`ABSENT` marks a missing number in a float column by *identity*, so sums need no filtering;
* :func:`positions_of` finds the items that are one object; :func:`scatter` writes one value at many
  positions; :func:`fill` writes values found in a mapping;
* :class:`Same` is ``n`` times one value without a list of them;
* :class:`Rows` views columns as a sequence of rows (``NamedTuple`` values built on access).
"""

from __future__ import annotations

import operator
from collections import deque
from collections.abc import Iterable, Sequence
from itertools import compress, repeat
from typing import TypeVar, overload

_T = TypeVar("_T")
_R = TypeVar("_R")

#: a missing number in a float column: equal to 0.0 (so a sum over the column ignores it) but a private
#: object, told from every real 0.0 by ``is``; never store it in a mapping or return it to callers
ABSENT = float("0")


def positions_of(values: Sequence[object], marker: object) -> list[int]:
    """The positions of the items that *are* ``marker`` (identity), ascending."""
    return list(compress(range(len(values)), map(operator.is_, values, repeat(marker))))


def scatter(target: list[_T], positions: Sequence[int], value: _T) -> None:
    """``target[i] = value`` for every ``i`` in ``positions`` (one C-level pass, no Python loop)."""
    deque(map(target.__setitem__, positions, repeat(value, len(positions))), maxlen=0)


def fill(target: list[float], positions: Sequence[int], found: Iterable[float | None]
         ) -> tuple[list[int], list[int]]:
    """Write ``found`` (aligned with ``positions``; ``None`` = not found) into ``target`` as floats.

    :returns: ``(filled, missing)``: the positions written, and those still missing, both ascending
    """
    filled: list[int] = []
    missing: list[int] = []
    for i, value in zip(positions, found, strict=True):
        if value is None:
            missing.append(i)
        else:
            target[i] = float(value)
            filled.append(i)
    return filled, missing


class Same(Sequence[_T]):
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


class Rows(Sequence[_R]):
    """A sequence of rows built on access from columns; a subclass defines ``__len__`` and :meth:`row`."""

    __slots__ = ()

    def row(self, index: int) -> _R:
        """Row ``index`` (``0 <= index < len(self)``)."""
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> _R: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[_R, ...]: ...

    def __getitem__(self, index: int | slice) -> _R | tuple[_R, ...]:
        n = len(self)
        if isinstance(index, slice):
            return tuple(map(self.row, range(*index.indices(n))))
        if not -n <= index < n:
            raise IndexError(index)
        return self.row(index % n)
