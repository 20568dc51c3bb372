"""Run a queue on N lanes inside this process and merge their streams, as the runner merges its workers.

The dynamic counterpart of :func:`partitioner.run.phases.run_phases`, used by ``python -m partitioner.run``:
a :class:`~partitioner.dispatch.server.Dispatcher` thread, and N lanes, each a thread here
(:class:`~partitioner.dispatch.lane.Lane`) driving one pull worker process, whose events are tagged
``worker-i`` and routed ``i`` exactly as the runner tags its static workers. No lane process sits between
a worker and the merged stream: a lane costs no interpreter start-up and its events are parsed once.
(Under testr and stestr, which start and read their workers themselves, each lane is a process:
``python -m partitioner.dispatch.lane``, see :mod:`partitioner.dispatch.tools`.)

Accounting is global, not per worker: a lane runs whatever the queue hands it. When every lane has
ended, each queued id without a final status in any lane's stream is written as failed, with the
dispatcher's reason when it has one (``not run: ...``), on the stream of the lane that last held it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Client
from pathlib import Path
from typing import IO, Any

from partitioner.dispatch import preload, protocol
from partitioner.dispatch.command import WorkerCommand
from partitioner.dispatch.queue import Queue
from partitioner.dispatch.server import Dispatcher
from partitioner.dispatch.spawn import spawn_worker, wanted
from partitioner.dispatch.state import Outcome
from partitioner.dispatch.supervisor import GRACE_S, Lane
from partitioner.render.output import plural, recorded_as_failures
from partitioner.run.signals import POLL_S, Interrupt, exit_status_for_signal, not_started
from partitioner.run.stream import MergedOutput, WorkerStream
from partitioner.statuses import FINAL, INPROGRESS, unended


@dataclass
class HostOutcome:
    """What :func:`run_lanes` observed.

    :ivar failed: a test failed, a lane ended in trouble, or a test never reported
    :ivar signum: the signal that interrupted the run, or ``None``
    :ivar unreported: ids the host itself wrote as failed (nobody else reported them)
    :ivar lanes: each lane's exit status (0; 1 after a crash or a failure it wrote itself; 128 + N on signal N)
    :ivar dispatch: the dispatcher's record (who ran what, when, what it reported)
    :ivar started_at: the dispatcher clock (monotonic) when the lanes started
    :ivar placement: test id -> the lane whose stream gave it a final status
    """

    failed: bool = False
    signum: int | None = None
    unreported: list[str] = field(default_factory=list)
    lanes: list[int | None] = field(default_factory=list)
    dispatch: Outcome | None = None
    started_at: float = 0.0
    placement: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 all passed, 1 anything failed, 128 + signal when interrupted."""
        if self.signum is not None:
            return exit_status_for_signal(self.signum)
        return 1 if self.failed else 0


class _Tagged:
    """A lane's sink: its events go through its :class:`WorkerStream` (tag, route, accounting)."""

    def __init__(self, stream: WorkerStream, output: MergedOutput) -> None:
        self.stream = stream
        self.output = output

    def status(self, **event: Any) -> None:
        self.stream.status(**event)

    def packets(self, data: bytes, events: list[dict[str, Any]]) -> None:
        for event in events:  # tagged and routed: encoded again
            self.stream.status(**event)

    def flush(self) -> None:
        self.output.flush()


def run_lanes(queue: Queue, command: WorkerCommand, lanes: int, output: MergedOutput, stderr: IO[str], *,
              interrupt: Interrupt, cwd: Path | None = None, grace: float = GRACE_S,
              prog: str = "partitioner.run", on_dispatcher: Callable[[Dispatcher], None] | None = None,
              preloader: preload.Started | None = None) -> HostOutcome:
    """Run ``queue`` on ``lanes`` lanes of pull workers standing in for ``command``, into ``output``.

    :param queue: what to run
    :param command: the inner command a pull worker stands in for (:func:`~partitioner.dispatch.command.recognise`)
    :param lanes: how many lanes (at least 1)
    :param output: the merged subunit v2 stream
    :param stderr: where summary lines go (the workers' own stderr is inherited)
    :param interrupt: the signal recorder (its handlers installed by the caller)
    :param cwd: the workers' working directory (default: ours)
    :param grace: seconds a signalled worker gets before SIGKILL
    :param prog: how lines on stderr start
    :param on_dispatcher: called with the dispatcher once it serves (a progress line asks it what is left)
    :param preloader: the preloader of ``command``'s workers, started before the run was planned (else one
        starts here when there are lanes to share it); stopped when the lanes are done
    """
    streams = [WorkerStream(i, output) for i in range(lanes)]
    outcome = HostOutcome(lanes=[None] * lanes)

    def seen(lane: int, ids: Sequence[str]) -> list[str]:
        return [t for t in ids if streams[lane].last.get(t) in FINAL]

    with Dispatcher(queue, lanes, reported=seen) as dispatcher:
        outcome.started_at = time.monotonic()
        if on_dispatcher is not None:
            on_dispatcher(dispatcher)
        if lanes < 2 and preloader is not None:
            preloader.stop()
            preloader = None
        elif preloader is None and lanes > 1 and wanted(os.environ):  # one suite load forks every lane's worker
            preloader = preload.start(command, dispatcher.preload_path, None if cwd is None else str(cwd))
        threads = []
        for index in range(lanes):
            if interrupt.signum is not None:
                break
            thread = threading.Thread(target=_lane, name=f"partitioner-lane-{index}", daemon=True,
                                      args=(index, command, _Tagged(streams[index], output), stderr, interrupt,
                                            grace, prog, cwd, dispatcher, outcome,
                                            preloader.path if preloader is not None else "0"))
            thread.start()
            threads.append(thread)
        try:
            _wait(threads, interrupt, output, stderr, prog)
        finally:
            if preloader is not None:
                preloader.stop()
        if interrupt.signum is not None:  # what no lane took is reported as not run, and why
            dispatcher.interrupt(f"the run was interrupted ({signal.Signals(interrupt.signum).name})")
        outcome.dispatch = dispatcher.outcome()
    outcome.signum = interrupt.signum
    _account(queue, streams, outcome, stderr, prog)
    output.flush()
    return outcome


