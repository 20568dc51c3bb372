"""Signals and exit statuses for the runner: record SIGINT/SIGTERM instead of dying, and name how a process ended;
for ``partitioner exec``, pass a signal on to the tool's workers and end each within a grace (:class:`PassedOn`)."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import types
from collections.abc import Callable, Sequence
from typing import Any, Protocol

#: seconds between two looks at a running child (and at whether a signal arrived)
POLL_S = 0.1


class Interrupted(Exception):
    """A SIGINT/SIGTERM arrived while the runner was not yet running workers."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_status_for_signal(signum: int) -> int:
    """The conventional shell exit status for a process stopped by ``signum`` (130, 143)."""
    return 128 + signum


class Interrupt:
    """Context manager that records SIGINT/SIGTERM instead of raising, and restores the old handlers.

    A signal that is ignored on entry (``SIG_IGN``, as for a shell's background jobs) stays ignored, unless
    ``take_ignored`` (a lane whose shell ignored SIGINT only while its interpreter started). ``then``, if given,
    is called with each signal once it is recorded.

    :ivar signum: the first signal received, or ``None``
    :ivar count: how many signals arrived
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)
    #: signals closer than this to the first count as the same one (a Ctrl-C that reaches a process both from
    #: the terminal and passed on by its parent), not as the second that asks to stop at once
    SAME_S = 0.5

    def __init__(self, take_ignored: bool = False, then: Callable[[int], None] | None = None) -> None:
        self.take_ignored = take_ignored
        self.then = then
        self.signum: int | None = None
        self.count = 0
        self._first_at: float | None = None
        self._repeated = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Interrupt:
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                # A signal ignored by whoever started us (nohup, a background job) stays ignored.
                if self.take_ignored or signal.getsignal(signum) is not signal.SIG_IGN:
                    self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: types.FrameType | None) -> None:
        self.count += 1
        now = time.monotonic()
        if self.signum is None:
            self.signum = signum
            self._first_at = now
        elif self._first_at is not None and now - self._first_at >= self.SAME_S:
            self._repeated = True
        if self.then is not None:
            self.then(signum)

    @property
    def repeated(self) -> bool:
        """A second signal arrived (at least :data:`SAME_S` after the first): stop at once."""
        return self._repeated

    def trigger(self, signum: int) -> None:
        """Record ``signum`` as if it had arrived (the runner stops this way when its reader has gone)."""
        self._handle(signum, None)

    def check(self) -> None:
        """Raise :class:`Interrupted` if a signal has arrived."""
        if self.signum is not None:
            raise Interrupted(self.signum)


def not_started(signum: int, holder: str) -> str:
    """The reason a test its worker or lane had but never reached fails with after ``signum``; ``holder`` says
    who had it and what became of it (``worker-0 was killed by SIGTERM (signal 15)``)."""
    return f"not run: the run was interrupted ({signal.Signals(signum).name}) before this test started; {holder}"


def describe_exit(returncode: int | None) -> str:
    """``exited with status 3`` / ``was killed by SIGKILL (signal 9)``."""
    if returncode is None:
        return "did not exit"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = "an unknown signal"
        return f"was killed by {name} (signal {-returncode})"
    return f"exited with status {returncode}"


# -- signals passed on to the processes a tool started -------------------------------------------------------

#: seconds a process a signal was passed on to has to end before it is killed (a test that ignores SIGTERM, or
#: hangs where the signal cannot reach it); as the runner's and the lanes' grace for their workers
KILL_AFTER_S = 3.0
#: seconds for one of ours (a lane, a static worker forked from the preloaded suite, the runner): each ends its own
#: worker after its grace (3-5 s) and then writes what it held as failures; killed only if it is stuck past that
OURS_KILL_AFTER_S = 12.0
#: what starts a shell command line the tools run (``shell=True``)
_SHELLS = frozenset({"sh", "dash", "bash", "ash", "ksh", "mksh", "zsh", "busybox"})


def _stat(pid: int) -> tuple[str, int, int] | None:
    """``(state, parent pid, start time)`` of process ``pid`` from ``/proc``, or ``None`` (gone, or no ``/proc``)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        return fields[0].decode(), int(fields[1]), int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def _children(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (``/proc``; ``[]`` where there is none)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children", "rb") as handle:
            return [int(word) for word in handle.read().split()]
    except (OSError, ValueError):
        pass
    found = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    for name in names:
        if name.isdigit():
            stat = _stat(int(name))
            if stat is not None and stat[1] == pid:
                found.append(int(name))
    return found


def shell_programs(pid: int) -> list[tuple[int, int]]:
    """When process ``pid`` is a shell running a command line (``sh -c 'CMD'``) that it did not replace itself
    with (dash runs ``sh -c 'python -m ...'`` as a child of its own): ``(pid, start time)`` of each program it
    runs; else ``[]``. A signal passed on to such a shell ends the shell alone, and the program it ran goes on,
    holding the stream the tool reads to its end."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            argv = handle.read().split(b"\0")
    except OSError:
        return []
    if len(argv) < 2 or os.path.basename(argv[0].decode(errors="replace")) not in _SHELLS or argv[1] != b"-c":
        return []
    programs = []
    for child in _children(pid):
        stat = _stat(child)
        if stat is not None and stat[0] not in "ZX":
            programs.append((child, stat[2]))
    return programs


class Stoppable(Protocol):
    """A started process, as ``subprocess.Popen`` shows one."""

    pid: int
    args: Any

    def poll(self) -> int | None: ...

    def send_signal(self, sig: int) -> None: ...


class PassedOn:
    """Signals passed on to the processes a tool started, and an end for each within a grace.

    ``partitioner exec`` does not let the first SIGINT/SIGTERM stop the tool: it passes it on to the workers, so
    that the tool reads their streams to the end and stores the run. That only ends the run if each worker ends.
    So each is signalled where the signal takes effect (a shell that ran its command as a child of its own has
    that program signalled too), and what still runs :data:`KILL_AFTER_S` after the first signal, or at a second
    one, is killed with SIGKILL: a test that ignores SIGTERM, or hangs where it cannot be interrupted, is not
    waited for forever. A process of ours (``ours(proc)``: a lane, the runner), which ends its own worker after
    its own grace and then writes failures for what it held, is passed the second signal instead, and killed
    only after :data:`OURS_KILL_AFTER_S`.

    Used from a signal handler (:meth:`pass_on`): that only signals and writes a byte; a thread started by
    :meth:`__enter__` does the killing.
    """

    def __init__(self, ours: Callable[[Stoppable], bool], kill_after: float = KILL_AFTER_S,
                 ours_kill_after: float = OURS_KILL_AFTER_S) -> None:
        self.ours = ours
        self.kill_after = kill_after
        self.ours_kill_after = ours_kill_after
        #: ``(process, programs of it that were signalled)`` for each process a signal was passed on to
        self._targets: list[tuple[Stoppable, list[tuple[int, int]]]] = []
        self._first_at: float | None = None
        self._wake: tuple[int, int] | None = None
        self._thread: threading.Thread | None = None
        self._killed_now = False

    def __enter__(self) -> PassedOn:
        read, write = os.pipe()
        os.set_blocking(write, False)
        self._wake = (read, write)
        self._thread = threading.Thread(target=self._watch, args=(read,), name="partitioner-passed-on", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._wake is not None:
            os.close(self._wake[1])  # the thread reads the end and leaves
            if self._thread is not None:
                self._thread.join(1.0)
            self._wake = None

    def pass_on(self, procs: Sequence[Stoppable], signum: int, repeated: bool) -> None:
        """Pass ``signum`` on to each of ``procs`` still running (``repeated``: a second signal, which kills at
        once what is not ours)."""
        if self._first_at is None:
            self._first_at = time.monotonic()
        for proc in procs:
            known = self._known(proc)
            if proc.poll() is not None and not any(_running(p) for p in known):
                continue  # ended, and so did what it ran (a shell the first signal ended leaves its program)
            programs = [*known, *(p for p in shell_programs(proc.pid) if p not in known)]
            if repeated and not self.ours(proc):
                self._kill(proc, programs)
                continue
            for program in programs:
                if _running(program):
                    _send(program[0], signum)
            with contextlib.suppress(OSError):
                if proc.poll() is None:
                    proc.send_signal(signum)
            self._targets.append((proc, programs))
        self._poke()

    def _known(self, proc: Stoppable) -> list[tuple[int, int]]:
        """The programs of ``proc`` a signal was passed on to before."""
        return [program for p, programs in self._targets if p is proc for program in programs]

    def _poke(self) -> None:
        if self._wake is not None:
            with contextlib.suppress(OSError):
                os.write(self._wake[1], b"!")

    def _watch(self, read: int) -> None:
        import select

        try:
            deadline: float | None = None
            while True:
                timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
                if select.select([read], [], [], timeout)[0] and not os.read(read, 64):
                    return  # closed: the tool returned
                if self._first_at is None:
                    continue
                now = time.monotonic()
                deadline = self._sweep(now)
        finally:
            os.close(read)

    def _sweep(self, now: float) -> float | None:
        """Kill what outlived its grace; the next time to look, or ``None`` when nothing is left to watch."""
        assert self._first_at is not None
        left: float | None = None
        for proc, programs in list(self._targets):
            running = proc.poll() is None or any(_running(p) for p in programs)
            if not running:
                continue
            due = self._first_at + (self.ours_kill_after if self.ours(proc) else self.kill_after)
            if now >= due:
                self._kill(proc, [*programs, *shell_programs(proc.pid)])
            else:
                left = due if left is None else min(left, due)
        return left

    def _kill(self, proc: Stoppable, programs: list[tuple[int, int]]) -> None:
        for pid, started in programs:
            if _running((pid, started)):
                _send(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)


def _running(program: tuple[int, int]) -> bool:
    """Whether the process ``(pid, start time)`` still runs (the same one: a pid can be reused)."""
    stat = _stat(program[0])
    return stat is not None and stat[2] == program[1] and stat[0] not in "ZX"


def _send(pid: int, signum: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signum)
