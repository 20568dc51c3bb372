"""The project's own suite: which tool runs it (testr or stestr), and running some of its classes with its own
test command -- the trials of ``partitioner races --confirm``: classes at once, one worker each
(:meth:`Trials.run`), or groups one after another in one test process, in the order given
(:meth:`Trials.sequence`, for ``races --order --confirm``).

Trials run outside testr and stestr, through :func:`partitioner.run.run_phases` (the runner's workers: one
process group each, terminated then killed on a signal or a deadline, every unfinished test recorded as
failed), or, for a sequence, one lane of :func:`partitioner.dispatch.host.run_lanes` (a pull worker standing in
for the suite's runner, handed the groups in order), into streams in a temporary directory that is removed
afterwards: nothing is stored in ``.testrepository`` or ``.stestr``, and no process outlives a trial.

The command: ``.testr.conf``'s ``test_command`` (``$LISTOPT`` dropped, ``$IDOPTION`` given an id file; with
``python -m partitioner.run`` in front, the inner command after its ``--``), or for stestr the discovery
``partitioner`` lists with (``$PYTHON -m stestr.subunit_runner.run discover -t TOP_DIR TEST_PATH``, python-subunit's
``subunit.run`` where stestr is not installed; ``$PYTHON`` defaulting to this interpreter, as stestr's own command
uses ``${PYTHON:-python}``).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import subunit
import testtools

from partitioner import scratch
from partitioner.cli.durations import spell
from partitioner.config import Settings, project_runs_the_runner
from partitioner.dispatch.command import WorkerCommand, exec_line, joined_lines, recognise, recognise_shell
from partitioner.dispatch.host import run_lanes
from partitioner.dispatch.queue import Queue, WorkItem
from partitioner.errors import ConfigError, InputError, RunnerError
from partitioner.history.repository import discover, repository_kind
from partitioner.history.subunit import read_stream_file
from partitioner.interpreters import PYTHON_VARIABLE, suite_python
from partitioner.listing import LISTING_S, default_ids, discovery_paths, stestr_runner
from partitioner.races.confirm import Search, Trial
from partitioner.render.summary import Tool
from partitioner.run import InnerCommand, Interrupt, run_phases
from partitioner.run.signals import POLL_S
from partitioner.run.stream import MergedOutput
from partitioner.statuses import EXISTS, FAILING, PSEUDO_TESTS
from partitioner.testids import canonical, class_key

#: seconds a trial may run beyond its estimate (x4) before its workers are stopped
TRIAL_SLACK_S = 30.0
#: process start-up and discovery seconds assumed before the first trial measured them
STARTUP_S = 1.0
#: what makes a shell command line more than one simple command
_COMPOUND = re.compile(r"[;&|<>`()]|\$\(")


def project_tool(cwd: Path, repository: str | None = None) -> Tool:
    """The tool the project in ``cwd`` runs its tests with.

    :param repository: the kind (``stestr``/``testrepository``) or directory name of the repository in use
    :returns: the repository's tool; else the only repository's in ``cwd``; else the only config file's
        (``.stestr.conf`` or ``.testr.conf``); else an unknown tool (advice names both). Unless it is stestr,
        it notes whether ``.testr.conf``'s test_command is partitioner's runner (advice then says ``testr run``)
    """
    kinds = [repository] if repository else [repository_kind(Path(p)) for p in discover(cwd)]
    names = {"stestr": "stestr", ".stestr": "stestr", "testrepository": "testr", ".testrepository": "testr"}
    found = {names[k] for k in kinds if k in names}
    if len(found) == 1:
        name: str | None = found.pop()
    else:
        configs = [tool for tool, conf in (("testr", ".testr.conf"), ("stestr", ".stestr.conf"))
                   if (cwd / conf).is_file()]
        name = configs[0] if len(configs) == 1 else None
    return Tool(name, runner=name != "stestr" and project_runs_the_runner(cwd))


def _file_word(template: str) -> str:
    """A shell word for ``template`` with ``{file}`` standing for the id file (``"$1"`` in our script)."""
    return '"$1"'.join(shlex.quote(part) if part else "" for part in template.split("{file}"))


def trial_command(cwd: Path, settings: Settings, tool: Tool) -> tuple[InnerCommand, str]:
    """The suite's own command for running a list of ids, and where it comes from.

    :raises ConfigError: when the project has neither a usable ``.testr.conf`` nor ``.stestr.conf``
    """
    stestr = settings.stestr and settings.test_path
    if settings.test_command and not (tool.name == "stestr" and stestr):
        line = joined_lines(settings.test_command).replace("\n", " ")
        words = shlex.split(line)
        if "partitioner.run" in words and "--" in words:
            # the runner in front: the trials are the runner's own workers, so run its inner command
            head, inner = line.split(" -- ", 1) if " -- " in line else (line, "")
            ours = shlex.split(head)
            template = "--load-list {file}"
            if "--id-option" in ours and ours.index("--id-option") + 1 < len(ours):
                template = ours[ours.index("--id-option") + 1]
            script = f"{inner} {' '.join(_file_word(w) for w in shlex.split(template))}"
        else:
            option = (settings.test_id_option or "--load-list $IDFILE").replace("$IDFILE", '"$1"')
            option = option.replace("$IDLIST", '$(cat "$1")')
            script = line.replace("$LISTOPT", "").replace("$IDOPTION", option)
        python = shlex.quote(suite_python("testr")[0])
        if not _COMPOUND.search(script):  # one simple command: exec it, so the worker process is the test runner
            script = exec_line(script.strip())
        script = f': "${{PYTHON:={python}}}"; export PYTHON; {script}'
        return (InnerCommand(("/bin/sh", "-c", script, "partitioner-confirm"), id_option=("{file}",)),
                f"test_command in {cwd / '.testr.conf'}")
    if stestr:
        return InnerCommand(_discovery(settings, cwd)), f"test discovery for {cwd / '.stestr.conf'}"
    raise ConfigError(f"no test command to run trials with in {cwd}: --confirm needs .testr.conf with test_command "
                      f"or .stestr.conf with test_path; add one, or drop --confirm")


#: the seconds a listing may take however small the budget: one cut shorter would only leave nothing tried
LISTING_FLOOR_S = 30.0


def listed_within(cwd: Path, settings: Settings, budget: float, flag: str) -> tuple[list[str], float]:
    """The suite's test list for ``flag``'s trials (``--confirm``), and the seconds listing it took: the budget
    covers the listing too (the trials get what it leaves, :func:`run_search`'s ``spent``), and a listing still
    running when the budget is spent (at least :data:`LISTING_FLOOR_S`, at most
    :data:`partitioner.listing.LISTING_S`) is stopped: a hung one is one line, not a wait forever.

    :raises InputError: the listing failed, or did not finish in time
    """
    began = time.monotonic()
    try:
        listed = default_ids(cwd, settings, timeout=min(max(budget, LISTING_FLOOR_S), LISTING_S))
    except InputError as error:
        raise InputError(f"{flag} needs the suite's test list, and listing it failed: {error}") from None
    return listed, time.monotonic() - began


def _discovery(settings: Settings, cwd: Path) -> tuple[str, ...]:
    """stestr's discovery as its runner runs it, or python-subunit's where stestr is not installed
    (:func:`partitioner.listing.stestr_runner`: python-subunit's hangs under a suite that eventlet patches), from
    the test path and top dir as stestr's shell expands them (:func:`partitioner.listing.discovery_paths`)."""
    python = suite_python("stestr")[0]
    test_path, top_dir = discovery_paths(cwd, settings, python)
    return (python, "-m", stestr_runner(python), "discover", "-t", top_dir, test_path or ".")


def sequence_command(settings: Settings, tool: Tool, cwd: Path | None = None) -> WorkerCommand | None:
    """The suite's own command taken apart for a pull worker, which runs groups in the order it is handed them
    (:meth:`Trials.sequence`); ``None`` when the command is not one of the Python runners a pull worker can
    stand in for (:func:`partitioner.dispatch.command.recognise`): then a sequence runs in the suite's order.

    :param cwd: the project's directory, where stestr's shell would expand its test path (default: this process's)
    """
    stestr = settings.stestr and settings.test_path
    if settings.test_command and not (tool.name == "stestr" and stestr):
        line = joined_lines(settings.test_command).replace("\n", " ")
        if "partitioner.run" in line and " -- " in line:
            line = line.split(" -- ", 1)[1]
        line = line.replace("$LISTOPT", "").replace("$IDOPTION", "")
        line = PYTHON_VARIABLE.sub(lambda _: shlex.quote(suite_python("testr")[0]), line)
        return None if "$" in line else recognise_shell(line)
    return recognise(_discovery(settings, cwd or Path.cwd())) if stestr else None


@dataclass(frozen=True)
class TrialOutcome:
    """What one trial did.

    :ivar failed: the classes with a failing (or unfinished) test
    :ivar seconds: wall time
    :ivar timed_out: the deadline stopped it (its unfinished tests count as failed)
    :ivar signum: a signal (Ctrl-C) stopped it, or ``None``
    """

    failed: frozenset[str]
    seconds: float
    timed_out: bool = False
    signum: int | None = None


class Trials:
    """Runs classes of the suite at once, one worker each; a context manager owning the temporary directory.

    :param cwd: the project directory (the workers' working directory)
    :param command: the suite's own command (:func:`trial_command`)
    :param ids: class key -> its test ids, as the suite lists them
    :param seconds: class key -> how long it runs (an estimate from history)
    """

    def __init__(self, cwd: Path, command: InnerCommand, ids: Mapping[str, Sequence[str]],
                 seconds: Mapping[str, float], worker: WorkerCommand | None = None) -> None:
        self.cwd = cwd
        self.command = command
        self.worker = worker
        self.ids = ids
        self.seconds = seconds
        self.startup = STARTUP_S
        self.count = 0
        self.spent = 0.0
        #: the trials' scratch directory, while in the ``with`` block
        self.where: str | None = None

    def __enter__(self) -> Trials:
        self.where = scratch.make("confirm")
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.where is not None:
            shutil.rmtree(self.where, ignore_errors=True)
            self.where = None

    def estimate(self, classes: Sequence[str], delays: Sequence[float] = ()) -> float:
        """Seconds a trial of ``classes`` (started ``delays`` apart) should take: start-up, then the class
        that ends last."""
        starts = list(delays) or [0.0] * len(classes)
        return self.startup + max((d + self.seconds.get(c, 0.0) for c, d in zip(classes, starts, strict=True)),
                                  default=0.0)

    def run(self, classes: Sequence[str], deadline: float, delays: Sequence[float] = ()) -> TrialOutcome:
        """Run ``classes`` at once, one worker each, stopping them ``deadline`` seconds in.

        All at once, worker ``i`` running ``classes[i]``, through one :func:`run_phases`; with ``delays``
        (seconds each class starts after the trial began) each class is a :func:`run_phases` of its own,
        started that late.
        """
        assert self.where is not None, "use Trials as a context manager"
        self.count += 1
        streams = [Path(self.where) / f"trial-{self.count}-{i}.subunit" for i in range(len(classes))]
        expired = threading.Event()
        began = time.monotonic()
        with Interrupt() as interrupt, self._quiet():
            def expire() -> None:
                expired.set()
                interrupt.signum = signal.SIGALRM  # what run_phases watches: terminate, then kill the groups
            timer = threading.Timer(deadline, expire)
            timer.daemon = True
            timer.start()
            try:
                if any(delays):
                    self._staggered(classes, delays, streams, interrupt)
                else:
                    with streams[0].open("wb") as out:
                        run_phases([[list(self.ids[c]) for c in classes]], self.command, out, io.StringIO(),
                                   interrupt=interrupt, cwd=self.cwd)
            finally:
                timer.cancel()
            signum = None if expired.is_set() else interrupt.signum
        seconds = time.monotonic() - began
        self.spent += seconds
        failed: set[str] = set()
        for number, stream in enumerate(streams):
            if not stream.exists() or not stream.stat().st_size:
                continue
            for record in read_stream_file(stream).records:
                index = number if any(delays) else _worker_index(record.worker)
                if record.status in FAILING and index is not None and index < len(classes):
                    failed.add(classes[index])  # worker i ran classes[i]: its setUpClass and import errors too
        if not expired.is_set() and signum is None:
            self.startup = max(0.2, seconds - self.estimate(classes, delays) + self.startup)
        return TrialOutcome(frozenset(failed), seconds, expired.is_set(), signum)

    def sequence(self, groups: Sequence[Sequence[str]], expected: float, deadline: float) -> TrialOutcome:
        """Run ``groups`` (test ids as the suite lists them) one after another in one test process, stopping it
        ``deadline`` seconds in; ``failed`` are the classes with a failing (or unfinished) test.

        With :attr:`worker`, a pull worker is handed the groups in order (each group's tests in suite order,
        as a worker runs a class); without, the suite's command runs them all, in the suite's order.

        :param expected: the seconds the tests should take, start-up aside (to learn the start-up)
        :raises RunnerError: when the test process ran nothing at all (it could not start)
        """
        assert self.where is not None, "use Trials as a context manager"
        self.count += 1
        path = Path(self.where) / f"trial-{self.count}.subunit"
        errors = io.StringIO()
        expired = threading.Event()
        ids = [t for group in groups for t in group]
        began = time.monotonic()
        with Interrupt() as interrupt, self._quiet():
            def expire() -> None:
                expired.set()
                interrupt.signum = signal.SIGTERM  # what the lane and run_phases watch: end the process group
            timer = threading.Timer(deadline, expire)
            timer.daemon = True
            timer.start()
            try:
                with path.open("wb") as out:
                    if self.worker is not None:
                        queue = Queue(tuple(WorkItem(f"{n}", tuple(group), 0.0) for n, group in enumerate(groups)
                                            if group))
                        run_lanes(queue, self.worker, 1, MergedOutput(out), errors, interrupt=interrupt, cwd=self.cwd,
                                  grace=2.0, prog="partitioner")
                        silent = not _announced(path)  # a pull worker announces each group's tests first
                    else:
                        unreported = run_phases([[ids]], self.command, out, errors, interrupt=interrupt,
                                                cwd=self.cwd).unreported
                        silent = len(set(unreported)) >= len(set(ids))
            finally:
                timer.cancel()
            signum = None if expired.is_set() else interrupt.signum
        seconds = time.monotonic() - began
        self.spent += seconds
        if ids and silent and not expired.is_set() and signum is None:
            said = [line for line in (errors.getvalue() + self._said()).splitlines() if line.strip()]
            raise RunnerError(f"the suite's test process ran none of {len(ids)} tests"
                              f"{f' ({said[-1].strip()})' if said else ''}; check that the suite runs with its own "
                              f"command{'' if self.worker is None else ' and that its python can import partitioner'}"
                              f" (set PYTHON, or PYTHONPATH)")
        failed = set()
        if path.stat().st_size:
            for record in read_stream_file(path).records:
                if record.status in FAILING and record.test_id not in PSEUDO_TESTS:
                    failed.add(class_key(canonical(record.test_id)))
        if not expired.is_set() and signum is None:
            self.startup = max(0.2, seconds - expected)
        return TrialOutcome(frozenset(failed), seconds, expired.is_set(), signum)

    @contextlib.contextmanager
    def _quiet(self) -> Iterator[None]:
        """Point file descriptor 2 at a file while a trial's test processes run (they inherit it): a suite's own
        logging would drown the progress lines. Its tail is kept for a test process that ran nothing."""
        assert self.where is not None
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            with (Path(self.where) / "stderr").open("wb") as sink:
                os.dup2(sink.fileno(), 2)
                try:
                    yield
                finally:
                    os.dup2(saved, 2)
        finally:
            os.close(saved)

    def _said(self) -> str:
        """What the last trial's test processes wrote to stderr."""
        assert self.where is not None
        path = Path(self.where) / "stderr"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def _staggered(self, classes: Sequence[str], delays: Sequence[float], streams: Sequence[Path],
                   interrupt: Interrupt) -> None:
        """Each class in a :func:`run_phases` of its own, on a thread that waits its delay first (or until a
        signal or the deadline, when it starts nothing)."""
        def one(klass: str, delay: float, stream: Path) -> None:
            until = time.monotonic() + delay
            while time.monotonic() < until and interrupt.signum is None:
                time.sleep(min(POLL_S, max(0.0, until - time.monotonic())))
            if interrupt.signum is not None:
                return
            with stream.open("wb") as out:
                run_phases([[list(self.ids[klass])]], self.command, out, io.StringIO(), interrupt=interrupt,
                           cwd=self.cwd)
        threads = [threading.Thread(target=one, args=(c, d, f), name=f"partitioner-trial-{i}", daemon=True)
                   for i, (c, d, f) in enumerate(zip(classes, delays, streams, strict=True))]
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(POLL_S)

    def deadline(self, classes: Sequence[str], delays: Sequence[float] = ()) -> float:
        """How long a trial may run before it is stopped: four times its estimate, plus :data:`TRIAL_SLACK_S`."""
        return 4 * self.estimate(classes, delays) + TRIAL_SLACK_S



@dataclass(frozen=True)
class SearchEnd:
    """How :func:`run_search` ended: why it stopped early (``None``: it finished) and the signal, if any."""

    stopped: str | None = None
    signum: int | None = None


def run_search(search: Search, trials: Trials, budget: float, session: Interrupt,
               progress: Callable[[str], None], spent: float = 0.0) -> SearchEnd:
    """Run ``search``'s trials until it is done, the budget is spent, or a signal arrives.

    A trial whose estimate no longer fits the budget is not started; one the budget cuts short is stopped and
    its outcome dropped. Each finished trial is reported to ``progress`` in one line.

    :param session: the interrupt recorder around the whole search (a signal between trials)
    :param spent: the seconds of the budget spent before the trials (listing the suite: :func:`listed_within`)
    """
    began = time.monotonic() - spent
    spelt = spell(budget)
    while (trial := search.next_trial()) is not None:
        if session.signum is not None:
            return _stop(search, "interrupted", session.signum)
        left = budget - (time.monotonic() - began)
        if trials.estimate(trial.classes, trial.delays) > left:
            return _stop(search, f"the budget ({spelt}) ran out")
        limit = trials.deadline(trial.classes, trial.delays)
        outcome = trials.run(trial.classes, min(limit, left), trial.delays)
        if outcome.signum is not None:
            return _stop(search, "interrupted", outcome.signum)
        if outcome.timed_out and limit > left:
            return _stop(search, f"the budget ({spelt}) ran out during a trial")
        search.record(trial, outcome.failed)
        failed = ", ".join(_short(c) for c in trial.classes if c in outcome.failed) or "nothing"
        what = {"alone": "alone", "pair": "beside", "side by side": "beside"}[trial.purpose]
        others = ", ".join(_short(c) for c in trial.classes[1:])
        late = f" (stopped after {limit:.0f}s: unfinished tests count as failed)" if outcome.timed_out else ""
        apart = f" (started {_apart(trial)} as in the run)" if trial.replay else ""
        progress(f"trial {trials.count}: {_short(trial.classes[0])} {what}{f' {others}' if others else ''}{apart}: "
                 f"{failed} failed, {outcome.seconds:.1f}s{late}")
    return SearchEnd()


class _Announced(testtools.StreamResult):
    """Notes whether a stream has an ``exists`` event (test processes write them; the lanes never do)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = False

    def status(self, *args: Any, **event: Any) -> None:
        self.seen = self.seen or event.get("test_status") == EXISTS


def _announced(path: Path) -> bool:
    """Whether the stream at ``path`` has an ``exists`` event: whether a test process wrote to it at all."""
    found = _Announced()
    with path.open("rb") as stream:
        subunit.ByteStreamToStreamResult(stream).run(found)
    return found.seen


def _stop(search: Search, why: str, signum: int | None = None) -> SearchEnd:
    search.stop(why)
    return SearchEnd(why, signum)


def _apart(trial: Trial) -> str:
    """How a replay starts its classes, relative to the suspect: ``0.3s after C0001Test``, ..."""
    lead = trial.delays[0]
    parts = []
    for klass, delay in zip(trial.classes[1:], trial.delays[1:], strict=True):
        gap = lead - delay
        parts.append(f"{abs(gap):.2f}s {'after' if gap >= 0 else 'before'} {_short(klass)}")
    return ", ".join(parts)


def _short(klass: str) -> str:
    return klass.rpartition(".")[2] or klass


def _worker_index(tag: str | None) -> int | None:
    """``worker-3`` -> 3 (the tag :func:`run_phases` gives worker 3's events); ``None`` for anything else."""
    head, _, number = (tag or "").rpartition("-")
    return int(number) if head == "worker" and number.isdigit() else None
