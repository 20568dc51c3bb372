"""The terminal's Ctrl-C for the runner alone: it takes the foreground from testr while it runs.

Under a plain ``testr run`` in a terminal, testr and the runner share the terminal's foreground process group,
so a Ctrl-C reaches both, and testr stores at once what it has: the tests still running or never started are in
no stored record. :class:`Foreground` moves the runner into a process group of its own and makes that the
terminal's foreground (``setpgid``, then ``tcsetpgrp`` with SIGTTOU ignored, as a shell does for a job): a
Ctrl-C then reaches only the runner (and what it started in its group), which ends its workers and writes every
unfinished test as interrupted or not run; testr reads the stream to its end and stores every test. Only when
the runner's group is the foreground at start and the runner does not lead it (started straight from a shell it
already does: nothing to do), and only in the main thread. The terminal and the group are given back at exit.

Ctrl-Z must still stop the whole job: the terminal sends SIGTSTP to the runner's group only, and a runner
stopped alone would leave the shell waiting on testr with the terminal owned by a stopped group. So on SIGTSTP
the runner rejoins testr's group, gives it the terminal, and stops the whole group (testr, its shell, the
runner) with SIGTSTP: the shell sees its job stopped and takes the terminal. On ``fg`` the shell continues that
group; the runner continues what it had stopped in its own group and takes the foreground again (after ``bg``
it is not the foreground, and stays in testr's group). Workers in sessions of their own (each static worker, each
pull worker) run on meanwhile, as they did before.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import types
from typing import Any


def _tcsetpgrp(fd: int, pgrp: int) -> None:
    """Make ``pgrp`` the terminal's foreground group from any group (SIGTTOU ignored meanwhile)."""
    previous = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        os.tcsetpgrp(fd, pgrp)
    finally:
        signal.signal(signal.SIGTTOU, previous)


class Foreground:
    """Context manager: the runner's own process group is the terminal's foreground while it runs (see the module
    docstring); does nothing without a controlling terminal, outside the main thread, or in the background.

    :ivar active: the runner moved into its own group and holds the terminal
    :ivar original: the process group it came from (testr's), or ``None``
    """

    def __init__(self) -> None:
        self.active = False
        self.original: int | None = None
        self._tty: int | None = None
        self._previous_tstp: Any = None

    def __enter__(self) -> Foreground:
        if threading.current_thread() is not threading.main_thread():
            return self
        try:
            tty = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
        except OSError:  # no controlling terminal (CI, a pipe, nohup)
            return self
        try:
            group = os.getpgrp()
            if group == os.getpid() or os.tcgetpgrp(tty) != group:
                os.close(tty)
                return self
            os.setpgid(0, 0)
        except OSError:
            os.close(tty)
            return self
        self._tty, self.original = tty, group
        try:
            _tcsetpgrp(tty, os.getpid())
        except OSError:
            self._rejoin()
            os.close(tty)
            self._tty = self.original = None
            return self
        self.active = True
        if signal.getsignal(signal.SIGTSTP) is not signal.SIG_IGN:
            self._previous_tstp = signal.signal(signal.SIGTSTP, self._stop)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        """Give the terminal and the group back (idempotent)."""
        if not self.active or self._tty is None:
            return
        self.active = False
        if self._previous_tstp is not None:
            with contextlib.suppress(ValueError, OSError):
                signal.signal(signal.SIGTSTP, self._previous_tstp)
            self._previous_tstp = None
        self._hand_back()
        os.close(self._tty)
        self._tty = None

    def _rejoin(self) -> None:
        if self.original is not None:
            with contextlib.suppress(OSError):
                os.setpgid(0, self.original)

    def _hand_back(self) -> None:
        """Back into testr's group, and the terminal to it (if ours still holds it)."""
        assert self._tty is not None and self.original is not None
        ours = os.getpgrp()
        self._rejoin()
        with contextlib.suppress(OSError):
            if os.tcgetpgrp(self._tty) == ours:
                _tcsetpgrp(self._tty, self.original)

    def _stop(self, signum: int, frame: types.FrameType | None) -> None:
        """Ctrl-Z: stop the whole job as the terminal would have, and take the terminal again on ``fg``."""
        if not self.active or self._tty is None or self.original is None:
            return
        own = os.getpid()
        self._hand_back()
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        try:
            os.killpg(self.original, signal.SIGTSTP)  # the runner stops here too, until the shell continues the job
        except OSError:
            pass
        finally:
            signal.signal(signal.SIGTSTP, self._stop)
        with contextlib.suppress(OSError):
            os.killpg(own, signal.SIGCONT)  # what the terminal stopped in the runner's own group
        with contextlib.suppress(OSError):
            if os.tcgetpgrp(self._tty) == self.original:  # fg: the foreground again; bg: stay in testr's group
                os.setpgid(0, 0)
                _tcsetpgrp(self._tty, own)
