"""Delta debugging (Zeller and Hildebrandt's *ddmin*): a subset of a failing sequence of which no item can be
left out, keeping the items' order; pure.

The caller owns the experiments: :func:`ddmin` is a generator that yields whatever the caller's ``fails``
yields (a trial to run) and is sent the outcomes, so the same search runs with trials on real test processes
or on a table in a test. ``fails`` may answer from a cache without yielding.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import TypeVar

T = TypeVar("T")
Q = TypeVar("Q")


def ddmin(items: tuple[T, ...], fails: Callable[[tuple[T, ...]], Generator[Q, bool, bool]],
          cost: Callable[[Sequence[T]], float]) -> Generator[Q, bool, tuple[T, ...]]:
    """A subset of ``items`` (known to fail) of which none can be left out.

    ``items`` is cut into two parts, each tried alone (the cheaper by ``cost`` first); when neither fails, into
    finer parts and their complements, and so on; a part or complement that fails is searched on.

    :param fails: whether the thing fails with only these items (in their order): a generator that yields the
        trials it needs and returns the answer
    :param cost: what trying some items costs (the cheaper part is tried first: either may be the one)
    """
    chunks = 2
    while len(items) >= 2:
        parts = sorted(parts_of(items, chunks), key=cost)
        for part in parts:
            if (yield from fails(part)):
                items, chunks = part, 2
                break
        else:
            rests = [tuple(u for u in items if u not in part) for part in parts] if chunks > 2 else []
            for rest in sorted(rests, key=cost):
                if (yield from fails(rest)):
                    items, chunks = rest, max(chunks - 1, 2)
                    break
            else:
                if chunks >= len(items):
                    break
                chunks = min(len(items), 2 * chunks)
    return items


def parts_of(items: tuple[T, ...], count: int) -> list[tuple[T, ...]]:
    """``items`` cut into ``count`` consecutive parts of near-equal length (no empty part)."""
    size, extra = divmod(len(items), count)
    parts, at = [], 0
    for index in range(count):
        width = size + (index < extra)
        if width:
            parts.append(items[at:at + width])
        at += width
    return parts
