"""Fresh test processes without a new interpreter: a pull worker that loaded its suite forks one child per
chain of groups (the ``mono`` dispatch order); stdlib only.

Under ``mono`` order a lane takes the longest group that sorts after the last one its test process ran, so
each process runs its tests in increasing suite order, as a stestr or testr worker runs its share; when no
such group is left the group comes with ``"fresh": true`` and must run in a process that has run nothing.
Starting a new interpreter and loading the suite again costs a second or more (1.2 s for tempest's unit
suite); a fork of a process that loaded the suite and ran nothing costs a few milliseconds.

So when the first group a worker is handed is marked fresh, the worker becomes a *template*
(:func:`serve`): it runs no test itself. It forks a child, which runs groups exactly as a worker that was
never forked does (one subunit v2 stream on the shared stdout, acknowledgements on the shared control
socket); the template reads the control channel and passes each group line on through a pipe. At the
next fresh group it closes that pipe (the child tears its last class and module down and exits) and forks
the next child. The stdout stream is one subunit v2 stream: each child's packets follow the last one's.

A worker whose suite patched the standard library as it loaded (eventlet, gevent) is never a template: its
children would share the patching library's hub (:mod:`partitioner.dispatch.monkeypatch`). It runs its first
chain itself, a process that has run nothing, and its lane starts a new worker for each later one.

The lane sees one process, as before: the template ends with its child's exit status, and dies of the
same signal when its child was killed (a test that SIGKILLs its own process is a crash of the group, as
without forks). SIGINT reaches both (the lane signals the process group); the template ignores it and ends
with the child's status once the child has stopped. A lane that goes away is noticed by the template's
parent watch (which kills the whole process group) and by each child's own watch of the template.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import sys
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

#: seconds between checks of a child that cannot be watched through a pidfd
_POLL_S = 0.05
#: bound at import, before the worker loads the suite: a worker whose suite patched the standard library forks
#: nothing (:mod:`partitioner.dispatch.monkeypatch`), and should a patch escape that check, the template still
#: never waits on the patching library's hub
_fork, _waitpid, _read, _write, _pipe, _select = os.fork, os.waitpid, os.read, os.write, os.pipe, select.select
_open = open


@dataclass
class _Child:
    """One forked child: its pid, the write end of its group pipe, a pidfd when the platform has one."""

    pid: int
    pipe: int | None
    pidfd: int | None
    status: int | None = None

    def deliver(self, line: bytes) -> bool:
        """Pass one control line on; False when the child is gone (its pipe has no reader)."""
        assert self.pipe is not None
        try:
            _write(self.pipe, line)  # blocks until the child reads a long line: it reads one line per group
            return True
        except BrokenPipeError:
            return False

    def exited(self) -> bool:
        """Reap the child if it has exited (without waiting)."""
        if self.status is None:
            pid, status = _waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
        return self.status is not None

    def end(self) -> int:
        """Close its group pipe (it finishes: last teardown, end of its run) and wait for it; its wait status."""
        if self.pipe is not None:
            os.close(self.pipe)
            self.pipe = None
        if self.status is None:
            _, self.status = _waitpid(self.pid, 0)
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None
        return self.status


def fork(run: Callable[[int], int]) -> _Child:
    """Fork a child that calls ``run(fd)`` (``fd``: the read end of its group pipe) and exits with its result."""
    read, write = _pipe()
    for stream in (sys.stdout, sys.stderr):  # nothing buffered twice
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    with warnings.catch_warnings():  # 3.12+ warns when other threads exist: ours is the parent watch only
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = _fork()
    if pid == 0:  # pragma: no cover - the child; its behaviour is tested through its stream and exit status
        def body() -> int:
            os.close(write)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            return run(read)

        child_exit(body)
    os.close(read)
    pidfd: int | None = None
    with contextlib.suppress(AttributeError, OSError):  # Linux 5.3+; else the child is polled
        pidfd = os.pidfd_open(pid)  # type: ignore[attr-defined,unused-ignore]
    return _Child(pid, write, pidfd)


def child_exit(body: Callable[[], int]) -> NoReturn:
    """In a forked child: run ``body`` and end the process with its status, whatever happens; a child must
    never return into the code of the process it was forked from (a traceback, then status 1)."""
    status = 1
    try:
        status = body()
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        with contextlib.suppress(Exception):
            import traceback

            traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(status)


def exit_like(status: int) -> int:
    """End as a child with wait status ``status`` ended: die of its signal, or return its exit code."""
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        with contextlib.suppress(OSError, ValueError):  # SIGKILL and SIGSTOP take no handler
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        return 128 - code  # only if the signal did not end us
    return code


def zombie(pid: int) -> tuple[bool, int | None]:
    """Whether ``pid`` has exited and waits to be reaped (a zombie, ``Z`` in ``/proc/PID/stat``), and the exit code
    it holds for its parent (field 52, ``exit_code``, Linux 3.5+; ``None`` where unknown).

    ``kill(pid, 0)`` succeeds on a zombie, and only its parent can reap it: a process watched by another than its
    parent (a forked worker's lane, a worker the preloader forked) reads its state here. No ``/proc``: not a
    zombie, as far as can be told.
    """
    try:
        with _open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return False, None
    if not fields or fields[0] not in (b"Z", b"X"):
        return False, None
    exit_code = fields[49] if len(fields) > 49 else b""  # field 52 of stat(5); fields[0] is field 3
    return True, int(exit_code) if exit_code.isdigit() else None


def message_of(line: bytes) -> dict[str, object]:
    """The fields of a control line the template acts on (``fresh``, ``stop``); a line it cannot read gives
    none: it is the child's to report (as a worker does)."""
    with contextlib.suppress(ValueError):
        message = json.loads(line)
        if isinstance(message, dict):
            return message
    return {}


def serve(control: int, first: bytes, rest: bytes, run: Callable[[int], int]) -> int:
    """Be the template: pass group lines to forked children, a new child at each fresh group.

    :param control: the control channel's file descriptor (children reply on it; the template only reads)
    :param first: the first group line (it was marked fresh), newline included
    :param rest: bytes already read after it
    :param run: what a child does with the read end of its group pipe (run groups until end of file)
    :returns: the exit status of the worker (the last child's), unless it dies of the last child's signal
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the child stops its tests; we end with its status
    child: _Child | None = None
    lines: deque[bytes] = deque([first])
    buffer = rest
    while True:
        *complete, buffer = buffer.split(b"\n")
        lines.extend(line + b"\n" for line in complete)
        while lines:
            line = lines.popleft()
            if not line.strip():
                continue
            message = message_of(line)
            if message.get("stop"):
                return exit_like(child.end()) if child is not None else 0
            if message.get("fresh") and child is not None:
                status = child.end()
                child = None
                if os.waitstatus_to_exitcode(status) != 0:
                    return exit_like(status)
            if child is None:
                child = fork(run)
            if not child.deliver(line):
                return exit_like(child.end())
        watched = [control]
        if child is not None and child.pidfd is not None:
            watched.append(child.pidfd)
        try:
            ready = _select(watched, [], [], None if child is None or child.pidfd is not None else _POLL_S)[0]
        except InterruptedError:  # pragma: no cover - PEP 475 retries select; kept for older kernels' quirks
            continue
        if child is not None and (child.pidfd in ready or child.pidfd is None) and child.exited():
            return exit_like(child.end())  # it ended on its own: a crash, or --failfast stopped the run
        if control in ready:
            try:
                data = _read(control, 65536)
            except OSError:
                data = b""
            if not data:  # the lane closed the channel: the end of the groups
                return exit_like(child.end()) if child is not None else 0
            buffer += data
