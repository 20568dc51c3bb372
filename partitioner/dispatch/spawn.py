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

from partitioner.dispatch.command import WorkerCommand
from partitioner.dispatch.protocol import KEY_ENV


@dataclass
class Spawned:
    """A pull worker just started: its process and the lane's end of its control socket."""

    proc: subprocess.Popen[bytes]
    control: socket.socket

    def kill(self) -> None:
        """End it at once (its process group) and close the control socket."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.control.close()


def spawn_worker(command: WorkerCommand, cwd: Path | None = None) -> Spawned:
    """Start ``command``'s pull worker with a control socket, in a session of its own.

    The worker leads its own process group, so a signal reaches what its tests started too; its stdin is
    /dev/null, its stdout a pipe (the subunit stream), its stderr inherited.

    :raises OSError: it cannot be started
    """
    ours, theirs = socket.socketpair()
    try:
        env = command.environ(os.environ)
        env.pop(KEY_ENV, None)  # the tests have no business with the dispatcher's key
        proc = subprocess.Popen(command.worker_argv(theirs.fileno()), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, env=env, cwd=cwd, start_new_session=True,
                                pass_fds=(theirs.fileno(),))
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    return Spawned(proc, ours)
