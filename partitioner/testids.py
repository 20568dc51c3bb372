"""Parse test ids as testr, stestr, tempest and unittest produce them: one parser decides class, module, attrs.

Handled forms (never raises, whatever the string)::

    pkg.mod.Class.test_x                          dotted method
    pkg.mod.Class.test_x[id-1f2e,smoke]           tempest attributes: trailing, after the method
    pkg.mod.Class.test_x(scenario one)            testscenarios suffix: trailing (may hold dots, nested parens)
    pkg.mod.Class.test_x[smoke](scenario)         both, in either order
    pkg.mod.ZoneTest[Europe/London]_Pure.test_x   brackets inside a (parametrised) class name: part of the class
    setUpClass (pkg.mod.Class)                    fixture-failure pseudo-test: belongs to pkg.mod.Class
    pkg.mod.func                                  doctest or module-level function
    some test name                                not dotted at all: its own class and module

Only a *trailing* ``[...]`` is attributes and only a trailing ``(...)`` a scenario; anything in brackets or
parentheses elsewhere belongs to the name it sits in, and dots inside them never split a name. So
``pkg.mod.ZoneTest[Etc/GMT+1.5]_Pure.test_x[smoke]`` is class ``pkg.mod.ZoneTest[Etc/GMT+1.5]_Pure`` in
module ``pkg.mod``, with attribute ``smoke``, and its history key (:func:`canonical`) keeps the class's
brackets: parametrised classes keep distinct keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# A fixture pseudo-test: "setUpClass (pkg.mod.Class)", "tearDownModule (pkg.mod)", ...
_FIXTURE = re.compile(r"^(setUpClass|tearDownClass|setUpModule|tearDownModule) \((?P<target>.*)\)$", re.DOTALL)
_CLOSERS = {"]": "[", ")": "("}


@dataclass(frozen=True)
class TestId:
    """A parsed test id.

    :ivar raw: the id as given
    :ivar base: the id without its trailing ``[attrs]`` and ``(scenario)`` suffixes
    :ivar attrs: the attribute names from the trailing ``[...]``, in order
    :ivar scenario: the testscenarios name, or ``None``
    :ivar class_key: the class (``pkg.mod.Class``) the test belongs to
    :ivar module_key: the module (``pkg.mod``) the test belongs to
    :ivar fixture: ``setUpClass`` etc. for fixture pseudo-tests, else ``None``
    :ivar key: the history key (:func:`canonical`): the id without its trailing ``[attrs]``
    """

    __test__ = False

    raw: str
    base: str
    attrs: tuple[str, ...]
    scenario: str | None
    class_key: str
    module_key: str
    fixture: str | None = None
    key: str = ""


def _opening(text: str, end: int) -> int:
    """Where the bracket closing at ``text[end]`` (``]`` or ``)``) opens, matching nested pairs of its kind;
    -1 when it is unbalanced."""
    close = text[end]
    open_ = _CLOSERS[close]
    depth = 0
    for i in range(end, -1, -1):
        c = text[i]
        if c == close:
            depth += 1
        elif c == open_:
            depth -= 1
            if depth == 0:
                return i
    return -1


def _suffix(text: str) -> tuple[str, int] | None:
    """``(kind, start)`` of a trailing ``[...]`` (kind ``[``) or ``(...)`` (kind ``(``) that follows a name."""
    if not text or text[-1] not in _CLOSERS:
        return None
    start = _opening(text, len(text) - 1)
    if start <= 0 or text[start - 1] in ". ":
        return None  # nothing before it, a bare "[x]" segment, or a "name (args)" form: not a suffix
    return _CLOSERS[text[-1]], start


def split_last(dotted: str) -> tuple[str, str]:
    """``(head, tail)`` around the last dot outside brackets and parentheses; ``("", dotted)`` without one.

    ``a.B[x.y]_P.test`` -> ``("a.B[x.y]_P", "test")``: a dot inside ``[...]`` or ``(...)`` never splits.
    Scanned left to right, so whether a dot splits depends only on what precedes it (a closer with no
    opener is plain text; an opener never closed hides every dot after it).
    """
    if "[" not in dotted and "(" not in dotted:
        head, _, tail = dotted.rpartition(".")
        return head, tail
    depth = 0
    cut = -1
    for i, c in enumerate(dotted):
        if c in "[(":
            depth += 1
        elif c in "])":
            if depth:
                depth -= 1
        elif c == "." and not depth:
            cut = i
    if cut < 0:
        return "", dotted
    return dotted[:cut], dotted[cut + 1:]


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
        module = target if is_module else parent(target)
        return TestId(test_id, test_id, (), None, target, module, fixture.group(1), test_id)
    base = test_id
    attrs: tuple[str, ...] | None = None
    scenario: str | None = None
    key = test_id
    for _ in range(2):
        found = _suffix(base)
        if found is None:
            break
        kind, start = found
        if kind == "[" and attrs is None:
            attrs = tuple(a.strip() for a in base[start + 1:-1].split(",") if a.strip())
            key = key[:start] + key[len(base):]  # drop the attrs, keep a scenario after them
            base = base[:start]
        elif kind == "(" and scenario is None:
            scenario = base[start + 1:-1]
            base = base[:start]
        else:
            break
    klass = parent(base)
    module = parent(klass) if klass != base else base
    return TestId(test_id, base, attrs or (), scenario, klass, module, None, key)


def parent(dotted: str) -> str:
    """``a.b.c`` -> ``a.b`` (dots in brackets do not count); a string without a usable dot is its own parent."""
    head, tail = split_last(dotted)
    if not head or not tail:
        return dotted
    return head


def _plain(test_id: str) -> bool:
    """True for the common ``pkg.mod.Class.test`` id with no bracket, parenthesis or space (the hot path)."""
    return "[" not in test_id and "(" not in test_id and " " not in test_id


def class_key(test_id: str) -> str:
    """The class a test belongs to: what tempest's ``group_regex=([^\\.]*\\.)*`` means, suffix-aware."""
    # the common forms inlined (this runs once or twice per id on million-id inputs): no bracket at all, or one
    # trailing [attrs] and nothing else special
    if "(" not in test_id and " " not in test_id:
        bracket = test_id.find("[")
        if bracket < 0:
            base = test_id
        elif bracket > 0 and test_id[-1] == "]" and test_id.find("[", bracket + 1) < 0 \
                and test_id.find("]") == len(test_id) - 1 and test_id[bracket - 1] != ".":
            base = test_id[:bracket]
        else:
            return parse(test_id).class_key
        head, sep, tail = base.rpartition(".")
        return head if sep and head and tail else base
    return parse(test_id).class_key


def module_key(test_id: str) -> str:
    """The module a test belongs to."""
    if _plain(test_id):
        klass = parent(test_id)
        return parent(klass) if klass != test_id else test_id
    return parse(test_id).module_key


def canonical(test_id: str) -> str:
    """The history key: the id without its trailing ``[attrs]`` (a scenario and brackets elsewhere are kept).

    testr stores raw ids in ``times.dbm`` and stestr ids with attributes stripped; keying history by this
    form lets both match the same test, while parametrised classes (``Zone[Europe/London]_Pure``) keep one
    key per class.
    """
    if "[" not in test_id:
        return test_id
    return parse(test_id).key


def stestr_key(test_id: str) -> str:
    """The key stestr stores ``times.dbm`` entries under: the *first* ``[...]`` anywhere removed (its
    ``cleanup_test_name``), which merges parametrised classes; used only to find such entries."""
    start = test_id.find("[")
    end = test_id.find("]", start + 1)
    if start > 0 and end > start:
        return test_id[:start] + test_id[end + 1:]
    return test_id
