"""Children that die with their parent: ``PR_SET_PDEATHSIG=SIGKILL`` for the workers we (or the tool in our
process) start, so that a SIGKILLed runner or ``partitioner exec`` leaves no test process running.

A worker leading its own process group (as the runner's static workers do, so that a signal reaches what their
tests started) is out of reach of a signal to the runner's group, and nothing else ends it when the runner is
killed outright. Linux can: ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` in the child, between fork and exec, makes the
kernel kill it when the thread that forked it ends. :func:`dying_with_us` gives the ``preexec_fn`` that does
it (a no-op where ``prctl`` is missing: other systems keep the old behaviour). Start such children from a thread
that lives as long as the process (the main thread): the signal follows the forking thread, not the process.

A ``preexec_fn`` is unsafe in a process with threads when it takes a lock another thread may hold at the fork
(the import lock, a logging handler's, a stream's). This one only calls ``prctl`` through a ctypes function
loaded beforehand, ``getppid`` and ``getpid``: the child holds the GIL, and glibc's malloc is fork-safe.
"""

from __future__ import annotations

import ctypes
import functools
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

#: prctl's option number (linux/prctl.h)
PR_SET_PDEATHSIG = 1


@functools.cache
def _prctl() -> Any:
    """libc's ``prctl``, loaded in the parent (never between fork and exec), or ``None`` off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong)
    prctl.restype = ctypes.c_int
    return prctl


def available() -> bool:
    """Whether children can be tied to their parent here (Linux's ``prctl``)."""
    return _prctl() is not None


def dying_with_us(then: Callable[[], object] | None = None) -> Callable[[], object] | None:
    """A ``preexec_fn`` that gets the child SIGKILLed when this process (the forking thread) ends, after calling
    ``then`` (another ``preexec_fn``, e.g. a tool's own); ``then`` itself where ``prctl`` is missing.

    A parent that died between the fork and the ``prctl`` call is noticed (the child's parent changed): the child
    kills itself at once, as the kernel would have.
    """
    prctl = _prctl()
    if prctl is None:
        return then
    parent = os.getpid()

    def preexec() -> None:
        if then is not None:
            then()
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec
