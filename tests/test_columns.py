"""Tests for partitioner.columns: the speed helpers behave as the plain Python they replace."""

from __future__ import annotations

from collections.abc import Sequence

import testtools
from hypothesis import given
from hypothesis import strategies as st

from partitioner.columns import ABSENT, Rows, Same, fill, positions_of, scatter


class TestAbsent(testtools.TestCase):
    def test_sums_as_zero_but_is_told_from_every_real_zero(self) -> None:
        column = [1.5, ABSENT, 0.0, float("0"), 2.0]
        self.assertEqual(3.5, sum(column))
        self.assertEqual([1], positions_of(column, ABSENT))

    @given(st.lists(st.one_of(st.none(), st.integers())))
    def test_positions_of_is_an_identity_filter(self, values: list[int | None]) -> None:
        self.assertEqual([i for i, v in enumerate(values) if v is None], positions_of(values, None))


class TestScatterAndFill(testtools.TestCase):
    @given(st.lists(st.floats(allow_nan=False), min_size=1), st.data())
    def test_scatter_writes_one_value_at_each_position(self, column: list[float], data: st.DataObject) -> None:
        positions = sorted(data.draw(st.sets(st.integers(0, len(column) - 1))))
        expected = [7.0 if i in positions else v for i, v in enumerate(column)]
        scatter(column, positions, 7.0)
        self.assertEqual(expected, column)

    def test_fill_writes_what_was_found_and_returns_the_rest(self) -> None:
        column = [ABSENT] * 5
        times = {"b": 2, "d": 4.5}
        filled, missing = fill(column, [1, 2, 3], map(times.get, ["b", "c", "d"]))
        self.assertEqual(([1, 3], [2]), (filled, missing))
        self.assertEqual([0.0, 2.0, 0.0, 4.5, 0.0], column)
        self.assertIsInstance(column[1], float)
        self.assertEqual([0, 2, 4], positions_of(column, ABSENT))


def assert_indexes_like(case: testtools.TestCase, actual: Sequence[object], plain: Sequence[object], start: int,
                        stop: int) -> None:
    """``actual`` iterates, slices and indexes (out-of-range too) as ``plain`` does."""
    case.assertEqual(list(plain), list(actual))
    case.assertEqual(list(plain[start:stop]), list(actual[start:stop]))
    if -len(plain) <= start < len(plain):
        case.assertEqual(plain[start], actual[start])
    else:
        case.assertRaises(IndexError, actual.__getitem__, start)


class TestSame(testtools.TestCase):
    @given(st.integers(0, 20), st.integers(-25, 25), st.integers(-25, 25))
    def test_behaves_as_a_list_of_one_value(self, n: int, start: int, stop: int) -> None:
        assert_indexes_like(self, Same("x", n), ["x"] * n, start, stop)


class _Squares(Rows[int]):
    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def row(self, index: int) -> int:
        return index * index


class TestRows(testtools.TestCase):
    @given(st.integers(0, 20), st.integers(-25, 25), st.integers(-25, 25))
    def test_indexes_like_a_tuple_of_its_rows(self, n: int, start: int, stop: int) -> None:
        rows = _Squares(n)
        assert_indexes_like(self, rows, tuple(i * i for i in range(n)), start, stop)
        self.assertIsInstance(rows[start:stop], tuple)
