"""partitioner.run.kept and the runner's worker streams: a test the runner fails for not running to its end is written
so that testrepository (the real file repository: its run's inserter and its ``failing`` file's) stores back the time
``times.dbm`` held for it; the test's events reach the output together, once it ended."""

from __future__ import annotations

import contextlib
import datetime
import dbm
import io
from pathlib import Path
from typing import Any

import fixtures
import testtools
from testrepository.repository import file as testr_file
from testtools.testresult.doubles import StreamResult as RecordingStreamResult

from partitioner.run.kept import REPOSITORY, KeptTimes
from partitioner.run.stream import MergedOutput, WorkerStream
from tests.run.harness import Events

_TEXT = "text/plain;charset=utf8"
NOT_RUN = b"not run: the run was interrupted (SIGINT) before this test started; worker-0 was killed by SIGTERM"
CUT = b"interrupted: the runner received SIGINT, and worker-0 was killed by SIGTERM before this test reported a result"




def times(root: Path) -> dict[str, str]:
    """testr's ``times.dbm`` as it wrote it: raw id -> the stored string."""
    with contextlib.closing(dbm.open(str(root / REPOSITORY / "times.dbm"), "r")) as db:
        return {key.decode(): db[key].decode() for key in db.keys()}  # noqa: SIM118 - gdbm cannot be iterated


def store(root: Path, data: bytes) -> None:
    """Insert a subunit v2 stream into the testr repository at ``root`` as ``testr load`` does."""
    import subunit

    repository = testr_file.RepositoryFactory().open(str(root))
    inserter = repository.get_inserter()
    inserter.startTestRun()
    subunit.ByteStreamToStreamResult(io.BytesIO(data), non_subunit_name="stdout").run(inserter)
    inserter.stopTestRun()


