"""The pull worker: unittest fixture semantics across groups, missing ids, import errors, and a stream that
reads like the inner runner's."""

from __future__ import annotations

import fcntl
import gc
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import types
import unittest
import weakref
from collections.abc import Callable
from pathlib import Path

import fixtures
import testtools

from partitioner.dispatch.worker import (
    FAILED_IMPORT,
    PIPE_MAX_BYTES,
    Control,
    GroupRunner,
    Suite,
    _Capture,
    interrupt_once,
    make_room,
    parse_args,
    run_groups,
    runner_argv,
)
from tests.dispatch.helpers import Event, drive_worker, read_events, run_inner, write_package


class FakeModules(fixtures.Fixture):
    """Modules ``m1``, ``m2`` (made up, in sys.modules) with classes whose fixtures append to :attr:`log`.

    m1: classes A (tests t1, t2) and B (t1); m2: class C (t1). Each has setUpModule/tearDownModule and
    setUpClass/tearDownClass.
    """

    LAYOUT = {"m1": {"A": ["t1", "t2"], "B": ["t1"]}, "m2": {"C": ["t1"]}}

    def _setUp(self) -> None:
        self.log: list[str] = []
        self.prefix = f"fake_{id(self)}"
        self.modules: list[types.ModuleType] = []
        for name, classes in self.LAYOUT.items():
            full = f"{self.prefix}_{name}"
            module = types.ModuleType(full)
            module.setUpModule = self._logger(f"setUpModule {name}")  # type: ignore[attr-defined]
            module.tearDownModule = self._logger(f"tearDownModule {name}")  # type: ignore[attr-defined]
            for cname, tests in classes.items():
                namespace: dict[str, object] = {
                    "__module__": full,
                    "setUpClass": classmethod(self._class_logger(f"setUpClass {cname}")),
                    "tearDownClass": classmethod(self._class_logger(f"tearDownClass {cname}")),
                }
                for test in tests:
                    namespace[f"test_{test}"] = self._test(f"run {cname}.{test}")
                setattr(module, cname, type(cname, (unittest.TestCase,), namespace))
            sys.modules[full] = module
            self.addCleanup(sys.modules.pop, full, None)
            self.modules.append(module)

    def _logger(self, line: str) -> Callable[[], None]:
        return lambda: self.log.append(line)

    def _class_logger(self, line: str) -> Callable[[type], None]:
        return lambda cls: self.log.append(line)

    def _test(self, line: str) -> Callable[[unittest.TestCase], None]:
        return lambda case: self.log.append(line)

    def suite(self) -> unittest.TestSuite:
        loader = unittest.TestLoader()
        return unittest.TestSuite(loader.loadTestsFromModule(m) for m in self.modules)

    def test_id(self, short: str) -> str:
        """``m1.A.t1`` -> the full id."""
        module, cname, test = short.split(".")
        return f"{self.prefix}_{module}.{cname}.test_{test}"


