"""Parse test ids as testr, stestr and tempest produce them, and derive class and module keys.

Handled forms (never raises, whatever the string)::

    pkg.mod.Class.test_x                          dotted method
    pkg.mod.Class.test_x[id-1f2e,smoke]           tempest attributes
    pkg.mod.Class.test_x(scenario one)            testscenarios suffix (may contain dots)
    pkg.mod.Class.test_x[smoke](scenario)         both, in either order
    setUpClass (pkg.mod.Class)                    fixture-failure pseudo-test: belongs to pkg.mod.Class
    pkg.mod.func                                  doctest or module-level function
    some test name                                not dotted at all: its own class and module
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

# A fixture pseudo-test: "setUpClass (pkg.mod.Class)", "tearDownModule (pkg.mod)", ...
_FIXTURE = re.compile(r"^(setUpClass|tearDownClass|setUpModule|tearDownModule) \((?P<target>[^()]*)\)$")
# Trailing "[attrs]" or "(scenario)" suffixes, peeled off one at a time from the right.
_ATTRS = re.compile(r"\[(?P<attrs>[^\[\]]*)\]$")
_SCENARIO = re.compile(r"\((?P<scenario>[^()]*)\)$")


@dataclass(frozen=True)
class TestId:
    """A parsed test id.

    :ivar raw: the id as given
    :ivar base: the id without ``[attrs]`` and ``(scenario)`` suffixes
    :ivar attrs: the attribute names from ``[...]``, in order
    :ivar scenario: the testscenarios name, or ``None``
    :ivar class_key: the class (``pkg.mod.Class``) the test belongs to
    :ivar module_key: the module (``pkg.mod``) the test belongs to
    :ivar fixture: ``setUpClass`` etc. for fixture pseudo-tests, else ``None``
    """

    __test__ = False

    raw: str
    base: str
    attrs: tuple[str, ...]
    scenario: str | None
    class_key: str
    module_key: str
    fixture: str | None = None


@lru_cache(maxsize=65536)
def parse(test_id: str) -> TestId:
    """Parse one id; never raises.

    :param test_id: an id as a runner reports it
    :returns: the parsed :class:`TestId`
    """
    fixture = _FIXTURE.match(test_id)
    if fixture:
        target = fixture.group("target")
        is_module = fixture.group(1).endswith("Module")
        module = target if is_module else _parent(target)
        return TestId(test_id, test_id, (), None, target, module, fixture.group(1))
    base = test_id
    attrs: tuple[str, ...] = ()
    scenario: str | None = None
    for _ in range(2):
        m = _ATTRS.search(base)
        if m and m.start() > 0 and not attrs:
            attrs = tuple(a.strip() for a in m.group("attrs").split(",") if a.strip())
            base = base[: m.start()]
            continue
        m = _SCENARIO.search(base)
        if m and m.start() > 0 and scenario is None and not base[: m.start()].endswith(" "):
            scenario = m.group("scenario")
            base = base[: m.start()]
            continue
        break
    klass = _parent(base)
    module = _parent(klass) if klass != base else base
    return TestId(test_id, base, attrs, scenario, klass, module)


def parent(dotted: str) -> str:
    """``a.b.c`` -> ``a.b``; a string without a usable dot is its own parent (a class's module)."""
    return _parent(dotted)


def _parent(dotted: str) -> str:
    """``a.b.c`` -> ``a.b``; a string without a usable dot is its own parent."""
    head, sep, tail = dotted.rpartition(".")
    if not sep or not head or not tail:
        return dotted
    return head


def _plain_base(test_id: str) -> str | None:
    """The base of a common ``pkg.mod.Class.test`` or ``...test[attrs]`` id, ``None`` for anything else.

    The hot path for million-id suites: it skips the parser and its cache.
    """
    if "(" in test_id or " " in test_id:
        return None
    bracket = test_id.find("[")
    if bracket < 0:
        return test_id
    if bracket > 0 and test_id.endswith("]") and test_id.find("[", bracket + 1) < 0 and "]" not in test_id[:-1]:
        return test_id[:bracket]
    return None


def class_key(test_id: str) -> str:
    """The class a test belongs to: what tempest's ``group_regex=([^\\.]*\\.)*`` means, suffix-aware."""
    # _plain_base and _parent inlined: this runs once or twice per id on million-id inputs
    if "(" not in test_id and " " not in test_id:
        bracket = test_id.find("[")
        if bracket < 0:
            base = test_id
        elif bracket > 0 and test_id[-1] == "]" and test_id.find("[", bracket + 1) < 0 \
                and test_id.find("]") == len(test_id) - 1:
            base = test_id[:bracket]
        else:
            return parse(test_id).class_key
        head, sep, tail = base.rpartition(".")
        return head if sep and head and tail else base
    return parse(test_id).class_key


def module_key(test_id: str) -> str:
    """The module a test belongs to."""
    base = _plain_base(test_id)
    if base is not None:
        klass = _parent(base)
        return _parent(klass) if klass != base else base
    return parse(test_id).module_key


def canonical(test_id: str) -> str:
    """The id with its ``[attrs]`` removed: the key stestr stores times under, and ours for history.

    testr stores raw ids and stestr stores ids with attributes stripped; keying history by this form
    lets both match the same test.
    """
    start = test_id.find("[")
    end = test_id.find("]", start + 1)
    if start > 0 and end > start:
        return test_id[:start] + test_id[end + 1 :]
    return test_id


def class_runs(ids: Sequence[str], lo: int = 0, hi: int | None = None) -> list[tuple[str, int, int]]:
    """The class keys of sorted ``ids[lo:hi]`` as runs ``(class_key, start, end)`` covering ``[lo, hi)``.

    Equal to calling :func:`class_key` on every id (a run is a maximal stretch of one class), but one
    call per class: in sorted order every id that starts with ``Class.`` sits in one block that a
    bisection finds, and C-level scans of that block (no ``(`` or space, exactly one dot after the
    class, no empty method name) prove each id in it has that class. A block that fails them (nested
    names, dotted attributes, scenarios) is keyed id by id.

    :param ids: ids sorted ascending over ``[lo, hi)``
    """
    end = len(ids) if hi is None else hi
    runs: list[tuple[str, int, int]] = []
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


def _key_each(ids: Sequence[str], lo: int, hi: int, runs: list[tuple[str, int, int]]) -> None:
    """Append the class runs of ``ids[lo:hi]`` keyed one id at a time (merging with the last run)."""
    for i in range(lo, hi):
        _append_run(runs, class_key(ids[i]), i, i + 1)


def last_dot_runs(ids: Sequence[str], lo: int = 0, hi: int | None = None
                  ) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
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
    keys: list[tuple[str, int, int]] = []
    classes: list[tuple[str, int, int]] = []
    i = lo
    while i < end:
        first = ids[i]
        cut = first.rfind(".")
        if cut < 0:
            _append_run(keys, first, i, i + 1)
            _key_each(ids, i, i + 1, classes)
            i += 1
            continue
        key = first[:cut + 1]
        stop = _block_end(ids, i, end, key[:-1] + "/")  # ids starting with "key" sort before "key" with '/'
        block = "".join(ids[i:stop])
        if block.count(".") == key.count(".") * (stop - i):
            _append_run(keys, key, i, stop)
            klass = key[:-1]
            attrs_at = bisect_left(ids, key + "[", i, stop)
            if klass and first != key and "(" not in block and " " not in block and "[" not in klass \
                    and "]" not in klass and not (attrs_at < stop and ids[attrs_at].startswith(key + "[")):
                _append_run(classes, klass, i, stop)
            else:
                _key_each(ids, i, stop, classes)
        else:
            for k in range(i, stop):
                test_id = ids[k]
                _append_run(keys, test_id[:test_id.rfind(".") + 1] or test_id, k, k + 1)
            _key_each(ids, i, stop, classes)
        i = stop
    return keys, classes


def _append_run(runs: list[tuple[str, int, int]], key: str, start: int, stop: int) -> None:
    if runs and runs[-1][0] == key and runs[-1][2] == start:
        runs[-1] = (key, runs[-1][1], stop)
    else:
        runs.append((key, start, stop))
