"""End to end: a suite whose tests package calls ``eventlet.monkey_patch()`` as it is imported (as oslo.concurrency's
does under tox), run by the real stestr under ``partitioner exec``: every run ends, with plain stestr's results, and
leaves no process behind. Forked from a process that eventlet had patched, the workers shared its hub (one epoll
instance) with the preloader and each other, and runs hung after their last test (the preloader blocked in
``accept()``, its children never reaped). Skips when eventlet is not installed (the ``test`` extra has it)."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
from pathlib import Path

import fixtures
import testtools

from tests.dispatch.helpers import read_events
from tests.suites import tool, tool_env

INIT = """
import os
import warnings

if os.environ.get("TEST_EVENTLET"):
    warnings.simplefilter("ignore", DeprecationWarning)  # eventlet says it is deprecated, on every import
    import eventlet

    eventlet.monkey_patch()
"""

#: tests that wait on green file descriptors (a subprocess's pipes, a socket pair) and green sleeps, as
#: oslo.concurrency's processutils and lockutils tests do: the events the workers' hubs cross-talked with
GREEN = "import os\nimport socket\nimport subprocess\nimport sys\nimport time\nimport unittest\n" + "".join(
    f"\n\nclass G{c}(unittest.TestCase):\n" + "".join(
        f"    def test_{n}(self):\n"
        "        done = subprocess.run([sys.executable, '-c', 'print(1)'], capture_output=True, check=True)\n"
        "        self.assertEqual(b'1', done.stdout.strip())\n"
        "        ours, theirs = socket.socketpair()\n"
        "        with ours, theirs:\n"
        "            theirs.sendall(b'x')\n"
        "            self.assertEqual(b'x', ours.recv(1))\n"
        "        time.sleep(0.002)\n"
        + ("        self.fail('planted')\n" if (c, n) == (1, 3) else "")
        + "\n" for n in range(6)) for c in range(4))
IDS = 24


def _left(root: Path) -> list[int]:
    """Pids of live processes (not zombies) whose working directory is in ``root``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            state = (entry / "stat").read_text().split(") ", 1)[1][:1]
        except OSError:
            continue
        if (cwd == str(root) or cwd.startswith(f"{root}/")) and state != "Z":
            found.append(int(entry.name))
    return found


def _kill_left(root: Path) -> None:
    for pid in _left(root):  # a hung run's processes: each leads a session of its own
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue


class TestAGreenSuite(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        if importlib.util.find_spec("eventlet") is None:
            self.skipTest("eventlet is not installed (the test extra has it)")
        self.root = Path(self.useFixture(fixtures.TempDir()).path).resolve()
        (self.root / "pkg").mkdir()
        (self.root / "pkg" / "__init__.py").write_text(INIT)
        (self.root / "pkg" / "test_green.py").write_text(GREEN)
        (self.root / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./pkg\ntop_dir=./\n")
        self.addCleanup(_kill_left, self.root)
        cache = self.useFixture(fixtures.TempDir()).path
        self.env = tool_env(TEST_EVENTLET="1", PARTITIONER_CACHE_DIR=cache)
        subprocess.run([tool("stestr"), "init"], cwd=self.root, env=self.env, check=True, capture_output=True)

    def run_in(self, *argv: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(list(argv), cwd=self.root, env=self.env, capture_output=True, text=True,
                                  check=False, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"`{' '.join(argv)}` did not end in {timeout:g} s: {exc.stderr!r}") from None

    def last(self) -> dict[str, list[str]]:
        proc = subprocess.run([tool("stestr"), "last", "--subunit"], cwd=self.root, env=self.env,
                              capture_output=True, check=False, timeout=60)
        return {t: s for t, s in read_events(proc.stdout).finals().items() if t != "process-returncode"}

    def test_plan_lists_the_suite_as_stestr_does_and_ends(self) -> None:
        # python-subunit's runner, which plan listed with, waited forever to write its listing into the pipe once
        # eventlet had patched os.fdopen (oslo.messaging's suite); stestr's own runner does not
        listed = self.run_in(tool("stestr"), "list")
        self.assertEqual(0, listed.returncode, listed.stderr)
        expected = sorted(line for line in listed.stdout.splitlines() if line.startswith("pkg."))
        self.assertEqual(IDS, len(expected))
        proc = self.run_in(tool("partitioner"), "plan", "-n", "2", "--format", "json", timeout=60)
        self.assertEqual(0, proc.returncode, proc.stderr)
        planned = [t for worker in json.loads(proc.stdout)["workers"] for t in worker["tests"]]
        self.assertEqual(expected, sorted(planned))

    def test_every_run_ends_with_plain_stestr_s_results_and_leaves_no_process(self) -> None:
        stestr = [tool("stestr"), "run", "--concurrency", "2"]
        plain = self.run_in(*stestr)
        self.assertEqual(1, plain.returncode, plain.stderr)  # the planted failure
        expected = self.last()
        self.assertEqual(IDS, len(expected))
        self.assertEqual(["fail"], expected["pkg.test_green.G1.test_3"])
        # the stored run prices the tests small: exec keeps the static plan (each worker forked from the preloader,
        # when it may be); then dynamic dispatch, in the default order and in mono's fresh processes
        for flags in ([], [], [], ["--dispatch", "dynamic"], ["--dispatch", "dynamic", "--dispatch-order", "mono"]):
            proc = self.run_in(tool("partitioner"), "exec", *flags, "--", *stestr)
            self.assertEqual(1, proc.returncode, (flags, proc.stderr))
            self.assertNotIn("Traceback", proc.stderr, flags)
            self.assertEqual(expected, self.last(), flags)
            self.assertEqual([], _left(self.root), f"{flags}: a process outlived the run")
