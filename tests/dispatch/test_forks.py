"""Fresh test processes forked from a worker that loaded its suite (``mono`` order): what a test leaves
behind stays in its process, fixtures still come down, and a crash in a child is the worker's crash."""

from __future__ import annotations

import signal
from pathlib import Path

import fixtures
import testtools

from tests.dispatch.helpers import PATCHES_STDLIB, drive_worker, write_package

STATEFUL = '''
import os
import unittest

STATE = []


def log(root, line):
    with open(os.path.join(root, "fixtures.log"), "a") as f:
        f.write(line + "\\n")


class A(unittest.TestCase):
    @classmethod
    def tearDownClass(cls):
        log(os.getcwd(), "tearDownClass A %d" % os.getpid())

    def test_a(self):
        STATE.append(os.getpid())
        log(os.getcwd(), "ran A %d" % os.getpid())


class B(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        log(os.getcwd(), "setUpClass B %d" % os.getpid())

    def test_b(self):
        log(os.getcwd(), "ran B %d" % os.getpid())
        self.assertEqual([], STATE, "a test of class A ran in this process before")


class K(unittest.TestCase):
    def test_kill(self):
        os.kill(os.getpid(), 9)
'''

ARGS = ["subunit.run", "discover", "-t", ".", "./pkg"]
A = ("pkg.test_state.A", ["pkg.test_state.A.test_a"])
B = ("pkg.test_state.B", ["pkg.test_state.B.test_b"])
K = ("pkg.test_state.K", ["pkg.test_state.K.test_kill"])


class TestFreshProcesses(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.root = Path(self.useFixture(fixtures.TempDir()).path)
        write_package(self.root, {"test_state": STATEFUL})

    def log(self) -> list[str]:
        return (self.root / "fixtures.log").read_text().splitlines()

    def test_without_a_fresh_process_the_state_carries_over(self) -> None:
        run = drive_worker(self.root, ARGS, [A, B])
        self.assertEqual(0, run.returncode, run.stderr)
        self.assertEqual(["fail"], run.events.finals()["pkg.test_state.B.test_b"])
        self.assertEqual(["success"], run.events.finals()["pkg.test_state.A.test_a"])

    def test_a_fresh_group_runs_in_a_process_that_ran_nothing(self) -> None:
        run = drive_worker(self.root, ARGS, [A, B], fresh={A[0], B[0]})
        self.assertEqual(0, run.returncode, run.stderr)
        self.assertEqual({"pkg.test_state.A.test_a": ["success"], "pkg.test_state.B.test_b": ["success"]},
                         run.events.finals())
        self.assertEqual([{"ready": 3, "import_errors": []}, {"done": A[0]}, {"done": B[0]}], run.replies)
        pids = {line.rsplit(" ", 1)[0]: line.rsplit(" ", 1)[1] for line in self.log()}
        self.assertNotEqual(pids["ran A"], pids["ran B"])
        self.assertEqual(pids["ran B"], pids["setUpClass B"])

    def test_the_previous_process_tears_its_class_down_before_the_next_starts(self) -> None:
        run = drive_worker(self.root, ARGS, [A, B], fresh={A[0], B[0]})
        self.assertEqual(0, run.returncode, run.stderr)
        steps = [" ".join(line.split()[:-1]) for line in self.log()]
        self.assertEqual(["ran A", "tearDownClass A", "setUpClass B", "ran B"], steps)

    def test_groups_after_a_fresh_one_share_its_process(self) -> None:
        run = drive_worker(self.root, ARGS, [A, B], fresh={A[0]})
        self.assertEqual(0, run.returncode, run.stderr)
        self.assertEqual(["fail"], run.events.finals()["pkg.test_state.B.test_b"])

    def test_a_child_killed_by_a_signal_ends_the_worker_with_that_signal(self) -> None:
        run = drive_worker(self.root, ARGS, [A, K, B], fresh={A[0], K[0]})
        self.assertEqual(-signal.SIGKILL, run.returncode, run.stderr)
        finals = run.events.finals()
        self.assertEqual(["success"], finals["pkg.test_state.A.test_a"])
        self.assertNotIn("pkg.test_state.B.test_b", finals)  # nothing runs after the crash: the lane decides
        self.assertIn("pkg.test_state.K.test_kill", {e.test_id for e in run.events.events})
        self.assertEqual([{"ready": 3, "import_errors": []}, {"done": A[0]}], run.replies)
        self.assertNotIn("Traceback", run.stderr)

    def test_a_bad_control_line_in_a_forked_child_ends_the_worker_with_one_line(self) -> None:
        run = drive_worker(self.root, ARGS, [A, ("x", "not a list")], fresh={A[0]})  # type: ignore[list-item]
        self.assertEqual(1, run.returncode)
        self.assertIn("control message 2 is not a group", run.stderr)
        self.assertNotIn("Traceback", run.stderr)

    def test_a_worker_whose_suite_patched_the_standard_library_forks_nothing(self) -> None:
        # eventlet's patching leaves one hub that forked children would share: the worker runs the chain itself,
        # as the process that has run nothing, and says so; its lane starts a new worker for the next fresh group
        write_package(self.root, {"test_state": STATEFUL}, init=PATCHES_STDLIB)
        run = drive_worker(self.root, ARGS, [A, B], fresh={A[0], B[0]})
        self.assertEqual(0, run.returncode, run.stderr)
        self.assertEqual([{"ready": 3, "import_errors": [], "forks": False}, {"done": A[0]}, {"done": B[0]}],
                         run.replies)
        loaded = (self.root / "imports.log").read_text().split()
        pids = {line.rsplit(" ", 1)[0]: line.rsplit(" ", 1)[1] for line in self.log()}
        self.assertEqual((loaded, loaded), ([pids["ran A"]], [pids["ran B"]]), "both ran in the worker itself")
        self.assertEqual(["fail"], run.events.finals()["pkg.test_state.B.test_b"])
