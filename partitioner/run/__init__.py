"""The testr ``test_command`` runner: ``python -m partitioner.run`` plans, runs N workers, merges their streams.

:mod:`.cli` (the command line, :func:`main`), :mod:`.phases` (static plans: workers, phase after phase, and
the account of every test), :mod:`.stream` (the merged subunit output, the worker-stream reader),
:mod:`.inner` (the inner command), :mod:`.signals` (SIGINT/SIGTERM and exit statuses). Dynamic dispatch
runs through :mod:`partitioner.dispatch.host`. Users' ``.testr.conf`` files call ``python -m partitioner.run``.

The names below are imported on first use (PEP 562): the lane supervisor imports :mod:`.signals` and
:mod:`.stream` once per worker of every run, and must not pay for the command line and the planner.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from partitioner.run.cli import PROG as PROG
    from partitioner.run.cli import Planner as Planner
    from partitioner.run.cli import Shares as Shares
    from partitioner.run.cli import complete as complete
    from partitioner.run.cli import default_planner as default_planner
    from partitioner.run.cli import main as main
    from partitioner.run.inner import InnerCommand as InnerCommand
    from partitioner.run.phases import RunOutcome as RunOutcome
    from partitioner.run.phases import run_phases as run_phases
    from partitioner.run.signals import Interrupt as Interrupt
    from partitioner.run.signals import Interrupted as Interrupted

#: public name -> the module that defines it
_LAZY = {
    "PROG": "partitioner.run.cli", "Planner": "partitioner.run.cli", "Shares": "partitioner.run.cli",
    "complete": "partitioner.run.cli", "default_planner": "partitioner.run.cli", "main": "partitioner.run.cli",
    "InnerCommand": "partitioner.run.inner", "RunOutcome": "partitioner.run.phases",
    "run_phases": "partitioner.run.phases", "Interrupt": "partitioner.run.signals",
    "Interrupted": "partitioner.run.signals",
}

__all__ = [
    "PROG",
    "InnerCommand",
    "Interrupt",
    "Interrupted",
    "Planner",
    "RunOutcome",
    "Shares",
    "complete",
    "default_planner",
    "main",
    "run_phases",
]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'partitioner.run' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
