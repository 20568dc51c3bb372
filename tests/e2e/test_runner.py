"""End-to-end tests of partitioner.run under the real ``testr``: a generated suite's .testr.conf goes
through ``python -m partitioner.run --concurrency 2``; testr stores what the runner merges.
"""

from __future__ import annotations

import io
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import subunit
import testscenarios
import testtools

from tests.suites import GEN_SUITE, GeneratedSuite, subunit_v2, tool

TESTR_CONF = """[DEFAULT]
test_command={command}
test_id_option=--load-list $IDFILE
test_list_option=--list
group_regex=([^\\.]*\\.)*
"""


def use_runner(suite: GeneratedSuite, concurrency: int = 2, dispatch: str | None = None) -> None:
    """Point the suite's .testr.conf test_command at partitioner.run (dynamic dispatch unless told)."""
    python = shlex.quote(sys.executable)
    mode = f"--dispatch {dispatch} " if dispatch else ""
    command = (f"{python} -m partitioner.run --concurrency {concurrency} {mode}$LISTOPT $IDOPTION "
               f"-- {python} -m subunit.run discover -t . ./suite")
    (suite.path / ".testr.conf").write_text(TESTR_CONF.format(command=command))


def suite_ids(suite: GeneratedSuite) -> set[str]:
    """Every test id the generated suite has (from its dataset.json)."""
    data = json.loads((suite.path / "dataset.json").read_text())
    return {test_id for cls in data["classes"] for test_id in cls["tests"]}


def inject(suite: GeneratedSuite, n_class: int, code: str) -> str:
    """Make the first test of the suite's ``n_class``-th class run ``code`` first; returns its id."""
    cls = json.loads((suite.path / "dataset.json").read_text())["classes"][n_class]
    test_id = next(iter(cls["tests"]))
    name = test_id.rsplit(".", 1)[1].split("[")[0]
    module, class_name = cls["class"].rsplit(".", 1)
    path = suite.path.joinpath(*module.split(".")).with_suffix(".py")
    source = path.read_text()
    head = f"    def {name}(self):\n"
    at = source.index(head, source.index(f"class {class_name}(")) + len(head)
    path.write_text(f"{source[:at]}        {code}\n{source[at:]}")
    return str(test_id)


def log_imports(suite: GeneratedSuite) -> Path:
    """Make one module of the suite append its process's pid to ``imports.log`` (in the run's directory) each
    time it is imported; returns that file."""
    module = sorted(suite.path.joinpath("suite").rglob("test_*.py"))[0]
    head = "import os as _os\nwith open('imports.log', 'a') as _log:\n    _log.write('%d\\n' % _os.getpid())\n"
    module.write_text(head + module.read_text())
    return suite.path / "imports.log"


class Stored:
    """A stream ``testr last --subunit`` printed, summarised per test."""

    def __init__(self, data: bytes, text_allowed: bool = False) -> None:
        self.finals: dict[str, list[str]] = {}
        self.tags: set[str] = set()
        self.details: dict[str, dict[str, Any]] = {}

        def on_test(test: Any) -> None:
            self.finals.setdefault(test["id"], []).append(test["status"])
            self.tags.update(test["tags"])
            self.details[test["id"]] = test["details"]

        result = testtools.StreamToDict(on_test)
        result.startTestRun()
        # no non-subunit bytes allowed, unless the caller says why
        subunit.ByteStreamToStreamResult(io.BytesIO(data), non_subunit_name="stdout" if text_allowed else None) \
            .run(result)
        result.stopTestRun()

    def reason(self, test_id: str) -> str:
        return self.detail(test_id, "reason")

    def detail(self, test_id: str, name: str) -> str:
        detail = self.details[test_id].get(name)
        return detail.as_text() if detail is not None else ""


