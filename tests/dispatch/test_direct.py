"""A static plan's worker forked from the preloaded suite (partitioner.dispatch.direct): its stream is the one
the runner writes for the same --load-list, straight on its own stdout; without a preloader it becomes the
runner; a signal reaches the forked worker, and a test that sends itself SIGINT sees the runner's handler."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import AbstractContextManager
from pathlib import Path

import fixtures
import testtools

from partitioner.dispatch import direct
from partitioner.dispatch.command import direct_shell_command, recognise
from partitioner.dispatch.spawn import PRELOAD_ENV
from tests.dispatch.helpers import PATCHES_STDLIB, read_events, run_inner, running_preloader, write_package

SUITE = '''
import os
import signal
import time
import unittest

with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "imports.log"), "a") as f:
    f.write("%d\\n" % os.getpid())


class A(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open("setup.log", "a") as f:
            f.write("A\\n")

    def test_b(self):
        with open("ran.log", "a") as f:
            f.write("%d %s\\n" % (os.getpid(), self.id()))

    def test_a(self):
        self.assertEqual(os.environ.get("LANE_MARK"), "mine")

    def test_fails(self):
        self.fail("as it should")


class Own(unittest.TestCase):
    def test_own_sigint_handler(self):
        # Twisted's reactor and testtools' own tests look at SIGINT's handler: it must be the runner's
        handler = signal.getsignal(signal.SIGINT)
        with open("handler.log", "a") as f:
            f.write("default\\n" if handler is signal.default_int_handler else
                    "ignored\\n" if handler is signal.SIG_IGN else "other\\n")
        if handler is signal.default_int_handler:
            self.assertRaises(KeyboardInterrupt, os.kill, os.getpid(), signal.SIGINT)

    def test_sleep(self):
        with open("sleeping.tmp", "w") as f:
            f.write("%d" % os.getpid())
        os.rename("sleeping.tmp", "sleeping")  # whole, for the test that reads it
        time.sleep(60)

    def test_z_after(self):
        pass
'''

ARGS = ["subunit.run", "discover", "-t", ".", "./pkg"]

#: a test that fails while any test of another class of the suite is still alive in its process
ALONE = """
import gc
import unittest


class Other(unittest.TestCase):
    def test_1(self):
        pass

    def test_2(self):
        pass


class Alone(unittest.TestCase):
    def test_the_rest_of_the_suite_was_let_go(self):
        gc.collect()
        self.assertEqual([], [type(o).__name__ for o in gc.get_objects()
                              if isinstance(o, unittest.TestCase) and type(o) is not Alone])
"""

#: a test that writes its process's command line
CMDLINE = """
import unittest


class C(unittest.TestCase):
    def test_c(self):
        with open("/proc/self/cmdline", "rb") as mine, open("cmdline.log", "wb") as log:
            log.write(mine.read())
