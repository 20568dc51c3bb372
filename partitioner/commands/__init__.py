"""The subcommands, in help order; each module has NAME, HELP, add_arguments and run.

Modules are imported when used: ``partitioner exec`` (which starts before every test run) loads only
its own module, not every command's.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: command name -> module under partitioner.commands, in help order
MODULES = {"plan": "plan", "explain": "explain", "history": "history", "exec": "execute",
           "concurrency": "concurrency", "races": "races"}


def load(name: str) -> ModuleType:
    """The module of the command called ``name``."""
    return importlib.import_module(f"partitioner.commands.{MODULES[name]}")