def _lane(index: int, command: WorkerCommand, sink: _Tagged, stderr: IO[str], interrupt: Interrupt, grace: float,
          prog: str, cwd: Path | None, dispatcher: Dispatcher, outcome: HostOutcome, preload: str) -> None:
    """One lane's thread: start its worker, connect, run; a lane that fails says why and ends its worker.

    :param preload: the preloader's socket path, or ``"0"``: the lane starts its workers itself
    """
    lane = Lane(index, command, sink, stderr, interrupt, grace, name=f"{prog}: lane {index}", cwd=cwd,
                preload=preload)
    try:
        with contextlib.suppress(OSError):  # the lane says why when it needs the worker
            lane.adopt(spawn_worker(command, cwd, preload))
        with Client(dispatcher.address, family=protocol.FAMILY, authkey=dispatcher.authkey) as conn:
            outcome.lanes[index] = lane.run(conn)
    except Exception as exc:  # a bug: the dispatcher retries its group, the accounting fails what is left
        lane.say(f"failed ({type(exc).__name__}: {exc}); its group goes back to the queue")
        outcome.lanes[index] = 1
    finally:
        lane.kill_child()


def _wait(threads: Sequence[threading.Thread], interrupt: Interrupt, output: MergedOutput, stderr: IO[str],
          prog: str) -> None:
    """Wait for every lane; when nobody reads the results any more, stop the lanes as a SIGTERM would."""
    while any(thread.is_alive() for thread in threads):
        if interrupt.signum is None and output.reader_gone():
            _say(stderr, prog, "stdout was closed (did testr go away?): stopping the lanes")
            interrupt.trigger(signal.SIGTERM)
        for thread in threads:
            thread.join(POLL_S / max(1, len(threads)))


def _release(streams: Sequence[WorkerStream]) -> None:
    """Write what the lanes' streams still hold (tests that never reported a final status, none of the queue's)."""
    for stream in streams:
        stream.release()


def _say(stderr: IO[str], prog: str, line: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        stderr.write(f"{prog}: {line}\n")
        stderr.flush()


def _account(queue: Queue, streams: Sequence[WorkerStream], outcome: HostOutcome, stderr: IO[str],
             prog: str) -> None:
    """Fail every queued id no lane reported a final status for; note lanes that ended in trouble."""
    for index, stream in enumerate(streams):
        outcome.placement.update((t, index) for t, status in stream.last.items() if status in FINAL)
    dispatch = outcome.dispatch
    reasons = dict(dispatch.pending) if dispatch is not None else {}
    holder: dict[str, int] = {}
    for handout in dispatch.handouts if dispatch is not None else ():
        holder.update(dict.fromkeys(handout.tests, handout.lane))
    for index, code in enumerate(outcome.lanes):
        if code not in (0, None) and outcome.signum is None:
            _say(stderr, prog, f"lane {index} ended in trouble (its lines above say why)")
    outcome.failed = any(s.failed for s in streams) or any(c not in (0, None) for c in outcome.lanes)
    last: dict[str, str] = {}
    for index, stream in enumerate(streams):
        for test_id, status in stream.last.items():
            if status in FINAL or test_id not in last:
                last[test_id] = status
                if status not in FINAL:  # a scenario cut short fails where it ran
                    holder.setdefault(test_id, index)
    missing = unended(queue.test_ids(), last)
    if not missing:
        _release(streams)
        return
    outcome.failed = True
    for test_id in missing:
        lane = holder.get(test_id, 0)
        why = reasons.get(test_id, "no lane reported a result for this test")
        if outcome.signum is not None and test_id not in reasons:
            why = (f"interrupted ({signal.Signals(outcome.signum).name}) before this test reported a result"
                   if last.get(test_id) == INPROGRESS else
                   not_started(outcome.signum, f"lane {lane} held it, and no result of it came"))
        streams[lane].fail_unreported(test_id, why)
        outcome.placement[test_id] = lane
    _release(streams)
    outcome.unreported.extend(missing)
    recorded = recorded_as_failures(len(missing))
    _say(stderr, prog, f"{plural(len(missing), 'test')} never reported a result and {recorded}")
