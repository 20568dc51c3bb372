"""Start a pull worker process: the first thing a lane does, before it loads anything heavy.

Light on purpose (stdlib only, plus the pure command module): ``python -m partitioner.dispatch.lane``
starts its worker with this before importing python-subunit and testtools, so the worker's own start-up
and suite loading overlap the lane's imports and its connection to the dispatcher.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from partitioner.dispatch.command import WorkerCommand
from partitioner.dispatch.protocol import KEY_ENV

#: the environment variable that gives a lane the preloader's socket path ("0": no preloading)
PRELOAD_ENV = "PARTITIONER_PRELOAD"


def wanted(environ: dict[str, str] | os._Environ[str]) -> bool:
    """False when the user turned preloading off (``PARTITIONER_PRELOAD=0``)."""
    return environ.get(PRELOAD_ENV, "").strip().lower() not in ("0", "no", "false", "off")


class WorkerProcess(Protocol):
    """What a lane uses of its worker's process: ``subprocess.Popen``, or a worker the preloader forked
    (:class:`partitioner.dispatch.preload.ForkedProc`)."""

    returncode: int | None
    stdout: IO[bytes] | None

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


@dataclass
class Spawned:
    """A pull worker just started: its process and the lane's end of its control socket."""

    proc: WorkerProcess
    control: socket.socket

    def kill(self) -> None:
        """End it at once (its process group) and close the control socket."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.control.close()


def spawn_worker(command: WorkerCommand, cwd: Path | None = None, preload: str | None = None) -> Spawned:
    """Start ``command``'s pull worker with a control socket, in a session of its own.

    The worker leads its own process group, so a signal reaches what its tests started too; its stdin is
    /dev/null, its stdout a pipe (the subunit stream), its stderr inherited. With a preloader (``preload``,
    default: the path in ``PARTITIONER_PRELOAD``), the worker is forked from the process that loaded the suite
    already (:mod:`partitioner.dispatch.preload`); when it cannot be reached, the worker is started here.

    :raises OSError: it cannot be started
    """
    path = preload if preload is not None else os.environ.get(PRELOAD_ENV)
    ours, theirs = socket.socketpair()
    try:
        proc: WorkerProcess | None = None
        if path and wanted({PRELOAD_ENV: path}):
            from partitioner.dispatch.preload import request

            with contextlib.suppress(OSError):
                proc = request(path, command, theirs.fileno(), None if cwd is None else str(cwd))
        if proc is None:
            env = command.environ(os.environ)
            env.pop(KEY_ENV, None)  # the tests have no business with the dispatcher's key
            env.pop(PRELOAD_ENV, None)
            proc = subprocess.Popen(command.worker_argv(theirs.fileno()), stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, env=env, cwd=cwd, start_new_session=True,
                                    pass_fds=(theirs.fileno(),))
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    return Spawned(proc, ours)
