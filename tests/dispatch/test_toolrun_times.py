"""The times the tool stores under partitioner exec (dispatch/toolrun.py ``Tee``): a test partitioner records as
failed because it did not run to its end keeps the time an earlier run stored for it, with the real stestr and
testrepository file repositories (their ``times.dbm`` written by the run's inserter and again by the ``failing``
file's). A Ctrl-C that left 110 tests unstarted wrote 0 s for each, and plain ``stestr run --failing`` then put
114 of 115 tests on one worker."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import fixtures
import testtools

from partitioner.dispatch.toolrun import Tee, ToolRun

_T0 = datetime.datetime(2026, 12, 5, tzinfo=datetime.timezone.utc)


class Session:
    signalled_at: float | None = None  # no signal: the tool's console gets every event

    def observe(self, run: ToolRun, event: Mapping[str, Any]) -> None:
        pass

    def account(self, run: ToolRun) -> None:
        pass


def at(seconds: float) -> datetime.datetime:
    return _T0 + datetime.timedelta(seconds=seconds)


def run_through(inserter: Any, tee: bool, tests: list[tuple[str, str, float, float, str, bytes]]) -> None:
    """Store one run: for each test, inprogress at its start, then its attachment (a separate event, as testtools
    writes details) and its result at its end."""
    result = Tee(inserter, Session(), ToolRun([], None)) if tee else inserter
    result.startTestRun()
    for test_id, status, start, stop, name, text in tests:
        result.status(test_id=test_id, test_status="inprogress", timestamp=at(start))
        if name:
            result.status(test_id=test_id, file_name=name, file_bytes=text, mime_type="text/plain", eof=True,
                          timestamp=at(stop))
        result.status(test_id=test_id, test_status=status, timestamp=at(stop))
    result.stopTestRun()


class TestTimesKept(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path

    def check(self, repository: Any, times: Any) -> None:
        ids = ["a.A.ran", "a.A.unstarted[smoke]", "a.A.cut", "a.A.crashed", "a.A.ctrl_c", "a.A.failed"]
        first = [(t, "success", 0.0, 2.0, "", b"") for t in ids]
        run_through(repository.get_inserter(), False, first)  # an earlier run: every test 2 s
        run_through(repository.get_inserter(), True, [
            ("a.A.ran", "success", 10.0, 13.0, "", b""),
            ("a.A.unstarted[smoke]", "fail", 14.0, 14.0, "reason",
             b"not run: the run was interrupted (SIGTERM) before this test started; lane 0 held it"),
            ("a.A.cut", "fail", 10.0, 10.5, "reason",
             b"interrupted: lane 1 received SIGTERM, and its test process was killed by SIGTERM"),
            ("a.A.crashed", "fail", 10.0, 10.2, "reason",
             b"the test process of lane 1 exited with status 1, and this test never reported a result"),
            ("a.A.ctrl_c", "fail", 10.0, 10.1, "traceback",
             b"Traceback (most recent call last):\n  ...\nKeyboardInterrupt\n"),
            ("a.A.failed", "fail", 10.0, 11.0, "traceback",
             b"Traceback (most recent call last):\nAssertionError: 1 != 2\n"),
        ])
        self.assertEqual({"a.A.ran": 3.0, "a.A.unstarted[smoke]": 2.0, "a.A.cut": 2.0, "a.A.crashed": 2.0,
                          "a.A.ctrl_c": 2.0, "a.A.failed": 1.0}, times(ids))

    def test_stestr(self) -> None:
        from stestr.repository.file import RepositoryFactory

        repository = RepositoryFactory().initialise(self.dir)
        self.check(repository, lambda ids: {k: round(float(v), 3)
                                            for k, v in repository.get_test_times(ids)["known"].items()})

    def test_testrepository(self) -> None:
        from testrepository.repository.file import RepositoryFactory

        repository = RepositoryFactory().initialise(self.dir)
        self.check(repository, lambda ids: {k: round(float(v), 3)
                                            for k, v in repository.get_test_times(ids)["known"].items()})
        self.assertTrue(Path(self.dir, ".testrepository", "failing").exists())

    def test_the_tee_says_which_test_s_last_result_did_not_run_to_its_end(self) -> None:
        # exec's account after a signal asks it at each failure, whose traceback came in events before it
        from testtools.testresult.doubles import StreamResult as Recorder

        tee = Tee(Recorder(), Session(), ToolRun([], None))
        for test_id, text in (("a.A.ctrl_c", b"Traceback:\n  File x\nKeyboardInterrupt\n"),
                              ("a.A.failed", b"Traceback:\n  File x\nAssertionError: boom\n")):
            tee.status(test_id=test_id, test_status="inprogress", timestamp=at(0))
            tee.status(test_id=test_id, file_name="traceback", file_bytes=text, eof=True, timestamp=at(1))
            self.assertFalse(tee.unfinished(test_id))  # no result yet
            tee.status(test_id=test_id, test_status="fail", timestamp=at(1))
        tee.status(test_id="a.A.lane", test_status="fail", file_name="reason", eof=True, timestamp=at(2),
                   file_bytes=b"interrupted: lane 0 received SIGINT, and ...")
        self.assertEqual([True, False, True, False],
                         [tee.unfinished(t) for t in ("a.A.ctrl_c", "a.A.failed", "a.A.lane", "a.A.other")])
        tee.status(test_id="a.A.ctrl_c", test_status="success", timestamp=at(3))  # its last result is its own
        self.assertFalse(tee.unfinished("a.A.ctrl_c"))
