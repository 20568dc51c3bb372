"""The lane supervisor: stands in for one worker of testr, stestr or our runner under dynamic dispatch.

::

    python -m partitioner.dispatch.lane --connect ADDRESS --lane N [--grace S] [--sigint] -- INNER COMMAND ...

(the dispatcher's key in ``PARTITIONER_DISPATCH_KEY``; ``--sigint``: the shell started it with SIGINT ignored, so
that a Ctrl-C while the interpreter starts prints no traceback, and the lane handles SIGINT from its first line:
:func:`partitioner.dispatch.command.lane_shell_command`). It starts a pull worker derived from the inner
command (:mod:`partitioner.dispatch.command`), asks the dispatcher for a group whenever that worker is
idle, hands it on over a socketpair, and relays the worker's subunit v2 stream to its own stdout
unchanged (the host tags it ``worker-N``), remembering each test's last status.

Nothing is lost:

* the worker dies mid-group (``kill -9``, ``os._exit``, a segfault): the test it was running fails with a
  ``reason``; the group's tests that never started go back to the dispatcher (which reports them instead
  once the group has killed two workers); a replacement worker starts for the next group;
* SIGINT/SIGTERM: the lane stops asking, passes the signal to its worker (then SIGKILL after ``--grace``
  seconds, or at a second signal), fails what it held as ``interrupted``, and writes the failures the
  dispatcher hands it for the tests nobody started;
* the dispatcher goes away (it is watched while a group runs too): the lane ends its worker (SIGTERM when a
  group was running, then SIGKILL after ``--grace``), fails what it held, and exits 1.

Exit status: 0 when every worker ended normally and the lane wrote no failure of its own (failed tests
do not count, as with ``subunit.run``), 1 otherwise, 128 + N when stopped by signal N, 2 for bad usage.
The lane's life on the connection is :class:`partitioner.dispatch.supervisor.Lane`; this module is its command
line and its start.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, NoReturn

from partitioner.dispatch import protocol
from partitioner.dispatch.command import RUNNERS, WorkerCommand, recognise
from partitioner.dispatch.spawn import Spawned, spawn_worker
from partitioner.dispatch.supervisor import GRACE_S, Lane
from partitioner.errors import UsageError
from partitioner.run.signals import Interrupt

if TYPE_CHECKING:  # imported when used: the worker starts before the lane loads them
    from partitioner.dispatch.relay import Sink

PROG = "partitioner.dispatch.lane"
USAGE = f"python -m {PROG} --connect ADDRESS --lane N [--grace S] [--sigint] -- INNER ..."
#: how a lane's lines on stderr start: as every line of ``partitioner exec`` does (``partitioner: ...``), the
#: lane named as the user knows it, not by its module (``partitioner: lane 0: ...``)
SAID_AS = "partitioner: lane"


def said_as(index: int | None) -> str:
    """The start of lane ``index``'s lines on stderr (``None``: before its number is known)."""
    return SAID_AS if index is None else f"{SAID_AS} {index}"


def parse_args(words: Sequence[str]) -> tuple[str, int, float, list[str], bool]:
    """``(address, lane, grace, inner command, --sigint given)`` from the command line.

    Parsed by hand (argparse costs the lane start-up time for five options).

    :raises UsageError: a missing or bad option
    """
    cut = list(words).index("--") if "--" in words else len(words)
    options, inner = list(words[:cut]), list(words[cut + 1:])
    values: dict[str, str] = {}
    sigint = "--sigint" in options
    options = [o for o in options if o != "--sigint"]
    while options:
        name = options.pop(0)
        if name in ("-h", "--help"):
            raise UsageError(f"usage: {USAGE} (the dispatcher's key in {protocol.KEY_ENV})")
        if name not in ("--connect", "--lane", "--grace") or not options:
            raise UsageError(f"unexpected {name!r}; usage: {USAGE}")
        values[name] = options.pop(0)
    missing = [n for n in ("--connect", "--lane") if n not in values]
    if missing:
        raise UsageError(f"the following arguments are required: {', '.join(missing)}; usage: {USAGE}")
    try:
        lane, grace = int(values["--lane"]), float(values.get("--grace", GRACE_S))
    except ValueError as exc:
        raise UsageError(f"--lane wants a whole number and --grace seconds ({exc}); usage: {USAGE}") from None
    return values["--connect"], lane, grace, inner, sigint


