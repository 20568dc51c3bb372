"""Shared test fixtures: generated tempest-shaped suites in temp dirs, and running the real tools.

Generated suites come from ``../shared/bench/gen_suite.py``; real data from ``../shared/data``. Both live
beside the repository (override with ``PARTITIONER_SHARED``); tests that need them skip when absent.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import unittest
from pathlib import Path

import fixtures

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PARTITIONER_SHARED", REPO.parent / "shared"))
GEN_SUITE = SHARED / "bench" / "gen_suite.py"
DATA = SHARED / "data"
RAW = DATA / "raw"
BIN = Path(sys.executable).parent

#: the planted order dependence of the ``--order`` suites: ``pkg/state.py`` holds a module global, and
#: ``pkg/test_a.py``'s ``AVictimTest`` fails in a test process where an earlier test left "polluted" in it
ORDER_STATE = "SEEN = set()\n"
ORDER_VICTIM = '''
import unittest

from pkg import state


class AVictimTest(unittest.TestCase):
    def test_one(self):
        self.assertNotIn("polluted", state.SEEN)

    def test_two(self):
        self.assertNotIn("polluted", state.SEEN)
'''

def real_streams(case: unittest.TestCase) -> list[Path]:
    """The real stored runs in :data:`RAW` (subunit streams; ``times.dbm`` files left out), sorted by name.

    :raises unittest.SkipTest: (through ``case.skipTest``) when the shared real-data set is not there
    """
    streams = sorted(p for p in RAW.glob("*") if "times.dbm" not in p.name) if RAW.exists() else []
    if not streams:
        case.skipTest(f"{RAW} missing: the shared real-data set (PARTITIONER_SHARED) is not available")
    return streams


def tool(name: str) -> str:
    """Path of a console script installed beside this Python (testr, stestr, partitioner, ...)."""
    path = BIN / name
    return str(path) if path.exists() else name


def tool_env(**extra: str) -> dict[str, str]:
    """An environment in which ``python`` and the console scripts are this venv's."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHON"] = sys.executable
    env.pop("PYTHONPATH", None)
    env.update(extra)
    return env


class GeneratedSuite(fixtures.Fixture):
    """A gen_suite.py suite written to a fresh temp dir; ``self.path`` is its root.

    :param classes: how many classes
    :param serial_s: the suite's serial wall time in seconds (keep it small in tests)
    :param races: how many racing class pairs
    :param extra: further gen_suite.py arguments
    """

    def __init__(self, classes: int = 12, serial_s: float = 3.0, races: int = 0, seed: int = 1,
                 extra: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.classes = classes
        self.serial_s = serial_s
        self.races = races
        self.seed = seed
        self.extra = extra

    def _setUp(self) -> None:
        if not GEN_SUITE.exists():
            raise RuntimeError(f"{GEN_SUITE} is missing; set PARTITIONER_SHARED to the shared/ folder")
        self.path = Path(self.useFixture(fixtures.TempDir()).path)
        self.lockdir = self.path / "locks"
        subprocess.run(
            [sys.executable, str(GEN_SUITE), str(self.path), "--classes", str(self.classes),
             "--serial-s", str(self.serial_s), "--races", str(self.races), "--seed", str(self.seed),
             *self.extra],
            check=True, capture_output=True,
        )

    def env(self, **extra: str) -> dict[str, str]:
        """The environment to run this suite's tests in: locks, and the temporary files of the tools it runs
        (the load lists of a tool that a test kills are never removed), kept inside the temp dir."""
        tmp = self.path / "tmp"
        tmp.mkdir(exist_ok=True)
        return tool_env(BENCH_LOCKDIR=str(self.lockdir), TMPDIR=str(tmp), **extra)

    def run(self, *argv: str, check: bool = False, timeout: float = 300,
            **env: str) -> subprocess.CompletedProcess[str]:
        """Run a command in the suite's directory; returns the completed process (text output)."""
        return subprocess.run(list(argv), cwd=self.path, env=self.env(**env), capture_output=True,
                              text=True, check=check, timeout=timeout, stdin=subprocess.DEVNULL)


def two_test_project(root: Path) -> None:
    """A stestr project in ``root``: package ``pkg`` with one module, ``pkg.test_x.T.test_a`` and ``test_b`` (both
    pass), and ``.stestr.conf`` pointing at it."""
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "test_x.py").write_text("import unittest\n\nclass T(unittest.TestCase):\n"
                                            "    def test_a(self):\n        pass\n\n"
                                            "    def test_b(self):\n        pass\n")
    (root / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./pkg\ntop_dir=./\n")


def subunit_v2(tests: list[tuple[str, str, float | None, float | None, str | None]]) -> bytes:
    """A subunit v2 stream written by python-subunit: per ``(test_id, status, start, stop, worker)`` an
    ``inprogress`` event at ``start`` and a final ``status`` event at ``stop`` (epoch seconds; ``None``
    leaves the timestamp out), tagged with ``worker`` when given."""
    import datetime
    import io

    import subunit

    def stamp(seconds: float | None) -> datetime.datetime | None:
        if seconds is None:
            return None
        return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)

    out = io.BytesIO()
    writer = subunit.StreamResultToBytes(out)
    for test_id, status, start, stop, worker in tests:
        tags = {worker} if worker else None
        writer.status(test_id=test_id, test_status="inprogress", test_tags=tags, timestamp=stamp(start))
        writer.status(test_id=test_id, test_status=status, test_tags=tags, timestamp=stamp(stop))
    return out.getvalue()


def tree_snapshot(root: Path) -> dict[str, tuple[bytes | None, int]]:
    """Every entry under ``root`` (itself included): relative path -> (bytes, mtime_ns); bytes are ``None``
    for directories. Compare two snapshots to prove that something left a directory tree untouched."""
    snap: dict[str, tuple[bytes | None, int]] = {}
    for path in [root, *sorted(root.rglob("*"))]:
        rel = str(path.relative_to(root))
        snap[rel] = (path.read_bytes() if path.is_file() else None, path.stat().st_mtime_ns)
    return snap


def tool_callbacks(group_regex: str) -> list[object]:
    """The group callbacks the installed stestr and testrepository build, compiled from their own source.

    Compiled once per regex (reading and parsing the tools' source takes longer than a hypothesis example may).
    """
    return list(_tool_callbacks(group_regex))


@functools.cache
def _tool_callbacks(group_regex: str) -> tuple[object, ...]:
    import ast
    import inspect
    import textwrap

    import stestr.config_file
    import testrepository.testcommand

    found = []
    for module in (stestr.config_file, testrepository.testcommand):
        source = inspect.getsource(module)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef) and node.name == "group_callback" and node.args.defaults:
                namespace = {"re": re, "group_regex": group_regex}
                exec(textwrap.dedent(ast.get_source_segment(source, node) or ""), namespace)
                found.append(namespace["group_callback"])
    return tuple(found)


def to_v1(v2: bytes) -> bytes:
    """A subunit v2 stream converted to v1 by the real ``subunit-2to1``."""
    done = subprocess.run([tool("subunit-2to1")], input=v2, capture_output=True, check=True, timeout=60)
    if not done.stdout.startswith((b"time:", b"tags:", b"test:")):
        raise AssertionError(f"subunit-2to1 wrote no v1 stream: {done.stdout[:40]!r}")
    return done.stdout
