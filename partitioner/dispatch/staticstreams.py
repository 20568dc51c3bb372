"""A static worker's stream, parsed once, by our reader, for the tool: what ``partitioner exec`` puts between
testr/stestr and the workers they start themselves under static dispatch.

The tool parses each worker's stdout with python-subunit (``subunit.ByteStreamToStreamResult``, looked up when
it loads the run), which loses sync on bytes that look like the start of a packet (0xB3 on a test's stdout) and
drops the next result with them. :class:`WorkerStreams` remembers the stdout of every static worker the tool
starts, and :attr:`WorkerStreams.parser`, patched in as ``subunit.ByteStreamToStreamResult`` while a run is under
way, reads those with :func:`partitioner.run.stream.read_worker_stream` (which resynchronises after a damaged
packet, and passes bytes that are not subunit on as ``stdout`` file events, as the tool would) straight into the
tool's result: the tool gets the same events, without the ones it would have lost, and every event is parsed
once. Any other stream (a listing, ``load`` of a file) is parsed by python-subunit as before.

Each tool hands its loader the worker's stdout in its own way: stestr the raw file under ``proc.stdout``
(detached from it), testr its ``ReturnCodeToSubunit`` wrapper, which adds a ``process-returncode`` failure once the
stdout ends if the worker exited non-zero; that tail is read from the wrapper after the worker's stream, so it
reaches the tool as it would have.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import threading
from typing import IO, Any

import subunit
import testtools

from partitioner.run.stream import NON_SUBUNIT, read_worker_stream

_CHUNK = 65536
#: python-subunit's own parser, whatever is patched in its place
_PARSER: type[Any] = subunit.ByteStreamToStreamResult


class WorkerStreams:
    """The static workers' stdouts the tool has yet to parse, and :attr:`parser`, which parses them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: id -> (a worker's stdout or the raw file under it, both of them): kept alive till claimed
        self._sources: dict[int, tuple[Any, tuple[Any, ...]]] = {}
        streams = self

        class WorkerStreamParser(_PARSER):  # type: ignore[misc]
            """``subunit.ByteStreamToStreamResult``, except that a static worker's stdout is read by our reader
            (see the module docstring)."""

            def run(self, result: testtools.StreamResult) -> None:
                claimed = streams.claim(self.source) if self.non_subunit_name == NON_SUBUNIT else None
                if claimed is None:
                    super().run(result)
                    return
                stdout, tail = claimed
                _parse(stdout, result)
                if tail is not None:  # testr's process-returncode failure, read after the worker's stdout ended
                    _PARSER(io.BytesIO(tail.read()), non_subunit_name=NON_SUBUNIT).run(result)

        #: the class patched in as ``subunit.ByteStreamToStreamResult``
        self.parser: type[Any] = WorkerStreamParser

    def add(self, proc: subprocess.Popen[bytes]) -> bool:
        """Parse ``proc``'s stdout with our reader when the tool loads it (``False``: it has no stdout pipe)."""
        stdout = proc.stdout
        if stdout is None:
            return False
        ends = (stdout, getattr(stdout, "raw", None) or stdout)  # stestr reads the raw file, detached from it
        with self._lock:
            for end in ends:
                self._sources[id(end)] = (end, ends)
        return True

    def claim(self, source: Any) -> tuple[IO[bytes], Any] | None:
        """What to read for the stream ``source`` the tool loads, if it is a static worker's (each is claimed once):
        the worker's stdout, buffered, and testr's ``ReturnCodeToSubunit`` wrapper to read the rest from, if any."""
        wrapper = None
        inner = getattr(source, "source", None)
        if getattr(source, "proc", None) is not None and inner is not None:  # testr's ReturnCodeToSubunit
            wrapper, source = source, inner
        with self._lock:
            entry = self._sources.get(id(source))
            if entry is None or entry[0] is not source:
                return None
            for end in entry[1]:
                self._sources.pop(id(end), None)
        if not hasattr(source, "read1"):  # stestr's raw file: read in chunks, not a system call per byte
            source = io.BufferedReader(source, _CHUNK)
        return source, wrapper


def _parse(stdout: IO[bytes], result: testtools.StreamResult) -> None:
    """Read ``stdout`` into ``result``; if our reader fails, drain it first (a worker blocked on a full pipe would
    never end) and let the tool report the failure."""
    try:
        read_worker_stream(stdout, result)
    except Exception:
        with contextlib.suppress(OSError, ValueError):
            while stdout.read(_CHUNK):
                pass
        raise
