"""SIGINT and SIGTERM while the tool runs under ``partitioner exec``: passed on to the workers and lanes instead of
stopping the tool, so that it reads their streams to the end and stores the run (:func:`passed_on`, which
:meth:`partitioner.dispatch.tools.Session.signals` is).

The passing on and the killing after a grace are :class:`partitioner.run.signals.PassedOn`'s; this module decides
when, and which of the tool's processes are ours (:func:`supervises`).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import threading
import time
import types
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from partitioner.dispatch.tools import Session

#: a worker command that runs a process of ours in front of the test runner, which ends its own worker after a grace
#: of its own and then writes failures for what it held: a lane, a static worker forked from the preloaded suite,
#: the runner (testr's test_command)
OURS = re.compile(r"-m\s+partitioner\.(run|dispatch\.lane|dispatch\.direct)(\s|$)")


@contextlib.contextmanager
def passed_on(session: Session) -> Iterator[None]:
    """While the tool runs: SIGINT/SIGTERM are passed on to the workers and lanes, and the tool keeps
    reading their streams, so that it stores every result; what still runs a grace after the first signal, or
    at a second one, is killed (:class:`~partitioner.run.signals.PassedOn`), so one signal ends the run
    however a test hangs. The third signal stops the tool, and so does the first one that comes before the
    tool planned a run (it would otherwise go on to run every test). Signals closer together than
    :attr:`Interrupt.SAME_S <partitioner.run.signals.Interrupt.SAME_S>` count as one (``timeout`` sends its
    SIGTERM to exec and then to exec's whole process group).

    The first signal is ``session.signum``; the tool's listings (``session.listings``) are killed at once, and its
    workers (``session.children``) are passed the signal. Only in the main thread (elsewhere it does nothing).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    from partitioner.run.signals import Interrupt, PassedOn

    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    ours = os.getpid()
    last_at: list[float] = []
    count = [0]  # the signals so far (those closer together than Interrupt.SAME_S counted once)

    def handle(signum: int, frame: types.FrameType | None) -> None:
        if os.getpid() != ours:  # a child the tool forks, between its fork and its exec: the signal is not ours
            return
        now = time.monotonic()
        if last_at and now - last_at[0] < Interrupt.SAME_S:
            return  # the same signal, come twice (to exec, and to its process group)
        last_at[:] = [now]
        count[0] += 1
        if session.signum is None:
            session.signum = signum
        for proc in session.listings:  # it ignores the signal (held off its imports): it lists, it runs no test
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(proc.pid, signal.SIGKILL)
        if count[0] >= 3:  # the third signal: the tool stops, and a fourth meets the handler it had before
            for s, handler in previous.items():
                signal.signal(s, handler)
            raise KeyboardInterrupt
        if not session.runs and not session.children:
            # one before the tool planned a run (it starts up or lists its tests): nothing of ours runs yet to stop
            # and store, so the tool stops now, as it would without us. This handler stays while the tool unwinds:
            # the copy of the signal that follows (``timeout``'s, to the group) is the same signal, not the
            # default handler's to kill exec before it cleaned up (its preloader was left serving nobody)
            raise KeyboardInterrupt
        run = session.current()
        if run is not None and run.dispatcher is not None:
            run.dispatcher.interrupt(f"the run was interrupted ({signal.Signals(signum).name})")
        # a Ctrl-C reached them too: ours count signals that close as one
        passed.pass_on(list(session.children), signum, repeated=count[0] > 1)

    with PassedOn(ours=supervises) as passed:
        for s, handler in previous.items():
            if handler is not signal.SIG_IGN:
                signal.signal(s, handle)
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)


def supervises(proc: Any) -> bool:
    """Whether the process the tool started runs one of ours in front of its test runner (:data:`OURS`)."""
    return isinstance(proc.args, str) and OURS.search(proc.args) is not None


def handling_sigint() -> bool:
    """Whether this process handles SIGINT (it is not ignored, as under ``nohup``): then the commands it has the
    tool start hold SIGINT off their start (:func:`~partitioner.dispatch.command.held_sigint`)."""
    return signal.getsignal(signal.SIGINT) is not signal.SIG_IGN