class TestInterruptOnce(testtools.TestCase):
    def test_the_first_sigint_stops_the_run_and_a_second_cannot_break_its_teardown(self) -> None:
        # a Ctrl-C reaches a worker twice (its process group's and its lane's): the second used to land in the
        # first one's teardown as a traceback on the tool's stderr
        self.addCleanup(signal.signal, signal.SIGINT, signal.getsignal(signal.SIGINT))
        signal.signal(signal.SIGINT, interrupt_once)
        self.assertRaises(KeyboardInterrupt, interrupt_once, signal.SIGINT, None)
        self.assertEqual(signal.SIG_IGN, signal.getsignal(signal.SIGINT))


    def run_interrupted(self, where: str) -> tuple[int, list[str]]:
        """run_groups over one group of FakeModules' with a KeyboardInterrupt raised in GroupRunner.``where``."""
        self.addCleanup(signal.signal, signal.SIGINT, signal.getsignal(signal.SIGINT))
        fake = self.useFixture(FakeModules())
        read, write = os.pipe()
        self.addCleanup(os.close, write)
        control = Control(read)
        self.addCleanup(os.close, read)
        real = getattr(GroupRunner, where)

        def interrupted(runner: GroupRunner, *args: object) -> None:
            real(runner, *args)
            raise KeyboardInterrupt

        self.useFixture(fixtures.MonkeyPatch(f"partitioner.dispatch.worker.GroupRunner.{where}", interrupted))
        line = json.dumps({"group": "A", "tests": [fake.test_id("m1.A.t1")]}).encode() + b"\n"
        status = run_groups([line], control, Suite.of(fake.suite()), io.BytesIO(), _Capture())
        return status, fake.log

    def test_a_sigint_as_the_run_starts_ends_it_with_130_not_a_traceback(self) -> None:
        status, log = self.run_interrupted("start")
        self.assertEqual((130, []), (status, log))

    def test_a_sigint_as_the_teardown_begins_ends_it_with_130(self) -> None:
        # seen in CI: the lane ends the queue and passes the Ctrl-C on, which lands after the loop ended
        status, log = self.run_interrupted("finish")
        self.assertEqual(130, status)
        self.assertIn("run A.t1", log)


