"""``partitioner exec``'s :class:`Session`: the one object the patch points in testr and stestr call
(:mod:`partitioner.dispatch.patches`, installed by :meth:`Session.install`), and the session's bookkeeping.

In the one process where the tool runs, the patch points call back (each tool where importable):

* as the tool lists its tests, :meth:`~Session.listing`: the planner loads and the history is read meanwhile;
  the tool's ``times.dbm`` is opened (:mod:`~partitioner.dispatch.timescheck`), and the preloader of a parallel
  run's workers starts (:mod:`~partitioner.dispatch.toolpreload`);
* where the tool partitions, :meth:`~Session.partition`: the plan of :func:`partitioner.hooks.plan_partitions`,
  in the mode :mod:`~partitioner.dispatch.toolmode` chooses; under dynamic dispatch also a
  :class:`~partitioner.dispatch.server.Dispatcher` serving the same groups from a queue, its key in
  ``os.environ`` for the workers the tool starts;
* where the tool starts one partition's worker, :meth:`~Session.worker_command` and :meth:`~Session.started`:
  under dynamic dispatch the shell command becomes its lane's (``exec python -m partitioner.dispatch.lane ... --
  COMMAND``), whose stream the tool tags ``worker-N`` and stores as that worker's; under static dispatch the
  tool's parser reads the worker's stdout with our resynchronising reader
  (:mod:`~partitioner.dispatch.staticstreams`);
* where the tool stores the run, :meth:`~Session.inserter`: a tee (:class:`~partitioner.dispatch.toolrun.Tee`)
  that shows the session every event (:meth:`~Session.observe`: which worker gave each test a final status;
  the progress line, :mod:`~partitioner.dispatch.toolprogress`), and before the tool stores the run has
  :meth:`~Session.account` write a failure with the reason for every test that never reported, then the plan
  record (:mod:`~partitioner.dispatch.toolaccount`).

While the tool runs, :meth:`Session.signals` passes SIGINT and SIGTERM on to the workers
(:mod:`~partitioner.dispatch.toolsignals`). Shards (``exec --shard K/M``): the tool runs only this job's shard
of its own selection (:mod:`~partitioner.dispatch.toolshard`). One line on stderr says what each run was
planned from (:func:`partitioner.render.runline.summary_line`).
"""

from __future__ import annotations

import contextlib
import gc
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

from partitioner.dispatch import toolaccount, toolmode, toolpreload, toolprogress, toolshard, toolsignals
from partitioner.dispatch.command import (
    direct_shell_command,
    exec_line,
    held_sigint,
    lane_shell_command,
    recognise_shell,
)
from partitioner.dispatch.patches import stestr_patches, testr_patches
from partitioner.dispatch.timescheck import TimesCheck, checked
from partitioner.dispatch.toolrun import Tee, ToolRun, find_outer, worker_tag
from partitioner.dispatch.toolshard import NothingToRun
from partitioner.dispatch.toolsignals import handling_sigint
from partitioner.errors import PartitionerError
from partitioner.history import PLAN_RUNS, prefetch
from partitioner.statuses import FINAL, INPROGRESS

if TYPE_CHECKING:
    from partitioner.config import Choice
    from partitioner.dispatch.staticstreams import WorkerStreams
    from partitioner.pipeline import Planned, ShardRun

#: what planning a run imports: loaded while the tool lists its tests (:meth:`Session.listing`), not before
PLANNER = ("partitioner.hooks", "partitioner.dispatch.choice", "partitioner.render.runline",
           "partitioner.dispatch.record")

__all__ = ["PROG", "NothingToRun", "Session"]

PROG = "partitioner"


