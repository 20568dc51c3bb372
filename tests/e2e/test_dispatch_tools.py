"""End to end: the real stestr and testr under ``partitioner exec`` run their workers as lanes of one dispatcher
(dynamic dispatch, the default) and store normal runs: worker-N tags, every test exactly once, ``failing``,
``--failing`` reruns; a killed worker or lane leaves failures with a reason and the queue goes on; SIGINT
leaves a stored run in which every test ran, failed or is marked not run. Skips when ../shared is absent."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import fixtures
import testtools

from partitioner.history import planrecord
from partitioner.history.repository import read_repository
from tests.dispatch.helpers import Events, read_events
from tests.e2e.test_dispatch import processes, wait_for_file
from tests.e2e.test_runner import inject, kill_group, log_imports, suite_ids
from tests.suites import GEN_SUITE, GeneratedSuite, tool

#: a test that SIGKILLs its lane half a second in: the lane process that reads this test process's stdout
#: (its parent when the lane started its worker; not when the preloader forked it, or under mono order)
_KILL_LANE = """
import os, signal, time
time.sleep(0.5)
me = os.readlink('/proc/self/fd/1')
for pid in (p for p in os.listdir('/proc') if p.isdigit()):
    try:
        if b'partitioner.dispatch.lane' in open(f'/proc/{pid}/cmdline', 'rb').read() and \\
                me in [os.readlink(f'/proc/{pid}/fd/{fd}') for fd in os.listdir(f'/proc/{pid}/fd')]:
            os.kill(int(pid), signal.SIGKILL)
    except OSError:
        pass
