"""Run planned test partitions as worker processes, phase after phase, and account for every test.

The machinery behind ``python -m partitioner.run`` (see :mod:`partitioner.run.cli` for the command line).
It knows nothing about planning: it takes *phases* as plain data, ``phases[p][i]`` being the test ids
worker ``i`` of phase ``p`` runs; phases run one after another, the workers of a phase at once.

Invariants of :func:`run_phases`:

* every event a worker writes is copied to the one merged subunit v2 stream, tagged ``worker-i``
  (any ``worker-*`` tag of its own is replaced) and routed ``i`` (or ``i/<its route>``);
* bytes that are not subunit become ``stdout`` file attachments, so the merged stream stays valid;
* every id of a worker's share ends with a final status: an id the worker never finished is written
  as ``inprogress`` then ``fail`` with a ``reason`` attachment (``not run: ...`` when it never started), and one
  summary line goes to stderr;
* on SIGINT/SIGTERM (see :class:`Interrupt`) the running workers' process groups are terminated, then
  killed after a grace period, and their unfinished ids fail with reason "interrupted".
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from partitioner import scratch
from partitioner.dispatch.command import direct_argv
from partitioner.dispatch.spawn import PRELOAD_ENV
from partitioner.errors import RunnerError
from partitioner.render.output import recorded_as_failures
from partitioner.run.inner import InnerCommand, spawn
from partitioner.run.signals import POLL_S, Interrupt, describe_exit, exit_status_for_signal, not_started
from partitioner.run.stream import MergedOutput, WorkerStream, read_worker_stream
from partitioner.statuses import FINAL, INPROGRESS, NOT_RUN, unended

#: Seconds between SIGTERM and SIGKILL to a worker's process group.
GRACE_S = 3.0
#: Seconds a reader may wait for EOF after its worker exited before the worker's group is killed.
LINGER_S = 2.0


@dataclass
class Worker:
    """One worker process of a phase, its share of test ids and its reader thread."""

    index: int
    share: tuple[str, ...]
    stream: WorkerStream
    proc: subprocess.Popen[bytes] | None = None
    thread: threading.Thread | None = None
    exited_at: float | None = None
    reader_error: str | None = None

    def read(self) -> None:
        """Reader thread body: parse the worker's stdout into :attr:`stream` until EOF."""
        assert self.proc is not None and self.proc.stdout is not None
        source = self.proc.stdout
        try:
            read_worker_stream(source, self.stream)
        except Exception as exc:  # keep draining so the worker never blocks on a full pipe
            self.reader_error = f"{type(exc).__name__}: {exc}"
            while source.read(65536):
                pass

    def signal_group(self, signum: int) -> None:
        """Send ``signum`` to the worker's process group (it leads its own session)."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signum)


@dataclass
class RunOutcome:
    """What :func:`run_phases` observed.

    :ivar failed: a test failed, a worker died or exited non-zero, or a test never reported
    :ivar signum: the signal that interrupted the run, or ``None``
    :ivar unreported: ids recorded as failures because their worker never finished them
    :ivar placement: test id -> the worker whose stream gave it a final status
    """

    failed: bool = False
    signum: int | None = None
    unreported: list[str] = field(default_factory=list)
    placement: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 all passed, 1 anything failed, 128 + signal when interrupted."""
        if self.signum is not None:
            return exit_status_for_signal(self.signum)
        return 1 if self.failed else 0


def run_phases(phases: Sequence[Sequence[Sequence[str]]], command: InnerCommand, stdout: IO[bytes] | MergedOutput,
               stderr: IO[str], *, interrupt: Interrupt | None = None, cwd: Path | None = None,
               preload: str | None = None) -> RunOutcome:
    """Run each phase's worker shares at once, phases in order, into one merged stream on ``stdout``.

    :param phases: ``phases[p][i]`` are the ids worker ``i`` (tag ``worker-i``) of phase ``p`` runs;
        empty shares start no process
    :param command: the inner command
    :param stdout: where the merged subunit v2 stream goes (a stream, or the runner's merged output)
    :param stderr: where summary lines go (the workers' own stderr is inherited)
    :param interrupt: the signal recorder; a fresh one (installing handlers) when ``None``
    :param cwd: the workers' working directory (default: ours)
    :param preload: the socket of a preloader that loaded the suite (:mod:`partitioner.dispatch.preload`): each
        worker is then forked from it (:mod:`partitioner.dispatch.direct`) instead of loading the suite itself
    """
    output = stdout if isinstance(stdout, MergedOutput) else MergedOutput(stdout)
    outcome = RunOutcome()
    guard = Interrupt() if interrupt is None else contextlib.nullcontext(interrupt)
    with scratch.directory("run") as tmp, guard as intr:
        for number, shares in enumerate(phases):
            workers = _start_phase(number, shares, command, output=output, tmp=Path(tmp), cwd=cwd,
                                   interrupt=intr, preload=preload)
            _wait(workers, intr, output, stderr)
            _account(workers, intr.signum, outcome, stderr)
            outcome.signum = intr.signum
    output.flush()
    return outcome