class TestFixtureSemantics(testtools.TestCase):
    def run_groups(self, fake: FakeModules, groups: list[list[str]]) -> tuple[list[str], bytes]:
        stream = io.BytesIO()
        runner = GroupRunner(Suite.of(fake.suite()), stream)
        runner.start()
        for group in groups:
            runner.run_group([fake.test_id(t) for t in group])
        runner.finish()
        return list(fake.log), stream.getvalue()

    def plain_unittest(self, groups: list[list[str]]) -> list[str]:
        """What unittest does for one suite of the same tests in the same order (fresh fixtures)."""
        fake = self.useFixture(FakeModules())
        by_id = {case.id(): case for case in _cases(fake.suite())}
        unittest.TestSuite([by_id[fake.test_id(t)] for g in groups for t in g]).run(unittest.TestResult())
        return fake.log

    def test_class_fixtures_once_per_class_even_when_a_module_comes_back(self) -> None:
        groups = [["m1.A.t1", "m1.A.t2"], ["m2.C.t1"], ["m1.B.t1"]]
        log, _ = self.run_groups(self.useFixture(FakeModules()), groups)
        self.assertEqual(self.plain_unittest(groups), log)
        for cname in "ABC":
            self.assertEqual(1, log.count(f"setUpClass {cname}"), log)
            self.assertEqual(1, log.count(f"tearDownClass {cname}"), log)
        # module m1 is torn down when m2 starts and set up again when it comes back, as unittest does
        self.assertEqual(["setUpModule m1", "setUpClass A", "run A.t1", "run A.t2", "tearDownClass A",
                          "tearDownModule m1", "setUpModule m2", "setUpClass C", "run C.t1", "tearDownClass C",
                          "tearDownModule m2", "setUpModule m1", "setUpClass B", "run B.t1", "tearDownClass B",
                          "tearDownModule m1"], log)

    def test_a_class_split_over_groups_behaves_as_the_same_order_in_one_suite(self) -> None:
        groups = [["m1.A.t1"], ["m1.B.t1"], ["m1.A.t2"], ["m2.C.t1"]]
        log, _ = self.run_groups(self.useFixture(FakeModules()), groups)
        self.assertEqual(self.plain_unittest(groups), log)
        self.assertEqual(1, log.count("setUpModule m1"))

    def test_the_class_stays_up_between_two_groups_of_it_and_teardown_waits_for_the_next_class(self) -> None:
        fake = self.useFixture(FakeModules())
        stream = io.BytesIO()
        runner = GroupRunner(Suite.of(fake.suite()), stream)
        runner.start()
        runner.run_group([fake.test_id("m1.A.t1")])
        self.assertEqual(["setUpModule m1", "setUpClass A", "run A.t1"], fake.log)
        runner.run_group([fake.test_id("m1.A.t2")])
        self.assertNotIn("tearDownClass A", fake.log)
        runner.finish()
        self.assertEqual(["tearDownClass A", "tearDownModule m1"], fake.log[-2:])

    def test_a_group_runs_in_suite_order_whatever_order_it_lists(self) -> None:
        log, _ = self.run_groups(self.useFixture(FakeModules()), [["m1.A.t2", "m1.A.t1"]])
        self.assertLess(log.index("run A.t1"), log.index("run A.t2"))

    def test_an_unknown_id_is_reported_failed_with_a_reason_and_the_rest_runs(self) -> None:
        fake = self.useFixture(FakeModules())
        stream = io.BytesIO()
        runner = GroupRunner(Suite.of(fake.suite()), stream)
        runner.start()
        runner.run_group([fake.test_id("m1.A.t1"), "gone.Class.test_x"])
        runner.run_group([fake.test_id("m1.A.t1")])
        runner.finish()
        events = read_events(stream.getvalue())
        self.assertEqual({fake.test_id("m1.A.t1"): ["success", "fail"], "gone.Class.test_x": ["fail"]},
                         events.finals())
        self.assertIn("has no test with this id", events.attachment("gone.Class.test_x", "reason"))
        self.assertIn("already ran it", events.attachment(fake.test_id("m1.A.t1"), "reason"))

    def test_tests_of_a_class_whose_setupclass_failed_are_reported_not_dropped(self) -> None:
        class Broken(unittest.TestCase):
            @classmethod
            def setUpClass(cls) -> None:
                raise RuntimeError("boom")

            def test_a(self) -> None:
                pass

        stream = io.BytesIO()
        runner = GroupRunner(Suite.of(unittest.TestLoader().loadTestsFromTestCase(Broken)), stream)
        runner.start()
        runner.run_group([Broken("test_a").id()])
        runner.finish()
        events = read_events(stream.getvalue())
        setup_error = next(t for t in events.finals() if t.startswith("setUpClass ("))
        self.assertEqual(["fail"], events.finals()[setup_error])
        self.assertEqual(["fail"], events.finals()[Broken("test_a").id()])
        self.assertIn("setUpClass of", events.attachment(Broken("test_a").id(), "reason"))

    def test_failfast_stops_inside_a_group_and_reports_what_it_skipped(self) -> None:
        class Two(unittest.TestCase):
            def test_a(self) -> None:
                self.fail("first")

            def test_b(self) -> None:
                pass

        stream = io.BytesIO()
        runner = GroupRunner(Suite.of(unittest.TestLoader().loadTestsFromTestCase(Two)), stream, failfast=True)
        runner.start()
        runner.run_group([Two("test_a").id(), Two("test_b").id()])
        self.assertTrue(runner.should_stop)
        runner.finish()
        events = read_events(stream.getvalue())
        self.assertIn("--failfast", events.attachment(Two("test_b").id(), "reason"))


def _cases(suite: unittest.TestSuite) -> list[unittest.TestCase]:
    from testtools.testsuite import iterate_tests

    return list(iterate_tests(suite))


SAMPLE = '''
import unittest
import testtools
from testtools.content import text_content


class Details(testtools.TestCase):
    def test_detail(self):
        self.addDetail("log", text_content("hello"))

    def test_fail(self):
        self.fail("planted")

    def test_skip(self):
        self.skipTest("because")

    def test_xfail(self):
        self.expectFailure("known", self.assertEqual, 1, 2)

    def test_prints(self):
        print("stray output")


class Tagged(testtools.TestCase):
    def run(self, result=None):
        result.tags({"tagged"}, set())
        try:
            return super().run(result)
        finally:
            result.tags(set(), {"tagged"})

    def test_t(self):
        pass


class Plain(unittest.TestCase):
    def test_ok(self):
        pass
'''

BROKEN = '''
import unittest
import no_such_module_anywhere


class T(unittest.TestCase):
    def test_a(self):
        pass
'''


