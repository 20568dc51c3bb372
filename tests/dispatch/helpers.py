"""Helpers for the dispatch tests: tiny on-disk suites, and subunit streams read back into events."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import subunit
import testtools

from partitioner.dispatch.command import WorkerCommand


@dataclass(frozen=True)
class Event:
    """One subunit event; of its timestamp only whether it has one (:attr:`timed`)."""

    test_id: str | None
    status: str | None
    tags: frozenset[str]
    file_name: str | None
    file_bytes: bytes
    mime_type: str | None
    runnable: bool
    timed: bool


class Events(testtools.StreamResult):
    """Collects every event of a stream."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[Event] = []
        self.stamps: list[Any] = []

    def status(self, test_id: str | None = None, test_status: str | None = None,
               test_tags: set[str] | None = None, runnable: bool = True, file_name: str | None = None,
               file_bytes: bytes | None = None, eof: bool = False, mime_type: str | None = None,
               route_code: str | None = None, timestamp: Any = None) -> None:
        self.events.append(Event(test_id, test_status, frozenset(test_tags or ()), file_name,
                                 bytes(file_bytes or b""), mime_type, runnable, timestamp is not None))
        self.stamps.append(timestamp)

    def finals(self) -> dict[str, list[str]]:
        """Test id -> its final statuses, in order."""
        out: dict[str, list[str]] = {}
        for e in self.events:
            if e.test_id is not None and e.status in ("success", "fail", "skip", "xfail", "uxsuccess"):
                out.setdefault(e.test_id, []).append(e.status)
        return out

    def attachment(self, test_id: str, name: str) -> str:
        """The text of one of a test's attachments (all its parts)."""
        return b"".join(e.file_bytes for e in self.events if e.test_id == test_id and e.file_name == name).decode()


def read_events(data: bytes) -> Events:
    """Parse a subunit v2 stream (non-subunit bytes become ``stdout`` attachments)."""
    events = Events()
    subunit.ByteStreamToStreamResult(io.BytesIO(data), non_subunit_name="stdout").run(events)
    return events


def write_package(root: Path, modules: dict[str, str], package: str = "pkg", init: str = "") -> None:
    """Write ``root/package/<name>.py`` for each module source (dedented), with ``__init__.py`` (``init``)."""
    where = root / package
    where.mkdir(parents=True, exist_ok=True)
    (where / "__init__.py").write_text(textwrap.dedent(init))
    for name, source in modules.items():
        (where / f"{name}.py").write_text(textwrap.dedent(source))


#: a package ``__init__`` that patches the standard library as it is imported, as ``eventlet.monkey_patch()`` does
#: (functions of its own in the place of ``select.select``, ``os.waitpid`` and ``time.sleep``), and writes the pid
#: of each process that imports it to ``imports.log`` beside the package
PATCHES_STDLIB = """
import os
import select
import time

with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "imports.log"), "a") as f:
    f.write("%d\\n" % os.getpid())

_select, _waitpid, _sleep = select.select, os.waitpid, time.sleep
select.select = lambda *args: _select(*args)
os.waitpid = lambda *args: _waitpid(*args)
time.sleep = lambda seconds: _sleep(seconds)
"""


@dataclass(frozen=True)
class WorkerRun:
    """What a pull worker process did: its stream, its control replies, its exit status and stderr."""

    events: Events
    replies: list[dict[str, Any]]
    returncode: int
    stderr: str


def drive_worker(root: Path, runner_args: list[str], groups: list[tuple[str, list[str]]],
                 timeout: float = 60, fresh: Collection[str] = ()) -> WorkerRun:
    """Run ``python -m partitioner.dispatch.worker`` in ``root`` and feed it ``groups`` over a socket
    (those whose key is in ``fresh`` marked to run in a fresh process)."""
    import json
    import socket
    import subprocess
    import sys

    ours, theirs = socket.socketpair()
    with ours:
        proc = subprocess.Popen(
            [sys.executable, "-m", "partitioner.dispatch.worker", "--control-fd", str(theirs.fileno()),
             *runner_args], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            pass_fds=(theirs.fileno(),))
        theirs.close()
        for key, tests in groups:
            mark = {"fresh": True} if key in fresh else {}
            ours.sendall(json.dumps({"group": key, "tests": tests, **mark}).encode() + b"\n")
        ours.shutdown(socket.SHUT_WR)
        out, err = proc.communicate(timeout=timeout)
        replies = [json.loads(line) for line in ours.makefile("rb")]
    return WorkerRun(read_events(out), replies, proc.returncode, err.decode())


def run_inner(root: Path, argv: list[str], ids: list[str] | None = None, timeout: float = 60) -> Events:
    """Run an inner runner (``python -m RUNNER ...``) in ``root``, with ``--load-list`` of ``ids`` if given."""
    import subprocess
    import sys
    import tempfile

    extra: list[str] = []
    with tempfile.NamedTemporaryFile("w", suffix=".list", delete=False, dir=root) as listing:
        listing.write("".join(f"{t}\n" for t in ids or ()))
    if ids is not None:
        extra = ["--load-list", listing.name]
    proc = subprocess.run([sys.executable, "-m", *argv, *extra], cwd=root, capture_output=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)
    Path(listing.name).unlink()
    return read_events(proc.stdout)


@contextmanager
def running_preloader(command: WorkerCommand, root: Path) -> Iterator[str]:
    """A preloader of ``command``'s pull workers for the suite in ``root``, listening at the path it yields; stopped
    and its socket removed after."""
    import os
    import tempfile

    from partitioner.dispatch import preload

    directory = tempfile.mkdtemp(prefix="partitioner-test-preload-")
    path = os.path.join(directory, "preload")
    started = preload.start(command, path, str(root))
    assert started is not None
    try:
        yield path
    finally:
        started.stop()
        os.unlink(path)
        os.rmdir(directory)