"""
KILL_LANE = f"exec({_KILL_LANE!r}, {{}})"


class ToolCase(testtools.TestCase):
    TOOL = "stestr"
    RUN: tuple[str, ...] = ("run", "--concurrency", "3")
    REPO = ".stestr"

    def setUp(self) -> None:
        super().setUp()
        if not GEN_SUITE.exists():
            self.skipTest(f"{GEN_SUITE} is missing")
        self.suite = self.useFixture(GeneratedSuite(classes=12, serial_s=6.0))
        self.suite.run(tool(self.TOOL), "init", check=True)
        self.cache = self.useFixture(fixtures.TempDir()).path

    def exec_tool(self, *extra: str, scale: str = "0.3") -> subprocess.CompletedProcess[str]:
        proc = self.suite.run(tool("partitioner"), "exec", "--", tool(self.TOOL), *self.RUN, *extra,
                              BENCH_SCALE=scale, PARTITIONER_CACHE_DIR=self.cache, timeout=180)
        self.assertNotIn("Traceback", proc.stderr)
        return proc

    def last(self) -> Events:
        proc = subprocess.run([tool(self.TOOL), "last", "--subunit"], cwd=self.suite.path, env=self.suite.env(),
                              capture_output=True, check=False, timeout=60)
        return read_events(proc.stdout)

    def failing(self) -> list[str]:
        return self.suite.run(tool(self.TOOL), "failing", "--list").stdout.split()

    def record(self) -> planrecord.PlanRecord | None:
        runs, _, _ = read_repository(self.suite.path / self.REPO)
        with fixtures.EnvironmentVariable("PARTITIONER_CACHE_DIR", self.cache):
            return planrecord.find_record(runs[-1])

    def finals(self, stored: Events) -> dict[str, list[str]]:
        return {t: s for t, s in stored.finals().items() if t != "process-returncode"}

    def assertEachOnce(self, stored: Events) -> dict[str, str]:
        finals = self.finals(stored)
        self.assertEqual(suite_ids(self.suite), set(finals))
        self.assertEqual({}, {t: s for t, s in finals.items() if len(s) != 1}, "a test was stored twice")
        return {t: s[0] for t, s in finals.items()}

    def check_tool(self) -> None:
        planted = inject(self.suite, 2, "self.fail('planted')")
        killed = inject(self.suite, 5, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
        proc = self.exec_tool()
        self.assertNotEqual(0, proc.returncode)
        stored = self.last()
        finals = self.assertEachOnce(stored)
        self.assertLessEqual({"worker-0", "worker-1", "worker-2"}, {t for e in stored.events for t in e.tags})
        self.assertEqual(("fail", "fail"), (finals[planted], finals[killed]))
        self.assertIn("killed by SIGKILL", stored.attachment(killed, "reason"))
        self.assertEqual({"success"}, {s for t, s in finals.items() if t not in (planted, killed)})
        self.assertLessEqual({planted, killed}, set(self.failing()))
        record = self.record()
        assert record is not None, "no plan record beside the stored run"
        self.assertEqual(("dynamic", "tests"), (record.dispatch, record.unit))  # a first run: test counts
        self.assertEqual({"worker-0", "worker-1", "worker-2"}, {lane.worker for lane in record.workers
                                                                if lane.groups})
        # a --failing rerun goes through the dispatcher too, and reruns exactly those
        rerun = self.exec_tool("--failing")
        self.assertNotEqual(0, rerun.returncode)
        self.assertEqual({planted, killed}, set(self.last().finals()) - {"process-returncode"})

    def check_killed_lane(self) -> None:
        # the test kills its lane (its worker's parent) with SIGKILL once the lane has passed its start on: the
        # running test fails with the reason, the group's other tests run on another lane, none is stored twice
        victim = inject(self.suite, 4, KILL_LANE)
        proc = self.exec_tool()
        self.assertNotEqual(0, proc.returncode)
        stored = self.last()
        finals = self.assertEachOnce(stored)
        self.assertEqual("fail", finals[victim])
        self.assertIn("was killed by SIGKILL (signal 9) while this test was running",
                      stored.attachment(victim, "reason"))
        self.assertEqual({"success"}, {s for t, s in finals.items() if t != victim})
        self.assertEqual([], processes(self.suite.path, b"partitioner.dispatch"))

    def check_loads_once(self) -> None:
        # the tool's listing loads the suite, then one preloader forks the 3 lanes' workers: 2 loads, not 4
        imports = log_imports(self.suite)
        for preload, loads in (("", 2), ("0", 4)):
            imports.unlink(missing_ok=True)
            proc = self.suite.run(tool("partitioner"), "exec", "--", tool(self.TOOL), *self.RUN, BENCH_SCALE="0.1",
                                  PARTITIONER_CACHE_DIR=self.cache, PARTITIONER_PRELOAD=preload, timeout=180)
            self.assertEqual(0, proc.returncode, proc.stderr)
            self.assertIn("dynamic dispatch", proc.stderr)
            self.assertEqual({"success"}, set(self.assertEachOnce(self.last()).values()))
            self.assertEqual(loads, len(imports.read_text().split()), f"PARTITIONER_PRELOAD={preload!r}")
            self.assertEqual([], processes(self.suite.path, b"partitioner.dispatch"))

    def check_interrupted(self) -> None:
        pidfile = self.suite.path / "hung.pid"
        hung = inject(self.suite, 0, f"import os, time; open({str(pidfile)!r}, 'w').write(str(os.getpid())); "
                                     "time.sleep(120)")
        reset = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                 "os.execvp(sys.argv[1], sys.argv[1:])")
        proc = subprocess.Popen([sys.executable, "-c", reset, tool("partitioner"), "exec", "--", tool(self.TOOL),
                                 *self.RUN], cwd=self.suite.path,
                                env=self.suite.env(BENCH_SCALE="1", PARTITIONER_CACHE_DIR=self.cache),
                                start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        self.addCleanup(kill_group, proc)
        wait_for_file(pidfile, proc)
        time.sleep(0.5)
        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the tool, exec and the lanes get it
        _, err = proc.communicate(timeout=90)
        self.assertLess(time.monotonic() - started, 30, "the interrupted run did not end promptly")
        self.assertEqual(130, proc.returncode, err.decode())
        self.assertNotIn(b"Traceback", err)
        stored = self.last()
        finals = self.assertEachOnce(stored)  # the tool stored the run, with every test in it
        self.assertEqual("fail", finals[hung])
        never = [t for t, s in finals.items() if "not run: the run was interrupted (SIGINT)"
                 in stored.attachment(t, "reason")]
        self.assertNotEqual([], never, "expected tests that never started, marked as such")
        self.assertEqual([], processes(self.suite.path, b"partitioner.dispatch"))


class TestStestr(ToolCase):
    def test_ctrl_c_while_stestr_lists_its_tests_prints_no_traceback(self) -> None:
        # a Ctrl-C while stestr's listing subprocess starts: its interpreter took the KeyboardInterrupt in `site`
        # (a new user's trial, and plain stestr alike: "Fatal Python error: init_import_site" and a traceback).
        # A sitecustomize holds the listing there; its shell holds SIGINT off, and exec ends it instead
        site = Path(self.useFixture(fixtures.TempDir()).path)
        marker = site / "listing.pid"
        (site / "sitecustomize.py").write_text(
            "import os, sys, time\n"
            "if '--list' in sys.argv:\n"
            f"    open({str(marker)!r}, 'w').write(str(os.getpid()))\n"
            "    time.sleep(60)\n")
        reset = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                 "os.execvp(sys.argv[1], sys.argv[1:])")
        env = self.suite.env(BENCH_SCALE="0.1", PARTITIONER_CACHE_DIR=self.cache)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(site), env.get("PYTHONPATH", "")) if p)
        proc = subprocess.Popen([sys.executable, "-c", reset, tool("partitioner"), "exec", "--", tool(self.TOOL),
                                 *self.RUN], cwd=self.suite.path, env=env, start_new_session=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(kill_group, proc)
        listing = int(wait_for_file(marker, proc))
        os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the tool, exec and the listing get it
        _, err = proc.communicate(timeout=60)
        self.assertEqual(130, proc.returncode, err.decode())
        self.assertNotIn(b"Traceback", err)
        self.assertNotIn(b"Fatal Python error", err)
        self.assertIn(b"partitioner: interrupted", err)
        self.assertRaises(ProcessLookupError, os.kill, listing, 0)  # ended, not left to sleep on

    def test_stestr_runs_lanes_and_stores_a_normal_run(self) -> None:
        self.check_tool()

    def test_the_lanes_workers_are_forked_from_one_load_of_the_suite(self) -> None:
        self.check_loads_once()

    def test_a_lane_killed_with_sigkill_loses_no_test_and_stores_none_twice(self) -> None:
        self.check_killed_lane()

    def test_lookahead_order_runs_every_test_once_each_worker_in_suite_order(self) -> None:
        for _ in range(2):  # the second run is priced from the first: lanes may skip ahead to long classes
            proc = self.suite.run(tool("partitioner"), "exec", "--dispatch-order", "lookahead", "--",
                                  tool(self.TOOL), *self.RUN, BENCH_SCALE="0.3", PARTITIONER_CACHE_DIR=self.cache,
                                  timeout=180)
            self.assertEqual(0, proc.returncode, proc.stderr)
            self.assertIn("dynamic dispatch (lookahead order)", proc.stderr)
            stored = self.last()
            self.assertEqual({"success"}, set(self.assertEachOnce(stored).values()))
            ran: dict[str, list[str]] = {}
            for event in stored.events:
                if event.test_id is not None and event.status == "success":
                    worker = next(t for t in event.tags if t.startswith("worker-"))
                    ran.setdefault(worker, []).append(event.test_id)
            self.assertEqual(3, len(ran))
            for worker, ids in ran.items():  # each worker's one process ran its tests in suite order
                self.assertEqual(sorted(ids), ids, worker)

    def test_sigint_stores_a_run_with_every_test(self) -> None:
        self.check_interrupted()

    def test_the_progress_line_on_a_terminal_unless_stestr_prints_to_it(self) -> None:
        from partitioner.timeline.progress import ERASE
        from tests.timeline.test_progress import Terminal

        def run(stdout_tty: bool) -> str:
            terminal = self.useFixture(Terminal())
            subprocess.run([tool("partitioner"), "exec", "--", tool(self.TOOL), *self.RUN], cwd=self.suite.path,
                           env=self.suite.env(BENCH_SCALE="0.3", PARTITIONER_CACHE_DIR=self.cache),
                           stdin=subprocess.DEVNULL, stderr=terminal.slave,
                           stdout=terminal.slave if stdout_tty else subprocess.DEVNULL, check=False, timeout=180)
            return terminal.read()

        screen = run(stdout_tty=False)  # stestr's own lines go to a file or a pipe: the line is ours to draw
        self.assertIn(f"{ERASE}partitioner: ", screen)
        self.assertIn("queue", screen)
        self.assertTrue(screen.endswith(ERASE), screen[-200:])
        self.assertNotIn(ERASE, run(stdout_tty=True))  # stestr prints a line per test there: no line of ours

    def test_static_a_killed_workers_tests_do_not_vanish(self) -> None:
        killed = inject(self.suite, 3, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
        proc = self.suite.run(tool("partitioner"), "exec", "--dispatch", "static", "--", tool(self.TOOL),
                              *self.RUN, BENCH_SCALE="0.3", PARTITIONER_CACHE_DIR=self.cache, timeout=180)
        self.assertNotEqual(0, proc.returncode)
        # through the tool's whole result: its own failure count has them, and the line says so
        self.assertRegex(proc.stderr, r"\d+ tests? never reported a result: recorded as (a failure|failures) in "
                                      r"the stored run \(the tool's failure count includes (it|them)\)\n")
        stored = self.last()
        finals = self.assertEachOnce(stored)
        self.assertEqual("fail", finals[killed])
        self.assertIn("was killed by SIGKILL (signal 9), and this test never reported a result",
                      stored.attachment(killed, "reason"))
        record = self.record()
        assert record is not None
        self.assertEqual("static", record.dispatch)


class TestTestr(ToolCase):
    TOOL = "testr"
    RUN = ("run", "--parallel", "--concurrency", "3")
    REPO = ".testrepository"

    def test_testr_runs_lanes_and_stores_a_normal_run(self) -> None:
        self.check_tool()

    def test_the_lanes_workers_are_forked_from_one_load_of_the_suite(self) -> None:
        self.check_loads_once()

    def test_a_lane_killed_with_sigkill_loses_no_test_and_stores_none_twice(self) -> None:
        self.check_killed_lane()

    def test_sigint_stores_a_run_with_every_test(self) -> None:
        self.check_interrupted()


class TestExecPrograms(testtools.TestCase):
    """Issue 10 item 2: programs that are not console scripts run, or fail in one line; never a traceback."""

    def run_exec(self, *argv: str) -> subprocess.CompletedProcess[str]:
        tmp = Path(self.useFixture(fixtures.TempDir()).path)
        (tmp / "wrapper").write_text("#!/bin/sh\necho wrapped \"$@\"\nexit 3\n")
        (tmp / "wrapper").chmod(0o755)
        (tmp / "pyscript").write_text(f"#!{sys.executable}\nimport sys\nprint('py', sys.argv[1:])\n")
        (tmp / "pyscript").chmod(0o755)
        env = {**os.environ, "PATH": f"{tmp}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
                                     f"{os.environ.get('PATH', '')}"}
        return subprocess.run([tool("partitioner"), "exec", "--", *argv], capture_output=True, text=True,
                              env=env, cwd=tmp, check=False, timeout=60)

    def test_a_binary_runs_as_a_subprocess(self) -> None:
        proc = self.run_exec("ls", "/")
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertIn("usr", proc.stdout.split())
        self.assertIn("runs as a subprocess", proc.stderr)
        self.assertNotIn("Traceback", proc.stderr)

    def test_python_c_and_python_m(self) -> None:
        proc = self.run_exec("python", "-c", "import sys; sys.exit(4)")
        self.assertEqual(4, proc.returncode, proc.stderr)
        self.assertNotIn("Traceback", proc.stderr)
        proc = self.run_exec("python", "-m", "json.tool", "--help")
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertIn("usage", proc.stdout)

    def test_a_shell_script_and_a_python_script_on_path(self) -> None:
        proc = self.run_exec("wrapper", "a", "b")
        self.assertEqual((3, "wrapped a b\n"), (proc.returncode, proc.stdout))
        self.assertNotIn("Traceback", proc.stderr)
        proc = self.run_exec("pyscript", "x")
        self.assertEqual((0, "py ['x']\n"), (proc.returncode, proc.stdout), proc.stderr)


SMALL_TESTS = '''
import unittest


class A(unittest.TestCase):
''' + "".join(f"    def test_{n}(self):\n        pass\n\n" for n in range(12)) + '''

class B(unittest.TestCase):
''' + "".join(f"    def test_{n}(self):\n        pass\n\n" for n in range(12))


class TestSmallPerTestSuites(testtools.TestCase):
    """A suite split per test (no group_regex) whose history prices its tests small runs the static plan when
    nobody chose the dispatch mode, and says so once; a chosen mode wins."""

    def setUp(self) -> None:
        super().setUp()
        from tests.dispatch.helpers import write_package
        from tests.suites import tool_env

        self.root = Path(self.useFixture(fixtures.TempDir()).path)
        write_package(self.root, {"test_small": SMALL_TESTS})
        (self.root / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./pkg\ntop_dir=./\n")
        self.env = tool_env(PARTITIONER_CACHE_DIR=self.useFixture(fixtures.TempDir()).path)
        subprocess.run([tool("stestr"), "init"], cwd=self.root, env=self.env, check=True, capture_output=True)

    def exec_stestr(self, *flags: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([tool("partitioner"), "exec", *flags, "--", tool("stestr"), "run", "--concurrency",
                               "2"], cwd=self.root, env=self.env, capture_output=True, text=True, check=False,
                              timeout=180, stdin=subprocess.DEVNULL)
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertNotIn("Traceback", proc.stderr)
        return proc

    def stored_once(self, count: int = 24) -> None:
        proc = subprocess.run([tool("stestr"), "last", "--subunit"], cwd=self.root, env=self.env,
                              capture_output=True, check=False, timeout=60)
        finals = {t: s for t, s in read_events(proc.stdout).finals().items() if t != "process-returncode"}
        self.assertEqual(count, len(finals))
        self.assertEqual({("success",)}, {tuple(s) for s in finals.values()})

    def test_small_tests_with_history_keep_the_static_plan_unless_dynamic_is_asked_for(self) -> None:
        first = self.exec_stestr()  # no history: nothing to judge from, dynamic dispatch as usual
        self.assertIn("dynamic dispatch", first.stderr)
        self.assertNotIn("dynamic dispatch is off", first.stderr)
        second = self.exec_stestr()
        notes = [line for line in second.stderr.splitlines() if "dynamic dispatch is off" in line]
        self.assertEqual(1, len(notes), second.stderr)
        self.assertIn("24 tests one at a time", notes[0])
        self.assertIn("--dispatch dynamic", notes[0])
        self.assertRegex(second.stderr, r"24 listed test ids on 2 workers, static plan")
        self.assertNotIn("does not apply", notes[0])  # the default order: nothing to say of it
        self.stored_once()
        ordered = self.exec_stestr("--dispatch-order", "cost")  # an order the user chose is not silently dropped
        notes = [line for line in ordered.stderr.splitlines() if "dynamic dispatch is off" in line]
        self.assertEqual(1, len(notes), ordered.stderr)
        self.assertIn("the dispatch order cost (--dispatch-order) does not apply", notes[0])
        self.stored_once()
        forced = self.exec_stestr("--dispatch", "dynamic")
        self.assertNotIn("dynamic dispatch is off", forced.stderr)
        self.assertRegex(forced.stderr, r"24 listed test ids on 2 workers, dynamic dispatch")
        self.stored_once()
        (self.root / "setup.cfg").write_text("[partitioner]\ndispatch = dynamic\n")
        optioned = self.exec_stestr()
        self.assertNotIn("dynamic dispatch is off", optioned.stderr)
        self.assertRegex(optioned.stderr, r"24 listed test ids on 2 workers, dynamic dispatch")

    def test_the_static_plans_workers_are_forked_from_the_preloaded_suite(self) -> None:
        # the static plan kept for small tests: each worker forked from the suite loaded beside the listing
        # (partitioner.dispatch.direct), with the same results; `--dispatch static` keeps the tool's own workers
        (self.root / "pkg" / "test_where.py").write_text(WHERE_TESTS)
        (self.root / ".testr.conf").write_text(
            "[DEFAULT]\ntest_command=${PYTHON:-python} -m subunit.run discover -t ./ ./pkg $LISTOPT $IDOPTION\n"
            "test_id_option=--load-list $IDFILE\ntest_list_option=--list\n")
        subprocess.run([tool("testr"), "init"], cwd=self.root, env=self.env, check=True, capture_output=True)
        for name, argv in (("stestr", [tool("stestr"), "run", "--concurrency", "2"]),
                           ("testr", [tool("testr"), "run", "--parallel", "--concurrency", "2"])):
            for round_ in range(3):  # a first run (dynamic, 24 + 12 tests), then two static runs
                for log in ("imports.log", "ran.log"):
                    (self.root / log).unlink(missing_ok=True)
                flags = ["--dispatch", "static"] if round_ == 2 else []
                proc = subprocess.run([tool("partitioner"), "exec", *flags, "--", *argv], cwd=self.root,
                                      env=self.env, capture_output=True, text=True, check=False, timeout=180,
                                      stdin=subprocess.DEVNULL)
                self.assertEqual(0, proc.returncode, proc.stderr)
                self.assertNotIn("Traceback", proc.stderr)
                ran = [line.split(" ", 1) for line in (self.root / "ran.log").read_text().splitlines()]
                self.assertEqual(12, len(ran), (name, round_))
                parents = {parent for _, parent in ran}
                if round_ == 1:
                    self.assertIn("static plan", proc.stderr, name)
                    self.assertEqual({"preloader"}, parents, (name, proc.stderr))
                    imports = (self.root / "imports.log").read_text().split()
                    self.assertEqual(2, len(imports), f"{name}: the listing's load and the preloader's: {imports}")
                    # one forked process per worker the plan gave these tests to (the static plan balances all 36
                    # tests by their measured times: on a loaded machine it may give all 12 to one worker)
                    stored = subprocess.run([argv[0], "last", "--subunit"], cwd=self.root, env=self.env,
                                            capture_output=True, check=False, timeout=60).stdout
                    workers = {tag for e in read_events(stored).events if e.test_id and ".test_where.W." in e.test_id
                               for tag in e.tags if tag.startswith("worker-")}
                    self.assertEqual(len(workers), len({pid for pid, _ in ran}), (name, workers))
                elif round_ == 2:
                    self.assertEqual({"other"}, parents, name)
                    self.assertEqual(3, len((self.root / "imports.log").read_text().split()), name)

    def test_the_tests_see_the_runner_s_sys_argv(self) -> None:
        # keystoneauth1's user agent is basename(sys.argv[0]): 'run.py' under stestr, and so it must be whether
        # the test runs in a lane's worker, in one forked from the preloader, or in a static share's
        (self.root / "pkg" / "test_argv.py").write_text(ARGV_TESTS)
        plain = subprocess.run([tool("stestr"), "run", "--concurrency", "2"], cwd=self.root, env=self.env,
                               capture_output=True, text=True, check=False, timeout=180, stdin=subprocess.DEVNULL)
        self.assertEqual(0, plain.returncode, plain.stderr)
        expected = {_without_load_list(json.loads(line)) for line in (self.root / "argv.log").read_text().split("\n")
                    if line}
        self.assertEqual(1, len(expected), expected)
        self.env["EXPECT_ARGV0"] = os.path.basename(next(iter(expected))[0])
        for flags, preload in (([], ""), (["--dispatch", "dynamic"], ""), (["--dispatch", "dynamic"], "0")):
            (self.root / "argv.log").unlink()
            self.env["PARTITIONER_PRELOAD"] = preload
            proc = self.exec_stestr(*flags)
            self.assertIn("static plan" if not flags else "dynamic dispatch", proc.stderr)
            self.stored_once(26)
            seen = {_without_load_list(json.loads(line)) for line in (self.root / "argv.log").read_text().split("\n")
                    if line}
            self.assertEqual(expected, seen, (flags, preload))


def _without_load_list(argv: list[str]) -> tuple[str, ...]:
    if "--load-list" in argv:
        at = argv.index("--load-list")
        argv = argv[:at] + argv[at + 2:]
    return tuple(argv)


ARGV_TESTS = '''
import json
import os
import sys
import unittest


class V(unittest.TestCase):
    def test_argv(self):
        with open("argv.log", "a") as f:
            f.write(json.dumps(sys.argv) + "\\n")
        self.assertEqual(os.environ.get("EXPECT_ARGV0", os.path.basename(sys.argv[0])), os.path.basename(sys.argv[0]))

    def test_other(self):
        with open("argv.log", "a") as f:
            f.write(json.dumps(sys.argv) + "\\n")
'''


WHERE_TESTS = '''
import os
import unittest

with open("imports.log", "a") as f:
    f.write("%d\\n" % os.getpid())


def _parent():
    with open("/proc/%d/cmdline" % os.getppid(), "rb") as f:
        return "preloader" if b"--serve" in f.read() else "other"


class W(unittest.TestCase):
''' + "".join(f"    def test_{n}(self):\n        with open('ran.log', 'a') as f:\n"
              f"            f.write('%d %s\\n' % (os.getpid(), _parent()))\n\n" for n in range(12))
