"""The account of a tool's run under ``partitioner exec``, given as the tool stores it: a failure with the reason
for every test the run was given that never reported (:func:`write_unreported`, said in one warning:
:func:`warning`; after a signal, what became of every test: :func:`ended`), then the plan record beside the run
(:func:`write_record`).

:meth:`partitioner.dispatch.tools.Session.account` calls them when the tool's inserter is told the run is over
(:class:`~partitioner.dispatch.toolrun.Tee`).
"""

from __future__ import annotations

import contextlib
import datetime
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from partitioner import statuses
from partitioner.dispatch.toolrun import ToolRun, plan_record
from partitioner.render.output import plural
from partitioner.run.signals import describe_exit, not_started
from partitioner.statuses import INPROGRESS, NOT_RUN, SUCCESS, expanded, scenario_base, unended

#: seconds the account waits for a worker whose stream has ended to be reapable, to say how it ended
EXIT_WAIT_S = 2.0

#: seconds :meth:`~partitioner.dispatch.tools.Session.uninstall` waits for a plan record written aside before it
#: leaves it to finish alone
ASIDE_WAIT_S = 10.0


def write_unreported(run: ToolRun, signum: int | None) -> tuple[int, bool]:
    """Write a failure, with the reason, through the run's :class:`~partitioner.dispatch.toolrun.Tee` for every test
    the run was given that never reported; under dynamic dispatch the dispatcher is told of the signal first.

    :param signum: the first signal while the tool ran, or None
    :returns: how many tests were written, and whether the lanes wrote failures of their own for tests the signal
        cut short or kept from starting (which the lanes leave to :func:`warning` to say: the dispatcher the
        session starts asks them to track, :attr:`partitioner.dispatch.supervisor.Lane.accounted`)
    """
    dispatcher = run.dispatcher
    reasons: dict[str, str] = {}
    holder: dict[str, int] = {}
    lanes_cut = False
    if dispatcher is not None:
        from partitioner.dispatch.state import INTERRUPTED

        if signum is not None:
            dispatcher.interrupt(f"the run was interrupted ({signal.Signals(signum).name})")
        outcome = dispatcher.outcome()
        reasons = dict(outcome.pending)
        for handout in outcome.handouts:
            holder.update(dict.fromkeys(handout.tests, handout.lane))
        lanes_cut = signum is not None and (bool(outcome.reported) or
                                            any(h.outcome == INTERRUPTED for h in outcome.handouts))
    missing = 0
    for index, part in enumerate(run.partitions):
        for test_id in (part if dispatcher is None else ()):
            holder.setdefault(test_id, index)
    planned_ids = [t for part in run.partitions for t in part]
    with run.lock:
        running = dict(run.running)
        left = unended(planned_ids, {**dict.fromkeys(running, INPROGRESS), **dict.fromkeys(run.finals, SUCCESS)})
    beside = expanded(left)  # a rerun's test beside its scenarios: they fail for it
    left = [t for t in left if t not in beside]
    fates: dict[int, str] = {}
    for test_id in left:
        index = holder.get(test_id, holder.get(scenario_base(test_id) or "", 0))
        if index not in fates:
            fates[index] = fate(run.procs.get(index))
        how = fates[index]
        if test_id in reasons and reasons[test_id].endswith("while this test was running"):
            why = f"lane {index} {how} while this test was running"  # a lane killed under the tool
        elif test_id in reasons:
            why = reasons[test_id]
        elif signum is not None and test_id not in running:  # as the queue's are under dynamic dispatch
            why = not_started(signum, f"worker-{index} {how}")
        elif signum is not None:
            why = (f"interrupted: partitioner exec received {signal.Signals(signum).name}, and worker-"
                   f"{index} {how} before this test reported a result")
        else:
            why = f"worker-{index} {how}, and this test never reported a result"
        worker, route = running.get(test_id, (None, None))
        started = test_id in running
        assert run.tee is not None
        run.tee.inject(test_id, worker or f"worker-{index}", route if started else str(index), why, started)
        missing += 1
    return missing, lanes_cut


class Failure(NamedTuple):
    """A failure the stored run holds, as :func:`ended` weighs it (:func:`failure`)."""

    #: when it was written (epoch seconds)
    when: float
    #: its ``reason`` says the test was not run (``not run: ...``: never started)
    not_run: bool
    #: its reason, else its traceback, says the test did not run to its end
    #: (:func:`partitioner.statuses.unfinished`: a ``KeyboardInterrupt`` in its own process, partitioner's
    #: ``interrupted: ...``, ``not run: ...`` or ``... never reported a result``), not that the test failed
    unfinished: bool = False


