"""One pull worker process as a lane sees it: its control socket, its stdout reader, its process group."""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from partitioner.dispatch.command import WorkerCommand
from partitioner.dispatch.relay import Relay
from partitioner.dispatch.spawn import Spawned, WorkerProcess, spawn_worker
from partitioner.run.stream import read_worker_stream

#: seconds the worker's stdout may stay open after it exited (something it started holds it) before SIGKILL
LINGER_S = 2.0
_POLL_S = 0.05


@dataclass
class Child:
    """One pull worker process, its end of the control socket and its stdout reader.

    :ivar forks: it can fork a fresh process (its ``ready`` did not say ``"forks": false``: the suite patched the
        standard library, :mod:`partitioner.dispatch.monkeypatch`)
    :ivar groups: how many groups it was handed
    """

    proc: WorkerProcess
    control: socket.socket
    reader: threading.Thread
    buffer: bytes = b""
    messages: list[dict[str, Any]] = field(default_factory=list)
    forks: bool = True
    groups: int = 0

    @classmethod
    def start(cls, command: WorkerCommand, relay: Relay, lane: int, cwd: Path | None = None,
              preload: str | None = None) -> Child:
        """Start a worker (forked by the preloader at ``preload``, when there is one) and read its stdout into
        ``relay``.

        :raises OSError: it cannot be started
        """
        return cls.adopt(spawn_worker(command, cwd, preload), relay, lane)

    @classmethod
    def adopt(cls, spawned: Spawned, relay: Relay, lane: int) -> Child:
        """A worker started earlier (:func:`~partitioner.dispatch.spawn.spawn_worker`): read its stdout."""
        assert spawned.proc.stdout is not None
        source = spawned.proc.stdout

        def read() -> None:
            try:
                read_worker_stream(source, relay)
            except Exception:  # keep draining so the worker never blocks on a full pipe
                while source.read(65536):
                    pass

        reader = threading.Thread(target=read, name=f"partitioner-lane-{lane}-reader", daemon=True)
        reader.start()
        return cls(spawned.proc, spawned.control, reader)

    def send(self, **message: object) -> bool:
        """Send one control line; False when the worker's end is closed."""
        try:
            self.control.sendall(json.dumps(message).encode() + b"\n")
        except OSError:
            return False
        return True

    def poll_message(self, timeout: float) -> dict[str, Any] | None:
        """The next control message from the worker, waiting up to ``timeout`` seconds."""
        if not self.messages and _readable(self.control, timeout):
            try:
                data = self.control.recv(65536)
            except OSError:
                data = b""
            if not data:  # the worker closed its end (it exited)
                self.messages.append({"eof": True})
            self.buffer += data
            *lines, self.buffer = self.buffer.split(b"\n")
            for line in lines:
                with contextlib.suppress(ValueError):
                    message = json.loads(line)
                    if isinstance(message, dict):
                        self.messages.append(message)
        return self.messages.pop(0) if self.messages else None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signum)

    def close_control(self) -> None:
        """End of the groups: the worker tears the last class and module down and exits."""
        with contextlib.suppress(OSError):
            self.control.shutdown(socket.SHUT_WR)

    def reap(self) -> None:
        """Wait for the worker to exit and its stdout to be read to the end (killing stragglers)."""
        self.proc.wait()
        deadline = time.monotonic() + LINGER_S
        while self.reader.is_alive():
            if time.monotonic() > deadline:
                self.signal(signal.SIGKILL)  # something the worker started still holds its stdout
                deadline = float("inf")
            self.reader.join(_POLL_S)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.control.close()


def _readable(sock: socket.socket, timeout: float) -> bool:
    try:
        return bool(select.select([sock], [], [], timeout)[0])
    except (OSError, ValueError):  # closed under us: let recv say so
        return True
