"""Groupers: map each test id to the group that must land whole on one worker.

Specs (``--group-by`` and the ``group_by`` option)::

    class              default; tempest's group_regex=([^\\.]*\\.)* made attrs- and scenario-aware
    module             every test of a module together
    none               every test alone
    regex:RE           testr/stestr group_regex semantics: group = RE.match(id).group(0); no match = alone
    callback:MOD:FUNC  (or MOD:FUNC) a function of the test id returning a group key, or None for alone
"""

from __future__ import annotations

import importlib
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, compress, islice, repeat
from typing import NamedTuple, Protocol, overload

from partitioner import testids
from partitioner.errors import ConfigError, PluginError, UsageError


class Grouper(Protocol):
    """**Protocol:** names a test's group; ``spec`` is the text that recreates it."""

    @property
    def spec(self) -> str: ...

    def __call__(self, test_id: str) -> str: ...


class Group(NamedTuple):
    """Tests that must run on the same worker (a NamedTuple: immutable and cheap for million-id inputs).

    :ivar key: the group key (e.g. the class ``pkg.mod.Class``)
    :ivar tests: its test ids, sorted
    """

    key: str
    tests: tuple[str, ...]


@dataclass(frozen=True)
class _KeyGrouper:
    spec: str
    key: Callable[[str], str]

    def __call__(self, test_id: str) -> str:
        return self.key(test_id)

    def keys(self, test_ids: list[str]) -> list[str]:
        """The key of each id (one C-level pass)."""
        return list(map(self.key, test_ids))


#: ``(key, start, end)`` stretches of sorted ids that share a key
Runs = list[tuple[str, int, int]]

#: spellings of tempest's group_regex (stestr's parallel_class): the id up to its last dot
LAST_DOT_PATTERNS = frozenset({r"([^\.]*\.)*", r"([^.]*\.)*"})


@dataclass(frozen=True)
class RegexGrouper:
    """testr/stestr ``group_regex``: the group is ``match.group(0)``; no match means a group of its own."""

    spec: str
    pattern: re.Pattern[str]

    def __call__(self, test_id: str) -> str:
        match = self.pattern.match(test_id)
        return match.group(0) if match and match.group(0) else test_id

    def runs(self, sorted_ids: list[str]) -> tuple[Runs, Runs | None] | None:
        """``(key runs, class runs)`` over sorted ids without matching each one, for tempest's class
        regex; else ``None``."""
        if self.pattern.pattern in LAST_DOT_PATTERNS and not self.pattern.flags & ~re.UNICODE:
            return testids.last_dot_runs(sorted_ids)
        return None

    def keys(self, test_ids: list[str]) -> list[str]:
        """The key of each id."""
        matches = map(self.pattern.match, test_ids)
        return [m.group(0) if m and m.group(0) else t for m, t in zip(matches, test_ids, strict=True)]


@dataclass(frozen=True)
class CallbackGrouper:
    """A user function ``f(test_id) -> str | None``; ``None`` or ``""`` means a group of its own."""

    spec: str
    func: Callable[[str], object]

    def __call__(self, test_id: str) -> str:
        try:
            key = self.func(test_id)
        except Exception as exc:  # a user callback may raise anything; report it as ours
            raise PluginError(f"group callback {self.spec!r} raised {type(exc).__name__}: {exc} "
                              f"on test id {test_id!r}; fix the callback or use --group-by class") from exc
        return str(key) if key else test_id

    def keys(self, test_ids: list[str]) -> list[str]:
        """The key of each id: the callback mapped over all of them, checked once at the end."""
        try:
            raw = list(map(self.func, test_ids))
        except Exception:  # find the id it raised on, and report it as __call__ does
            for test_id in test_ids:
                self(test_id)
            raise
        if all(raw) and all(map(isinstance, raw, repeat(str))):
            return raw  # type: ignore[return-value]  # every key is a non-empty str
        return [str(k) if k else t for k, t in zip(raw, test_ids, strict=True)]


# The group callback testr and stestr build from ``group_regex``, written exactly as theirs (no docstring,
# no explicit ``return None``) so that its code object is the same as theirs.
def _tool_callback(test_id: str, regex: re.Pattern[str] = re.compile("")) -> str | None:  # type: ignore[return]  # noqa: RET503
    match = regex.match(test_id)
    if match:
        return match.group(0)


def tool_callback_regex(func: Callable[[str], object]) -> re.Pattern[str] | None:
    """The ``group_regex`` behind ``func`` when it is exactly the callback testr and stestr build, else None.

    Both tools pass ``def group_callback(test_id, regex=re.compile(group_regex))`` returning
    ``regex.match(test_id).group(0)`` or None. A function with the same code (bytecode, constants, names;
    no closure) and one compiled pattern as its default behaves exactly as that pattern does, so the hooks
    group by the pattern itself (:class:`RegexGrouper`) and skip a Python call per id.
    """
    code, reference = getattr(func, "__code__", None), _tool_callback.__code__
    defaults = getattr(func, "__defaults__", None)
    if code is None or not defaults or len(defaults) != 1 or not isinstance(defaults[0], re.Pattern):
        return None
    if getattr(func, "__closure__", None) or getattr(func, "__kwdefaults__", None):
        return None
    same = (code.co_code == reference.co_code and code.co_consts == reference.co_consts
            and code.co_names == reference.co_names and code.co_varnames == reference.co_varnames
            and code.co_argcount == reference.co_argcount)
    return defaults[0] if same and isinstance(defaults[0].pattern, str) else None


