"""The preloader of a tool's run under ``partitioner exec``: started early, while the tool lists its tests
(:class:`EarlyPreload`), then taken (or started) for the run's lanes (:func:`for_lanes`) or its static workers
(:func:`for_static`); the run's :meth:`~partitioner.dispatch.toolrun.ToolRun.close` stops it.

The preloader itself (one process that loads the suite once and forks each worker) is
:mod:`partitioner.dispatch.preload`; this module is only when the tool's process starts and hands it on.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
from typing import TYPE_CHECKING

from partitioner.dispatch.command import WorkerCommand, recognise_shell
from partitioner.dispatch.patches import per_instance

if TYPE_CHECKING:
    from partitioner.dispatch.preload import Started
    from partitioner.dispatch.toolrun import ToolRun


class EarlyPreload:
    """The preloader (:mod:`partitioner.dispatch.preload`) of a parallel run's workers, started as the tool starts
    listing its tests, so that the suite loads beside the listing rather than after the plan, when the lanes
    wait for it (about 0.3 s of the bench suite's start, 1.2 s of tempest's unit suite).

    Its command is the listing's: the tool's test command with ``$LISTOPT`` and no ids, which a pull worker
    takes apart to the same runner and arguments as the workers' (``--list`` and ``--load-list`` dropped). A
    thread checks the ``dispatch`` option and starts it, so the listing does not wait. The plan :meth:`take` s it
    when its worker command is the same; otherwise, or for a static run, it is stopped: a suite load on a spare
    core, no more.
    """

    def __init__(self, command: str, worker: WorkerCommand, dispatch: str | None) -> None:
        self.command = command
        self.worker = worker
        self.started: Started | None = None
        self._thread = threading.Thread(target=self._start, args=(dispatch,), name="partitioner-preload",
                                        daemon=True)
        self._thread.start()

    @classmethod
    def start(cls, fixture: object, dispatch: str | None, why_static: str | None) -> EarlyPreload | None:
        """One for the run ``fixture`` (stestr's or testr's top-level fixture, as it lists) is about to partition,
        or None when the run will not be dealt out dynamically by its look (one worker, ``--random``,
        ``--worker-file``, testr's ``instance_execute``, a command no pull worker stands in for). A split per
        test, which the plan may keep static (:mod:`partitioner.dispatch.choice`), gets one too: its static
        workers are forked from it (:mod:`partitioner.dispatch.direct`)."""
        from partitioner.dispatch.spawn import wanted

        concurrency = getattr(fixture, "concurrency", None)
        command = getattr(fixture, "list_cmd", None)
        if dispatch == "static" or why_static is not None or not wanted(os.environ) or \
                not isinstance(concurrency, int) or concurrency < 2 or not isinstance(command, str) or \
                getattr(fixture, "randomize", False) or getattr(fixture, "worker_path", None) or per_instance(fixture):
            return None
        worker = recognise_shell(command)
        return None if worker is None else cls(command, worker, dispatch)

    def _start(self, dispatch: str | None) -> None:
        try:
            from pathlib import Path

            from partitioner.config import load_settings
            from partitioner.dispatch.preload import start_shell

            if load_settings(Path.cwd()).choose("dispatch", dispatch, "dynamic").value == "static":
                return
            self.started = start_shell(self.command, sys.executable, None)
        except Exception:  # a bad configuration is the plan's to report; without a preloader lanes load their own
            self.started = None

    def take(self, command: str) -> Started | None:
        """The preloader, when it runs the workers of the tool's worker ``command`` (else None: :meth:`stop` it)."""
        self._thread.join()
        worker = recognise_shell(command)
        if self.started is None or worker is None or \
                dataclasses.replace(worker, load_list=None) != dataclasses.replace(self.worker, load_list=None):
            return None
        return self.started

    def stop(self) -> None:
        """End it, if it started."""
        self._thread.join()
        if self.started is not None:
            self.started.stop()
            self.started = None


def for_lanes(run: ToolRun, command: str | None, early: EarlyPreload | None = None) -> None:
    """Start one process that loads the suite and forks each lane's worker (:mod:`~partitioner.dispatch.preload`):
    N loads of the suite at once on the run's cores made the lanes' first tests start up to a second apart.
    The one started while the tool listed its tests (``early``) serves when it runs this worker command."""
    from partitioner.dispatch.spawn import PRELOAD_ENV, wanted

    if run.dispatcher is None or command is None or len(run.partitions) < 2 or not wanted(os.environ):
        return
    from partitioner.dispatch.preload import start_shell

    taken = early.take(command) if early is not None else None
    run.preloader = taken or start_shell(command, sys.executable, run.dispatcher.preload_path)
    if run.preloader is not None:
        os.environ[PRELOAD_ENV] = run.preloader.path


def for_static(run: ToolRun, command: str, early: EarlyPreload) -> None:
    """A static plan that :mod:`partitioner.dispatch.choice` kept (nobody chose it): each worker is forked from
    the suite the preloader loaded while the tool listed it (:mod:`partitioner.dispatch.direct`), instead of
    loading the suite itself after the listing, when the preloader runs this worker command."""
    from partitioner.dispatch.spawn import PRELOAD_ENV

    run.preloader = early.take(command)
    if run.preloader is not None:
        os.environ[PRELOAD_ENV] = run.preloader.path
