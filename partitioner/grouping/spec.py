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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import repeat
from typing import Protocol

from partitioner import testids
from partitioner.errors import ConfigError, PluginError, UsageError
from partitioner.sortedids import Runs, last_dot_runs

#: spellings of tempest's group_regex (stestr's ``parallel_class``): each id's group is the id up to its
#: last dot, i.e. its class. A config file's ``group_regex`` spelled so means ``group_by = class``; a
#: :class:`RegexGrouper` with one of them keys sorted ids a block at a time (:mod:`partitioner.sortedids`)
CLASS_REGEXES = frozenset({r"([^\.]*\.)*", r"([^.]*\.)*", r"([^\.]+\.)+"})
#: the spelling that wants non-empty segments: it equals "up to the last dot" on ids with no ``..`` that do not
#: start with a dot (every real one); others are matched one by one
_NON_EMPTY_SEGMENTS = r"([^\.]+\.)+"


class Grouper(Protocol):
    """**Protocol:** names a test's group; ``spec`` is the text that recreates it."""

    @property
    def spec(self) -> str: ...

    def __call__(self, test_id: str) -> str: ...


@dataclass(frozen=True)
class _KeyGrouper:
    spec: str
    key: Callable[[str], str]

    def __call__(self, test_id: str) -> str:
        return self.key(test_id)

    def keys(self, test_ids: list[str]) -> list[str]:
        """The key of each id (one C-level pass)."""
        return list(map(self.key, test_ids))


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
        pattern = self.pattern.pattern
        if pattern not in CLASS_REGEXES or self.pattern.flags & ~re.UNICODE:
            return None
        if pattern == _NON_EMPTY_SEGMENTS:
            joined = "\n".join(sorted_ids)
            if ".." in joined or joined.startswith(".") or "\n." in joined:
                return None
        return last_dot_runs(sorted_ids)

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
                              f"on test id {test_id!r}; fix the callback or group by class instead") from exc
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


def _bad_value(where: str) -> type[UsageError] | type[ConfigError]:
    """How a bad spec fails: a usage error (exit 2) when a flag gave it, a config error (exit 1) from a file."""
    return UsageError if where.startswith("-") else ConfigError


def regex_grouper(regex: str, where: str = "--group-by") -> RegexGrouper:
    """A grouper from a ``group_regex``; an invalid regex raises :class:`UsageError` when ``where`` is a flag,
    else :class:`ConfigError`, naming ``where``."""
    try:
        return RegexGrouper(f"regex:{regex}", re.compile(regex))
    except re.error as exc:
        raise _bad_value(where)(f"invalid group regex {regex!r} in {where}: {exc}; "
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

    :raises UsageError: unknown spec or invalid regex, given by a flag (``where`` starts with ``-``)
    :raises ConfigError: the same, given by a config file
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
    raise _bad_value(where)(f"unknown grouping {spec!r} in {where}; choose one of: class, module, none, "
                            "regex:RE, callback:package.module:function")