def _fail_share(command: WorkerCommand, output: Sink, reason: str) -> int:
    """The dispatcher is unreachable: fail this worker's static share (its --load-list), if it has one."""
    from partitioner.dispatch.relay import Relay

    if command.load_list is None:
        return 0
    try:
        with open(command.load_list, encoding="utf-8") as ids:
            share = [line.strip() for line in ids if line.strip()]
    except OSError:
        return 0
    relay = Relay(output)
    for test_id in share:
        relay.fail(test_id, reason)
    output.flush()
    return len(share)


def main(argv: Sequence[str] | None = None, stdout: IO[bytes] | None = None,
         stderr: IO[str] | None = None) -> int:
    """Run one lane; returns its exit status.

    The worker starts first, so that its start-up and suite loading overlap the lane's own imports and
    its handshake with the dispatcher.
    """
    err = stderr if stderr is not None else sys.stderr
    out = stdout if stdout is not None else sys.stdout.buffer
    try:
        address, index, grace, inner, sigint = parse_args(list(sys.argv[1:] if argv is None else argv))
        command = recognise(inner)
        if command is None:
            raise UsageError(f"cannot stand in for `{shlex.join(inner) or '(no inner command)'}`: a pull worker "
                             f"needs `python -m RUNNER ...` with RUNNER one of {', '.join(RUNNERS)}")
        key = os.environ.get(protocol.KEY_ENV)
        if not key:
            raise UsageError(f"{protocol.KEY_ENV} is not set: the dispatcher passes its key in the environment")
    except UsageError as exc:
        err.write(f"{said_as(None)}: error: {exc}\n")
        return exc.exit_code
    # from here on a signal is recorded, not raised (its worker, started next, gets the default handlers back)
    with Interrupt(take_ignored=sigint) as interrupt:
        return _serve(command, address, index, grace, key, out, err, interrupt)


def _serve(command: WorkerCommand, address: str, index: int, grace: float, key: str, out: IO[bytes],
           err: IO[str], interrupt: Interrupt) -> int:
    """Start the worker, reach the dispatcher, and run the lane's life on the connection."""
    try:
        spawned: Spawned | None = spawn_worker(command)
    except OSError:
        spawned = None  # the lane says why when it needs the worker
    from multiprocessing.connection import Client

    output = _merged_output(out)
    try:
        conn = Client(address, family=protocol.FAMILY, authkey=bytes.fromhex(key))
    except (OSError, EOFError, ValueError) as exc:
        if spawned is not None:
            spawned.kill()
        reason = f"not run: lane {index} could not reach the dispatcher at {address} ({exc})"
        failed = _fail_share(command, output, reason)
        err.write(f"{said_as(index)}: error: cannot reach the dispatcher at {address}: {exc}"
                  f"{f'; its {failed} tests are recorded as failures' if failed else ''}\n")
        return 1
    # a signal that came while the lane started is in ``interrupt``: the lane asks for nothing, and leaves
    with conn:
        lane = Lane(index, command, output, err, interrupt, grace, name=said_as(index))
        if spawned is not None:
            lane.adopt(spawned)
        try:
            return lane.run(conn)
        finally:
            lane.kill_child()  # only when run() failed with an exception: it ends its worker itself


def _skip_optional_imports() -> None:
    """In a lane's own process only: testtools imports ``fixtures`` when it can (which pulls in unittest.mock
    and asyncio, a third of the lane's start-up CPU); a lane runs no test and never uses it, so testtools is
    told it is absent. Never done in a process that may run tests (the pull worker, the runner)."""
    if "testtools" not in sys.modules:
        sys.modules.setdefault("fixtures", None)  # type: ignore[arg-type]


def _merged_output(out: IO[bytes]) -> Sink:
    """The lane's output (python-subunit and testtools load here); should a testtools need ``fixtures`` after all,
    :func:`_skip_optional_imports` is undone and they load again with it."""
    try:
        from partitioner.run.stream import MergedOutput
    except ImportError:
        if "fixtures" not in sys.modules or sys.modules["fixtures"] is not None:
            raise
        del sys.modules["fixtures"]
        from partitioner.run.stream import MergedOutput
    return MergedOutput(out)


def _leave(code: int) -> NoReturn:
    """Exit with ``code`` without the interpreter's teardown (about 50 ms of CPU per lane, at the end of the
    run, when the tool waits for every lane): by now the worker is reaped, the connection closed and the
    lane runs no thread of its own; what is left in the standard streams is flushed first."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    _skip_optional_imports()
    _leave(main())
