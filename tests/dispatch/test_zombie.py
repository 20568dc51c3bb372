"""A forked worker that ended but was not reaped (a zombie) counts as ended: ``kill(pid, 0)`` succeeds on a zombie,
and a worker the preloader forked is not its lane's or static worker's child, so nobody there can reap it. When
the preloader is stuck or gone and the init that adopted the worker does not reap (a container's PID 1 that is
no init), ``partitioner.dispatch.direct`` and the lanes waited for it forever."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import fixtures
import testtools

from partitioner.dispatch import direct, preload
from partitioner.dispatch.command import recognise
from partitioner.run.signals import Interrupt

#: how long a wait may take before the test calls it a hang (it would be forever)
HANG_S = 30.0


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""


@contextlib.contextmanager
def zombie(code: int = 3) -> Iterator[int]:
    """A process that exited with ``code`` and is not our child, left unreaped by its parent (a child of ours
    that sleeps until the block ends, then reaps it): its pid, while it is a zombie."""
    pids_r, pids_w = os.pipe()
    hold_r, hold_w = os.pipe()
    parent = os.fork()
    if parent == 0:  # pragma: no cover - the zombie's parent
        try:
            os.close(pids_r)
            os.close(hold_w)
            child = os.fork()
            if child == 0:
                os._exit(code)
            os.write(pids_w, f"{child}\n".encode())
            os.read(hold_r, 1)  # until the test is done with the zombie
            os.waitpid(child, 0)
        finally:
            os._exit(0)
    os.close(pids_w)
    os.close(hold_r)
    try:
        with os.fdopen(pids_r) as pids:
            pid = int(pids.readline())
        deadline = time.monotonic() + HANG_S
        while _state(pid) != "Z":
            assert time.monotonic() < deadline, "the child never became a zombie"
            time.sleep(0.01)
        yield pid
    finally:
        os.close(hold_w)
        os.waitpid(parent, 0)


class TestProcessEnded(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        if not Path("/proc/self/stat").exists():
            self.skipTest("no /proc: a zombie cannot be told from a running process")

    def test_a_zombie_that_is_not_our_child_has_ended_with_its_status(self) -> None:
        with zombie(3) as pid:
            os.kill(pid, 0)  # what the old check asked: a zombie answers as if it ran
            self.assertRaises(ChildProcessError, os.waitpid, pid, os.WNOHANG)  # and it cannot be reaped here
            ended, status = preload.process_ended(pid)
            self.assertTrue(ended)
            assert status is not None
            self.assertEqual(3, os.waitstatus_to_exitcode(status))

    def test_our_own_zombie_is_reaped_with_its_status(self) -> None:
        proc = os.fork()
        if proc == 0:  # pragma: no cover
            time.sleep(60)
            os._exit(0)
        os.kill(proc, signal.SIGKILL)
        deadline = time.monotonic() + HANG_S
        while _state(proc) != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        ended, status = preload.process_ended(proc)  # a child of ours (as a subreaper adopts one): waitpid reaps it
        self.assertTrue(ended)
        assert status is not None
        self.assertEqual(-signal.SIGKILL, os.waitstatus_to_exitcode(status))
        self.assertRaises(ChildProcessError, os.waitpid, proc, os.WNOHANG)  # it was reaped

    def test_a_running_process_has_not_ended(self) -> None:
        self.assertEqual((False, None), preload.process_ended(os.getppid()))

    def test_a_process_that_is_gone_has_ended_with_no_status(self) -> None:
        with zombie(0) as pid:
            pass
        deadline = time.monotonic() + HANG_S
        while _state(pid):  # reaped by its parent when the block ended
            assert time.monotonic() < deadline
            time.sleep(0.01)
        self.assertEqual((True, None), preload.process_ended(pid))


class TestLaneWatch(testtools.TestCase):
    """A worker the preloader forked watches its lane, which is not its parent: a lane killed with its tool is
    adopted by an init that may never reap it, and the worker must end all the same, not serve a zombie."""

    def setUp(self) -> None:
        super().setUp()
        if not Path("/proc/self/stat").exists():
            self.skipTest("no /proc: a zombie cannot be told from a running process")

    def test_a_zombie_lane_is_not_alive(self) -> None:
        from partitioner.dispatch.worker import _alive

        with zombie(0) as pid:
            self.assertFalse(_alive(pid))
        self.assertTrue(_alive(os.getppid()))

    def test_the_watch_ends_a_worker_whose_lane_is_a_zombie(self) -> None:
        from partitioner.dispatch.worker import _alive, watch_parent

        with zombie(0) as lane:
            worker = os.fork()
            if worker == 0:  # pragma: no cover - the watched worker: the watch ends it, else it exits 7
                watch_parent(lane, poll_s=0.01, alive=_alive)
                time.sleep(HANG_S)
                os._exit(7)
            deadline = time.monotonic() + HANG_S
            done = 0
            while not done and time.monotonic() < deadline:
                done, status = os.waitpid(worker, os.WNOHANG)
                time.sleep(0.01)
            if not done:
                os.kill(worker, signal.SIGKILL)
                os.waitpid(worker, 0)
            self.assertTrue(done, "the worker served a zombie lane")
            self.assertEqual(1, os.waitstatus_to_exitcode(status))


class _StuckPreloader:
    """A preloader that forks nothing itself: it answers each request with the pid it is given, then never sends
    the status (stuck, as a preloader whose loop an eventlet hub held was) or closes the connection (gone)."""

    def __init__(self, path: str, pid: int, close: bool) -> None:
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(1)
        self.pid, self.close = pid, close
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        self.conns.append(conn)
        _, fds, _, _ = socket.recv_fds(conn, 1, 3)
        for fd in fds:
            os.close(fd)
        line = b""
        while not line.endswith(b"\n"):
            line += conn.recv(65536)
        conn.sendall(json.dumps({"pid": self.pid}).encode() + b"\n")
        if self.close:
            conn.close()

    def stop(self) -> None:
        self.listener.close()
        for conn in self.conns:
            conn.close()


class TestDirectWaitsForAZombie(testtools.TestCase):
    """``direct.run``: the share's worker, forked by the preloader, ended; the preloader never says so."""

    def run_direct(self, close: bool) -> int:
        if not Path("/proc/self/stat").exists():
            self.skipTest("no /proc")
        work = self.useFixture(fixtures.TempDir()).path
        share = Path(work, "share")
        share.write_text("pkg.test_x.T.test_a\n")
        inner = [sys.executable, "-m", "subunit.run", "discover", "--load-list", str(share)]
        command = recognise(inner)
        assert command is not None
        path = str(Path(work, "socket"))
        result: list[int] = []
        with zombie(3) as pid:
            fake = _StuckPreloader(path, pid, close)
            self.addCleanup(fake.stop)
            with Interrupt() as interrupt:
                runner = threading.Thread(target=lambda: result.append(direct.run(command, path, interrupt, inner)),
                                          daemon=True)
                runner.start()
                runner.join(HANG_S)
        self.assertEqual([3], result, "direct.run waited for a zombie as if it ran")
        return result[0]

    def test_while_the_preloader_is_stuck(self) -> None:
        self.run_direct(close=False)

    def test_once_the_preloader_is_gone(self) -> None:
        self.run_direct(close=True)
