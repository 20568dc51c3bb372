"""Read the planning history while the tool lists its tests: planning off the critical path.

testr and stestr list the suite in a subprocess (``python -m subunit.run ... --list``: 0.5 s on testtools' 2,651
tests, minutes on a large suite) and only then ask for a plan; their own process waits meanwhile. ``partitioner
exec`` starts :func:`start` as the listing starts (:mod:`partitioner.dispatch.patches`), and a thread reads the
repository's digests (:func:`partitioner.history.digest.planning_history`) in that wait; the hook then
:func:`take` s the result instead of reading them itself. The thread holds the interpreter only while the tool's
process has nothing else to do, so what it reads costs the run no time (about 0.04 s on 10 stored runs of
testtools' suite, a tenth of a second on a 15,000-test suite).

The result is the one :func:`~partitioner.history.digest.planning_history` returns for the same arguments: the
repository holds the same runs until the tool stores this one, after the plan. Anything that goes wrong in the
thread (a repository that cannot be read, a digest that fails) leaves no result: the hook reads the history
itself, so its error and warnings are exactly those it would give without the prefetch.
"""

from __future__ import annotations

import os
import threading

from partitioner.history.digest import DEFAULT_BUDGET_S, PlanningHistory, planning_history

__all__ = ["start", "take"]

_LOCK = threading.Lock()
#: (real path of the repository, newest) -> the read under way or done
_PENDING: dict[tuple[str, int], _Read] = {}


class _Read:
    """One repository's history, read in a daemon thread."""

    def __init__(self, base: str, newest: int) -> None:
        self.result: PlanningHistory | None = None
        self._thread = threading.Thread(target=self._read, args=(base, newest), name="partitioner-prefetch",
                                        daemon=True)
        self._thread.start()

    def _read(self, base: str, newest: int) -> None:
        try:
            self.result = planning_history(base, newest, budget_s=DEFAULT_BUDGET_S)
        except Exception:
            self.result = None

    def join(self) -> PlanningHistory | None:
        self._thread.join()
        return self.result


def _key(base: str, newest: int) -> tuple[str, int]:
    return os.path.realpath(base), newest


def start(base: str, newest: int) -> None:
    """Start reading ``base``'s planning history in the background; a read started before for it and never taken
    is dropped (a run may have been stored since: ``testr run --until-failure`` lists before every run).

    :param base: a ``.stestr``/``.testrepository`` directory (nothing is started when it is not one on disk)
    :param newest: how many of the newest runs to read (as :func:`take` will be asked)
    """
    if not os.path.isdir(base):
        return
    key = _key(base, newest)
    with _LOCK:
        _PENDING[key] = _Read(base, newest)


def take(base: str, newest: int) -> PlanningHistory | None:
    """The history :func:`start` read for ``base`` (waiting for it to finish), once; ``None`` when nothing was
    started for it or the read failed: read it yourself."""
    with _LOCK:
        pending = _PENDING.pop(_key(base, newest), None)
    return pending.join() if pending is not None else None