def grouper_for_callback(func: Callable[[str], object], spec: str = "callback") -> Grouper:
    """A grouper with stestr's callback semantics (``func(id) or id``); testr/stestr's own regex callback
    becomes the equivalent :class:`RegexGrouper`."""
    pattern = tool_callback_regex(func)
    if pattern is not None:
        return RegexGrouper(f"regex:{pattern.pattern}", pattern)
    return CallbackGrouper(spec, func)


BUILTIN: Mapping[str, Grouper] = {
    "class": _KeyGrouper("class", testids.class_key),
    "module": _KeyGrouper("module", testids.module_key),
    "none": _KeyGrouper("none", lambda test_id: test_id),
}


def regex_grouper(regex: str, where: str = "--group-by") -> RegexGrouper:
    """A grouper from a ``group_regex``; an invalid regex raises :class:`ConfigError` naming ``where``."""
    try:
        return RegexGrouper(f"regex:{regex}", re.compile(regex))
    except re.error as exc:
        raise ConfigError(f"invalid group regex {regex!r} in {where}: {exc}; "
                          "fix the regular expression (Python re syntax)") from exc


def callback_grouper(target: str) -> CallbackGrouper:
    """Import ``package.module:function`` and wrap it as a grouper."""
    module_name, sep, func_name = target.partition(":")
    if not sep or not module_name or not func_name:
        raise UsageError(f"group callback {target!r} is not of the form package.module:function")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise PluginError(f"cannot import group callback module {module_name!r}: {exc}; "
                          "check the name and that it is importable from the working directory") from exc
    func = getattr(module, func_name, None)
    if not callable(func):
        raise PluginError(f"module {module_name!r} has no callable {func_name!r} for the group callback")
    return CallbackGrouper(f"callback:{target}", func)


def make_grouper(spec: str, where: str = "--group-by") -> Grouper:
    """Build a grouper from its spec (see the module docstring).

    :raises UsageError: unknown spec
    :raises ConfigError: invalid regex
    :raises PluginError: callback not importable
    """
    if spec in BUILTIN:
        return BUILTIN[spec]
    if spec.startswith("regex:"):
        return regex_grouper(spec[len("regex:"):], where)
    if spec.startswith("callback:"):
        return callback_grouper(spec[len("callback:"):])
    if ":" in spec and re.fullmatch(r"[\w.]+:\w+", spec):
        return callback_grouper(spec)
    raise UsageError(f"unknown grouping {spec!r} in {where}; choose one of: class, module, none, "
                     "regex:RE, callback:package.module:function")


class GroupTable(Sequence[Group]):
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
        self._class_runs: list[tuple[str, int, int]] | None = None

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

    @overload
    def __getitem__(self, index: int) -> Group: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Group, ...]: ...

    def __getitem__(self, index: int | slice) -> Group | tuple[Group, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self.keys))))
        if index < 0:
            index += len(self.keys)
        return Group(self.keys[index], tuple(self.tests[self.bounds[index]:self.bounds[index + 1]]))

    def __iter__(self) -> Iterator[Group]:
        tests, bounds = self.tests, self.bounds
        for g, key in enumerate(self.keys):
            yield Group(key, tuple(tests[bounds[g]:bounds[g + 1]]))

    @property
    def singletons(self) -> bool:
        """True when every group holds one test."""
        return len(self.tests) == len(self.keys)

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
        return tuple(chain.from_iterable(tests[bounds[i]:bounds[i + 1]] for i in indices))

    @property
    def class_runs(self) -> list[tuple[str, int, int]]:
        """The class of every test as runs ``(class_key, start, end)`` over ``tests`` (computed once).

        Runs never span two groups unless the tests are globally sorted, where they may.
        """
        if self._class_runs is None:
            if self.ordered:
                self._class_runs = testids.class_runs(self.tests)
            else:
                runs: list[tuple[str, int, int]] = []
                for g in range(len(self.keys)):
                    runs.extend(testids.class_runs(self.tests, self.bounds[g], self.bounds[g + 1]))
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

    def first_classes(self) -> list[str]:
        """The class of each group's first test (its only class when ``one_class``)."""
        runs, bounds = self.class_runs, self.bounds
        if len(runs) == len(self.keys) and all(map(operator.eq, (r[1] for r in runs), bounds)):
            return [r[0] for r in runs]
        return [runs[r][0] for r, _ in self._run_spans()]

    def class_counts(self) -> list[int]:
        """How many distinct classes each group holds."""
        if self.one_class or self.singletons:
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
    found = (testids.class_runs(ids), None) if one_class else _bulk_runs(grouper, ids)
    if found is not None:
        runs, class_runs = found
        if all(map(operator.lt, (r[0] for r in runs), (r[0] for r in islice(runs, 1, None)))):
            table = GroupTable([r[0] for r in runs], ids, [r[1] for r in runs] + [n], ordered=True,
                               one_class=one_class)
            table._class_runs = runs if one_class else class_runs
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


def serial_matcher(spec: str, where: str = "serial") -> Callable[[str], bool]:
    """A predicate for the ``serial`` option: ``[attr]`` matches a test attribute, else a regex search."""
    text = spec.strip()
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
