"""The runner's test harness: a fake inner test command, a round-robin planner, and the merged stream parsed."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import fixtures
import subunit
import testtools
from testtools.testresult.doubles import StreamResult as RecordingStreamResult

from partitioner.run import Planner, Shares, main
from partitioner.statuses import FINAL

REPO = Path(__file__).resolve().parent.parent.parent

# An inner test command: ids come from FAKE_IDS or --load-list; an id's last part says what it does.
FAKE = '''
import os, signal, sys, time
import subunit

out = subunit.StreamResultToBytes(sys.stdout.buffer)
ids = os.environ.get("FAKE_IDS", "").split()
args = sys.argv[1:]
if "--list" in args:
    for test_id in ids:
        out.status(test_id=test_id, test_status="exists")
    sys.exit(int(os.environ.get("FAKE_LIST_STATUS", "0")))
if "--load-list" in args:
    with open(args[args.index("--load-list") + 1]) as handle:
        ids = [line.strip() for line in handle if line.strip()]
marks = os.environ.get("FAKE_MARKS")
if marks:
    open(os.path.join(marks, str(os.getpid())), "w").close()
for test_id in ids:
    kind = test_id.rsplit(".", 1)[-1]
    if kind == "silent":
        sys.exit(int(os.environ.get("FAKE_SILENT_STATUS", "0")))
    out.status(test_id=test_id, test_status="inprogress")
    if kind == "crash":
        os._exit(3)
    if kind == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    if kind == "garbage":
        sys.stdout.buffer.write(b"not subunit \\xff garbage\\n")
        sys.stdout.buffer.flush()
    if kind == "extra":
        out.status(test_id="unplanned.ok", test_status="success")
    if kind == "tick":
        for _ in range(300):
            sys.stdout.buffer.write(b"tick\\n")
            sys.stdout.buffer.flush()
            time.sleep(0.1)
    if kind == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if kind in ("slow", "stubborn"):
        time.sleep(30)
    if kind == "nap":
        time.sleep(0.3)
    out.status(test_id=test_id, test_status="fail" if kind == "fail" else "success",
               test_tags={"worker-9", "keep"})
sys.exit(int(os.environ.get("FAKE_EXIT", "0")))
'''


# Drives the runner as its own process with the round-robin planner (for the signal tests).
# SIGINT is reset first: a shell's background job (how CI may start us) inherits it ignored.
DRIVER = f'''
import signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
sys.path.insert(0, {str(REPO)!r})
from partitioner.run import main
from tests.run.harness import round_robin_planner
sys.exit(main(planner=round_robin_planner))
'''


def round_robin_planner(test_ids: Sequence[str], concurrency: int, *, cwd: Path | None = None,
                        history: Sequence[str] = (), group_by: str | None = None,
                        strategy: str | None = None) -> Shares:
    """Deal the ids to the workers in turn (no history, no grouping): a planner that needs no project."""
    return Shares(tuple(tuple(test_ids[i::concurrency]) for i in range(concurrency)))


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Kill ``proc`` if it is still running (a cleanup)."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()


class Events:
    """A parsed subunit v2 stream: the raw events plus per-test summaries."""

    def __init__(self, data: bytes) -> None:
        recorder = RecordingStreamResult()
        subunit.ByteStreamToStreamResult(io.BytesIO(data), non_subunit_name="stdout").run(recorder)
        self.events: list[tuple[Any, ...]] = [e for e in recorder._events if e[0] == "status"]

    def finals(self, test_id: str) -> list[str]:
        """The final statuses ``test_id`` reported, in order."""
        return [e[2] for e in self.events if e[1] == test_id and e[2] in FINAL]

    def final_ids(self) -> list[str]:
        """Every id with a final status, once per final status."""
        return [e[1] for e in self.events if e[1] is not None and e[2] in FINAL]

    def tags(self, test_id: str) -> set[str]:
        """The union of the tags of ``test_id``'s events."""
        return set().union(*(e[3] or set() for e in self.events if e[1] == test_id))

    def attachment(self, test_id: str | None, name: str) -> bytes:
        """The concatenated bytes of one attachment."""
        return b"".join(e[6] or b"" for e in self.events if e[1] == test_id and e[5] == name)

    def stamps(self, test_id: str) -> list[Any]:
        """The timestamps of ``test_id``'s events, in order (``None`` where an event has none)."""
        return [e[10] for e in self.events if e[1] == test_id]


class RunnerTestCase(testtools.TestCase):
    """Shared set-up: a temp dir with the fake runner, and helpers to call the runner."""

    def setUp(self) -> None:
        super().setUp()
        self.dir = Path(self.useFixture(fixtures.TempDir()).path)
        (self.dir / "fake.py").write_text(FAKE)
        self.inner = [sys.executable, str(self.dir / "fake.py")]
        for name in ("FAKE_IDS", "FAKE_EXIT", "FAKE_LIST_STATUS", "FAKE_SILENT_STATUS", "FAKE_MARKS"):
            self.useFixture(fixtures.EnvironmentVariable(name))

    def load_list(self, ids: Sequence[str]) -> str:
        path = self.dir / "ids.list"
        path.write_text("".join(f"{i}\n" for i in ids))
        return str(path)

    def main(self, *argv: str, planner: Planner = round_robin_planner,
             inner: Sequence[str] | None = None) -> tuple[int, bytes, str]:
        out, err = io.BytesIO(), io.StringIO()
        full = [*argv, "--", *(self.inner if inner is None else inner)] if inner != [] else list(argv)
        status = main(full, planner=planner, stdout=out, stderr=err, cwd=self.dir)
        return status, out.getvalue(), err.getvalue()

    def run_ids(self, ids: Sequence[str], concurrency: int = 2) -> tuple[int, Events, str]:
        status, out, err = self.main("--concurrency", str(concurrency), "--load-list", self.load_list(ids))
        return status, Events(out), err

    def assertAccounted(self, events: Events, ids: Sequence[str]) -> None:
        for test_id in ids:
            self.assertEqual(1, len(events.finals(test_id)), f"{test_id}: {events.finals(test_id)}")


class RealProject(fixtures.Fixture):
    """A real suite for the runner: package ``pkg`` with ``modules`` (name -> source) in a temp dir, which is the
    current directory while the test runs (the workers run there, as under testr), and the plan records' cache in
    a temp dir of its own.

    :ivar root: the project directory (resolved)
    :ivar cache: ``PARTITIONER_CACHE_DIR``
    """

    def __init__(self, modules: dict[str, str]) -> None:
        super().__init__()
        self.modules = modules

    def _setUp(self) -> None:
        import os

        from tests.dispatch.helpers import write_package

        self.root = Path(self.useFixture(fixtures.TempDir()).path).resolve()
        write_package(self.root, self.modules)
        self.cache = Path(self.useFixture(fixtures.TempDir()).path)
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE_DIR", str(self.cache)))
        self.useFixture(fixtures.EnvironmentVariable("PARTITIONER_CACHE"))
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(self.root)
