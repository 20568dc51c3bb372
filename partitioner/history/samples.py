"""Timing samples out of runs: worker lanes, per-test durations, class-setup gaps, first-class offsets; pure.

This is what the estimator reads (:mod:`partitioner.estimate`) and what ``partitioner history export``
writes (:func:`collect_samples`), so exporting history never imports the estimator.

**Lanes.** A run's timed records split by worker, each lane in start order: the one view of "what ran
after what on one worker" that class-setup gaps (here), race windows (:mod:`partitioner.races`) and the
timeline page (:mod:`partitioner.timeline.model`) rest on.

**The lane walk.** :func:`lane_gaps` is the one rule for where a class's setup shows on a lane: fixture
pseudo-tests (``setUpClass (X)``) aside, when a record with a final status starts a different class than
the record before it, the time between the earlier stop and its start is the new class's setup plus the
previous class's teardown; a negative gap (clock skew) is none. The estimator's samples
(:func:`setup_gaps`) and the timeline's drawn gaps are both read off it, so they cannot disagree.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePath
from types import MappingProxyType

from partitioner import testids
from partitioner.history.model import History, Run, Samples, TestRecord
from partitioner.statuses import (
    FAIL,
    FINAL,
    INPROGRESS,
    NOT_PASSING,
    NOT_RUN,
    PASSING,
    PSEUDO_TESTS,
    ctrl_c,
    unfinished,
)


def worker_lanes(run: Run) -> list[tuple[str, list[TestRecord]]]:
    """A run's timed records (start and stop known) split into per-worker lanes, each in start order.

    A run with no worker tags is one lane, tagged ``""`` (a serial run); in a tagged run, untagged records
    (e.g. tempest's ``devstack`` pseudo-test) belong to no lane. A test that :func:`never_ran` is an instant on its
    lane, when it was failed, whatever its span (the runner's spans the time testr keeps for it).

    :returns: ``(worker tag, records)`` per lane, sorted by tag; records sorted by (start, id)
    """
    timed = [_instant(r) for r in run.records if r.start is not None and r.stop is not None]
    tagged = any(r.worker is not None for r in timed)
    lanes: dict[str, list[TestRecord]] = defaultdict(list)
    for record in timed:
        if tagged and record.worker is None:
            continue
        lanes[record.worker or ""].append(record)
    return [(worker, sorted(lane, key=lambda r: (r.start or 0.0, r.test_id))) for worker, lane in sorted(lanes.items())]


@dataclass(frozen=True)
class LaneGap:
    """A class change on one worker lane: the time between two tests that a class's fixtures used.

    :ivar klass: the class that starts after the gap (its setup is charged the gap)
    :ivar previous: the class before it (whose teardown is in the gap too)
    :ivar start: epoch seconds: the stop of the previous class's last record
    :ivar stop: epoch seconds: the start of the new class's first record
    """

    klass: str
    previous: str
    start: float
    stop: float

    @property
    def seconds(self) -> float:
        return self.stop - self.start


def never_ran(record: TestRecord) -> bool:
    """A failure of a test that never ran, written as failed by whoever noticed (a lane whose worker died,
    ``partitioner exec``'s account of tests never reported, an id the worker could not find): its reason says so
    (``not run: ...``), or it started and stopped at the same instant. It is no timing sample (priced at 0 s, such
    tests piled up on one worker in the next plan) and no mark on its worker's lane (the gap before it is the time
    until it was noticed). The runner under testr writes one spanning the time testr's ``times.dbm`` holds for the
    test, so that testr keeps it (:mod:`partitioner.run.kept`): its reason tells it, not its span."""
    if record.status != FAIL:
        return False
    return record.reason.startswith(NOT_RUN) or (record.start is not None and record.start == record.stop)


def did_not_end(record: TestRecord) -> bool:
    """A failure partitioner wrote for a test that did not run to its end (:func:`partitioner.statuses.unfinished`:
    never started, cut short by a signal, lost with its worker, a Ctrl-C in its own process), or one that
    :func:`never_ran`. Its span is no measurement: the time until it was noticed, or the time testr kept for it (the
    runner writes it so: :mod:`partitioner.run.kept`). It gives no duration sample and no class-setup gap."""
    return record.status == FAIL and (unfinished(record.reason) or never_ran(record))


def _instant(record: TestRecord) -> TestRecord:
    """A record that :func:`never_ran` as the instant it was failed (its stop); any other as it is."""
    return replace(record, start=record.stop) if record.start != record.stop and never_ran(record) else record


def without_never_ran(run: Run) -> Run:
    """``run`` without the failures that :func:`never_ran` (``run`` itself when it has none): for what judges
    failures (``races``, ``history summary``), an interrupted run's tests it never reached did not fail, and a
    run that stored them all as failures is no run of 279 failed tests that raced each other. The tool's own
    pseudo-tests (testr's ``process-returncode``) stay: they say how the run ended."""
    kept = tuple(r for r in run.records if r.test_id in PSEUDO_TESTS or not never_ran(r))
    return run if len(kept) == len(run.records) else replace(run, records=kept)


#: the reasons written for a test that a signal cut short or kept from starting, and the signal's name: partitioner's
#: lanes (``interrupted: lane 0 received SIGTERM, ...``), ``partitioner exec``'s account (``interrupted: partitioner
#: exec received SIGTERM, ...``), the runner (``interrupted: the runner received SIGINT, ...``), the in-process lanes
#: (``interrupted (SIGTERM) before ...``) and everything never started (``not run: the run was interrupted (SIGTERM)
#: before ...``, ``not run: lane 1 was interrupted by SIGTERM ...``)
_INTERRUPTED = re.compile(r"^(?:interrupted\b|not run: [^;]*?\binterrupted\b)[^;]*?\b(SIG[A-Z0-9]+)\b")


def interrupted_by(record: TestRecord) -> str | None:
    """The signal (``SIGTERM``) whose interruption of the run made this failure, else ``None``: its reason says so
    (what partitioner writes for a test the signal cut short or kept from starting), or its traceback ends in
    ``KeyboardInterrupt`` (SIGINT reached the test's own process mid-test). Such a failure is the run's end, not the
    test's: it says nothing of what the test does when it runs to its end."""
    if record.status != FAIL or not record.reason:
        return None
    found = _INTERRUPTED.match(record.reason)
    if found is not None:
        return found.group(1)
    return "SIGINT" if ctrl_c(record.reason) else None


def cut_short(record: TestRecord) -> bool:
    """A test that was running when the run was interrupted: a failure the interruption made (:func:`interrupted_by`)
    of a test that had started (not one that :func:`never_ran`), or a test still in progress where its stream ends
    (a stream cut off mid-run)."""
    if record.test_id in PSEUDO_TESTS:
        return False
    if record.status == INPROGRESS:
        return True
    return interrupted_by(record) is not None and not never_ran(record)


@dataclass(frozen=True)
class Interruption:
    """What the interruption of a run (Ctrl-C, ``timeout``'s SIGTERM) did to its tests, as its stream tells.

    :ivar run_id: the run's :attr:`~partitioner.history.model.Run.run_id`
    :ivar signal: the signal's name (``SIGTERM``), or ``""`` when only the stream's end says so (tests in progress)
    :ivar cut: the ids of the tests it cut short (:func:`cut_short`), in stream order
    :ivar unreached: the failures of tests it kept from starting (:func:`never_ran`, their reason naming it)
    """

    run_id: str
    signal: str
    cut: tuple[str, ...]
    unreached: int = 0

    @property
    def run(self) -> str:
        """The run's short name (:func:`short_name`)."""
        return short_name(self.run_id)


def short_name(run_id: str) -> str:
    """A run's short name: its number in a repository (``.stestr/12`` -> ``12``), else its file name."""
    return PurePath(run_id).name or run_id


def interruption(run: Run) -> Interruption | None:
    """How an interruption ended ``run`` (:class:`Interruption`), or ``None`` when nothing says it was interrupted."""
    cut: list[str] = []
    signals: dict[str, int] = {}
    unreached = 0
    for record in run.records:
        name = interrupted_by(record)
        if name is not None:
            signals[name] = signals.get(name, 0) + 1
            if never_ran(record):
                unreached += 1
        if cut_short(record):
            cut.append(record.test_id)
    if not cut and not unreached:
        return None
    signal = max(signals, key=lambda name: (signals[name], name)) if signals else ""
    return Interruption(run.run_id, signal, tuple(cut), unreached)


def judged(run: Run) -> tuple[Run, Interruption | None]:
    """``run`` as what judges failures (``races``, ``history summary``) takes it, and its :func:`interruption`.

    The failures of tests it never reached are left out (:func:`without_never_ran`); a test the interruption cut
    short (:func:`cut_short`) stays, timed where it ran, as ``inprogress``: it ran beside and after others, but
    neither passed nor failed (a test that was running when ``timeout`` struck is no evidence of a race, and no
    failure to fix). ``run`` itself when there is nothing to change.
    """
    stopped = interruption(run)
    run = without_never_ran(run)
    if stopped is None or not any(r.status == FAIL and cut_short(r) for r in run.records):
        return run, stopped
    records = tuple(replace(r, status=INPROGRESS) if r.status == FAIL and cut_short(r) else r for r in run.records)
    return replace(run, records=records), stopped


def judge(runs: Iterable[Run]) -> tuple[list[Run], list[Interruption]]:
    """:func:`judged` for each of ``runs`` (in their order), and the interruptions found, in the same order."""
    kept: list[Run] = []
    stopped: list[Interruption] = []
    for run in runs:
        one, found = judged(run)
        kept.append(one)
        if found is not None:
            stopped.append(found)
    return kept, stopped


def lane_gaps(lane: Sequence[TestRecord]) -> list[LaneGap]:
    """The class-change gaps of one lane (records in start order, as :func:`worker_lanes` gives them).

    The one lane walk (see the module docstring): fixture pseudo-tests are skipped; a gap is taken before a
    record with a final status whose class differs from the previous record's; a negative gap is none.

    :returns: the gaps in lane order
    """
    gaps: list[LaneGap] = []
    previous: TestRecord | None = None
    for record in lane:
        if testids.parse(record.test_id).fixture or never_ran(record):
            continue
        if did_not_end(record):  # its span is no measurement: no gap before it, nor after it
            previous = None
            continue
        if previous is not None and record.status in FINAL:
            before, after = testids.class_key(previous.test_id), testids.class_key(record.test_id)
            stop, start = previous.stop or 0.0, record.start or 0.0
            if before != after and start - stop >= 0.0:
                gaps.append(LaneGap(after, before, stop, start))
        previous = record
    return gaps


def setup_gaps(run: Run) -> list[tuple[str, float]]:
    """``(class_key, seconds)`` for every class change on every worker lane of a run (:func:`lane_gaps`)."""
    return [(gap.klass, gap.seconds) for _, lane in worker_lanes(run) for gap in lane_gaps(lane)]


def first_offsets(run: Run) -> list[tuple[str, float]]:
    """``(class_key, seconds)`` for the first class on each worker lane but the earliest one.

    Nothing runs before a worker's first class, so no gap shows its setup. In a parallel run every
    worker starts at about the same moment, so a lane's first start minus the earliest lane's first
    start is that class's setup less the earliest first class's (a lower estimate, used only for a
    class with no gap sample at all).
    """
    firsts = []
    for _, lane in worker_lanes(run):
        head = next((r for r in lane if not testids.parse(r.test_id).fixture and not did_not_end(r)), None)
        if head is not None and head.start is not None:
            firsts.append((head.start, head.test_id))
    if len(firsts) < 2:
        return []
    earliest = min(start for start, _ in firsts)
    return [(testids.class_key(test_id), start - earliest) for start, test_id in firsts if start > earliest]


def durations(history: History, statuses: frozenset[str]) -> dict[str, list[float]]:
    """The durations of the results with one of ``statuses``, by canonical id, runs oldest first (a test
    that did not run to its end, :func:`did_not_end`, gives none)."""
    found: dict[str, list[float]] = defaultdict(list)
    for run in sorted(history.runs, key=lambda r: (r.order, r.run_id)):
        for record in run.records:
            duration = record.duration
            if record.status in statuses and duration is not None and not did_not_end(record):
                found[testids.canonical(record.test_id)].append(duration)
    return found


def untimed(history: History) -> frozenset[str]:
    """The canonical ids of the runs' results that carry no timing: tests that :func:`never_ran` (an interrupted
    run stores each test it did not run as a failure of no duration, ``not run: ...``) and results without
    timestamps. Planning cannot price them from these runs, but the runs name them: they are this suite's."""
    return frozenset(testids.canonical(record.test_id) for run in history.runs for record in run.records
                     if record.duration is None or never_ran(record))


def not_passing_samples(history: History) -> dict[str, list[float]]:
    """Durations of skipped and failed results (what a test that never passes costs), by canonical id."""
    return durations(history, NOT_PASSING)


def collect_samples(history: History) -> Samples:
    """Every timing sample in a history, oldest first: JSON samples (exported earlier), then runs in order.

    Per test, the durations of passing results (by canonical id); per class, the setup gaps. This is what
    ``partitioner history export`` writes.
    """
    tests: dict[str, list[float]] = defaultdict(list)
    setup: dict[str, list[float]] = defaultdict(list)
    startup: list[float] = []
    for samples in history.samples:
        for key, values in samples.tests.items():
            tests[key].extend(values)
        for key, values in samples.setup.items():
            setup[key].extend(values)
        startup.extend(samples.startup)
    for key, measured in durations(history, PASSING).items():
        tests[key].extend(measured)
    for run in sorted(history.runs, key=lambda r: (r.order, r.run_id)):
        for klass, gap in setup_gaps(run):
            setup[klass].append(gap)
    return Samples(MappingProxyType({k: tuple(v) for k, v in sorted(tests.items())}),
                   MappingProxyType({k: tuple(v) for k, v in sorted(setup.items())}),
                   tuple(startup))
