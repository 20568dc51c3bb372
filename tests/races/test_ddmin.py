"""Tests for partitioner.races.ddmin: the smallest failing subset, in order (repeated questions are the caller's
cache to answer: races.order's Bisect keeps one)."""

from __future__ import annotations

from collections.abc import Callable, Generator

import testtools
from hypothesis import given, settings
from hypothesis import strategies as st

from partitioner.races.ddmin import ddmin, parts_of

Items = tuple[int, ...]


def search(items: Items, fails: Callable[[Items], bool]) -> tuple[Items, list[Items]]:
    """Drive :func:`ddmin` as a caller does: run each trial it yields, send back the outcome."""
    def ask(part: Items) -> Generator[Items, bool, bool]:
        return (yield part)

    asked: list[Items] = []
    steps = ddmin(items, ask, len)
    try:
        trial = next(steps)
        while True:
            asked.append(trial)
            trial = steps.send(fails(trial))
    except StopIteration as done:
        found: Items = done.value
    return found, asked


class TestDdmin(testtools.TestCase):
    def test_one_culprit_among_eight_in_three_halvings(self) -> None:
        found, asked = search(tuple(range(8)), lambda part: 5 in part)
        self.assertEqual((5,), found)
        self.assertEqual([(0, 1, 2, 3), (4, 5, 6, 7), (4, 5), (4,), (5,)], asked)

    def test_two_culprits_far_apart_keep_their_order(self) -> None:
        found, _ = search(tuple(range(10)), lambda part: {1, 8} <= set(part))
        self.assertEqual((1, 8), found)

    def test_a_single_item_is_not_tried(self) -> None:
        self.assertEqual(((3,), []), search((3,), lambda part: True))

    def test_the_cheaper_part_first(self) -> None:
        def ask(part: Items) -> Generator[Items, bool, bool]:
            return (yield part)

        steps = ddmin((9, 9, 1, 1), ask, sum)
        self.assertEqual((1, 1), next(steps), "the second part costs less, so it is tried first")

    @given(st.integers(min_value=1, max_value=24), st.sets(st.integers(min_value=0, max_value=23), min_size=1))
    @settings(max_examples=200, deadline=None)
    def test_finds_exactly_the_culprits_of_a_monotone_failure(self, size: int, culprits: set[int]) -> None:
        culprits = {c for c in culprits if c < size} or {size - 1}
        found, asked = search(tuple(range(size)), lambda part: culprits <= set(part))
        self.assertEqual(tuple(sorted(culprits)), found)
        self.assertTrue(all(len(part) < size for part in asked), "the whole, known to fail, is not asked again")


class TestPartsOf(testtools.TestCase):
    @given(st.integers(min_value=0, max_value=40), st.integers(min_value=1, max_value=12))
    def test_consecutive_near_equal_and_never_empty(self, size: int, count: int) -> None:
        items = tuple(range(size))
        parts = parts_of(items, count)
        self.assertEqual(items, tuple(i for part in parts for i in part))
        self.assertTrue(all(parts))
        lengths = [len(p) for p in parts]
        self.assertLessEqual(max(lengths, default=0) - min(lengths, default=0), 1)
        self.assertEqual(min(size, count), len(parts))
