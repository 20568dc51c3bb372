"""A static worker's stream, relayed as a lane relays its worker's: what ``partitioner exec`` puts between
testr/stestr and the workers they start themselves under static dispatch.

The tool parses each worker's stdout with python-subunit, which loses sync on bytes that look like the start of
a packet (0xB3 on a test's stdout) and drops the next result with them. :func:`relay_stdout` swaps the worker's
``stdout`` for the read end of a pipe before the tool reads it, and a thread parses the worker's real stdout
with :func:`partitioner.run.stream.read_worker_stream` (which resynchronises after a damaged packet, and passes
bytes that are not subunit on as ``stdout`` file events, as the tool would) and writes every event, unchanged,
as clean subunit v2 into the pipe. The tool sees the same events, without the ones it would have lost.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading

from partitioner.dispatch.relay import Relay
from partitioner.run.stream import MergedOutput, read_worker_stream

_CHUNK = 65536


def relay_stdout(proc: subprocess.Popen[bytes], name: str = "worker") -> threading.Thread | None:
    """Put a relay between ``proc``'s stdout and whoever reads ``proc.stdout`` next; returns its thread (``None``
    when ``proc`` has no stdout pipe). The pipe closes once the worker's stdout did (its end of file)."""
    source = proc.stdout
    if source is None:
        return None
    read_fd, write_fd = os.pipe()
    sink = os.fdopen(write_fd, "wb")
    output = MergedOutput(sink)

    def pump() -> None:
        try:
            read_worker_stream(source, Relay(output))
        except Exception:  # keep draining: a worker blocked on a full pipe would never end
            with contextlib.suppress(OSError, ValueError):
                while source.read(_CHUNK):
                    pass
        finally:
            with contextlib.suppress(OSError, ValueError):
                output.flush()
            with contextlib.suppress(OSError, ValueError):
                sink.close()
            with contextlib.suppress(OSError, ValueError):
                source.close()

    proc.stdout = os.fdopen(read_fd, "rb")
    thread = threading.Thread(target=pump, name=f"partitioner-relay-{name}", daemon=True)
    thread.start()
    return thread
