"""Hand-built values for tests: a small plan, records on named workers, a recorded plan, the racing-pair scenario,
and their subunit streams."""

from __future__ import annotations

import datetime
import io

import subunit

from partitioner.estimate import build_cost_model
from partitioner.grouping import group_tests, make_grouper
from partitioner.history.model import History, Run, Samples, TestRecord
from partitioner.history.planrecord import FORMAT_VERSION, Dispatch, PlannedLane, PlanRecord
from partitioner.plan import Plan, build_plan
from partitioner.strategies import get_strategy

SAMPLES = Samples(tests={"m.A.t1": (4.0,), "m.A.t2": (2.0,), "m.B.t1": (3.0,), "m.C.t1": (1.0,)},
                  setup={"m.A": (1.0,), "m.B": (0.5,), "m.C": (0.5,)})
IDS = ["m.A.t1", "m.A.t2", "m.B.t1", "m.C.t1"]


def plan_for(ids: list[str], n: int, history: History | None = None, strategy: str = "lpt") -> Plan:
    """A plan of ``ids`` grouped by class on ``n`` workers (timings: :data:`SAMPLES`)."""
    history = history if history is not None else History(samples=(SAMPLES,))
    groups = group_tests(ids, make_grouper("class"))
    return build_plan(groups, build_cost_model(ids, history), get_strategy(strategy), n, "class")

A = "pkg.mod_a.ATest"
B = "pkg.mod_b.BTest"
C = "pkg.mod_c.CTest"
D = "pkg.mod_d.DTest"
E = "pkg.mod_e.ETest"


def rec(test: str, worker: str | None, start: float | None, stop: float | None, status: str = "success",
        tags: frozenset[str] | None = None, reason: str = "") -> TestRecord:
    """A record; its tags are its worker tag unless given."""
    if tags is None:
        tags = frozenset({worker}) if worker else frozenset()
    return TestRecord(test, status, start, stop, worker, tags, reason)


def cut_short(test: str, worker: str, start: float, stop: float, signal: str = "SIGTERM") -> TestRecord:
    """A test a signal cut short under ``partitioner exec``: a failure with the reason its lane writes."""
    return rec(test, worker, start, stop, "fail", reason=f"interrupted: lane {worker[-1]} received {signal}, and its "
               f"test process was killed by {signal} before this test reported a result")


def run(*records: TestRecord, run_id: str = "r", order: int = 0) -> Run:
    return Run(run_id, records, order)


def plan_record(dispatch: Dispatch, *lanes: PlannedLane, makespan_s: float | None = None) -> PlanRecord:
    """A plan record as the runner and the hooks write it: one lane per worker, in the order given."""
    return PlanRecord(FORMAT_VERSION, dispatch, len(lanes), makespan_s, lanes)


def racing_runs() -> list[Run]:
    """Four runs on two workers: A fails exactly when B runs beside it; C always runs beside A and never fails.

    Run 0 and 2: A (w0) fails, B (w1) overlaps it. Run 1: B runs on A's worker, after it: A passes, C beside.
    Run 3: B overlaps A and B fails (the race went the other way).
    """
    def one(order: int, a_status: str, b_worker: str, b_start: float, b_status: str = "success") -> Run:
        return run(
            rec(f"{A}.test_1", "worker-0", 0.0, 1.0, a_status),
            rec(f"{A}.test_2", "worker-0", 1.0, 2.0, a_status),
            rec(f"{B}.test_1", b_worker, b_start, b_start + 1.0, b_status),
            rec(f"{C}.test_1", "worker-2", 0.0, 2.0),
            run_id=f"r{order}", order=order)
    return [one(0, "fail", "worker-1", 0.0), one(1, "success", "worker-0", 2.0),
            one(2, "fail", "worker-1", 0.5), one(3, "success", "worker-1", 0.0, "fail")]


EPOCH = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)


def stream(records: list[TestRecord]) -> bytes:
    """A subunit v2 stream of ``records`` (timestamps are seconds after EPOCH; a failure's ``reason`` attached as
    partitioner writes it; an ``inprogress`` record is left there, as in a stream cut off mid-run)."""
    out = io.BytesIO()
    writer = subunit.StreamResultToBytes(out)
    for r in records:
        tags = set(r.tags)
        start = None if r.start is None else EPOCH + datetime.timedelta(seconds=r.start)
        stop = None if r.stop is None else EPOCH + datetime.timedelta(seconds=r.stop)
        writer.status(test_id=r.test_id, test_status="inprogress", test_tags=tags, timestamp=start)
        if r.reason:  # as partitioner's lanes and exec's account attach it
            writer.status(test_id=r.test_id, file_name="reason", file_bytes=r.reason.encode(),
                          mime_type="text/plain;charset=utf8", eof=True, test_tags=tags, timestamp=stop)
        if r.status != "inprogress":
            writer.status(test_id=r.test_id, test_status=r.status, test_tags=tags, timestamp=stop)
    return out.getvalue()


