"""The subcommands, in help order; each module has ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(args, console) -> int`` (0; errors are raised as :class:`~partitioner.errors.PartitionerError`).

Each command is thin: parse (:mod:`partitioner.cli.arguments`), call (the pipeline, history, races),
render (:mod:`partitioner.render`). Modules are imported when used: ``partitioner exec`` (which starts
before every test run) loads only its own module, not every command's.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: command name -> module under partitioner.cli.commands, in help order
MODULES = {"plan": "plan", "explain": "explain", "history": "history", "exec": "execute",
           "concurrency": "concurrency", "races": "races", "timeline": "timeline"}


def load(name: str) -> ModuleType:
    """The module of the command called ``name``."""
    return importlib.import_module(f"partitioner.cli.commands.{MODULES[name]}")
