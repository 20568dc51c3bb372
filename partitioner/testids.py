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
        module = target if is_module else parent(target)
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
    klass = parent(base)
    module = parent(klass) if klass != base else base
    return TestId(test_id, base, attrs, scenario, klass, module)


def parent(dotted: str) -> str:
    """``a.b.c`` -> ``a.b``; a string without a usable dot is its own parent (a class's module)."""
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
    # _plain_base and parent inlined: this runs once or twice per id on million-id inputs
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
        klass = parent(base)
        return parent(klass) if klass != base else base
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
