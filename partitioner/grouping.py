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
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

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


@dataclass(frozen=True)
class RegexGrouper:
    """testr/stestr ``group_regex``: the group is ``match.group(0)``; no match means a group of its own."""

    spec: str
    pattern: re.Pattern[str]

    def __call__(self, test_id: str) -> str:
        match = self.pattern.match(test_id)
        return match.group(0) if match and match.group(0) else test_id


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


def group_tests(test_ids: Iterable[str], grouper: Grouper) -> tuple[Group, ...]:
    """Group ids (duplicates dropped); groups sorted by key, tests sorted inside each group.

    The result does not depend on the input order, which is what makes plans deterministic.
    """
    buckets: dict[str, list[str]] = {}
    for test_id in dict.fromkeys(test_ids):
        key = grouper(test_id)
        bucket = buckets.get(key)
        if bucket is None:
            buckets[key] = [test_id]
        else:
            bucket.append(test_id)
    return tuple([Group(key, (ids[0],) if len(ids) == 1 else tuple(sorted(ids)))
                  for key, ids in sorted(buckets.items())])


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
                       ) -> tuple[tuple[Group, ...], tuple[Merge, ...]]:
    """Join every group that has a test matching a resource with the other groups matching it.

    Groups sharing resources merge transitively (union-find). Placing a merged group on one worker
    makes its tests mutually exclusive in time at no cost beyond the imbalance it may cause.

    :param resources: ``(name, compiled regex)`` pairs; a test matches when ``regex.search(id)``
    :returns: the new groups (sorted by key) and one :class:`Merge` per merged set with 2+ groups
    """
    if not resources:
        return tuple(groups), ()
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
    return tuple(sorted(out, key=lambda g: g.key)), tuple(sorted(merges, key=lambda m: m.key))


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
                 ) -> tuple[tuple[Group, ...], tuple[Group, ...]]:
    """``(parallel, serial)``: a group with any serial test is serial as a whole."""
    if is_serial is None:
        return tuple(groups), ()
    serial = tuple(g for g in groups if any(is_serial(t) for t in g.tests))
    chosen = {g.key for g in serial}
    return tuple(g for g in groups if g.key not in chosen), serial