class TestFinishedTestsAreLetGo(testtools.TestCase):
    def test_a_groups_finished_tests_are_freed_as_the_runner_frees_them(self) -> None:
        # unittest's suite drops each test once it ran; a group that held them all kept every finished test (its
        # fixtures, its details) on the heap until the group ended, and a static share is one group of thousands
        seen: list[weakref.ref[unittest.TestCase]] = []
        alive: list[int] = []

        class Heavy(unittest.TestCase):
            def test_a(self) -> None:
                seen.append(weakref.ref(self))

            def test_b(self) -> None:
                seen.append(weakref.ref(self))

            def test_c(self) -> None:
                gc.collect()
                alive.append(sum(1 for ref in seen if ref() is not None))

        loaded = unittest.defaultTestLoader.loadTestsFromTestCase(Heavy)
        runner = GroupRunner(Suite.of(loaded), io.BytesIO())
        del loaded
        runner.start()
        runner.run_group([case.id() for case in _cases(unittest.defaultTestLoader.loadTestsFromTestCase(Heavy))])
        runner.finish()
        self.assertEqual([0], alive, "tests that had run were still referenced while the group ran")

    def test_the_worker_process_frees_tests_that_ran_in_earlier_groups(self) -> None:
        # the whole path a lane's worker takes (load as the runner does, index, run groups): the loaded suite's
        # tree held every test for the whole run, so the finished ones were never freed
        root = Path(self.useFixture(fixtures.TempDir()).path)
        write_package(root, {"test_heap": HEAP})
        run = drive_worker(root, ["subunit.run", "discover", "-t", ".", "./pkg"],
                           [("pkg.test_heap.A", ["pkg.test_heap.A.test_1", "pkg.test_heap.A.test_2"]),
                            ("pkg.test_heap.B", ["pkg.test_heap.B.test_alive"])])
        self.assertEqual({"pkg.test_heap.A.test_1": ["success"], "pkg.test_heap.A.test_2": ["success"],
                          "pkg.test_heap.B.test_alive": ["success"]}, run.events.finals(), run.stderr)


    def test_a_last_group_lets_go_of_the_rest_of_the_suite_and_another_keeps_it(self) -> None:
        class Pair(unittest.TestCase):
            def test_a(self) -> None:
                pass

            def test_b(self) -> None:
                pass

        loaded = unittest.defaultTestLoader.loadTestsFromTestCase(Pair)
        first, second = (case.id() for case in _cases(loaded))
        runner = GroupRunner(Suite.of(loaded), io.BytesIO())
        runner.start()
        runner.run_group([first])
        self.assertEqual({second}, set(runner.suite.cases))
        runner.run_group([first], last=True)  # ran already: reported, and the rest let go
        self.assertEqual({}, runner.suite.cases)
        runner.finish()

    def test_the_control_channel_says_which_group_is_the_last(self) -> None:
        lines = [b'{"group": "a", "tests": ["x"]}\n', b'{"group": "b", "tests": ["y"], "last": true}\n']
        seen = [(key, last) for key, _, last in Control.groups(lines)]
        self.assertEqual([("a", False), ("b", True)], seen)


