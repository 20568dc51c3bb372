"""The timeline of a run (or of a plan) as frozen values: worker lanes of test bars, setup gaps and idle tails.

Pure: it takes a :class:`~partitioner.history.model.Run` (and optionally predicted lanes and a
:class:`~partitioner.races.Diagnosis`) and returns a :class:`Timeline`; :mod:`partitioner.timeline.page`
draws it. Times in the values are seconds from the timeline's origin (the run's earliest test start).

**Lanes** are the estimator's (:func:`partitioner.history.samples.worker_lanes`): a run's timed records
(start and stop known) split by ``worker-N`` tag, each lane in ``(start, test_id)`` order; a run with no
worker tags is one lane, and in a tagged run the untagged records (tempest's ``devstack`` pseudo-test) belong
to no lane. A record that started but never stopped (the stream ended inside it) is drawn up to the run's end
with status ``inprogress``; every record that cannot be drawn is listed in :attr:`Timeline.unplaced` with the
reason, never dropped.

**Setup gaps** are the estimator's class-setup samples, from the same lane walk
(:func:`partitioner.history.samples.lane_gaps`): on one lane, fixture pseudo-tests (``setUpClass (X)``)
aside, when a record with a final status starts a different class than the record before it, the time
between the earlier stop and its start is the new class's setup plus the previous class's teardown (a
negative gap, clock skew, is none). Before a lane's first test, the time from the origin is its *lead-in*:
worker start-up plus the first class's setup.

**Idle tail**: from a lane's last stop to the end of the timeline (the latest stop of any lane).

Predicted lanes (a plan's, or a dispatch order's) are built by :mod:`partitioner.timeline.predicted`. Their
times are seconds, or test-count units when the plan had no timing history (:attr:`Lane.unit`); a run's
lanes are always seconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from partitioner import testids
from partitioner.costmodel import SECONDS, TESTS
from partitioner.history.model import Run, TestRecord
from partitioner.history.samples import lane_gaps, worker_lanes
from partitioner.races import Diagnosis
from partitioner.statuses import FAILING, PSEUDO_TESTS

__all__ = ["UNTAGGED_LANE", "Bar", "Gap", "Lane", "Timeline", "Unplaced", "build_timeline", "worker_order"]

#: the name of the one lane of a run without worker tags (a serial run)
UNTAGGED_LANE = "untagged"
#: how many of a failed test's partners (best first) a bar keeps
TOP_PARTNERS = 5

GapKind = Literal["setup", "lead-in"]
LaneKind = Literal["actual", "predicted"]


@dataclass(frozen=True)
class Bar:
    """One test on one lane, from its start to its stop.

    :ivar test_id: the id as the run has it (``[attrs]`` kept)
    :ivar status: its final subunit status (``inprogress`` when the stream ended inside it; ``predicted``
        on a predicted lane)
    :ivar start: seconds from the timeline's origin
    :ivar stop: seconds from the timeline's origin (``>= start``)
    :ivar worker: the lane it ran on
    :ivar overlapped: failed tests (ids) on other workers whose race window this test overlapped
    :ivar partners: for a failed test, the tests that overlapped its window, most suspicious first
        (at most :data:`TOP_PARTNERS`; see :mod:`partitioner.races`)
    """

    test_id: str
    status: str
    start: float
    stop: float
    worker: str
    overlapped: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()

    @property
    def duration(self) -> float:
        return self.stop - self.start

    @property
    def klass(self) -> str:
        """The class key (a fixture pseudo-test belongs to the class it names)."""
        return testids.class_key(self.test_id)

    @property
    def fixture(self) -> bool:
        """Whether this is a ``setUpClass (X)``-style pseudo-test."""
        return testids.parse(self.test_id).fixture is not None

    @property
    def pseudo(self) -> bool:
        """Whether the id was invented by the runner (``process-returncode``), not a test."""
        return self.test_id in PSEUDO_TESTS

    @property
    def failed(self) -> bool:
        return self.status in FAILING


@dataclass(frozen=True)
class Gap:
    """Time on a lane that no test's window covers but a class's fixtures used.

    :ivar kind: ``setup`` (between two classes: the new one's setup and the previous one's teardown) or
        ``lead-in`` (before the lane's first test: worker start-up and the first class's setup)
    :ivar klass: the class the gap is charged to (the one that starts after it)
    :ivar previous: the class before it (``""`` for a lead-in)
    :ivar start: seconds from the origin
    :ivar stop: seconds from the origin
    """

    kind: GapKind
    klass: str
    previous: str
    start: float
    stop: float

    @property
    def seconds(self) -> float:
        return self.stop - self.start


@dataclass(frozen=True)
class Lane:
    """One worker's line of bars.

    :ivar worker: ``worker-N`` (:data:`UNTAGGED_LANE` for a serial run, :data:`SERIAL_LANE` for a plan's
        serial phase)
    :ivar kind: ``actual`` (from a run) or ``predicted`` (from a plan or a dispatch order)
    :ivar bars: the tests, in start order
    :ivar gaps: setup gaps and the lead-in, in time order
    :ivar finish: the last stop (seconds from the origin; the lead-in's end on a lane without tests)
    :ivar idle: seconds from ``finish`` to the end of the timeline's lanes of the same kind (and section)
    :ivar section: which set of lanes it belongs to, when a page shows several under headings (a static
        plan and its simulated dispatch, or one suite planned by several schedulers); ``""``: the only set
    :ivar unit: what its times are in: :data:`~partitioner.costmodel.SECONDS`, or
        :data:`~partitioner.costmodel.TESTS` (test-count units) for a predicted lane of a plan made without
        timing history
    """

    worker: str
    kind: LaneKind
    bars: tuple[Bar, ...]
    gaps: tuple[Gap, ...]
    finish: float
    idle: float
    section: str = ""
    unit: str = SECONDS

    @property
    def busy(self) -> float:
        """Seconds inside test windows."""
        return math.fsum(b.duration for b in self.bars)

    @property
    def setup(self) -> float:
        """Seconds in setup gaps (the lead-in excluded)."""
        return math.fsum(g.seconds for g in self.gaps if g.kind == "setup")

    @property
    def lead_in(self) -> float:
        return math.fsum(g.seconds for g in self.gaps if g.kind == "lead-in")

    def count(self, *statuses: str) -> int:
        """How many bars have one of ``statuses`` (pseudo-tests not counted)."""
        return sum(1 for b in self.bars if b.status in statuses and not b.pseudo)


@dataclass(frozen=True)
class Unplaced:
    """A record the timeline cannot draw, and why (so nothing is lost without a word)."""

    test_id: str
    status: str
    reason: str


@dataclass(frozen=True)
class Timeline:
    """Everything one page draws.

    :ivar title: what it shows (a run id, ``plan``, ...)
    :ivar origin: epoch seconds of time 0 (``None`` for a plan: it has not run)
    :ivar lanes: the run's lanes, sorted by worker (empty for a plan)
    :ivar predicted: predicted lanes (a plan's, or a dispatch order priced by a cost model)
    :ivar unplaced: records not drawn, with the reason
    :ivar subtitle: what the line under the title says (default: when the run started, or that a plan is
        predicted before it runs)
    """

    title: str
    origin: float | None
    lanes: tuple[Lane, ...]
    predicted: tuple[Lane, ...] = ()
    unplaced: tuple[Unplaced, ...] = ()
    subtitle: str = ""

    @property
    def end(self) -> float:
        """The latest finish of any lane, actual or predicted."""
        return max((lane.finish for lane in (*self.lanes, *self.predicted)), default=0.0)

    @property
    def bars(self) -> int:
        """How many bars the actual lanes hold."""
        return sum(len(lane.bars) for lane in self.lanes)

    @property
    def unfinished(self) -> int:
        """How many tests of the run the stream ended inside (drawn to its end, status ``inprogress``)."""
        return sum(1 for lane in self.lanes for b in lane.bars if b.status == "inprogress")

    @property
    def wall(self) -> float | None:
        """The run's wall time, from its first start to its last stop; ``None`` when its timestamps cannot tell
        it (:attr:`wall_unknown` says why), or for a plan. With :attr:`unfinished` tests it is a lower bound."""
        return None if self.wall_unknown else max(lane.finish for lane in self.lanes)

    @property
    def wall_unknown(self) -> str:
        """Why the run's timestamps cannot give its wall time (``""`` when they can): no test finished (the
        stream ended inside every one), or every result has one timestamp (a stream that stamped the time once,
        not per test: every bar is 0 s long, which is no measurement)."""
        if not self.lanes:
            return "nothing ran: no timestamped result"
        bars = [b for lane in self.lanes for b in lane.bars]
        if all(b.status == "inprogress" for b in bars):
            return "no test finished: the stream ended inside every one"
        if all(b.start == 0.0 and b.stop == 0.0 for b in bars):
            return "every result has the same timestamp: the stream did not time its tests"
        return ""

    @property
    def predicted_unit(self) -> str:
        """What the predicted lanes' figures are in: :data:`~partitioner.costmodel.TESTS` when one of them is in
        test-count units, else :data:`~partitioner.costmodel.SECONDS`."""
        return TESTS if any(lane.unit == TESTS for lane in self.predicted) else SECONDS

    @property
    def sections(self) -> tuple[str, ...]:
        """The named sections of the lanes, in order of first appearance (empty when there are none)."""
        return tuple(dict.fromkeys(x.section for x in (*self.lanes, *self.predicted) if x.section))


def _worker_lanes(run: Run) -> tuple[dict[str, list[TestRecord]], list[TestRecord], list[Unplaced]]:
    """The run's lanes (:func:`~partitioner.history.samples.worker_lanes`), the records that started but never
    stopped, and the records no lane can hold, with the reason."""
    lanes = {worker or UNTAGGED_LANE: lane for worker, lane in worker_lanes(run)}
    tagged = any(r.worker is not None for r in run.records if r.start is not None and r.stop is not None)
    unfinished: list[TestRecord] = []
    unplaced: list[Unplaced] = []
    for record in run.records:
        if record.start is not None and record.stop is not None and (record.worker is not None or not tagged):
            continue  # on its lane
        if tagged and record.worker is None:
            unplaced.append(Unplaced(record.test_id, record.status, "no worker tag in a run that has them"))
        elif record.start is None:
            unplaced.append(Unplaced(record.test_id, record.status, "no timestamps"))
        else:
            unfinished.append(record)
    return lanes, unfinished, unplaced


def _setup_gaps(lane: Sequence[TestRecord], origin: float) -> list[Gap]:
    """The class-change gaps of one lane (the estimator's lane walk), from the origin."""
    return [Gap("setup", g.klass, g.previous, g.start - origin, g.stop - origin) for g in lane_gaps(lane)]


def _lead_in(lane: Sequence[TestRecord], origin: float) -> list[Gap]:
    """The gap from the origin to the lane's first start (empty when it starts at the origin)."""
    head = lane[0]
    start = (head.start or origin) - origin
    if start <= 0.0:
        return []
    return [Gap("lead-in", testids.class_key(head.test_id), "", 0.0, start)]


def _partners(diagnosis: Diagnosis | None) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """``failed id -> its top partners`` and ``partner id -> the failed ids it overlapped`` (test view)."""
    partners: dict[str, tuple[str, ...]] = {}
    overlapped: dict[str, list[str]] = {}
    for suspect in diagnosis.tests if diagnosis else ():
        partners[suspect.test] = tuple(p.test for p in suspect.partners[:TOP_PARTNERS])
        for partner in suspect.partners:
            overlapped.setdefault(partner.test, []).append(suspect.test)
    return partners, {k: tuple(sorted(v)) for k, v in overlapped.items()}


def build_timeline(run: Run, predicted: Sequence[Lane] = (), races: Diagnosis | None = None,
                   title: str | None = None) -> Timeline:
    """The timeline of one run.

    :param run: the run to draw
    :param predicted: predicted lanes to draw beside the actual ones (see :func:`predicted_lanes`); their
        times count from the same origin
    :param races: the run's race diagnosis (:func:`partitioner.races.diagnose`): failed tests get their
        partners, and every test that overlapped a failure is marked
    :param title: what the page calls it (default: the run id)
    :returns: the timeline; a run without any drawable record gives no lanes, every record unplaced
    """
    by_worker, unfinished, unplaced = _worker_lanes(run)
    starts = [r.start for lane in by_worker.values() for r in lane] + [r.start for r in unfinished]
    origin = min((s for s in starts if s is not None), default=None)
    partners, overlapped = _partners(races)
    if origin is None:
        return Timeline(title or run.run_id, None, (), tuple(predicted), tuple(unplaced))

    def bar(record: TestRecord, worker: str, stop: float) -> Bar:
        start = (record.start or origin) - origin
        return Bar(record.test_id, record.status, start, max(start, stop), worker,
                   overlapped.get(record.test_id, ()), partners.get(record.test_id, ()))

    finished = {w: [bar(r, w, (r.stop or origin) - origin) for r in lane] for w, lane in by_worker.items()}
    end = max((b.stop for bars in finished.values() for b in bars), default=0.0)
    for record in unfinished:  # they ran until the stream ended: draw them to the end
        worker = record.worker or UNTAGGED_LANE
        finished.setdefault(worker, []).append(bar(record, worker, end))
    end = max((b.stop for bars in finished.values() for b in bars), default=0.0)
    lanes = []
    for worker in sorted(finished, key=worker_order):
        bars = sorted(finished[worker], key=lambda b: (b.start, b.test_id))
        records = by_worker.get(worker, [])
        gaps = (_lead_in(records, origin) + _setup_gaps(records, origin)) if records else []
        finish = max(b.stop for b in bars)
        lanes.append(Lane(worker, "actual", tuple(bars), tuple(gaps), finish, end - finish))
    return Timeline(title or run.run_id, origin, tuple(lanes), tuple(predicted), tuple(unplaced))


def worker_order(name: str) -> tuple[int, int, str]:
    """``worker-2`` before ``worker-10``; other names after, by name."""
    prefix, _, number = name.rpartition("-")
    if prefix == "worker" and number.isdigit():
        return (0, int(number), name)
    return (1, 0, name)
