"""One pull worker process as a lane sees it: its control socket, its stdout reader, its process group."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Any

from partitioner.dispatch import protocol
from partitioner.dispatch.command import WorkerCommand
from partitioner.dispatch.relay import Relay
from partitioner.run.stream import read_worker_stream

#: seconds the worker's stdout may stay open after it exited (something it started holds it) before SIGKILL
LINGER_S = 2.0
_POLL_S = 0.05


@dataclass
class Child:
    """One pull worker process, its end of the control socket and its stdout reader."""

    proc: subprocess.Popen[bytes]
    control: socket.socket
    reader: threading.Thread
    buffer: bytes = b""
    messages: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def start(cls, command: WorkerCommand, relay: Relay, lane: int) -> Child:
        ours, theirs = socket.socketpair()
        try:
            # the worker leads its own process group, so a signal reaches what its tests started too
            proc = subprocess.Popen(
                command.worker_argv(theirs.fileno()), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                env=_child_env(command), start_new_session=True, pass_fds=(theirs.fileno(),),
            )
        finally:
            theirs.close()
        assert proc.stdout is not None
        source = proc.stdout

        def read() -> None:
            try:
                read_worker_stream(source, relay)
            except Exception:  # keep draining so the worker never blocks on a full pipe
                while source.read(65536):
                    pass

        reader = threading.Thread(target=read, name=f"partitioner-lane-{lane}-reader", daemon=True)
        reader.start()
        return cls(proc, ours, reader)

    def send(self, **message: object) -> bool:
        """Send one control line; False when the worker's end is closed."""
        try:
            self.control.sendall(json.dumps(message).encode() + b"\n")
        except OSError:
            return False
        return True

    def poll_message(self, timeout: float) -> dict[str, Any] | None:
        """The next control message from the worker, waiting up to ``timeout`` seconds."""
        if not self.messages and wait([self.control], timeout):
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


def _child_env(command: WorkerCommand) -> dict[str, str]:
    env = command.environ(os.environ)
    env.pop(protocol.KEY_ENV, None)  # the tests have no business with the dispatcher's key
    return env