class TestWritesAhead(testtools.TestCase):
    """The worker runs its tests while the tool is still reading the ``exists`` records before them."""

    def test_a_large_share_starts_its_first_test_before_its_reader_reads(self) -> None:
        root = Path(self.useFixture(fixtures.TempDir()).path)
        marker = root / "started"
        # a class whose 6,000 tests' exists records (about 240 KB) do not fit the 64 KiB a pipe is given
        write_package(root, {"test_a": f"""\
            import unittest


            class First(unittest.TestCase):
                def test_marks(self):
                    open({str(marker)!r}, "w").close()
            """, "test_b": """\
            import unittest


            class Many(unittest.TestCase):
                pass


            for i in range(6000):
                setattr(Many, f"test_{i:04d}", lambda self: None)
            """})
        ids = ["pkg.test_a.First.test_marks", *(f"pkg.test_b.Many.test_{i:04d}" for i in range(6000))]
        ours, theirs = socket.socketpair()
        self.addCleanup(ours.close)
        proc = subprocess.Popen(
            [sys.executable, "-m", "partitioner.dispatch.worker", "--control-fd", str(theirs.fileno()),
             "subunit.run", "discover", "-t", ".", "./pkg"], cwd=root, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, pass_fds=(theirs.fileno(),))
        self.addCleanup(proc.kill)
        theirs.close()
        ours.sendall(json.dumps({"group": "all", "tests": ids, "last": True}).encode() + b"\n")
        ours.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)  # nobody reads the worker's stdout yet
        self.assertTrue(marker.exists(), "the first test waited for the tool to read the exists records")
        out, _ = proc.communicate(timeout=60)
        finals = read_events(out).finals()
        self.assertEqual(6001, len(finals))
        self.assertEqual({"success"}, {status for statuses in finals.values() for status in statuses})


    def test_the_room_follows_the_group(self) -> None:
        # a class's few records need no more than the 64 KiB a pipe has; a share's thousands get room for all
        if not hasattr(fcntl, "F_GETPIPE_SZ"):
            self.skipTest("pipes of a fixed size here")
        if int(Path("/proc/sys/fs/pipe-max-size").read_text()) < PIPE_MAX_BYTES:
            self.skipTest("this host's fs.pipe-max-size is below what a worker asks for")
        read_end, write_end = os.pipe()
        self.addCleanup(os.close, read_end)
        stream = os.fdopen(write_end, "wb", 0)
        self.addCleanup(stream.close)
        default = fcntl.fcntl(write_end, fcntl.F_GETPIPE_SZ)
        make_room(stream, 40 * 80)
        self.assertEqual(default, fcntl.fcntl(write_end, fcntl.F_GETPIPE_SZ))
        make_room(stream, 3000 * 80)
        self.assertEqual(256 * 1024, fcntl.fcntl(write_end, fcntl.F_GETPIPE_SZ))
        make_room(stream, 100_000 * 80)  # never past the most a worker asks for
        self.assertEqual(PIPE_MAX_BYTES, fcntl.fcntl(write_end, fcntl.F_GETPIPE_SZ))


#: two tests that leave a weak reference to themselves, and a later one that fails while either is still alive
HEAP = """\
    import gc
    import unittest
    import weakref

    SEEN = []


    class A(unittest.TestCase):
        def test_1(self):
            SEEN.append(weakref.ref(self))

        def test_2(self):
            SEEN.append(weakref.ref(self))


    class B(unittest.TestCase):
        def test_alive(self):
            gc.collect()
            self.assertEqual(2, len(SEEN))
            self.assertEqual([], [ref() for ref in SEEN if ref() is not None])
"""


