"""Load the planner and read the planning history while the tool lists its tests: planning off the critical path.

testr and stestr list the suite in a subprocess (``python -m subunit.run ... --list``: 0.5 s on testtools' 2,651
tests, minutes on a large suite) and only then ask for a plan; their own process waits meanwhile. ``partitioner
exec`` calls :func:`start` as the listing starts (:mod:`partitioner.dispatch.patches`), and a thread imports the
planner's modules and reads the repository's digests (:func:`partitioner.history.digest.planning_history`) in
that wait; the hook then :func:`take` s the history instead of reading it itself. The thread holds the
interpreter only while the tool's process has nothing else to do, so this costs the run no time (on 10 stored
runs of testtools' suite: 0.04 s of importing and 0.04 s of reading that were on the critical path before).
While the listing lasts, a run not digested yet is parsed beyond the hook's budget (each parse predicted at
most ``IDLE_PARSE_MAX_S``): the first ``exec`` after plain stestr runs used to plan from ``times.dbm`` alone.

The history is the one :func:`~partitioner.history.digest.planning_history` returns for the same arguments, or
one with more runs read: the repository holds the same runs until the tool stores this one, after the plan.
Anything that goes wrong in the thread (a module that does not import, a repository that cannot be read) leaves
no result: the tool's own thread imports and reads again, so its errors and warnings are exactly those it would
give without this. This module imports only the standard library until its thread runs.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from partitioner.history.digest import PlanningHistory

__all__ = ["start", "take"]

_LOCK = threading.Lock()
#: (real path of the repository, newest) -> the read under way or done
_PENDING: dict[tuple[str, int], _Read] = {}


class _Read:
    """Imports, then one repository's history, in a daemon thread."""

    def __init__(self, base: str | None, newest: int, imports: Sequence[str]) -> None:
        self.result: PlanningHistory | None = None
        #: set once the plan is asked for: no more parsing beyond the budget
        self.wanted = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(base, newest, tuple(imports)),
                                        name="partitioner-prefetch", daemon=True)
        self._thread.start()

    def _run(self, base: str | None, newest: int, imports: tuple[str, ...]) -> None:
        try:
            for module in imports:
                importlib.import_module(module)
            if base is None:
                return
            from partitioner.history.digest import DEFAULT_BUDGET_S, planning_history

            self.result = planning_history(base, newest, budget_s=DEFAULT_BUDGET_S,
                                           idle=lambda: not self.wanted.is_set())
        except Exception:
            self.result = None

    def join(self) -> PlanningHistory | None:
        self.wanted.set()
        self._thread.join()
        return self.result


def _key(base: str, newest: int) -> tuple[str, int]:
    return os.path.realpath(base), newest


def start(base: str | None, newest: int, imports: Sequence[str] = ()) -> None:
    """Import ``imports`` and read ``base``'s planning history in the background; a read started before for it
    and never taken is dropped (a run may have been stored since: ``testr run --until-failure`` lists before
    every run).

    :param base: a ``.stestr``/``.testrepository`` directory; ``None`` (or not a directory): only the imports
    :param newest: how many of the newest runs to read (as :func:`take` will be asked)
    :param imports: modules to import first, so that the tool's thread finds them loaded
    """
    if base is None or not os.path.isdir(base):
        if imports:
            _Read(None, newest, imports)
        return
    key = _key(base, newest)
    with _LOCK:
        _PENDING[key] = _Read(base, newest, imports)


def take(base: str, newest: int) -> PlanningHistory | None:
    """The history :func:`start` read for ``base`` (waiting for it to finish), once; ``None`` when nothing was
    started for it or the read failed: read it yourself."""
    with _LOCK:
        pending = _PENDING.pop(_key(base, newest), None)
    return pending.join() if pending is not None else None