def failure(event: Mapping[str, Any], unfinished: bool | None = None) -> Failure:
    """A ``fail`` event the tool stores, as :func:`ended` weighs it: its timestamp (now, when it has none), whether
    its ``reason`` says the test never started (the queue's, a lane's and :func:`write_unreported`'s own
    ``not run: ...``), and whether the test did not run to its end.

    :param unfinished: whether the test's attachments said it did not run to its end, which the caller read from
        the events before this one (the tool's stream sends a traceback ahead of the status:
        :meth:`partitioner.dispatch.toolrun.Tee.unfinished`); None: from this event's own attachment alone
    """
    stamp = event.get("timestamp")
    when = stamp.timestamp() if isinstance(stamp, datetime.datetime) else time.time()
    name = event.get("file_name")
    text = bytes(event.get("file_bytes") or b"").decode("utf-8", "replace") if name in ("reason", "traceback") else ""
    reason = text if name == "reason" else ""
    if unfinished is None:
        unfinished = statuses.unfinished(statuses.reason_line(reason, text if name == "traceback" else ""))
    return Failure(when, reason.startswith(NOT_RUN), unfinished)


@dataclass(frozen=True)
class Ended:
    """What became of the tests a run was given, once a signal cut it short.

    :ivar ran: reported a result of their own (before the signal, or a pass after it)
    :ivar cut_short: running when the signal came, and recorded as a failure: by its test process (a Ctrl-C's
        ``KeyboardInterrupt``), its lane, or :func:`write_unreported`
    :ivar not_started: never started, recorded as a failure saying so (``not run: ...``)
    """

    ran: int
    cut_short: int
    not_started: int

    @property
    def partial(self) -> bool:
        """Whether the stored run lacks a true result for some test."""
        return bool(self.cut_short or self.not_started)


#: seconds before the signal in which a failure that says the test did not run to its end counts as the signal's: a
#: Ctrl-C reaches every process at once, and a test process may record its running test's ``KeyboardInterrupt``
#: before our handler notes the time
SIGNAL_SLACK_S = 0.5


def unstarted(failed: Failure, signalled_at: float) -> bool:
    """Whether a stored failure (:func:`failure`) is a test the signal (at ``signalled_at``, epoch seconds) kept
    from starting: its reason says so (``not run: ...``) and it was written after the signal, less
    :data:`SIGNAL_SLACK_S` (:func:`ended` counts them; the tool's console leaves them out:
    :class:`~partitioner.dispatch.toolrun.Console`)."""
    return failed.not_run and failed.when >= signalled_at - SIGNAL_SLACK_S


def cut_short(failed: Failure, signalled_at: float) -> bool:
    """Whether a stored failure (:func:`failure`) that is not :func:`unstarted` is a test the signal (at
    ``signalled_at``) cut short: written after it, or in the :data:`SIGNAL_SLACK_S` before it and saying the test
    did not run to its end (its own process's ``KeyboardInterrupt``, partitioner's ``interrupted: ...``). A test
    that failed of itself just before the signal (its ``AssertionError``, which the stored run keeps) ran."""
    return failed.when >= signalled_at or (failed.unfinished and failed.when >= signalled_at - SIGNAL_SLACK_S)


def ended(run: ToolRun, failures: Mapping[str, Failure], signalled_at: float) -> Ended:
    """Each test of ``run``, by the id it ran as (a listed id that ran as scenarios counts each scenario), counted
    by how it ended: never started (:func:`unstarted`), cut short (:func:`cut_short`), else it ran.

    :param failures: the run's stored failures by test id (:func:`failure`), the account's own included
    """
    cut = never = 0
    listed = [t for part in run.partitions for t in part]
    with run.lock:
        reported = set(run.finals).union(failures)
    known = set(listed)
    scenarios = {t for t in reported if t not in known and scenario_base(t) in known}  # as the tests ran
    ran_as = expanded(scenarios)
    tests = [t for t in listed if t not in ran_as] + sorted(scenarios)
    for test_id in tests:
        failed = failures.get(test_id)
        if failed is None:
            continue
        if unstarted(failed, signalled_at):
            never += 1
        elif cut_short(failed, signalled_at):
            cut += 1
    return Ended(len(tests) - cut - never, cut, never)


def warning(run: ToolRun, missing: int, lanes_cut: bool, signum: int | None, end: Ended | None = None,
            tool: str | None = None) -> str | None:
    """The one warning about what :func:`write_unreported` wrote (``missing``, ``lanes_cut``), or None; after a
    signal, with ``end`` (:func:`ended`): how many tests ran, were cut short and never started, and that the stored
    run is partial (None when no test was cut short nor kept from starting: the run is stored complete).

    :param tool: the tool that stores the run, for the command that reruns them (:func:`rerun`)
    """
    if signum is not None and end is not None:
        if not end.partial:
            return None
        name = signal.Signals(signum).name
        failed = end.cut_short + end.not_started
        return (f"the run was interrupted ({name}): of its {plural(end.ran + failed, 'test')} {end.ran:,} ran, "
                f"{end.cut_short:,} {'was' if end.cut_short == 1 else 'were'} cut short and {end.not_started:,} never "
                f"started; the stored run is partial: {'that one is' if failed == 1 else f'those {failed:,} are'} "
                f"recorded as {'a failure' if failed == 1 else 'failures'}{counted(run, failed)}, and "
                f"`{rerun(tool)}` reruns {'it' if failed == 1 else 'them'}")
    if missing:
        why = f"the run was interrupted ({signal.Signals(signum).name}): " if signum is not None else ""
        one = missing == 1
        return (f"{why}{plural(missing, 'test')} never reported a result: recorded as "
                f"{'a failure' if one else 'failures'} in the stored run{counted(run, missing)}")
    if lanes_cut:  # after a signal without ``end``: the session always has it
        assert signum is not None
        return (f"the run was interrupted ({signal.Signals(signum).name}): the tests it cut short or kept from "
                "starting are recorded as failures in the stored run")
    return None