class KeptTimesTest(testtools.TestCase):
    """The runner's stream into the real testrepository: the times of the tests that did not run to their end stay."""

    def setUp(self) -> None:
        super().setUp()
        self.root = Path(self.useFixture(fixtures.TempDir()).path)
        # the runs began 110 s ago: the runner fails a test at the time it notices
        self.t0 = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(seconds=110)
        testr_file.RepositoryFactory().initialise(str(self.root))
        self.ids = ["m.A.ran", "m.A.unstarted[smoke]", "m.A.cut", "m.A.hung", "m.A.ctrl_c", "m.A.failed", "m.A.new"]
        data = io.BytesIO()
        earlier = MergedOutput(data)
        for n, test_id in enumerate(self.ids[:-1]):  # an earlier run timed each but the new one
            earlier.status(test_id=test_id, test_status="inprogress", timestamp=self.at(n))
            earlier.status(test_id=test_id, test_status="success", timestamp=self.at(n + 2.413105 + n))
        store(self.root, data.getvalue())
        self.before = times(self.root)

    def at(self, seconds: float) -> datetime.datetime:
        return self.t0 + datetime.timedelta(seconds=seconds)

    def worker(self) -> tuple[WorkerStream, io.BytesIO, RecordingStreamResult, RecordingStreamResult]:
        out = io.BytesIO()
        written, seen = RecordingStreamResult(), RecordingStreamResult()
        output = MergedOutput(out, observer=written, kept=KeptTimes(self.root / REPOSITORY))
        output.watcher = seen
        return WorkerStream(0, output), out, written, seen

    def test_testr_keeps_the_times_of_tests_that_did_not_run_to_their_end(self) -> None:
        stream, out, _, _ = self.worker()
        stream.status(test_id="m.A.ran", test_status="inprogress", timestamp=self.at(100))
        stream.status(test_id="m.A.ran", test_status="success", timestamp=self.at(103))
        stream.status(test_id="m.A.failed", test_status="inprogress", timestamp=self.at(103))  # a failure of its own
        stream.status(test_id="m.A.failed", file_name="traceback", file_bytes=b"AssertionError: no", eof=True,
                      mime_type=_TEXT, timestamp=self.at(104))
        stream.status(test_id="m.A.failed", test_status="fail", timestamp=self.at(104))
        stream.status(test_id="m.A.ctrl_c", test_status="inprogress", timestamp=self.at(104))  # SIGINT in its process
        stream.status(test_id="m.A.ctrl_c", file_name="traceback", eof=True, mime_type=_TEXT, timestamp=self.at(104.5),
                      file_bytes=b"Traceback (most recent call last):\n  ...\nKeyboardInterrupt\n")
        stream.status(test_id="m.A.ctrl_c", test_status="fail", timestamp=self.at(104.5))
        stream.status(test_id="m.A.cut", test_status="inprogress", timestamp=self.at(108))  # 2 s before its 4.4 s end
        stream.status(test_id="m.A.hung", test_status="inprogress", timestamp=self.at(90))  # it ran past its 5.4 s
        stream.fail_unreported("m.A.cut", CUT.decode())
        stream.fail_unreported("m.A.hung", CUT.decode())
        stream.fail_unreported("m.A.unstarted[smoke]", NOT_RUN.decode())
        stream.fail_unreported("m.A.new", NOT_RUN.decode())  # no earlier time: testr times it 0 s, as it ran
        store(self.root, out.getvalue())
        after = times(self.root)
        kept = ["m.A.unstarted[smoke]", "m.A.cut", "m.A.hung", "m.A.ctrl_c"]
        self.assertEqual({t: self.before[t] for t in kept}, {t: after[t] for t in kept})
        self.assertEqual(("3.0", "1.0", "0.0"), (after["m.A.ran"], after["m.A.failed"], after["m.A.new"]))
        # where the spans are: a test that never started ends when it was failed; one cut short begins where it
        # began, or as late as still ends when it was failed
        events = Events(out.getvalue())
        span = {t: (events.stamps(t)[0], events.stamps(t)[-1]) for t in kept}
        unstarted, cut, hung = span["m.A.unstarted[smoke]"], span["m.A.cut"], span["m.A.hung"]
        self.assertEqual(unstarted[1] - datetime.timedelta(seconds=float(self.before["m.A.unstarted[smoke]"])),
                         unstarted[0])
        self.assertEqual(self.at(108), cut[0])
        self.assertGreater(cut[1], datetime.datetime.now(datetime.timezone.utc))  # 108 s and its 4.4 s: the future
        self.assertGreater(hung[0], self.at(100))
        self.assertLess(hung[1] - datetime.datetime.now(datetime.timezone.utc), datetime.timedelta(seconds=1))

    def test_without_a_repository_the_events_are_written_as_they_came(self) -> None:
        out = io.BytesIO()
        stream = WorkerStream(0, MergedOutput(out, kept=KeptTimes(self.root / "elsewhere")))
        stream.status(test_id="m.A.cut", test_status="inprogress", timestamp=self.at(104))
        stream.fail_unreported("m.A.cut", CUT.decode())
        self.assertEqual(self.at(104), Events(out.getvalue()).stamps("m.A.cut")[0])
        self.assertLess(datetime.datetime.now(datetime.timezone.utc) - Events(out.getvalue()).stamps("m.A.cut")[-1],
                        datetime.timedelta(seconds=5))

    def test_a_tests_events_are_written_once_it_ended_and_watched_as_they_came(self) -> None:
        stream, out, written, seen = self.worker()
        stream.status(test_id="m.A.ran", test_status="inprogress", timestamp=self.at(1))
        stream.status(file_name="stdout", file_bytes=b"printed", mime_type=_TEXT)  # no test's: at once
        stream.status(test_id="m.A.listed", test_status="exists")  # a listing's: at once
        self.assertEqual([("m.A.ran", "inprogress"), (None, None), ("m.A.listed", "exists")], statuses(seen))
        self.assertEqual([(None, None), ("m.A.listed", "exists")], statuses(written))
        stream.status(test_id="m.A.ran", test_status="success", timestamp=self.at(2))
        self.assertEqual([(None, None), ("m.A.listed", "exists"), ("m.A.ran", "inprogress"), ("m.A.ran", "success")],
                         statuses(written))
        stream.status(test_id="m.A.lost", test_status="inprogress", timestamp=self.at(3))  # never ends, not accounted
        self.assertNotIn(b"m.A.lost", out.getvalue())
        stream.release()
        self.assertEqual(["inprogress"], [s for t, s in statuses(written) if t == "m.A.lost"])
        self.assertEqual({"m.A.ran": "success", "m.A.listed": "exists", "m.A.lost": "inprogress"}, stream.last)


def statuses(result: RecordingStreamResult) -> list[tuple[Any, Any]]:
    return [(event[1], event[2]) for event in result._events if event[0] == "status"]
