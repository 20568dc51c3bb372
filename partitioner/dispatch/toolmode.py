"""Which dispatch a tool's run gets under ``partitioner exec``: dynamic where a pull worker can stand in for the
tool's worker command, else static, with one note saying why (:func:`choose`); a worker command that is
partitioner's own runner keeps the tool's static split, with a warning (:func:`nested_runner`).

Static stays static: ``--worker-file`` (stestr does not partition), ``--serial``, testr's ``instance_execute``, a
randomized order (the patch points pass the reason as ``why_static``), and worker commands a pull worker cannot
stand in for. When nobody chose the mode, a queue of small single tests keeps the static plan too, once the run
is planned (:mod:`partitioner.dispatch.choice`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from partitioner.dispatch.command import RUNNERS, recognise_shell

if TYPE_CHECKING:
    from partitioner.config import Choice


@dataclass(frozen=True)
class Mode:
    """The dispatch of one run, and how it came to be."""

    #: ``dynamic`` or ``static``
    value: str
    #: the mode was chosen (``--dispatch`` or the ``dispatch`` option), not left to the default
    chosen: bool
    #: the dispatch order and where it came from (the note of a kept static plan says an order the user chose
    #: does not apply)
    order: Choice[str]
    #: the note saying why a run that could have been dynamic is static, or None
    note: str | None = None


def choose(dispatch: str | None, order: str | None, command: str | None, why_static: str | None) -> Mode:
    """The mode of a run whose worker command is ``command``, from the ``[partitioner]`` options of the current
    directory's config where ``dispatch`` and ``order`` (the command line's) are None.

    :param why_static: why this run keeps the static plan whatever else allows dynamic dispatch, or None
    """
    from pathlib import Path

    from partitioner.config import DEFAULT, DISPATCH_ORDERS, load_settings  # loaded with the planner, not before

    settings = load_settings(Path.cwd())
    order_choice = settings.choose("dispatch_order", order, DISPATCH_ORDERS[0])
    choice = settings.choose("dispatch", dispatch, "dynamic")
    chosen = choice.where != DEFAULT
    if choice.value == "static":
        return Mode("static", chosen, order_choice)
    asked = "" if choice.where == DEFAULT else f" (asked for by {choice.where})"
    if why_static is not None:
        return Mode("static", chosen, order_choice,
                    f"dynamic dispatch{asked} is off for {why_static}: each worker's share is fixed before the run")
    if command is None or recognise_shell(command) is None:
        return Mode("static", chosen, order_choice,
                    f"dynamic dispatch{asked} needs a worker command `python -m RUNNER ...` with RUNNER one of "
                    f"{', '.join(RUNNERS)}; `{command}` is not one, so each worker's share is fixed before the run "
                    "(--dispatch static silences this note)")
    return Mode("dynamic", chosen, order_choice)


def nested_runner(command: str, concurrency: int) -> str | None:
    """The warning for a worker command that is partitioner's runner (``python -m partitioner.run``), which plans
    and runs its own workers: a tool that partitions around it (``testr run --parallel``) runs ``concurrency``
    runners at once, each on its share, each with its own workers (docs/runner.md); else None. The run keeps
    the tool's static split (no pull worker stands in for the runner)."""
    from partitioner.run.advice import PARALLEL, runs_the_runner

    if not runs_the_runner(command):
        return None
    return (f"the test command runs partitioner's runner (python -m partitioner.run), which runs its own "
            f"workers: partitioned {concurrency} ways around it, each of the tool's {concurrency} workers "
            f"runs the runner on its share with that many workers again; run {PARALLEL}")
