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
from pathlib import Path
from typing import Any

import subunit
import testtools

from tests.suites import GEN_SUITE, GeneratedSuite, tool

TESTR_CONF = """[DEFAULT]
test_command={command}
test_id_option=--load-list $IDFILE
test_list_option=--list
group_regex=([^\\.]*\\.)*
"""


def use_runner(suite: GeneratedSuite, concurrency: int = 2) -> None:
    """Point the suite's .testr.conf test_command at partitioner.run."""
    python = shlex.quote(sys.executable)
    command = (f"{python} -m partitioner.run --concurrency {concurrency} $LISTOPT $IDOPTION "
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


class Stored:
    """A stream ``testr last --subunit`` printed, summarised per test."""

    def __init__(self, data: bytes) -> None:
        self.finals: dict[str, list[str]] = {}
        self.tags: set[str] = set()
        self.details: dict[str, dict[str, Any]] = {}

        def on_test(test: Any) -> None:
            self.finals.setdefault(test["id"], []).append(test["status"])
            self.tags.update(test["tags"])
            self.details[test["id"]] = test["details"]

        result = testtools.StreamToDict(on_test)
        result.startTestRun()
        subunit.ByteStreamToStreamResult(io.BytesIO(data)).run(result)  # no non-subunit bytes allowed
        result.stopTestRun()

    def reason(self, test_id: str) -> str:
        detail = self.details[test_id].get("reason")
        return detail.as_text() if detail is not None else ""


class TestTestrEndToEnd(testtools.TestCase):
    def make_suite(self, serial_s: float = 2.0) -> GeneratedSuite:
        if not GEN_SUITE.exists():
            self.skipTest(f"{GEN_SUITE} is missing")
        suite = self.useFixture(GeneratedSuite(classes=10, serial_s=serial_s))
        use_runner(suite)
        suite.run(tool("testr"), "init", check=True)
        return suite

    def run_testr(self, suite: GeneratedSuite, *argv: str) -> subprocess.CompletedProcess[str]:
        return suite.run(tool("testr"), *argv, timeout=120)

    def last(self, suite: GeneratedSuite) -> Stored:
        proc = subprocess.run([tool("testr"), "last", "--subunit"], cwd=suite.path, env=suite.env(),
                              capture_output=True, check=False, timeout=60)
        self.assertNotIn(b"Traceback", proc.stderr)
        return Stored(proc.stdout)

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
        self.assertRegex(run.stderr, r"partitioner.run: worker-\d was killed by SIGKILL")
        stored = self.last(suite)
        self.assertEachOnce(stored, suite_ids(suite))
        self.assertEqual(["fail"], stored.finals[killed])
        self.assertIn("never reported", stored.reason(killed))
        self.assertIn("SIGKILL", stored.reason(killed))
        self.assertIn(killed, self.run_testr(suite, "failing", "--list").stdout.split())

    def test_sigint_during_testr_run_stores_a_partial_run(self) -> None:
        suite = self.make_suite(serial_s=6.0)
        # Reset SIGINT first: a shell's background job (how CI may start us) inherits it ignored, and
        # testr (Python) would then ignore Ctrl-C.
        reset = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                 "os.execvp(sys.argv[1], sys.argv[1:])")
        proc = subprocess.Popen([sys.executable, "-c", reset, tool("testr"), "run"], cwd=suite.path, env=suite.env(),
                                start_new_session=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(kill_group, proc)
        deadline = time.monotonic() + 30
        while not workers_in(suite.path) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        time.sleep(1.0)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        self.assertNotEqual(0, proc.returncode)
        self.assertIn(b"(interrupted)", err)
        self.assertNotIn(b"BrokenPipeError", err)
        last = self.run_testr(suite, "last")
        self.assertIn("Ran ", last.stdout, last.stderr)
        self.assertNotIn("Traceback", last.stderr)
        self.assertLess(len(self.last(suite).finals), len(suite_ids(suite)))
        self.assertEqual([], workers_in(suite.path), "workers outlived the interrupted run")


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill ``proc``'s process group if it is still running (a cleanup)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def workers_in(directory: Path) -> list[int]:
    """Pids of subunit.run workers (with --load-list) whose working directory is ``directory``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if b"subunit.run" in cmdline and b"--load-list" in cmdline and Path(cwd) == directory:
            found.append(int(entry.name))
    return found
