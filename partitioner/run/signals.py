"""Signals and exit statuses for the runner: record SIGINT/SIGTERM instead of dying, and name how a process ended."""

from __future__ import annotations

import signal
import threading
import time
import types
from collections.abc import Callable
from typing import Any

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