"""


class TestDirect(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.root = Path(self.useFixture(fixtures.TempDir()).path)
        write_package(self.root, {"test_d": SUITE})
        self.useFixture(fixtures.EnvironmentVariable(PRELOAD_ENV))
        self.useFixture(fixtures.EnvironmentVariable("LANE_MARK", "mine"))

    def preloader(self) -> AbstractContextManager[str]:
        command = recognise([sys.executable, "-m", *ARGS])
        assert command is not None
        return running_preloader(command, self.root)

    def share(self, ids: list[str]) -> str:
        path = self.root / "share.list"
        path.write_text("".join(f"{t}\n" for t in ids))
        return str(path)

    def start(self, ids: list[str], preload_path: str | None) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        if preload_path is not None:
            env[PRELOAD_ENV] = preload_path
        argv = [sys.executable, "-m", direct.PROG, "--", "LANE_MARK=mine", sys.executable, "-m", *ARGS,
                "--load-list", self.share(ids)]
        return subprocess.Popen(argv, cwd=self.root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)

    def imports(self) -> list[str]:
        return (self.root / "imports.log").read_text().split()

    def test_the_forked_worker_writes_what_the_runner_writes_for_the_same_load_list(self) -> None:
        ids = ["pkg.test_d.A.test_b", "pkg.test_d.A.test_a", "pkg.test_d.A.test_fails",
               "pkg.test_d.Own.test_own_sigint_handler", "pkg.test_d.Nope.test_missing"]
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
        self.addCleanup(signal.signal, signal.SIGINT, previous)
        plain = run_inner(self.root, ARGS, ids)  # python -m subunit.run ... --load-list
        (self.root / "imports.log").unlink()
        with self.preloader() as path:
            time.sleep(0.5)  # let it load first, as it does while the tool lists the tests
            proc = self.start(ids, path)
            out, err = proc.communicate(timeout=60)
        self.assertEqual(0, proc.returncode, err.decode())
        ours = read_events(out)
        finals = ours.finals()
        missing = finals.pop("pkg.test_d.Nope.test_missing")  # the runner drops an id it does not have
        self.assertEqual((["fail"], None), (missing, plain.finals().get("pkg.test_d.Nope.test_missing")))
        self.assertEqual(plain.finals(), finals)
        self.assertEqual("success", ours.finals()["pkg.test_d.Own.test_own_sigint_handler"][-1])
        self.assertEqual(["success"], ours.finals()["pkg.test_d.A.test_a"], "it runs in the lane's environment")
        started = [e.test_id for e in ours.events if e.status == "inprogress"]
        self.assertEqual([e.test_id for e in plain.events if e.status == "inprogress"],
                         [t for t in started if t != "pkg.test_d.Nope.test_missing"], "suite order, as the runner's")
        self.assertEqual(1, len(self.imports()), "the suite loaded once, in the preloader")
        ran_in = {line.split()[0] for line in (self.root / "ran.log").read_text().splitlines()}
        self.assertNotIn(self.imports()[0], ran_in, "the tests ran in a child forked from the preloader")
        self.assertEqual(["A", "A"], (self.root / "setup.log").read_text().split())  # plain's run, then ours

    def test_the_forked_worker_keeps_its_share_alone_as_the_runner_keeps_its_load_list(self) -> None:
        # the preloader loaded the whole suite; a static share is all its worker will run, so the rest is let go,
        # as the runner's --load-list filter drops it (the heap every full garbage collection walks)
        write_package(self.root, {"test_d": SUITE, "test_alone": ALONE})
        with self.preloader() as path:
            proc = self.start(["pkg.test_alone.Alone.test_the_rest_of_the_suite_was_let_go"], path)
            out, err = proc.communicate(timeout=60)
        self.assertEqual({"pkg.test_alone.Alone.test_the_rest_of_the_suite_was_let_go": ["success"]},
                         read_events(out).finals(), err.decode())

    def test_the_tests_sigint_is_what_the_runner_would_have_had(self) -> None:
        # under nohup (SIGINT ignored) the tool's own workers run their tests with SIGINT ignored, and so must ours
        ids = ["pkg.test_d.Own.test_own_sigint_handler"]
        for handler, seen in ((signal.default_int_handler, "default"), (signal.SIG_IGN, "ignored")):
            previous = signal.signal(signal.SIGINT, handler)
            try:
                (self.root / "handler.log").unlink(missing_ok=True)
                plain = run_inner(self.root, ARGS, ids)
                with self.preloader() as path:
                    proc = self.start(ids, path)
                    out, err = proc.communicate(timeout=60)
            finally:
                signal.signal(signal.SIGINT, previous)
            self.assertEqual(0, proc.returncode, err.decode())
            self.assertEqual(plain.finals(), read_events(out).finals())
            self.assertEqual([seen, seen], (self.root / "handler.log").read_text().split(), "plain's, then ours")

    def test_without_a_preloader_it_becomes_the_runner(self) -> None:
        for preload_path in (None, "0", str(self.root / "nobody-listens")):
            (self.root / "imports.log").unlink(missing_ok=True)
            proc = self.start(["pkg.test_d.A.test_b"], preload_path)
            out, err = proc.communicate(timeout=60)
            self.assertEqual(0, proc.returncode, err.decode())
            self.assertEqual({"pkg.test_d.A.test_b": ["success"]}, read_events(out).finals(), preload_path)
            self.assertEqual(1, len(self.imports()), preload_path)

    def test_a_suite_that_patches_the_standard_library_is_run_by_the_runner_itself(self) -> None:
        # the preloader declines to fork from it (eventlet's hub would be shared): the share runs in the runner the
        # tool asked for, whether it asked while the suite loaded (in the backlog) or after the preloader left
        write_package(self.root, {"test_d": SUITE, "test_slow": "import time\ntime.sleep(1.0)\n",
                                  "test_cmd": CMDLINE}, init=PATCHES_STDLIB)
        ids = ["pkg.test_d.A.test_b", "pkg.test_d.A.test_a", "pkg.test_d.A.test_fails", "pkg.test_cmd.C.test_c"]
        plain = run_inner(self.root, ARGS, ids)
        with self.preloader() as path:
            for _ in ("while it loads", "after it declined"):
                (self.root / "imports.log").unlink(missing_ok=True)
                (self.root / "ran.log").unlink(missing_ok=True)
                proc = self.start(ids, path)
                out, err = proc.communicate(timeout=60)
                self.assertEqual(0, proc.returncode, err.decode())
                self.assertEqual(plain.finals(), read_events(out).finals())
                ran = (self.root / "ran.log").read_text().split()[0]
                self.assertIn(ran, self.imports(), "the test ran in a process that loaded the suite itself")
                cmdline = (self.root / "cmdline.log").read_bytes().split(b"\0")
                self.assertEqual([b"-m", b"subunit.run"], cmdline[1:3], "the runner, as the tool asked for it")

    def test_a_signal_is_passed_on_to_the_forked_worker(self) -> None:
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
        self.addCleanup(signal.signal, signal.SIGINT, previous)
        with self.preloader() as path:
            proc = self.start(["pkg.test_d.Own.test_sleep", "pkg.test_d.Own.test_z_after"], path)
            deadline = time.monotonic() + 30
            while not (self.root / "sleeping").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            worker = int((self.root / "sleeping").read_text())
            proc.send_signal(signal.SIGINT)
            out, _ = proc.communicate(timeout=30)
        self.assertEqual(128 + signal.SIGINT, proc.returncode)
        events = read_events(out)
        self.assertIn("pkg.test_d.Own.test_sleep", {e.test_id for e in events.events})
        self.assertNotIn("pkg.test_d.Own.test_z_after", events.finals(), "the test after it never started")
        self.assertRaises(ProcessLookupError, os.kill, worker, 0)

    def test_bad_usage_is_one_line_and_2(self) -> None:
        proc = subprocess.run([sys.executable, "-m", direct.PROG, "python"], capture_output=True, text=True,
                              check=False)
        self.assertEqual((2, 1), (proc.returncode, len(proc.stderr.splitlines())), proc.stderr)
        self.assertIn("usage:", proc.stderr)

    def test_the_shell_command(self) -> None:
        command = "${PYTHON:-python} -m subunit.run --load-list $IDFILE tests.test_suite"
        self.assertEqual(f"exec /py -m {direct.PROG} -- {command}", direct_shell_command(command, "/py"))
        self.assertEqual(f"trap '' INT; exec /py -m {direct.PROG} --sigint -- {command}",
                         direct_shell_command(command, "/py", hold_sigint=True))
        self.assertIsNone(direct_shell_command("${PYTHON:-python} -m subunit.run tests.test_suite", "/py"))
        self.assertIsNone(direct_shell_command("make check --load-list $IDFILE", "/py"))
