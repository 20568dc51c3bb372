"""Class and group keys of *sorted* test ids, a block at a time: the speed path of grouping.

Keying a million ids one by one costs a Python call each. In sorted order the ids of one class (or one
``group_regex`` key) sit in one contiguous block that a bisection finds, and C-level scans of the block
(``str.count``, ``in``) prove that every id in it has the same key. The results equal
:func:`partitioner.testids.class_key` (and tempest's ``group_regex``) applied id by id; a block that fails
the scans (nested names, dotted attributes, scenarios) is keyed id by id.

A *run* is ``(key, start, end)``: ``ids[start:end]`` all have ``key``, and runs cover the range in order.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

from partitioner.testids import class_key

#: ``(key, start, end)`` stretches of sorted ids that share a key
Runs = list[tuple[str, int, int]]


def class_runs(ids: Sequence[str], lo: int = 0, hi: int | None = None) -> Runs:
    """The class keys of sorted ``ids[lo:hi]`` as runs ``(class_key, start, end)`` covering ``[lo, hi)``.

    Equal to calling :func:`class_key` on every id (a run is a maximal stretch of one class), but one
    call per class: in sorted order every id that starts with ``Class.`` sits in one block that a
    bisection finds, and C-level scans of that block (no ``(`` or space, exactly one dot after the
    class, no empty method name) prove each id in it has that class. A block that fails them (nested
    names, dotted attributes, scenarios) is keyed id by id.

    :param ids: ids sorted ascending over ``[lo, hi)``
    """
    end = len(ids) if hi is None else hi
    runs: Runs = []
    i = lo
    while i < end:
        first = ids[i]
        klass = class_key(first)
        prefix = klass + "."
        stop = i + 1
        if klass and first.startswith(prefix):
            # ids starting with "Class." are exactly those before "Class/" ('/' follows '.')
            stop = _block_end(ids, i, end, klass + "/")
            block = "".join(ids[i:stop])
            attrs_at = bisect_left(ids, prefix + "[", i, stop)
            if not (block.count(".") == (klass.count(".") + 1) * (stop - i) and "(" not in block
                    and " " not in block and not (attrs_at < stop and ids[attrs_at].startswith(prefix + "["))):
                _key_each(ids, i, stop, runs)
                i = stop
                continue
        _append_run(runs, klass, i, stop)
        i = stop
    return runs


def _block_end(ids: Sequence[str], i: int, end: int, bound: str) -> int:
    """The first index in sorted ``ids[i:end]`` at or after ``bound``: gallop (blocks are small next to the
    whole list), then bisect inside the last step."""
    low, step = i, 1
    while i + step < end and ids[i + step] < bound:
        low, step = i + step, step * 2
    return bisect_left(ids, bound, low, min(i + step, end))


def _key_each(ids: Sequence[str], lo: int, hi: int, runs: Runs) -> None:
    """Append the class runs of ``ids[lo:hi]`` keyed one id at a time (merging with the last run)."""
    for i in range(lo, hi):
        _append_run(runs, class_key(ids[i]), i, i + 1)


def last_dot_runs(ids: Sequence[str], lo: int = 0, hi: int | None = None
                  ) -> tuple[Runs, Runs]:
    """Runs of equal ``([^\\.]*\\.)*`` keys in sorted ``ids[lo:hi]``, and the class runs of the same ids.

    That regex is tempest's ``group_regex`` (and stestr's ``parallel_class``): ``match.group(0)`` is the id
    up to and including its last dot, and an id with no dot is a group of its own (the key is the id).
    As in :func:`class_runs`, one key per block: sorted ids starting with ``key`` are contiguous, and when
    they hold no more dots than ``key`` they all have that key; with no ``(``, space or empty method name
    among them, their class is ``key`` without its dot, so the class runs (equal to :func:`class_runs`)
    come from the same pass.

    :returns: ``(key runs, class runs)``, each as ``(key, start, end)`` covering ``[lo, hi)``
    """
    end = len(ids) if hi is None else hi
    keys: Runs = []
    classes: Runs = []
    i = lo
    size = 1  # the last block's size: classes of a suite are often alike, so it is tried first
    while i < end:
        first = ids[i]
        cut = first.rfind(".")
        if cut < 0:
            _append_run(keys, first, i, i + 1)
            _key_each(ids, i, i + 1, classes)
            i += 1
            continue
        key = first[:cut + 1]
        bound = first[:cut] + "/"  # ids starting with "key" sort before "key" with '/' ('/' follows '.')
        guess = i + size
        if guess <= end and ids[guess - 1] < bound and (guess == end or ids[guess] >= bound):
            stop = guess
        else:
            stop = _block_end(ids, i, end, bound)
        size = stop - i
        block = "".join(ids[i:stop])
        if block.count(".") == key.count(".") * size:
            if keys and keys[-1][0] == key and keys[-1][2] == i:
                keys[-1] = (key, keys[-1][1], stop)
            else:
                keys.append((key, i, stop))
            klass = key[:-1]
            attrs_at = bisect_left(ids, key + "[", i, stop)
            if klass and first != key and "(" not in block and " " not in block and "[" not in klass \
                    and "]" not in klass and not (attrs_at < stop and ids[attrs_at].startswith(key + "[")):
                if classes and classes[-1][0] == klass and classes[-1][2] == i:
                    classes[-1] = (klass, classes[-1][1], stop)
                else:
                    classes.append((klass, i, stop))
            else:
                _key_each(ids, i, stop, classes)
        else:
            for k in range(i, stop):
                test_id = ids[k]
                _append_run(keys, test_id[:test_id.rfind(".") + 1] or test_id, k, k + 1)
            _key_each(ids, i, stop, classes)
        i = stop
    return keys, classes


def _append_run(runs: Runs, key: str, start: int, stop: int) -> None:
    if runs and runs[-1][0] == key and runs[-1][2] == start:
        runs[-1] = (key, runs[-1][1], stop)
    else:
        runs.append((key, start, stop))
