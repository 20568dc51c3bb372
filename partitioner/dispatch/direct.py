"""A static plan's worker forked from the preloaded suite: one suite load per run, and no relay.

::

    python -m partitioner.dispatch.direct [--sigint] -- INNER COMMAND ... --load-list FILE

(the preloader's socket in ``PARTITIONER_PRELOAD``). Under a static plan the tool starts each worker with
its share in a ``--load-list`` file, and each worker loads the whole suite before it runs its first test:
N loads on the run's cores, after the tool's own listing (oslo.utils: about a second of CPU each, testtools'
own suite half a second). ``partitioner exec`` starts the tool's worker command through this module instead,
when the run keeps the static plan by :mod:`partitioner.dispatch.choice`'s rule (single small tests): it asks
the preloader (:mod:`partitioner.dispatch.preload`, which loaded the suite while the tool listed it) to fork
a pull worker whose stdout is **this process's stdout**, the pipe the tool reads, hands it the whole share
as one group, and waits for it. The worker runs the share as the runner runs a ``--load-list``: its tests in
suite order, one unittest run, a subunit v2 stream written by python-subunit; no lane reads it on the way,
so the tool parses the same bytes a worker of its own would have written.

Nothing depends on it: without a preloader (``PARTITIONER_PRELOAD`` unset or ``0``), when it cannot be
reached, when it could not load the suite, or when it declined to fork from it (the suite patched the standard
library as it loaded: :mod:`partitioner.dispatch.monkeypatch`), this process becomes the inner command
(``exec``), exactly the worker the tool asked for. This process loads no suite itself.

Signals: SIGINT/SIGTERM are passed on to the worker's process group (it leads a session of its own, away
from the terminal's Ctrl-C), which ends its run as a worker does (the test under way is left unreported:
the tool's account fails it as interrupted); a second signal, or :data:`GRACE_S` seconds without an end,
kills it. A signal that comes before the worker exists ends this process before the share is handed over.
``--sigint``: the shell started this process with SIGINT ignored (``trap '' INT``), so that a Ctrl-C while
the interpreter starts prints no traceback; it is taken from the first line on.

Exit status: the worker's (0 when its run ended, failed tests or not, as ``subunit.run``), 128 + N when it
was killed by signal N or this process was stopped by signal N before the worker started, 2 for bad usage.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Sequence
from typing import NoReturn

from partitioner.dispatch.command import DIRECT_MODULE, WorkerCommand, recognise, split_assignments
from partitioner.dispatch.spawn import PRELOAD_ENV, wanted
from partitioner.run.signals import Interrupt

PROG = DIRECT_MODULE
USAGE = f"python -m {PROG} [--sigint] -- INNER COMMAND ... --load-list FILE"
#: seconds the worker has to end after a signal was passed on, before it is killed
GRACE_S = 5.0
_POLL_S = 0.05


def parse_args(words: Sequence[str]) -> tuple[bool, list[str]]:
    """``(--sigint given, inner command)``; ``ValueError`` with the usage when the words do not fit."""
    words = list(words)
    sigint = bool(words) and words[0] == "--sigint"
    if sigint:
        words = words[1:]
    if not words or words[0] != "--" or len(words) < 2:
        raise ValueError(f"usage: {USAGE}")
    return sigint, words[1:]


def read_share(path: str) -> list[str]:
    """The ids of a ``--load-list`` file, one per line (blank lines skipped, as the runners skip them)."""
    with open(path, encoding="utf-8") as ids:
        return [line.strip() for line in ids if line.strip()]


def become(inner: Sequence[str]) -> NoReturn:
    """Replace this process with the inner command, as the tool's shell would have run it (its leading
    ``NAME=value`` words set in the environment), with SIGINT back at its default."""
    assignments, words = split_assignments(inner)
    env = dict(os.environ)
    env.pop(PRELOAD_ENV, None)
    env.update(assignments)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    try:
        os.execvpe(words[0], words, env)
    except (OSError, IndexError) as exc:
        sys.stderr.write(f"{PROG}: error: cannot run `{' '.join(inner)}`: {exc}\n")
        os._exit(127)


def _converse(control: socket.socket, tests: list[str]) -> None:
    """Hand the share over as one group, end the channel, and read the worker's replies until it closes its
    end (they say nothing this process needs: the tool reads the outcome from the stream)."""
    with contextlib.suppress(OSError):
        control.sendall(json.dumps({"group": "static", "tests": tests, "last": True}).encode() + b"\n")
        control.shutdown(socket.SHUT_WR)
        while control.recv(65536):
            pass


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


def run(command: WorkerCommand, path: str, interrupt: Interrupt, inner: Sequence[str]) -> int:
    """Fork the share's worker from the preloader at ``path``, writing to this process's stdout; its exit status.

    Becomes the inner command instead when the preloader cannot be reached or the share cannot be read.
    """
    from partitioner.dispatch.preload import request

    assert command.load_list is not None
    try:
        tests = read_share(command.load_list)
    except (OSError, UnicodeDecodeError):
        become(inner)  # the runner reports the file as it would
    ours, theirs = socket.socketpair()
    try:
        proc = request(path, command, theirs.fileno(), output_fd=sys.stdout.fileno(), own_worker=False)
    except OSError:
        ours.close()
        become(inner)
    finally:
        theirs.close()
    while not proc.settled(_POLL_S):  # the preloader may still be loading the suite
        if interrupt.signum is not None:
            ours.close()  # the worker, once forked, finds no group and ends its run at once
            return 128 + interrupt.signum
    if proc.declined:  # it could not load the suite, or the suite patched the standard library
        ours.close()
        become(inner)
    talker = threading.Thread(target=_converse, args=(ours, tests), name="partitioner-direct", daemon=True)
    talker.start()
    passed_at: float | None = None
    killed = False
    while proc.poll() is None:
        if interrupt.signum is not None and passed_at is None:
            passed_at = time.monotonic()
            _signal_group(proc.pid, interrupt.signum)
        if passed_at is not None and not killed and (interrupt.repeated or time.monotonic() - passed_at > GRACE_S):
            killed = True
            _signal_group(proc.pid, signal.SIGKILL)
        time.sleep(_POLL_S)
    ours.close()
    code = proc.returncode
    assert code is not None
    return 128 - code if code < 0 else code


def main(argv: Sequence[str] | None = None) -> int:
    """Run one static worker (see the module docstring); its exit status."""
    try:
        sigint, inner = parse_args(sys.argv[1:] if argv is None else argv)
    except ValueError as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return 2
    command = recognise(inner)
    path = os.environ.get(PRELOAD_ENV, "")
    if command is None or command.load_list is None or not path or not wanted({PRELOAD_ENV: path}):
        become(inner)
    with Interrupt(take_ignored=sigint) as interrupt:
        return run(command, path, interrupt, inner)


if __name__ == "__main__":
    code = main()
    for _stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            _stream.flush()
    os._exit(code)