class TestAgainstTheInnerRunners(testtools.TestCase):
    """The worker process, fed one group, writes what the inner runner writes for that --load-list."""

    def setUp(self) -> None:
        super().setUp()
        self.root = Path(self.useFixture(fixtures.TempDir()).path)
        write_package(self.root, {"test_sample": SAMPLE})
        self.ids = [f"pkg.test_sample.{t}" for t in (
            "Details.test_detail", "Details.test_fail", "Details.test_skip", "Details.test_xfail",
            "Details.test_prints", "Tagged.test_t", "Plain.test_ok")]

    def check_same_as(self, runner: str) -> None:
        args = [runner, "discover", "-t", ".", "./pkg"]
        inner = run_inner(self.root, args, self.ids)
        worker = drive_worker(self.root, args, [("all", list(reversed(self.ids)))])
        self.assertEqual(0, worker.returncode, worker.stderr)
        # stray bytes on stdout (a print()) become "stdout" attachments; where they land between packets
        # depends on when the runner flushes sys.stdout, so compare them apart from the test events
        def split(events: list[Event]) -> tuple[list[Event], bytes]:
            return ([e for e in events if e.file_name != "stdout"],
                    b"".join(bytes(e.file_bytes) for e in events if e.file_name == "stdout"))

        self.assertEqual(split(inner.events), split(worker.events.events))
        self.assertIn("tagged", {tag for e in worker.events.events for tag in e.tags})
        self.assertEqual("hello", worker.events.attachment("pkg.test_sample.Details.test_detail", "log"))

    def test_same_events_as_subunit_run(self) -> None:
        self.check_same_as("subunit.run")

    def test_same_events_as_stestr_runner(self) -> None:
        self.check_same_as("stestr.subunit_runner.run")

    def test_groups_share_one_stream_and_each_is_acknowledged(self) -> None:
        run = drive_worker(self.root, ["subunit.run", "discover", "-t", ".", "./pkg"],
                           [("pkg.test_sample.Plain", ["pkg.test_sample.Plain.test_ok"]),
                            ("pkg.test_sample.Tagged", ["pkg.test_sample.Tagged.test_t"])])
        self.assertEqual({"ready": 7, "import_errors": []}, run.replies[0])
        self.assertEqual([{"done": "pkg.test_sample.Plain"}, {"done": "pkg.test_sample.Tagged"}], run.replies[1:])
        self.assertEqual({"pkg.test_sample.Plain.test_ok": ["success"], "pkg.test_sample.Tagged.test_t": ["success"]},
                         run.events.finals())

    def test_a_module_that_fails_to_import_is_reported_as_the_runner_would(self) -> None:
        write_package(self.root, {"test_sample": SAMPLE, "test_broken": BROKEN})
        args = ["subunit.run", "discover", "-t", ".", "./pkg"]
        failed = f"{FAILED_IMPORT}pkg.test_broken"
        run = drive_worker(self.root, args, [("pkg.test_broken.T", ["pkg.test_broken.T.test_a"]),
                                             ("import", [failed])])
        self.assertEqual(["pkg.test_broken"], run.replies[0]["import_errors"])
        reason = run.events.attachment("pkg.test_broken.T.test_a", "reason")
        self.assertIn("its module pkg.test_broken failed to import", reason)
        self.assertIn("no_such_module_anywhere", reason)
        # the runner's own pseudo-test for the module, when asked for, runs exactly as subunit.run runs it
        inner = run_inner(self.root, args)  # no --load-list: subunit.run runs the _FailedTest
        self.assertEqual([e for e in inner.events if e.test_id == failed],
                         [e for e in run.events.events if e.test_id == failed])
        self.assertEqual(["fail"], run.events.finals()[failed])

    def test_a_bad_control_line_ends_the_worker_with_one_line(self) -> None:
        import json
        import socket
        import subprocess

        ours, theirs = socket.socketpair()
        proc = subprocess.Popen([sys.executable, "-m", "partitioner.dispatch.worker", "--control-fd",
                                 str(theirs.fileno()), "subunit.run", "discover", "-t", ".", "./pkg"],
                                cwd=self.root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                pass_fds=(theirs.fileno(),))
        theirs.close()
        ours.sendall(b'{"group": "x"}\n')
        ours.shutdown(socket.SHUT_WR)
        _, err = proc.communicate(timeout=60)
        ours.close()
        self.assertEqual(1, proc.returncode)
        self.assertIn("control message 1 is not a group", err.decode())
        self.assertNotIn("Traceback", err.decode())
        self.assertTrue(json.dumps({"group": "x"}))

    def test_a_suite_that_cannot_load_says_so_on_the_control_channel(self) -> None:
        run = drive_worker(self.root, ["subunit.run", "discover", "-t", ".", "./nowhere"], [])
        self.assertEqual(2, run.returncode)
        self.assertIn("error", run.replies[0])
        self.assertIn("partitioner.dispatch.worker: error:", run.stderr)
        self.assertNotIn("Traceback", run.stderr)