def lane_signalled(run: ToolRun) -> str | None:
    """The warning for a run that a signal to one of its lanes stopped while exec had none (``kill -TERM`` of a
    lane's pid), or None. A lane under exec leaves what its signal did to exec's account
    (:attr:`partitioner.dispatch.supervisor.Lane.accounted`), which :func:`warning` says after exec's own signal;
    this line says it after a lane's alone, which stopped the dispatcher, and so the whole run."""
    dispatcher = run.dispatcher
    if dispatcher is None or dispatcher.state.stopping is None:
        return None
    from partitioner.dispatch.supervisor import INTERRUPTED_RUN  # only for a run a signal stopped

    stopping = dispatcher.state.stopping
    if not stopping.startswith(INTERRUPTED_RUN):
        return None  # --failfast
    return (f"{stopping}, by a signal to one of its lanes, not to exec: the tests it cut short or kept from starting "
            "are recorded as failures in the stored run")


def counted(run: ToolRun, failed: int) -> str:
    """What the tool's own output made of the ``failed`` failures the account is about, as `` (...)``, or ``""``
    when they did not go through the tool's whole result (:attr:`~partitioner.dispatch.toolrun.Tee.outer`).

    Through it they are among the tool's failures ("Failed: M" after a Ctrl-C; said, or the two counts look
    unrelated), but for those its console left out after the signal because they never started
    (:class:`~partitioner.dispatch.toolrun.Console`)."""
    tee = run.tee
    if tee is None or tee.outer is None:
        return ""
    them = "it" if failed == 1 else "them"
    hidden = min(failed, max((console.hidden for console in tee.consoles), default=0))
    if not hidden:
        return f" (the tool's failure count includes {them})"
    if hidden == failed:
        return f" (the tool's output leaves {them} out)"
    return (f" (the tool's failure count includes {failed - hidden:,} of them; its output leaves out the "
            f"{hidden:,} that never started)")


def rerun(tool: str | None = None) -> str:
    """The command that reruns a stored run's failures: ``tool``'s, else the tool's this process runs (``exec``
    runs it here, under its own name), else either tool's."""
    name = tool or (os.path.basename(sys.argv[0]) if sys.argv else "")
    return f"{name} run --failing" if name in ("stestr", "testr") else "stestr run --failing` or `testr run --failing"


def fate(proc: subprocess.Popen[bytes] | None) -> str:
    """How the worker of a partition ended (``was killed by SIGKILL (signal 9)``), for the reason of a test it
    never reported. Its stream has ended by the time the tool stores the run, but a process closes its files
    before it becomes reapable (a SIGKILLed one too), and another thread may be reaping it that moment: asked
    at once, a worker killed after the grace read ``did not exit``."""
    if proc is None:
        return "was never started"
    code = proc.poll()
    if code is None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            code = proc.wait(EXIT_WAIT_S)
    return describe_exit(code)


def write_record(run: ToolRun, aside: bool) -> int | None:
    """Write the run's plan record beside the stored run (a dynamic run's from its queue and dispatcher, a static
    run's from its plan; none for a run the tool made without a plan of ours).

    :param aside: write a static run's record from a forked child while the tool stores the run
    :returns: that child's pid, for :func:`wait_aside`, or None when the record was written here
    """
    from partitioner.dispatch.record import FirstStarts, dynamic_record, write_aside
    from partitioner.history.planrecord import write_record as write

    with run.lock:
        placement = dict(run.finals)
    starts = run.starts if run.starts is not None else FirstStarts()  # no tee: the placement's key alone
    if run.dispatcher is not None and run.queue is not None:
        startup = run.planned.model.startup_s if run.planned is not None else 0.0
        unit = run.planned.model.unit if run.planned is not None else None
        record = dynamic_record(run.queue, run.dispatcher.outcome(), len(run.partitions), run.started_at,
                                startup, unit)
        write(record, starts.key(placement))
        return None
    if run.planned is None:
        return None

    def write_static() -> None:
        write(plan_record(run), starts.key(placement))

    pid = write_aside(write_static) if aside else None
    if pid is None:
        write_static()
    return pid


def wait_aside(pids: list[int]) -> None:
    """Wait for the plan records written aside (:func:`write_record`), each up to :data:`ASIDE_WAIT_S` (seconds
    for a child that takes a fraction of one); ``pids`` is emptied."""
    from partitioner.dispatch.record import wait_aside as wait

    while pids:
        wait(pids.pop(), ASIDE_WAIT_S)