class TestTestrEndToEnd(testscenarios.WithScenarios, testtools.TestCase):
    scenarios = [("dynamic", {"dispatch": "dynamic"}), ("static", {"dispatch": "static"})]
    dispatch = "dynamic"

    def make_suite(self, serial_s: float = 2.0) -> GeneratedSuite:
        if not GEN_SUITE.exists():
            self.skipTest(f"{GEN_SUITE} is missing")
        suite = self.useFixture(GeneratedSuite(classes=10, serial_s=serial_s))
        use_runner(suite, dispatch=self.dispatch)
        suite.run(tool("testr"), "init", check=True)
        return suite

    def run_testr(self, suite: GeneratedSuite, *argv: str) -> subprocess.CompletedProcess[str]:
        return suite.run(tool("testr"), *argv, timeout=120)

    def last(self, suite: GeneratedSuite, text_allowed: bool = False) -> Stored:
        proc = subprocess.run([tool("testr"), "last", "--subunit"], cwd=suite.path, env=suite.env(),
                              capture_output=True, check=False, timeout=60)
        self.assertNotIn(b"Traceback", proc.stderr)
        return Stored(proc.stdout, text_allowed)

    def assertEachOnce(self, stored: Stored, ids: set[str]) -> None:
        self.assertEqual(set(), ids - set(stored.finals), "tests missing from the stored run")
        self.assertEqual({}, {t: s for t, s in stored.finals.items() if t in ids and len(s) != 1})

    def test_every_test_runs_once_on_tagged_workers_and_a_second_run_uses_history(self) -> None:
        suite = self.make_suite()
        ids = suite_ids(suite)
        first = self.run_testr(suite, "run")
        self.assertEqual(0, first.returncode, first.stdout + first.stderr)
        stored = self.last(suite)
        self.assertEachOnce(stored, ids)
        self.assertEqual({"success"}, {s for t in ids for s in stored.finals[t]})
        self.assertLessEqual({"worker-0", "worker-1"}, stored.tags)
        second = self.run_testr(suite, "run")
        self.assertEqual(0, second.returncode, second.stdout + second.stderr)
        self.assertIn("id=1", second.stdout)
        self.assertEachOnce(self.last(suite), ids)

    def test_a_failure_is_listed_and_rerun_alone(self) -> None:
        suite = self.make_suite()
        failing = inject(suite, 1, "self.fail('planted')")
        run = self.run_testr(suite, "run")
        self.assertEqual(1, run.returncode)
        self.assertEachOnce(self.last(suite), suite_ids(suite))
        listed = self.run_testr(suite, "failing", "--list").stdout.split()
        self.assertIn(failing, listed)
        rerun = self.run_testr(suite, "run", "--failing")
        self.assertEqual(1, rerun.returncode)
        # testr adds its own "process-returncode" failure when the runner exits 1.
        self.assertEqual({failing}, set(self.last(suite).finals) - {"process-returncode"})

    def test_a_killed_worker_leaves_failures_not_gaps(self) -> None:
        suite = self.make_suite()
        killed = inject(suite, 0, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
        run = self.run_testr(suite, "run")
        self.assertNotEqual(0, run.returncode)
        stored = self.last(suite)
        self.assertEachOnce(stored, suite_ids(suite))
        self.assertEqual(["fail"], stored.finals[killed])
        self.assertIn("SIGKILL", stored.reason(killed))
        if self.dispatch == "static":
            self.assertRegex(run.stderr, r"partitioner.run: worker-\d was killed by SIGKILL")
            self.assertIn("never reported", stored.reason(killed))
        else:  # only the running test fails; the rest of its class runs on a new worker
            self.assertIn("while this test was running", stored.reason(killed))
            others = suite_ids(suite) - {killed}
            self.assertEqual({"success"}, {s for t in others for s in stored.finals[t]})
        self.assertIn(killed, self.run_testr(suite, "failing", "--list").stdout.split())

    def interrupt_testr(self, suite: GeneratedSuite, *argv: str) -> bytes:
        """Start ``argv`` (testr, or partitioner exec -- testr) in a session of its own, send SIGINT to that whole
        process group once workers run (as Ctrl-C in a terminal does), and return its stderr."""
        # Reset SIGINT first: a shell's background job (how CI may start us) inherits it ignored, and
        # testr (Python) would then ignore Ctrl-C.
        reset = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                 "os.execvp(sys.argv[1], sys.argv[1:])")
        # Ctrl-C once tests run: every class's first test marks that it started (a fixed delay after the
        # workers appear is not enough on a loaded machine, where they may still be importing)
        started = suite.path / "a-test-started"
        for n in range(len(json.loads((suite.path / "dataset.json").read_text())["classes"])):
            inject(suite, n, f"open({str(started)!r}, 'a').close()")
        proc = subprocess.Popen([sys.executable, "-c", reset, *argv], cwd=suite.path, env=suite.env(),
                                start_new_session=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(kill_group, proc)
        deadline = time.monotonic() + 60
        while not started.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        self.assertNotEqual(0, proc.returncode)
        self.assertNotIn(b"BrokenPipeError", err)
        self.assertNotIn(b"partitioner/", err)  # no traceback of ours (testr prints its own KeyboardInterrupt)
        last = self.run_testr(suite, "last")
        self.assertIn("Ran ", last.stdout, last.stderr)
        self.assertNotIn("Traceback", last.stderr)
        self.assertEqual([], workers_in(suite.path), "workers outlived the interrupted run")
        return err

    def test_sigint_during_testr_run_stores_a_partial_run(self) -> None:
        # Ctrl-C reaches testr too, and testr stops reading at once: it stores what it had received (the
        # tests that had not started yet are in neither `testr last` nor `testr failing`: docs/runner.md)
        suite = self.make_suite(serial_s=6.0)
        self.interrupt_testr(suite, tool("testr"), "run")
        # testrepository 0.0.21 (our floor) stores v1 and transcodes it for `last --subunit`; a Ctrl-C in the
        # middle of its own write leaves a cut last line (`t`), which its transcoder prints as it is
        self.assertLess(len(self.last(suite, text_allowed=True).finals), len(suite_ids(suite)))

    def test_sigint_under_partitioner_exec_stores_every_test(self) -> None:
        # issue 10 item 9: under `partitioner exec -- testr run`, testr runs in partitioner's process, which keeps
        # it reading while the runner ends its workers: every test is in the stored run, ran or failed with why
        suite = self.make_suite(serial_s=6.0)
        self.interrupt_testr(suite, tool("partitioner"), "exec", "--", tool("testr"), "run")
        stored = self.last(suite)
        ids = suite_ids(suite)
        self.assertEachOnce(stored, ids)
        failed = [t for t in ids if stored.finals[t] == ["fail"]]
        self.assertNotEqual([], failed)
        for test_id in failed:  # our reason, or the KeyboardInterrupt the test itself was stopped with
            why = stored.reason(test_id) + stored.detail(test_id, "traceback")
            self.assertTrue("interrupted" in why or "KeyboardInterrupt" in why, f"{test_id}: {why!r}")

    def test_the_runner_and_its_workers_do_not_outlive_testr(self) -> None:
        # issue 10 item 4: SIGKILL to testr while a test hangs: the runner sees its stdout's reader gone at once
        suite = self.make_suite()
        inject(suite, 0, "import time; time.sleep(120)")
        proc = subprocess.Popen([tool("testr"), "run"], cwd=suite.path, env=suite.env(), start_new_session=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(kill_group, proc)
        deadline = time.monotonic() + 30
        while not workers_in(suite.path) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        proc.kill()  # testr alone; the runner and the workers live on in its session
        proc.wait()
        gone_by = time.monotonic() + 15
        while (workers_in(suite.path) or runners_in(suite.path)) and time.monotonic() < gone_by:
            time.sleep(0.1)
        self.assertEqual(([], []), (workers_in(suite.path), runners_in(suite.path)),
                         "the runner or a worker outlived testr")

    def test_garbage_with_0xb3_on_a_workers_stdout_loses_no_result(self) -> None:
        # issue 10 item 5: bytes python-subunit takes for a packet; before, the results after them were lost and
        # testr kept a subunit.parser failure
        suite = self.make_suite()
        noisy = inject(suite, 1, "import sys; sys.stdout.buffer.write(b'caf\\xb3 \\xb3\\x20\\x00\\x01 x\\xe0'); "
                                 "sys.stdout.buffer.flush()")
        run = self.run_testr(suite, "run")
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        stored = self.last(suite)
        self.assertEachOnce(stored, suite_ids(suite))
        self.assertEqual(["success"], stored.finals[noisy])
        self.assertNotIn("subunit.parser", stored.finals)
        self.assertEqual("", self.run_testr(suite, "failing", "--list").stdout.strip())

    def test_pseudo_tests_in_failing_are_not_rerun_and_leave_it(self) -> None:
        # issue 10 item 5: a subunit.parser (or process-returncode) failure stored by an older run is passed back
        # by --failing; the runner does not run it, and testr drops it from failing
        suite = self.make_suite()
        real = sorted(suite_ids(suite))[0]
        old = subunit_v2([("subunit.parser", "fail", 1.0, 2.0, None), ("process-returncode", "fail", 1.0, 2.0, None),
                          (real, "fail", 1.0, 2.0, None)])
        loaded = subprocess.run([tool("testr"), "load"], input=old, cwd=suite.path, env=suite.env(),
                                capture_output=True, check=False, timeout=60)
        self.assertEqual({"subunit.parser", "process-returncode", real},
                         set(self.run_testr(suite, "failing", "--list").stdout.split()), loaded.stderr)
        rerun = self.run_testr(suite, "run", "--failing")
        self.assertEqual(0, rerun.returncode, rerun.stdout + rerun.stderr)
        finals = self.last(suite).finals
        self.assertEqual(["skip"], finals["subunit.parser"])  # not run, with why: testr takes it out of failing
        self.assertEqual({real}, {t for t, s in finals.items() if s != ["skip"]})
        self.assertEqual("", self.run_testr(suite, "failing", "--list").stdout.strip())


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill ``proc``'s process group if it is still running (a cleanup)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _processes(directory: Path, wanted: Callable[[list[bytes]], bool]) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            cwd = os.readlink(entry / "cwd")
            state = (entry / "stat").read_text().split(") ", 1)[1][:1]
        except OSError:
            continue
        if wanted(cmdline) and Path(cwd) == directory and state != "Z":
            found.append(int(entry.name))
    return found


def workers_in(directory: Path) -> list[int]:
    """Pids of workers (subunit.run with --load-list, or pull workers) whose working directory is ``directory``."""
    return _processes(directory, lambda argv: (b"subunit.run" in argv and b"--load-list" in argv)
                      or b"partitioner.dispatch.worker" in argv)


def runners_in(directory: Path) -> list[int]:
    """Pids of ``python -m partitioner.run`` processes whose working directory is ``directory``."""
    return _processes(directory, lambda argv: b"partitioner.run" in argv)
