"""Run a queue on N lanes of one inner command and merge their streams, as the runner merges its workers.

The dynamic counterpart of :func:`partitioner.run.phases.run_phases`: a :class:`~partitioner.dispatch.server.Dispatcher`
thread, N lane supervisors (``python -m partitioner.dispatch.lane``, each in its own session), and one
merged subunit v2 stream whose events are tagged ``worker-i`` and routed ``i`` exactly as the runner's.

Accounting is global, not per worker: a lane runs whatever the queue hands it. When every lane has
exited, each queued id without a final status in any lane's stream is written as failed, with the
dispatcher's reason when it has one (``not run: ...``), on the stream of the lane that last held it.

``python -m partitioner.dispatch.host --lanes N [--group-by SPEC] [--history PATH] -- INNER ...`` lists the
inner command's tests, queues them by class (longest predicted first) and runs them: the end-to-end tests
and benches drive dynamic dispatch through it until the runner and ``partitioner exec`` do (phase 2).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NoReturn

import subunit

from partitioner.dispatch.command import lane_argv, recognise
from partitioner.dispatch.lane import GRACE_S
from partitioner.dispatch.queue import Queue
from partitioner.dispatch.server import Dispatcher
from partitioner.dispatch.state import Outcome
from partitioner.errors import PartitionerError, RunnerError, UsageError
from partitioner.run.inner import InnerCommand, list_tests
from partitioner.run.signals import Interrupt, Interrupted, describe_exit, exit_status_for_signal
from partitioner.run.stream import MergedOutput, WorkerStream
from partitioner.statuses import FINAL

PROG = "partitioner.dispatch.host"
_POLL_S = 0.1


@dataclass
class HostOutcome:
    """What :func:`run_lanes` observed.

    :ivar failed: a test failed, a lane exited non-zero, or a test never reported
    :ivar signum: the signal that interrupted the run, or ``None``
    :ivar unreported: ids the host itself wrote as failed (nobody else reported them)
    :ivar lanes: each lane's exit status
    :ivar dispatch: the dispatcher's record (who ran what, what it reported)
    """

    failed: bool = False
    signum: int | None = None
    unreported: list[str] = field(default_factory=list)
    lanes: list[int | None] = field(default_factory=list)
    dispatch: Outcome | None = None

    @property
    def exit_code(self) -> int:
        """0 all passed, 1 anything failed, 128 + signal when interrupted."""
        if self.signum is not None:
            return exit_status_for_signal(self.signum)
        return 1 if self.failed else 0


@dataclass
class _Lane:
    index: int
    stream: WorkerStream
    proc: subprocess.Popen[bytes]
    thread: threading.Thread

    def signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signum)


def run_lanes(queue: Queue, inner: Sequence[str], lanes: int, stdout: IO[bytes], stderr: IO[str], *,
              interrupt: Interrupt | None = None, cwd: Path | None = None,
              env: Mapping[str, str] | None = None, python: str = sys.executable,
              grace: float = GRACE_S) -> HostOutcome:
    """Run ``queue`` on ``lanes`` lanes of ``inner`` into one merged stream on ``stdout``.

    :param queue: what to run
    :param inner: the inner test command (one a pull worker can stand in for)
    :param lanes: how many lanes
    :param stdout: where the merged subunit v2 stream goes
    :param stderr: where summary lines go (the lanes' and workers' own stderr is inherited)
    :param interrupt: the signal recorder; a fresh one (installing handlers) when ``None``
    :param cwd: the lanes' working directory
    :param env: the lanes' environment (default: ours)
    :param python: the interpreter that runs the lane supervisors
    :param grace: seconds a signalled worker gets before SIGKILL
    :raises RunnerError: the inner command is not one a pull worker can stand in for, or a lane cannot start
    """
    if recognise(inner) is None:
        raise RunnerError(f"dynamic dispatch cannot stand in for `{' '.join(inner)}`: it needs `python -m "
                          "subunit.run ...`, `python -m stestr.subunit_runner.run ...` or `python -m "
                          "testtools.run ...`; use static plans for this command")
    output = MergedOutput(stdout)
    streams = [WorkerStream(i, output) for i in range(lanes)]
    outcome = HostOutcome()
    guard = Interrupt() if interrupt is None else contextlib.nullcontext(interrupt)

    def seen(lane: int, ids: Sequence[str]) -> list[str]:
        return [t for t in ids if streams[lane].last.get(t) in FINAL]

    with guard as intr, Dispatcher(queue, lanes, reported=seen) as dispatcher:
        base = dict(os.environ if env is None else env)
        base.update(dispatcher.lane_env())
        started: list[_Lane] = []
        try:
            for index in range(lanes):
                if intr.signum is not None:
                    break
                started.append(_start(index, streams[index], lane_argv(python, dispatcher.address, index, inner),
                                      cwd, base))
        except RunnerError:
            for lane in started:
                lane.signal(signal.SIGKILL)
            raise
        finally:
            _wait(started, intr, dispatcher, output, stderr, grace)
        outcome.lanes = [lane.proc.returncode for lane in started]
        outcome.dispatch = dispatcher.outcome()
    outcome.signum = intr.signum
    _account(queue, streams, outcome, stderr)
    output.flush()
    return outcome


def _start(index: int, stream: WorkerStream, argv: list[str], cwd: Path | None, env: dict[str, str]) -> _Lane:
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, cwd=cwd, env=env,
                                start_new_session=True)
    except OSError as exc:
        raise RunnerError(f"cannot start lane {index} (`{' '.join(argv[:3])} ...`): {exc.strerror or exc}") from exc
    assert proc.stdout is not None
    source = proc.stdout

    def read() -> None:
        try:
            subunit.ByteStreamToStreamResult(source, non_subunit_name="stdout").run(stream)
        except Exception:  # keep draining so the lane never blocks on a full pipe
            while source.read(65536):
                pass

    thread = threading.Thread(target=read, name=f"partitioner-host-lane-{index}", daemon=True)
    thread.start()
    return _Lane(index, stream, proc, thread)


def _wait(lanes: Sequence[_Lane], interrupt: Interrupt, dispatcher: Dispatcher, output: MergedOutput,
          stderr: IO[str], grace: float) -> None:
    """Wait for every lane; on a signal pass it on (each lane ends its worker), and SIGKILL lanes that
    outlive twice the grace period."""
    sent = 0  # signals passed on to the lanes: the first, and a second (a lane then kills its worker)
    signalled_at: float | None = None
    killed = False
    while any(lane.thread.is_alive() or lane.proc.poll() is None for lane in lanes):
        signum, wanted = interrupt.signum, min(interrupt.count, 2)
        if signum is None and output.broken:  # nobody reads the results any more
            if signalled_at is None:
                _say(stderr, "stdout was closed (did testr go away?): stopping the lanes")
            signum, wanted = signal.SIGTERM, 1
        if signum is not None and sent < wanted:
            if signalled_at is None:
                signalled_at = time.monotonic()
                dispatcher.interrupt(f"the run was interrupted ({signal.Signals(signum).name})")
            sent = wanted
            for lane in lanes:
                lane.signal(signum)
        elif signalled_at is not None and not killed and time.monotonic() - signalled_at > 2 * grace + 5.0:
            killed = True  # a lane that does not end: its worker's parent watch ends the worker too
            for lane in lanes:
                lane.signal(signal.SIGKILL)
        for lane in lanes:
            lane.thread.join(_POLL_S / max(1, len(lanes)))
    for lane in lanes:
        lane.proc.wait()
        if lane.proc.stdout is not None:
            lane.proc.stdout.close()


def _say(stderr: IO[str], line: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        stderr.write(f"{PROG}: {line}\n")
        stderr.flush()


def _account(queue: Queue, streams: Sequence[WorkerStream], outcome: HostOutcome, stderr: IO[str]) -> None:
    """Fail every queued id no lane reported a final status for; note lanes that exited non-zero."""
    finished = {t for s in streams for t, status in s.last.items() if status in FINAL}
    dispatch = outcome.dispatch
    reasons = dict(dispatch.pending) if dispatch is not None else {}
    holder: dict[str, int] = {}
    for handout in dispatch.handouts if dispatch is not None else ():
        holder.update(dict.fromkeys(handout.tests, handout.lane))
    for index, code in enumerate(outcome.lanes):
        if code != 0 and outcome.signum is None:
            _say(stderr, f"lane {index} {describe_exit(code)}")
    outcome.failed = any(s.failed for s in streams) or any(c != 0 for c in outcome.lanes)
    missing = [t for t in queue.test_ids() if t not in finished]
    if not missing:
        return
    outcome.failed = True
    for test_id in missing:
        why = reasons.get(test_id, "no lane reported a result for this test")
        if outcome.signum is not None and test_id not in reasons:
            why = f"interrupted ({signal.Signals(outcome.signum).name}) before this test reported a result"
        streams[holder.get(test_id, 0)].fail_unreported(test_id, why)
    outcome.unreported.extend(missing)
    _say(stderr, f"{len(missing)} test(s) never reported a result and are recorded as failures")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}; see `python -m {PROG} --help`")


def _queue_for(test_ids: Sequence[str], group_by: str, history: Sequence[str], cwd: Path) -> Queue:
    from partitioner.dispatch.queue import queue_from_costs
    from partitioner.estimate import build_cost_model
    from partitioner.grouping import group_tests, make_grouper
    from partitioner.history import load_history
    from partitioner.history.model import History

    table = group_tests(test_ids, make_grouper(group_by))
    loaded = load_history([p if os.path.isabs(p) else str(cwd / p) for p in history]) if history else History()
    return queue_from_costs(table, build_cost_model(table, loaded))


def main(argv: Sequence[str] | None = None, stdout: IO[bytes] | None = None, stderr: IO[str] | None = None) -> int:
    """List, queue by class, run on N lanes; returns the exit status (0, 1, 2 usage, 130/143)."""
    out = stdout if stdout is not None else sys.stdout.buffer
    err = stderr if stderr is not None else sys.stderr
    words = list(sys.argv[1:] if argv is None else argv)
    cut = words.index("--") if "--" in words else len(words)
    parser = _Parser(prog=PROG, usage=f"python -m {PROG} --lanes N [--group-by SPEC] [--history PATH] -- INNER ...")
    parser.add_argument("--lanes", type=int, required=True, metavar="N")
    parser.add_argument("--group-by", default="class", metavar="SPEC")
    parser.add_argument("--history", action="append", default=[], metavar="PATH")
    try:
        args = parser.parse_args(words[:cut])
        inner = words[cut + 1:]
        if args.lanes < 1:
            raise UsageError(f"--lanes must be at least 1, got {args.lanes}")
        if not inner:
            raise UsageError("no inner test command: put it after `--`")
        with Interrupt() as interrupt:
            try:
                test_ids = list_tests(InnerCommand.from_options(inner, "--list", "--load-list {file}"), interrupt)
                queue = _queue_for(test_ids, args.group_by, args.history, Path.cwd())
                return run_lanes(queue, inner, args.lanes, out, err, interrupt=interrupt).exit_code
            except Interrupted as stop:
                err.write(f"{PROG}: interrupted by {stop}: no tests were run\n")
                return exit_status_for_signal(stop.signum)
    except PartitionerError as exc:
        err.write(f"{PROG}: error: {exc}\n")
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