PROCESS = '''
import json
import sys
import threading
import unittest


class R(unittest.TestCase):
    def test_process(self):
        with open("process.log", "w") as f:
            json.dump({"argv": sys.argv, "threads": threading.active_count(),
                       "names": [t.name for t in threading.enumerate()]}, f)
'''


class TestTheRunnersProcess(testtools.TestCase):
    """What a test sees of its process is what it sees under the runner: ``sys.argv`` (keystoneauth1's user agent
    is its ``argv[0]``'s basename), and no thread of ours in ``threading.enumerate()``."""

    def check_runner(self, runner: str) -> None:
        root = Path(self.useFixture(fixtures.TempDir()).path)
        write_package(root, {"test_r": PROCESS})
        args = [runner, "discover", "-t", ".", "./pkg"]
        test_id = "pkg.test_r.R.test_process"
        self.assertEqual({test_id: ["success"]}, run_inner(root, args, [test_id]).finals())
        plain = json.loads((root / "process.log").read_text())
        worker = drive_worker(root, args, [("all", [test_id])])
        self.assertEqual({test_id: ["success"]}, worker.events.finals(), worker.stderr)
        ours = json.loads((root / "process.log").read_text())
        self.assertEqual("--load-list", plain["argv"][-2])
        self.assertEqual(plain["argv"][:-2], ours["argv"], "the runner's, without the --load-list it has not")
        self.assertEqual((plain["threads"], plain["names"]), (ours["threads"], ours["names"]))

    def test_as_under_subunit_run(self) -> None:
        self.check_runner("subunit.run")

    def test_as_under_stestr_s_runner(self) -> None:
        self.check_runner("stestr.subunit_runner.run")

    def test_argv_zero_is_the_runner_module_s_file(self) -> None:
        import subunit.run

        self.assertEqual([subunit.run.__file__, "discover", "-t", "."],
                         runner_argv("subunit.run", ["discover", "-t", "."]))
        self.assertEqual(["no.such.runner"], runner_argv("no.such.runner", []))


class TestUsage(testtools.TestCase):
    def test_selection_options_are_refused(self) -> None:
        for argv in (["subunit.run", "discover", "--load-list", "x"], ["subunit.run", "--list"], ["pytest"], [],
                     ["--control-fd", "x", "subunit.run"], ["--serve", "path", "subunit.run"]):
            stderr = self.useFixture(fixtures.StringStream("stderr")).stream
            self.useFixture(fixtures.MonkeyPatch("sys.stderr", stderr))
            error = self.assertRaises(SystemExit, parse_args, argv)
            self.assertEqual(2, error.code)

    def test_control_fd_and_runner(self) -> None:
        self.assertEqual((7, "subunit.run", ["discover"], None),
                         parse_args(["--control-fd", "7", "subunit.run", "discover"]))

    def test_serve_takes_a_listening_socket(self) -> None:
        self.assertEqual((0, "subunit.run", ["discover"], 5), parse_args(["--serve", "5", "subunit.run", "discover"]))


PATCHING = '''
import os
import time
import unittest
from unittest import mock


class P(unittest.TestCase):
    def test_patches_sleep_and_getppid(self):
        real_sleep = time.sleep
        with mock.patch("time.sleep") as sleep, mock.patch("os.getppid", return_value=1):
            real_sleep(0.6)  # the parent watch polls every 0.2 s meanwhile
        self.assertEqual(0, sleep.call_count)
'''


class TestParentWatch(testtools.TestCase):
    def test_tests_that_patch_time_and_os_neither_see_nor_break_the_parent_watch(self) -> None:
        root = Path(self.useFixture(fixtures.TempDir()).path)
        write_package(root, {"test_p": PATCHING})
        run = drive_worker(root, ["subunit.run", "discover", "-t", ".", "./pkg"],
                           [("pkg.test_p.P", ["pkg.test_p.P.test_patches_sleep_and_getppid"])])
        self.assertEqual(0, run.returncode, run.stderr)
        self.assertEqual({"pkg.test_p.P.test_patches_sleep_and_getppid": ["success"]}, run.events.finals())
