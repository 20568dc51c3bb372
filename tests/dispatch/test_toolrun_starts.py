"""The first start partitioner exec's Tee notes for a run's plan record key (dispatch/toolrun.py): the one the
history reader takes from the run the tool stores."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import subunit
import testtools
from testtools.testresult.doubles import StreamResult as RecordingStreamResult

from partitioner.dispatch.record import placement_key
from partitioner.dispatch.toolrun import Tee, ToolRun, worker_tag
from partitioner.history import planrecord
from partitioner.history.subunit import read_stream
from partitioner.statuses import FINAL
from tests.suites import subunit_v2


class Session:
    """What the session keeps of each event (as dispatch.tools.Session.observe): the worker of each final status."""

    signalled_at: float | None = None  # no signal: the tool's console gets every event

    def observe(self, run: ToolRun, event: Mapping[str, Any]) -> None:
        worker = worker_tag(event.get("test_tags"))
        if event.get("test_id") is not None and event.get("test_status") in FINAL and worker is not None:
            run.finals[event["test_id"]] = worker

    def account(self, run: ToolRun) -> None:
        pass


class TestFirstStart(testtools.TestCase):
    def test_the_tees_first_start_keys_the_record_as_the_stored_run_finds_it(self) -> None:
        data = subunit_v2([("a.B.t1", "exists", 0.25, 0.25, "worker-1"),  # a lane's announcement: not its start
                           ("setUpClass (a.D)", "fail", 0.5, 0.5, "worker-1"),  # not keyed: not in the start
                           ("a.B.t1", "success", 1.25, 2.0, "worker-1"), ("a.A.t1", "fail", 1.5, 2.0, "worker-0"),
                           ("a.C.t1", "success", 2.0, 3.0, "worker-1")])
        run = ToolRun([("a.A.t1",), ("a.B.t1", "a.C.t1")], None)
        stored = RecordingStreamResult()
        tee = Tee(stored, Session(), run)
        subunit.ByteStreamToStreamResult(io.BytesIO(data)).run(tee)
        self.assertEqual(10, len(stored._events))  # every event went on to the tool's inserter
        assert run.starts is not None
        self.assertEqual(1_250_000, run.starts.of(run.finals))
        self.assertEqual(planrecord.own_key(read_stream(data, "run")), run.starts.key(dict(run.finals)))

    def test_no_tee_no_first_start(self) -> None:
        self.assertIsNone(ToolRun([("a.A.t1",)], None).starts)

    def test_without_timestamps_the_key_is_the_placements_alone(self) -> None:
        data = subunit_v2([("a.A.t1", "success", None, None, "worker-0"), ("a.B.t1", "fail", None, None, "worker-1")])
        run = ToolRun([("a.A.t1",), ("a.B.t1",)], None)
        Tee(RecordingStreamResult(), Session(), run)
        assert run.tee is not None and run.starts is not None
        subunit.ByteStreamToStreamResult(io.BytesIO(data)).run(run.tee)
        self.assertIsNone(run.starts.of(run.finals))
        self.assertEqual(placement_key(run.finals), run.starts.key(run.finals))
        self.assertEqual(planrecord.placement_key_of_run(read_stream(data, "run")), run.starts.key(run.finals))