def _start_phase(number: int, shares: Sequence[Sequence[str]], command: InnerCommand, *,
                 output: MergedOutput, tmp: Path, cwd: Path | None, interrupt: Interrupt,
                 preload: str | None = None) -> list[Worker]:
    """A worker per non-empty share, started unless a signal has arrived (then left unstarted); forked from the
    ``preload`` er's suite when there is one and a pull worker stands in for the command."""
    workers = [Worker(index, tuple(share), WorkerStream(index, output))
               for index, share in enumerate(shares) if share]
    try:
        for worker in workers:
            if interrupt.signum is not None:
                break
            id_file = tmp / f"phase{number}-worker{worker.index}.list"
            id_file.write_text("".join(f"{test_id}\n" for test_id in worker.share), encoding="utf-8")
            argv, env = command.run_argv(id_file), None
            forked = direct_argv(sys.executable, argv) if preload is not None else None
            if forked is not None:
                argv, env = forked, {**os.environ, PRELOAD_ENV: str(preload)}
            worker.proc = spawn(argv, cwd, group=True, env=env)
            worker.thread = threading.Thread(target=worker.read, name=f"partitioner-{worker.stream.tag}",
                                             daemon=True)
            worker.thread.start()
    except RunnerError:
        for worker in workers:
            worker.signal_group(signal.SIGKILL)
        _wait(workers, interrupt)
        raise
    return workers


def _wait(workers: Sequence[Worker], interrupt: Interrupt, output: MergedOutput | None = None,
          stderr: IO[str] | None = None) -> None:
    """Wait for every worker and its reader; on a signal terminate, then kill, their groups.

    A second signal, or :data:`GRACE_S` after the first, kills at once. So does a closed ``output``
    (nobody is reading the results any more).
    """
    terminated_at: float | None = None
    killed = False
    while True:
        now = time.monotonic()
        running = [w for w in workers if w.thread is not None and w.thread.is_alive()]
        if not running:
            break
        gone = output is not None and output.reader_gone()
        if (interrupt.signum is not None or gone) and terminated_at is None:
            if gone and interrupt.signum is None and stderr is not None:
                _say(stderr, "stdout was closed (did testr go away?): stopping the workers")
            terminated_at = now
            for worker in running:
                worker.signal_group(signal.SIGTERM)
        elif terminated_at is not None and not killed and (now - terminated_at > GRACE_S
                                                           or interrupt.repeated):
            killed = True
            for worker in running:
                worker.signal_group(signal.SIGKILL)
        for worker in running:
            assert worker.proc is not None
            if worker.exited_at is None and worker.proc.poll() is not None:
                worker.exited_at = now
            elif worker.exited_at is not None and now - worker.exited_at > LINGER_S:
                # The worker is gone but something it started still holds its stdout open.
                worker.signal_group(signal.SIGKILL)
        running[0].thread.join(POLL_S)  # type: ignore[union-attr]
    for worker in workers:
        if worker.proc is not None:
            worker.proc.wait()
            if worker.proc.stdout is not None:
                worker.proc.stdout.close()


def _say(stderr: IO[str], line: str) -> None:
    """Write one ``partitioner.run: ...`` line to stderr, even if stderr has gone away."""
    with contextlib.suppress(OSError, ValueError):
        stderr.write(f"partitioner.run: {line}\n")
        stderr.flush()


def _account(workers: Sequence[Worker], signum: int | None, outcome: RunOutcome, stderr: IO[str]) -> None:
    """Fail every unfinished id of each worker and report the worker's fate on stderr."""
    for worker in workers:
        returncode = worker.proc.returncode if worker.proc is not None else None
        tag = worker.stream.tag
        fate = describe_exit(returncode) if worker.proc is not None else "was never started"
        if worker.reader_error:
            _say(stderr, f"reading {tag}'s output failed ({worker.reader_error})")
        outcome.placement.update((t, worker.index) for t, status in worker.stream.last.items() if status in FINAL)
        unreported = unended(worker.share, worker.stream.last)
        if returncode != 0 or worker.stream.failed or worker.reader_error:
            outcome.failed = True
        if not unreported:
            worker.stream.release()
            if returncode != 0 and signum is None:
                _say(stderr, f"{tag} {fate} after all its tests reported")
            continue
        outcome.failed = True
        name = signal.Signals(signum).name if signum is not None else ""
        for test_id in unreported:
            started = worker.stream.last.get(test_id) == INPROGRESS
            if signum is None and started:
                why = f"{tag} {fate}, and this test never reported a result"
            elif signum is None:  # the worker ended (crashed, or did not know the id) and never reached it
                why = f"{NOT_RUN} {tag} {fate} and never started this test"
            elif started:
                why = f"interrupted: the runner received {name}, and {tag} {fate} before this test reported a result"
            else:  # the worker never reached it
                why = not_started(signum, f"{tag} {fate}")
            worker.stream.fail_unreported(test_id, why)
            outcome.placement[test_id] = worker.index
        worker.stream.release()
        outcome.unreported.extend(unreported)
        held = "its test" if len(worker.share) == 1 else f"{len(unreported)} of its {len(worker.share)} tests"
        verb = recorded_as_failures(len(unreported))
        _say(stderr, f"{tag} {fate}{' (interrupted)' if signum is not None else ''}; {held} never reported and "
                     f"{verb}")
