"""The testr ``test_command`` runner: ``python -m partitioner.run`` plans, runs N workers, merges their streams.

:mod:`.cli` (the command line, :func:`main`), :mod:`.phases` (static plans: workers, phase after phase, and
the account of every test), :mod:`.stream` (the merged subunit output, the worker-stream reader),
:mod:`.inner` (the inner command), :mod:`.signals` (SIGINT/SIGTERM and exit statuses). Dynamic dispatch
runs through :mod:`partitioner.dispatch.host`. Users' ``.testr.conf`` files call ``python -m partitioner.run``.

The names below are imported on first use (PEP 562): the lane supervisor imports :mod:`.signals` and
:mod:`.stream` once per worker of every run, and must not pay for the command line and the planner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from partitioner import lazy

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

#: public name -> the submodule that defines it
_LAZY = {
    **dict.fromkeys(("PROG", "Planner", "Shares", "complete", "default_planner", "main"), "cli"),
    "InnerCommand": "inner",
    **dict.fromkeys(("RunOutcome", "run_phases"), "phases"),
    **dict.fromkeys(("Interrupt", "Interrupted"), "signals"),
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
    return lazy.attribute(__name__, _LAZY, globals(), name)


def __dir__() -> list[str]:
    return lazy.names(_LAZY, globals())
