"""One preloaded suite forking every lane's pull worker: the suite loads once, each forked worker runs its groups
in its lane's directory and environment as a worker of its own would, and every failure of the preloader leaves
the lane with a worker of its own."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import AbstractContextManager
from pathlib import Path

import fixtures
import testtools

from partitioner.dispatch import preload
from partitioner.dispatch.command import WorkerCommand, recognise
from partitioner.dispatch.spawn import PRELOAD_ENV, Spawned, spawn_worker
from partitioner.dispatch.worker import DECLINED
from tests.dispatch.helpers import PATCHES_STDLIB, Events, read_events, run_inner, running_preloader, write_package

SUITE = '''
import os
import unittest

with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "imports.log"), "a") as f:
    f.write("%d\\n" % os.getpid())


class A(unittest.TestCase):
    def test_where(self):
        with open("where.log", "a") as f:
            f.write("%d %s %s\\n" % (os.getpid(), os.getcwd(), os.environ.get("LANE_MARK", "-")))


class K(unittest.TestCase):
    def test_kill(self):
        os.kill(os.getpid(), 9)


class S(unittest.TestCase):
    def test_sleep(self):
        import time
        time.sleep(60)
'''

A = ("pkg.test_p.A", ["pkg.test_p.A.test_where"])
K = ("pkg.test_p.K", ["pkg.test_p.K.test_kill"])
S = ("pkg.test_p.S", ["pkg.test_p.S.test_sleep"])


def drive(spawned: Spawned, groups: list[tuple[str, list[str]]]) -> tuple[Events, list[dict[str, object]], int]:
    """Feed ``groups`` to a spawned worker, end its control channel, read its stream and replies to the end."""
    for key, tests in groups:
        spawned.control.sendall(json.dumps({"group": key, "tests": tests}).encode() + b"\n")
    spawned.control.shutdown(socket.SHUT_WR)
    assert spawned.proc.stdout is not None
    data = spawned.proc.stdout.read()
    replies = [json.loads(line) for line in spawned.control.makefile("rb")]
    code = spawned.proc.wait(30)
    spawned.proc.stdout.close()
    spawned.control.close()
    return read_events(data), replies, code


class TestPreload(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.root = Path(self.useFixture(fixtures.TempDir()).path)
        write_package(self.root, {"test_p": SUITE})
        command = recognise([sys.executable, "-m", "subunit.run", "discover", "-t", ".", "./pkg"])
        assert command is not None
        self.command: WorkerCommand = command
        self.useFixture(fixtures.EnvironmentVariable(PRELOAD_ENV))
        self.useFixture(fixtures.EnvironmentVariable("LANE_MARK"))

    def preloader(self, command: WorkerCommand | None = None) -> AbstractContextManager[str]:
        return running_preloader(command or self.command, self.root)

    def imports(self) -> list[str]:
        return (self.root / "imports.log").read_text().split()

    def test_workers_are_forked_from_one_load_and_run_in_their_lanes_environment(self) -> None:
        with self.preloader() as path:
            self.useFixture(fixtures.EnvironmentVariable("LANE_MARK", "first"))
            one = spawn_worker(self.command, self.root, path)
            os.environ["LANE_MARK"] = "second"
            two = spawn_worker(self.command, self.root, path)
            first, second = drive(one, [A]), drive(two, [A])
        for events, replies, code in (first, second):
            self.assertEqual(0, code)
            self.assertEqual({"pkg.test_p.A.test_where": ["success"]}, events.finals())
            self.assertEqual([{"ready": 3, "import_errors": []}, {"done": A[0]}], replies)
        self.assertEqual(1, len(self.imports()), "the suite was imported once, by the preloader")
        lines = [line.split() for line in (self.root / "where.log").read_text().splitlines()]
        self.assertEqual([str(self.root), str(self.root)], [line[1] for line in lines])
        self.assertEqual(["first", "second"], [line[2] for line in lines])
        self.assertNotEqual(lines[0][0], lines[1][0])
        self.assertNotIn(self.imports()[0], (lines[0][0], lines[1][0]), "the tests ran in forked children")

    def test_a_forked_worker_killed_by_a_signal_reports_that_signal(self) -> None:
        with self.preloader() as path:
            spawned = spawn_worker(self.command, self.root, path)
            events, replies, code = drive(spawned, [K, A])
        self.assertEqual(-signal.SIGKILL, code)
        self.assertIn("pkg.test_p.K.test_kill", {e.test_id for e in events.events})
        self.assertNotIn("pkg.test_p.A.test_where", events.finals())
        self.assertEqual([{"ready": 3, "import_errors": []}], replies)

    def test_the_lane_signals_its_forked_worker_as_a_worker_of_its_own(self) -> None:
        with self.preloader() as path:
            spawned = spawn_worker(self.command, self.root, path)
            spawned.control.sendall(json.dumps({"group": S[0], "tests": S[1]}).encode() + b"\n")
            reply = spawned.control.makefile("rb").readline()
            self.assertEqual({"ready": 3, "import_errors": []}, json.loads(reply))
            self.assertIsNone(spawned.proc.poll())
            self.assertRaises(subprocess.TimeoutExpired, spawned.proc.wait, 0.2)
            os.killpg(spawned.proc.pid, signal.SIGTERM)
            self.assertEqual(-signal.SIGTERM, spawned.proc.wait(30))
            spawned.kill()

    def test_a_forked_worker_ends_when_its_lane_is_gone(self) -> None:
        script = (
            "import os, sys, time\n"
            "from partitioner.dispatch.command import recognise\n"
            "from partitioner.dispatch.spawn import spawn_worker\n"
            f"command = recognise({[sys.executable, '-m', 'subunit.run', 'discover', '-t', '.', './pkg']!r})\n"
            "spawned = spawn_worker(command, None, sys.argv[1])\n"
            "print(spawned.proc.pid, flush=True)\n"
            "time.sleep(60)\n")
        with self.preloader() as path:
            lane = subprocess.Popen([sys.executable, "-c", script, path], cwd=self.root, stdout=subprocess.PIPE)
            assert lane.stdout is not None
            worker = int(lane.stdout.readline())
            os.kill(worker, 0)  # it runs
            lane.kill()
            lane.wait()
            lane.stdout.close()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _alive(worker):
                time.sleep(0.05)
            self.assertFalse(_alive(worker), "the forked worker outlived its lane")

    def test_a_preloader_that_cannot_load_leaves_each_lane_a_worker_of_its_own(self) -> None:
        broken = recognise([sys.executable, "-m", "subunit.run", "discover", "-t", ".", "./missing"])
        assert broken is not None
        stderr = self.useFixture(fixtures.TempDir()).join("stderr")
        with open(stderr, "w") as err, self.preloader(broken) as path:
            saved = os.dup(2)
            os.dup2(err.fileno(), 2)
            try:
                spawned = spawn_worker(broken, self.root, path)
                _, replies, code = drive(spawned, [])
            finally:
                os.dup2(saved, 2)
                os.close(saved)
        self.assertEqual(2, code)
        self.assertEqual(1, len(replies))
        self.assertIn("error", replies[0])
        text = Path(stderr).read_text()
        self.assertEqual(1, text.count("partitioner.dispatch.worker: error:"), text)

    def test_no_preloader_listening_means_a_worker_of_its_own(self) -> None:
        spawned = spawn_worker(self.command, self.root, str(self.root / "nobody-listens"))
        self.assertIsInstance(spawned.proc, subprocess.Popen)
        events, _, code = drive(spawned, [A])
        self.assertEqual((0, {"pkg.test_p.A.test_where": ["success"]}), (code, events.finals()))

    def test_preload_0_turns_it_off(self) -> None:
        with self.preloader() as path:
            spawned = spawn_worker(self.command, self.root, "0")
            self.assertIsInstance(spawned.proc, subprocess.Popen)
            self.useFixture(fixtures.EnvironmentVariable(PRELOAD_ENV, path))
            forked = spawn_worker(self.command, self.root)
            self.assertIsInstance(forked.proc, preload.ForkedProc)
            drive(spawned, [])
            drive(forked, [])
        self.assertEqual(2, len(self.imports()))

    def test_a_suite_that_patches_the_standard_library_as_it_loads_is_not_forked_from(self) -> None:
        # eventlet's monkey_patch() at import: children forked from there would share its hub (one epoll instance),
        # so the preloader declines once it has loaded the suite, and each lane's worker loads the suite itself
        write_package(self.root, {"test_p": SUITE}, init=PATCHES_STDLIB)
        (self.root / "imports.log").unlink(missing_ok=True)
        started = preload.start(self.command, str(self.root / "socket"), str(self.root))
        assert started is not None
        try:
            self.assertEqual(DECLINED, started.proc.wait(30))
            workers = [spawn_worker(self.command, self.root, started.path) for _ in range(2)]
            runs = [drive(worker, [A]) for worker in workers]
        finally:
            started.stop()
        for events, replies, code in runs:
            self.assertEqual((0, {"pkg.test_p.A.test_where": ["success"]}), (code, events.finals()))
            self.assertEqual({"ready": 3, "import_errors": [], "forks": False}, replies[0])
        loaded = list(dict.fromkeys(self.imports()))  # the package and the module each say it
        self.assertEqual(3, len(loaded), "the preloader's load, then each worker's own")
        ran = [line.split()[0] for line in (self.root / "where.log").read_text().splitlines()]
        self.assertEqual(set(loaded[1:]), set(ran), "each test ran in the worker that loaded the suite")

    def test_a_lane_that_came_while_it_loaded_gets_a_worker_of_its_own(self) -> None:
        write_package(self.root, {"test_p": SUITE, "test_slow": "import time\ntime.sleep(1.0)\n"},
                      init=PATCHES_STDLIB)
        with self.preloader() as path:
            spawned = spawn_worker(self.command, self.root, path)  # waits in the backlog while the suite loads
            self.assertIsInstance(spawned.proc, preload.ForkedProc)
            events, replies, code = drive(spawned, [A])
        self.assertEqual((0, {"pkg.test_p.A.test_where": ["success"]}), (code, events.finals()))
        self.assertFalse(spawned.proc.forked)  # type: ignore[attr-defined]
        self.assertEqual({"ready": 3, "import_errors": [], "forks": False}, replies[0])

    def test_the_preloader_ends_when_its_parent_is_gone(self) -> None:
        script = (
            "import sys\n"
            "from partitioner.dispatch import preload\n"
            "from partitioner.dispatch.command import recognise\n"
            f"command = recognise({[sys.executable, '-m', 'subunit.run', 'discover', '-t', '.', './pkg']!r})\n"
            "started = preload.start(command, sys.argv[1])\n"
            "print(started.proc.pid, flush=True)\n"
            "sys.stdin.read()\n")
        parent = subprocess.Popen([sys.executable, "-c", script, str(self.root / "socket")], cwd=self.root,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert parent.stdout is not None and parent.stdin is not None
        preloader = int(parent.stdout.readline())
        deadline = time.monotonic() + 30
        while not (self.root / "imports.log").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # it serves
        self.assertTrue(_alive(preloader))
        parent.kill()
        parent.wait()
        parent.stdout.close()
        parent.stdin.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(preloader):
            time.sleep(0.05)
        self.assertFalse(_alive(preloader), "the preloader outlived the process that started it")

    def test_a_preloader_whose_parent_died_before_it_started_ends(self) -> None:
        # `timeout`'s second SIGTERM can kill exec while its preloader's interpreter starts: getppid() is then
        # init's, and a preloader that took that for its parent served nobody, for good
        inner = [sys.executable, "-m", "subunit.run", "discover", "-t", ".", "./pkg"]
        for how in ("start", "start_shell"):
            script = (
                "import os, shlex, sys\n"
                "from partitioner.dispatch import preload\n"
                "from partitioner.dispatch.command import recognise\n"
                f"inner = {inner!r}\n"
                f"if {how!r} == 'start':\n"
                "    started = preload.start(recognise(inner), sys.argv[1])\n"
                "else:\n"
                "    started = preload.start_shell(shlex.join(inner), sys.executable, sys.argv[1])\n"
                "print(started.proc.pid, flush=True)\n"
                "os._exit(0)\n")  # gone before the preloader's interpreter asks for its parent
            (self.root / "socket").unlink(missing_ok=True)
            parent = subprocess.run([sys.executable, "-c", script, str(self.root / "socket")], cwd=self.root,
                                    capture_output=True, text=True, check=True, timeout=60)
            preloader = int(parent.stdout)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not preload.process_ended(preloader)[0]:
                time.sleep(0.05)
            ended = preload.process_ended(preloader)[0]
            if not ended:
                os.kill(preloader, signal.SIGKILL)
            self.assertTrue(ended, f"{how}: the preloader outlived a parent that died before it started")

    def test_a_forked_worker_s_sys_argv_is_the_runner_s(self) -> None:
        write_package(self.root, {"test_p": SUITE, "test_argv": ARGV})
        plain = run_inner(self.root, ["subunit.run", "discover", "-t", ".", "./pkg"], [ARGV_TEST])
        runner = json.loads((self.root / "argv.log").read_text())
        (self.root / "argv.log").unlink()
        self.assertEqual(["success"], plain.finals()[ARGV_TEST])
        with self.preloader() as path:
            drive(spawn_worker(self.command, self.root, path), [("pkg.test_argv.V", [ARGV_TEST])])
            lane = json.loads((self.root / "argv.log").read_text())
            listed = dataclasses.replace(self.command, load_list="/the/share")
            (self.root / "argv.log").unlink()
            ours, theirs = socket.socketpair()
            forked = preload.request(path, listed, theirs.fileno(), str(self.root))
            theirs.close()
            drive(Spawned(forked, ours), [("pkg.test_argv.V", [ARGV_TEST])])
            static = json.loads((self.root / "argv.log").read_text())
        self.assertEqual("--load-list", runner[-2])
        self.assertEqual(runner[:-2], lane, "the runner's, without the --load-list a lane's worker does not have")
        self.assertEqual([*runner[:-1], "/the/share"], static)


ARGV_TEST = "pkg.test_argv.V.test_argv"
ARGV = '''
import dataclasses
import json
import sys
import unittest


class V(unittest.TestCase):
    def test_argv(self):
        with open("argv.log", "w") as f:
            json.dump(sys.argv, f)
'''


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
