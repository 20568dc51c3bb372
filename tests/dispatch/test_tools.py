"""partitioner exec's session (dispatch/tools.py) without a real tool: partitions, the watched inserter, and
the account written before the tool stores its run."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import fixtures
import testtools
from testtools.testresult.doubles import StreamResult as Recorder

from partitioner.dispatch.tools import Session

IDS = ["a.A.t1", "a.A.t2", "a.B.t1", "a.C.t1"]
WORKER = "python -m subunit.run discover -t . ./tests --load-list /tmp/x"


class Inserter(Recorder):
    """What the tool stores (a recorder), with the ``stopTestRun`` return testr uses as the run id."""

    def stopTestRun(self) -> Any:
        super().stopTestRun()
        return 7


class TestSession(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        cwd = os.getcwd()
        os.chdir(tmp)
        self.addCleanup(os.chdir, cwd)
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE_DIR", str(Path(tmp) / "cache")))
        self.err = io.StringIO()

    def stored(self, inserter: Inserter) -> dict[str, list[tuple[str, set[str], bytes]]]:
        out: dict[str, list[tuple[str, set[str], bytes]]] = {}
        for event in inserter._events:
            if event[0] == "status" and event[1] is not None:
                out.setdefault(event[1], []).append((event[2], set(event[3] or ()), bytes(event[6] or b"")))
        return out

    def test_static_every_test_without_a_result_fails_with_why_before_the_run_is_stored(self) -> None:
        session = Session("static", stderr=self.err)
        parts = session.partition(IDS, 2, None, lambda t: t.rsplit(".", 1)[0], WORKER)
        self.assertEqual(sorted(IDS), sorted(t for p in parts for t in p))
        inserter = Inserter()
        tee = session.inserter(inserter)
        tee.startTestRun()
        done = parts[0][0]
        tee.status(test_id=done, test_status="inprogress", test_tags={"worker-0"}, route_code="0")
        tee.status(test_id=done, test_status="success", test_tags={"worker-0"}, route_code="0")
        self.assertEqual(7, tee.stopTestRun())
        stored = self.stored(inserter)
        self.assertEqual(set(IDS), set(stored))
        for test_id in set(IDS) - {done}:
            self.assertEqual("fail", stored[test_id][-1][0])
            self.assertIn(b"was never started, and this test never reported a result", b"".join(
                e[2] for e in stored[test_id]))
        self.assertEqual(len(IDS) - 1, session.injected)
        self.assertIn("never reported a result: recorded as failures in the stored run", self.err.getvalue())
        session.uninstall()

    def test_dynamic_starts_a_dispatcher_and_puts_its_key_in_the_environment(self) -> None:
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_DISPATCH_KEY"))
        session = Session(None, stderr=self.err)
        session.partition(IDS, 2, None, lambda t: t.rsplit(".", 1)[0], WORKER)
        run = session.current()
        assert run is not None and run.dispatcher is not None
        self.assertIn("PARTITIONER_DISPATCH_KEY", os.environ)
        command, index = session.worker_command(run, list(run.partitions[1]), WORKER)
        self.assertEqual(1, index)
        self.assertTrue(command.startswith("exec "), command)
        self.assertIn("-m partitioner.dispatch.lane", command)
        self.assertIn("--lane 1", command)
        session.uninstall()
        self.assertNotIn("PARTITIONER_DISPATCH_KEY", os.environ)

    def test_a_command_no_pull_worker_can_stand_in_for_stays_static_and_says_so_once(self) -> None:
        session = Session(None, stderr=self.err)
        for _ in range(2):
            session.partition(IDS, 2, None, None, "./run-tests.sh $IDFILE")
            run = session.current()
            assert run is not None
            self.assertIsNone(run.dispatcher)
        self.assertEqual(1, self.err.getvalue().count("dynamic dispatch needs a worker command"))
        session.uninstall()
