"""A package's re-exported names, imported on first use (PEP 562), so importing the package stays cheap.

A package lists ``name -> submodule`` and defines two one-line functions::

    _WHERE = {"Plan": "plan", "plan_ids": "pipeline"}

    def __getattr__(name: str) -> object:
        return lazy.attribute(__name__, _WHERE, globals(), name)

    def __dir__() -> list[str]:
        return lazy.names(_WHERE, globals())

Stdlib only, and imports nothing of partitioner: every layer may use it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, MutableMapping
from typing import Any


def attribute(package: str, where: Mapping[str, str], namespace: MutableMapping[str, Any], name: str) -> Any:
    """``package.name``, imported from ``package.<where[name]>`` and kept in ``namespace`` (the package's
    globals, so later lookups skip ``__getattr__``).

    :raises AttributeError: for a name ``where`` does not list, as Python says it for any module
    """
    module = where.get(name)
    if module is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{package}.{module}"), name)
    namespace[name] = value
    return value


def names(where: Mapping[str, str], namespace: Mapping[str, Any]) -> list[str]:
    """What ``dir(package)`` lists: what it holds already and every lazy name."""
    return sorted({*namespace, *where})
