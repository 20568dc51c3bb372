"""End to end: the runner's dynamic dispatch (``python -m partitioner.run --dispatch dynamic``, no testr) on a
gen_suite.py suite, with real python-subunit workers, crashes and signals. Skips when ../shared is absent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import testtools

from tests.dispatch.helpers import Events, read_events
from tests.e2e.test_runner import inject, kill_group, log_imports, suite_ids
from tests.suites import GEN_SUITE, GeneratedSuite

INNER = [sys.executable, "-m", "subunit.run", "discover", "-t", ".", "./suite"]


def processes(directory: Path, marker: bytes) -> list[int]:
    """Pids of live processes whose command line contains ``marker`` and whose cwd is ``directory``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            cwd = os.readlink(entry / "cwd")
            state = (entry / "stat").read_text().split(") ", 1)[1][:1]
        except OSError:
            continue
        if marker in cmdline and Path(cwd) == directory and state != "Z":
            found.append(int(entry.name))
    return found


def wait_for_file(path: Path, proc: subprocess.Popen[bytes], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text().strip():
        if time.monotonic() > deadline or proc.poll() is not None:
            raise AssertionError(f"{path} never appeared (host exited {proc.poll()})")
        time.sleep(0.02)
    return path.read_text().strip()


class TestDynamicRun(testtools.TestCase):
    def make_suite(self, serial_s: float = 6.0, scale: str = "0.3") -> GeneratedSuite:
        if not GEN_SUITE.exists():
            self.skipTest(f"{GEN_SUITE} is missing")
        suite = self.useFixture(GeneratedSuite(classes=12, serial_s=serial_s))
        self.scale = scale
        return suite

    def start_host(self, suite: GeneratedSuite, lanes: int = 3) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([sys.executable, "-m", "partitioner.run", "--dispatch", "dynamic", "-j", str(lanes),
                                 "--", *INNER], cwd=suite.path, env=suite.env(BENCH_SCALE=self.scale),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        self.addCleanup(kill_group, proc)
        return proc

    def finish(self, suite: GeneratedSuite, proc: subprocess.Popen[bytes],
               timeout: float = 120) -> tuple[Events, str]:
        out, err = proc.communicate(timeout=timeout)
        text = err.decode()
        self.assertNotIn("Traceback", text)
        events = read_events(out)  # parses with python-subunit: the stream is valid
        self.assertEqual([], processes(suite.path, b"partitioner.dispatch"), "a lane or worker outlived the run")
        return events, text

    def assertEachOnce(self, events: Events, ids: set[str]) -> None:
        finals = events.finals()
        self.assertEqual(set(), ids - set(finals), "tests missing from the stream")
        self.assertEqual({}, {t: s for t, s in finals.items() if len(s) != 1})

    def test_every_id_runs_once_with_the_results_of_a_plain_subunit_run(self) -> None:
        suite = self.make_suite()
        planted = inject(suite, 3, "self.fail('planted')")
        proc = self.start_host(suite)
        events, err = self.finish(suite, proc)
        self.assertEqual(1, proc.returncode, err)
        ids = suite_ids(suite)
        self.assertEachOnce(events, ids)
        plain = read_events(subprocess.run(INNER, cwd=suite.path, env=suite.env(BENCH_SCALE=self.scale),
                                           capture_output=True, check=False, timeout=120).stdout)
        dynamic = {t: s[0] for t, s in events.finals().items()}
        self.assertEqual({t: s[0] for t, s in plain.finals().items()}, dynamic)
        self.assertEqual("fail", dynamic[planted])
        tags = {t for e in events.events for t in e.tags if t.startswith("worker-")}
        self.assertEqual({"worker-0", "worker-1", "worker-2"}, tags)

    def test_the_suite_loads_once_and_every_lane_s_worker_is_forked_from_it(self) -> None:
        suite = self.make_suite()
        imports = log_imports(suite)
        # the runner lists the suite (one load), then one preloader forks the 3 lanes' workers: 2 loads in all;
        # with PARTITIONER_PRELOAD=0 each lane's worker loads it: 4
        for preload, loads in (("", 2), ("0", 4)):
            imports.unlink(missing_ok=True)
            proc = subprocess.Popen([sys.executable, "-m", "partitioner.run", "--dispatch", "dynamic", "-j", "3",
                                     "--", *INNER], cwd=suite.path,
                                    env=suite.env(BENCH_SCALE="0.1", PARTITIONER_PRELOAD=preload),
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    start_new_session=True)
            self.addCleanup(kill_group, proc)
            events, err = self.finish(suite, proc)
            self.assertEqual(0, proc.returncode, err)
            self.assertEachOnce(events, suite_ids(suite))
            self.assertEqual({"worker-0", "worker-1", "worker-2"},
                             {t for e in events.events for t in e.tags if t.startswith("worker-")})
            self.assertEqual(loads, len(imports.read_text().split()), f"PARTITIONER_PRELOAD={preload!r}")

    def test_kill_9_of_a_worker_mid_group_fails_its_running_test_and_the_queue_goes_on(self) -> None:
        suite = self.make_suite()
        pidfile = suite.path / "victim.pid"
        victim = inject(suite, 0, f"import os, time; open({str(pidfile)!r}, 'w').write(str(os.getpid())); "
                                  "time.sleep(60)")
        proc = self.start_host(suite)
        os.kill(int(wait_for_file(pidfile, proc)), signal.SIGKILL)
        events, _ = self.finish(suite, proc)
        self.assertEqual(1, proc.returncode)
        ids = suite_ids(suite)
        self.assertEachOnce(events, ids)
        finals = {t: s[0] for t, s in events.finals().items()}
        self.assertEqual("fail", finals.pop(victim))
        self.assertIn("killed by SIGKILL (signal 9) while this test was running", events.attachment(victim, "reason"))
        self.assertEqual({"success"}, {finals[t] for t in ids - {victim}})

    def check_interrupted(self, also_group: bool, signum: int = signal.SIGINT) -> None:
        suite = self.make_suite(serial_s=12.0, scale="1")
        pidfile = suite.path / "hung.pid"
        # a hung test that ignores SIGINT: only the lane's SIGKILL after its grace period ends it
        hung = inject(suite, 0, "import os, signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
                                f"open({str(pidfile)!r}, 'w').write(str(os.getpid())); time.sleep(120)")
        proc = self.start_host(suite, lanes=2)
        wait_for_file(pidfile, proc)
        time.sleep(0.5)
        started = time.monotonic()
        if also_group:  # Ctrl-C in a terminal reaches every process of the foreground group
            os.killpg(proc.pid, signum)
        else:
            os.kill(proc.pid, signum)
        events, err = self.finish(suite, proc, timeout=60)
        self.assertLess(time.monotonic() - started, 15.0, "the interrupted run did not end promptly")
        self.assertEqual(128 + signum, proc.returncode, err)
        name = signal.Signals(signum).name
        ids = suite_ids(suite)
        self.assertEachOnce(events, ids)
        finals = {t: s[0] for t, s in events.finals().items()}
        self.assertEqual("fail", finals[hung])
        self.assertIn("interrupted: lane", events.attachment(hung, "reason"))
        self.assertIn(f"received {name}", events.attachment(hung, "reason"))
        never = [t for t in ids if f"not run: the run was interrupted ({name})" in events.attachment(t, "reason")]
        self.assertNotEqual([], never, "expected tests that never started")
        self.assertEqual({"fail"}, {finals[t] for t in never})
        # every failure says why: our reason, or the KeyboardInterrupt the worker's test was stopped with
        unexplained = [t for t in ids if finals[t] == "fail" and not events.attachment(t, "reason")
                       and "KeyboardInterrupt" not in events.attachment(t, "traceback")]
        self.assertEqual([], unexplained)

    def test_sigint_to_the_host_ends_the_run_promptly_and_reports_everything(self) -> None:
        self.check_interrupted(also_group=False)

    def test_sigint_to_the_foreground_group_as_a_terminal_sends_it(self) -> None:
        self.check_interrupted(also_group=True)

    def test_sigterm_to_the_host(self) -> None:
        self.check_interrupted(also_group=False, signum=signal.SIGTERM)