class Session:
    """What ``partitioner exec`` adds to one tool's process (see the module docstring).

    :param dispatch: ``dynamic``, ``static``, or ``None`` for the default (dynamic where possible, else the
        ``[partitioner] dispatch`` option decides)
    :param quiet: no notes and no progress line
    :param stderr: where notes go
    :param order: the dispatch order, ``suite``, ``mono`` or ``cost`` (``None``: the ``dispatch_order`` option, else
        suite)
    :param history: history sources that replace the ``history`` option and the tool's repository
    :param shard: ``K/M``, ``K`` (with ``plan_file``) or ``auto``: run only this job's shard of the suite
    :param plan_file: the plan file the split comes from (else every job splits from the pinned history)
    :param env: where ``--shard auto`` reads the CI's variables (default ``os.environ``)
    """

    def __init__(self, dispatch: str | None = None, quiet: bool = False, stderr: IO[str] | None = None,
                 order: str | None = None, history: Sequence[str] = (), shard: str | None = None,
                 plan_file: str | None = None, env: Mapping[str, str] | None = None) -> None:
        self.dispatch = dispatch
        self.order = order
        self.quiet = quiet
        self.stderr = stderr if stderr is not None else sys.stderr
        self.history = tuple(history)
        self.shard = shard
        self.plan_file = plan_file
        self.env = env if env is not None else os.environ
        #: this job's shard, once the tool's test list was restricted to it
        self.shard_run: ShardRun | None = None
        self.runs: list[ToolRun] = []
        #: the tool asked its repository for an inserter: it stored a run (ours, or one it ran without a plan)
        self.stored = False
        #: the tool asked for a plan, and we refused with an error of our own (it said what is wrong)
        self.refused = False
        #: the repository's times.dbm opened beside the tool's listing (:mod:`partitioner.dispatch.timescheck`)
        self._times_check: TimesCheck | None = None
        #: tests written as failures because nothing else reported them, over all runs
        self.injected = 0
        #: the first signal while the tool ran (:attr:`signum`), and when it came (epoch seconds, as the stream's
        #: timestamps)
        self._signum: int | None = None
        self.signalled_at: float | None = None
        #: each run's stored failures by test id (:func:`toolaccount.failure`), for the account after a signal
        self._failures: dict[int, dict[str, toolaccount.Failure]] = {}
        #: a warning already said the signal cut the run short (tests it was given never reported)
        self.interrupt_said = False
        self._noted: set[str] = set()
        #: every worker process the tool started (signals are passed on to them)
        self.children: list[subprocess.Popen[bytes]] = []
        #: the tool's listing processes started with SIGINT held off (:meth:`listing_command`): ended at a signal
        self.listings: list[subprocess.Popen[bytes]] = []
        self._progress: Any = None
        self._originals: list[tuple[Any, str, Any]] = []
        #: the dispatch mode was chosen (--dispatch or the dispatch option), not left to the default
        self._chosen = False
        #: the dispatch order and where it came from, once :func:`~partitioner.dispatch.toolmode.choose` resolved it
        #: (the note of a kept static plan says an order the user chose does not apply)
        self._order: Choice[str] | None = None
        self._worker_streams: WorkerStreams | None = None
        #: testtools.CopyStreamResult.startTestRun is patched to find the tool's whole result (Tee.outer)
        self._outer_watched = False
        #: write a static run's plan record from a forked child while the tool stores the run (``exec`` does;
        #: :meth:`uninstall` waits for it, so the record is there when the command returns)
        self.records_aside = False
        self._aside: list[int] = []
        #: why this session's runs keep the static plan whatever else allows dynamic dispatch (``exec`` sets it
        #: when the tests' interpreter cannot run partitioner's worker), or None
        self.why_static: str | None = None
        #: start the preloader while the tool lists its tests (``exec`` sets it for a command that runs tests)
        self.preload_early = False
        self._early: toolpreload.EarlyPreload | None = None

    @property
    def signum(self) -> int | None:
        """The first signal while the tool ran, or None."""
        return self._signum

    @signum.setter
    def signum(self, value: int | None) -> None:
        if value is not None and self._signum is None:
            self.signalled_at = time.time()
        self._signum = value

    # -- messages --------------------------------------------------------------------------------

    def note(self, line: str) -> None:
        """One ``partitioner: note: ...`` line, once per text, unless quiet."""
        if not self.quiet and line not in self._noted:
            self._noted.add(line)
            with contextlib.suppress(OSError, ValueError):
                self.stderr.write(f"{PROG}: note: {line}\n")
                self.stderr.flush()

    def warn(self, line: str, once: bool = False) -> None:
        """One ``partitioner: warning: ...`` line (``once``: not again for the same text)."""
        if once:
            if line in self._noted:
                return
            self._noted.add(line)
        with contextlib.suppress(OSError, ValueError):
            self.stderr.write(f"{PROG}: warning: {line}\n")
            self.stderr.flush()

    # -- planning --------------------------------------------------------------------------------

    def partition(self, test_ids: Sequence[str], concurrency: int, repository: object,
                  group_callback: Callable[[str], object] | None, command: str | None,
                  why_static: str | None = None) -> list[list[str]]:
        """The tool's partitions; under dynamic dispatch also the dispatcher its lanes will ask.

        :raises KeyboardInterrupt: a signal came before this first plan: :meth:`signals` raised it where it landed,
            which may have swallowed it (inside an import's lock callback Python prints it as ignored), so the
            tool stops here instead of running every test
        """
        if self.signum is not None and not self.runs:
            raise KeyboardInterrupt
        if not self.runs:
            check, self._times_check = self._times_check, None
            try:
                checked(check, repository)
            except PartitionerError:
                self.refused = True
                raise
        self._finish_open_runs()
        early, self._early = self._early, None
        try:
            return self._partition(test_ids, concurrency, repository, group_callback, command, why_static, early)
        except PartitionerError:
            self.refused = True  # the tool stops with our error line: no note blaming its listing
            raise
        finally:
            if early is not None and (not self.runs or self.runs[-1].preloader is not early.started):
                early.stop()  # the run took another (or none)

    def _partition(self, test_ids: Sequence[str], concurrency: int, repository: object,
                   group_callback: Callable[[str], object] | None, command: str | None, why_static: str | None,
                   early: toolpreload.EarlyPreload | None) -> list[list[str]]:
        from partitioner import hooks
        from partitioner.config import DISPATCH_ORDERS

        nested = toolmode.nested_runner(command, concurrency) if concurrency > 1 and command is not None else None
        if nested is not None:
            self.warn(nested, once=True)
        mode = "static"
        if concurrency > 1 and test_ids and nested is None:
            chosen = toolmode.choose(self.dispatch, self.order, command, why_static or self.why_static)
            self._order, self.order, self._chosen, mode = chosen.order, chosen.order.value, chosen.chosen, chosen.value
            if chosen.note is not None:
                self.note(chosen.note)
        parts, planned = hooks.plan_partitions(test_ids, concurrency, repository, group_callback,
                                               warn_serial=mode == "static", history=self.history, warn=self.warn,
                                               note=self.note)
        if mode == "dynamic" and planned is not None and not self._chosen:
            from partitioner.dispatch.choice import off_note, planned_reason

            reason = planned_reason(planned, sum(1 for p in parts if p))
            if reason is not None:

                self.note(off_note(reason, self._order))
                mode = "static"
        run = ToolRun([tuple(p) for p in parts if p], planned)
        self.runs.append(run)
        if mode == "static" and early is not None and command is not None and len(run.partitions) > 1 and \
                self._chosen is False and self.why_static is None and why_static is None:
            toolpreload.for_static(run, command, early)
        # What lives now (the tool's modules, the listing, the plan) lives until the tool exits: the cyclic
        # collector need not walk it again at every full collection while the run's events stream in
        gc.freeze()
        if mode == "dynamic" and planned is not None and len(run.partitions) > 0:
            from partitioner.dispatch.queue import queue_from_costs  # a static run's process needs neither
            from partitioner.dispatch.server import Dispatcher

            # stestr hands its ids over in set order: suite order is id order, as discovery sorts
            run.queue = queue_from_costs(planned.groups, planned.model, planned.serial_groups,
                                         self.order or DISPATCH_ORDERS[0])
            run.dispatcher = Dispatcher(run.queue, len(run.partitions), track=True).start()
            os.environ.update(run.dispatcher.lane_env())  # the workers the tool starts inherit it
            toolpreload.for_lanes(run, command, early)
        if planned is not None:
            self.summary(planned, "dynamic" if run.dispatcher is not None else "static")
        if self._progress is None and not self.quiet:
            self._progress = toolprogress.start(self.stderr, run, planned, PROG)
        return parts

    def listing(self, repository: object, fixture: object = None) -> None:
        """The tool starts listing its tests: load the planner and read the repository's history for the plan
        meanwhile (:mod:`partitioner.history.prefetch`; not the history when the plan will come from exec's
        ``--history``), open its times.dbm (:mod:`~partitioner.dispatch.timescheck`), and start the preloader of a
        parallel run's workers (:class:`~partitioner.dispatch.toolpreload.EarlyPreload`)."""
        base = getattr(repository, "base", None)
        prefetch.start(base if isinstance(base, str) and not self.history else None, PLAN_RUNS, PLANNER)
        if self._times_check is None and repository is not None:
            self._times_check = TimesCheck(repository)
        if fixture is not None and self.preload_early and not self.runs and self._early is None:
            self._early = toolpreload.EarlyPreload.start(fixture, self.dispatch, self.why_static)

    def summary(self, planned: Planned, mode: str) -> None:
        """The one line about a run's plan (:func:`partitioner.render.runline.summary_line`), unless quiet."""
        from partitioner.render.runline import summary_line

        shard = self.shard_run.describe() if self.shard_run is not None else None
        self.say(summary_line(planned, mode, self.order, shard))

    def say(self, line: str) -> None:
        """One ``partitioner: ...`` line, unless quiet."""
        if not self.quiet:
            with contextlib.suppress(OSError, ValueError):
                self.stderr.write(f"{PROG}: {line}\n")
                self.stderr.flush()

    # -- shards ----------------------------------------------------------------------------------

    def check_shardable(self, argv: Sequence[str]) -> None:
        """Refuse a shard for runs that do not go through the tool's test list (:func:`toolshard.check_shardable`).

        :raises UsageError: for ``--no-discover``, ``--pdb``, ``--isolated``, ``--analyze-isolation``
        """
        toolshard.check_shardable(self.shard, argv)

    def restrict(self, fixture: Any, setup: Callable[[Any], Any]) -> Any:
        """Set up the tool's top-level fixture with this job's shard of its own selection as its test list.

        :raises NothingToRun: when the shard is empty
        """
        if self.shard_run is None:
            self.shard_run, concurrency = toolshard.select(fixture, setup, self.shard or "auto", self.env,
                                                           self.plan_file, self.history)
            if self.shard_run.stale:
                self.warn(f"{len(self.shard_run.stale)} tests of shard {self.shard_run.spec} in {self.plan_file} "
                          "are no longer listed: left out")
            if not self.shard_run.tests:
                self.say(f"{self.shard_run.describe()}: nothing to run")
                raise NothingToRun
            if concurrency <= 1:  # the tool will not partition: no plan of ours, so the shard is the summary
                self.say(f"{self.shard_run.describe()}; 1 worker: the tool runs them as it would")
        return toolshard.restrict(fixture, setup, self.shard_run)

    # -- workers ---------------------------------------------------------------------------------

    def worker_command(self, run: ToolRun | None, test_ids: Sequence[str] | None,
                       command: str) -> tuple[str, int | None]:
        """The shell command that starts the worker of the partition holding ``test_ids``, and its index."""
        if run is None:
            return command, None
        index = run.lane_of(test_ids)
        if index is None:
            return command, None
        if run.dispatcher is not None:
            lane = lane_shell_command(command, sys.executable, run.dispatcher.address, index, handling_sigint())
            return lane or command, index
        if run.preloader is not None:
            direct = direct_shell_command(command, sys.executable, handling_sigint())
            if direct is not None:
                return direct, index
        if recognise_shell(command) is not None:
            return exec_line(command), index  # a signal passed on reaches the worker, not only its shell
        return command, index

    def listing_command(self, command: str) -> str:
        """The shell command that lists the tool's tests: started with SIGINT ignored (``trap '' INT``) when we
        handle SIGINT, so that a Ctrl-C while it imports the suite prints no KeyboardInterrupt traceback of its
        own; :meth:`signals` ends it with SIGKILL instead (it lists, and runs no test). A command it cannot
        stand in for (a compound one) is left as it is."""
        if not handling_sigint() or recognise_shell(command) is None:
            return command
        return held_sigint(command)

    def listing_started(self, proc: Any) -> None:
        """The tool started its listing with :meth:`listing_command`'s command: a signal ends it."""
        if isinstance(proc, subprocess.Popen):
            self.listings.append(proc)

    def started(self, run: ToolRun | None, index: int | None, proc: Any) -> None:
        """The tool started the worker of partition ``index``: watched, and under static dispatch its stream
        parsed by our reader when the tool loads it (:mod:`partitioner.dispatch.staticstreams`), as a lane reads
        its worker's."""
        if not isinstance(proc, subprocess.Popen):
            return
        self.children.append(proc)
        if run is not None and index is not None:
            run.procs[index] = proc
            if run.dispatcher is None:
                self._static_streams().add(proc)

    def _static_streams(self) -> WorkerStreams:
        """The static workers' streams, our parser patched in for them on first use (undone by :meth:`uninstall`)."""
        if self._worker_streams is None:
            import subunit

            from partitioner.dispatch.staticstreams import WorkerStreams

            self._worker_streams = WorkerStreams()
            self._patch(subunit, "ByteStreamToStreamResult", self._worker_streams.parser)
        return self._worker_streams

    def current(self) -> ToolRun | None:
        """The run under way (partitioned, not yet stored), if any."""
        return self.runs[-1] if self.runs and not self.runs[-1].done else None

    # -- what the tool stores ----------------------------------------------------------------------

    def inserter(self, inserter: Any) -> Any:
        """The tool's inserter, watched (when a run of ours is under way)."""
        self.stored = True
        run = self.current()
        if run is None or run.tee is not None:
            return inserter
        if not self._outer_watched:
            import testtools

            self._outer_watched = True
            self._patch(testtools.CopyStreamResult, "startTestRun", find_outer(testtools.CopyStreamResult.startTestRun))
        return Tee(inserter, self, run)

    def observe(self, run: ToolRun, event: Mapping[str, Any]) -> None:
        """One event the tool stores: which worker ran each test, and what is running (for the account)."""
        test_id, status = event.get("test_id"), event.get("test_status")
        if test_id is None or status is None:
            return
        final = status in FINAL
        if final or status == INPROGRESS:
            worker = worker_tag(event.get("test_tags"))
            with run.lock:
                if final:
                    if worker is not None:
                        run.finals[test_id] = worker
                    run.running.pop(test_id, None)
                    failures = self._failures.setdefault(id(run), {})
                    if status == "fail":  # its traceback came ahead of it: the tee read it
                        tee = run.tee
                        failures[test_id] = toolaccount.failure(event, tee.unfinished(test_id) if tee else None)
                    else:
                        failures.pop(test_id, None)
                elif test_id not in run.finals:
                    run.running[test_id] = (worker, event.get("route_code"))
        if self._progress is not None:
            self._progress.status(**event)

    def account(self, run: ToolRun) -> None:
        """Before the tool stores the run: every test it was given that never reported fails, with the reason;
        then the plan record is written beside the run (:mod:`partitioner.dispatch.toolaccount`)."""
        missing, lanes_cut = toolaccount.write_unreported(run, self.signum)
        self.injected += missing
        end = None
        if self.signum is not None and self.signalled_at is not None:  # what the signal did to each test
            end = toolaccount.ended(run, self._failures.get(id(run), {}), self.signalled_at)
        if self.signum is not None and (missing or lanes_cut or (end is not None and end.partial)):
            self.interrupt_said = True
        line = toolaccount.warning(run, missing, lanes_cut, self.signum, end)
        if line is None and self.signum is None:  # a signal to a lane alone: it left the saying to us
            line = toolaccount.lane_signalled(run)
        if line is not None:
            self.warn(line)
        if self._progress is not None:
            self._progress.close()
            self._progress = None
        pid = toolaccount.write_record(run, self.records_aside)
        if pid is not None:
            self._aside.append(pid)
        run.close()
        run.done = True

    def _finish_open_runs(self) -> None:
        for run in self.runs:
            run.close()

    # -- signals ---------------------------------------------------------------------------------

    def signals(self) -> contextlib.AbstractContextManager[None]:
        """While the tool runs: SIGINT/SIGTERM are passed on to the workers and lanes instead of stopping the tool,
        which stores every result; a third signal, or one before the tool planned a run, stops it
        (:func:`partitioner.dispatch.toolsignals.passed_on`)."""
        return toolsignals.passed_on(self)

    # -- patching --------------------------------------------------------------------------------

    def install(self, tools: Sequence[str] = ("stestr", "testr")) -> list[str]:
        """Patch the tools (each only when importable); returns which were hooked."""
        hooked = []
        for tool in ("stestr", "testr"):
            if tool not in tools:
                continue
            try:
                patches = stestr_patches(self) if tool == "stestr" else testr_patches(self)
            except ImportError:
                continue
            for owner, name, replacement in patches:
                self._patch(owner, name, replacement)
            hooked.append(tool)
        return hooked

    def _patch(self, owner: Any, name: str, replacement: Any) -> None:
        """Set ``owner.name`` to ``replacement`` until :meth:`uninstall`."""
        self._originals.append((owner, name, getattr(owner, name)))
        setattr(owner, name, replacement)

    def uninstall(self) -> None:
        """Undo the patches and close what is still open."""
        while self._originals:
            owner, name, original = self._originals.pop()
            setattr(owner, name, original)
        self._worker_streams = None
        self._outer_watched = False
        if self._early is not None:  # the tool listed its tests and never asked for a plan
            self._early.stop()
            self._early = None
        self._finish_open_runs()
        if self._aside:  # the plan records written aside
            toolaccount.wait_aside(self._aside)
        if self._progress is not None:
            self._progress.close()
            self._progress = None
        gc.unfreeze()  # what the run's plan froze is the collector's again (a host that goes on living)
