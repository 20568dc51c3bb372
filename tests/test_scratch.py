"""Tests for partitioner.scratch: marked scratch directories, and the sweep of those whose owner died."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import fixtures
import testtools

from partitioner import scratch

ON_PROC = os.path.exists("/proc/self/ns/pid")


def _make_in_child(tmp: Path, *kinds: str) -> list[Path]:
    """Scratch directories made by a process that then ended without removing them (as after SIGKILL)."""
    code = f"from partitioner import scratch\nfor kind in {kinds!r}:\n    print(scratch.make(kind))"
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "TMPDIR": str(tmp)},
                          capture_output=True, text=True, check=True)
    return [Path(line) for line in done.stdout.split()]


class TestScratch(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.tmp = Path(self.useFixture(fixtures.TempDir()).path)
        self.useFixture(fixtures.EnvironmentVariable("TMPDIR", str(self.tmp)))
        self.useFixture(fixtures.MonkeyPatch("tempfile.tempdir", None))  # gettempdir() reads TMPDIR again

    def test_a_directory_is_private_marked_and_removed_after_its_block(self) -> None:
        with scratch.directory("run") as where:
            path = Path(where)
            self.assertEqual(self.tmp, path.parent)
            self.assertTrue(path.name.startswith("partitioner-run-"))
            self.assertEqual(0o700, path.stat().st_mode & 0o777)
            if ON_PROC:
                self.assertEqual(f"{os.getpid()} {os.readlink('/proc/self/ns/pid')}\n",
                                 (path / scratch.MARKER).read_text())
        self.assertFalse(path.exists())
        self.assertRaises(ValueError, scratch.make, "other")

    def test_the_next_run_sweeps_a_dead_owners_directories_and_nothing_else(self) -> None:
        if not ON_PROC:
            self.skipTest("no /proc/self/ns/pid: nothing is marked or swept")
        dead = _make_in_child(self.tmp, "dispatch", "preload", "run")
        for path in dead:
            self.assertTrue((path / scratch.MARKER).is_file())
        namespace = os.readlink("/proc/self/ns/pid")
        with subprocess.Popen(["sleep", "60"]) as alive:
            self.addCleanup(alive.kill)
            kept = []
            for name, marker in (("partitioner-run-live", f"{alive.pid} {namespace}\n"),  # its owner lives
                                 ("partitioner-run-nomark", None),  # an older version's, or still being made
                                 ("partitioner-run-container", f"{dead[0].stat().st_ino} pid:[1]\n"),  # elsewhere
                                 ("partitioner-pg-x", f"999999999 {namespace}\n"),  # not a kind it makes
                                 ("other-run-x", f"999999999 {namespace}\n")):
                path = self.tmp / name
                path.mkdir()
                if marker is not None:
                    (path / scratch.MARKER).write_text(marker)
                kept.append(path)
            # a new run's first directory sweeps (here in another process, as the next exec would)
            [fresh] = _make_in_child(self.tmp, "run")
            alive.kill()
        for path in dead:
            self.assertFalse(path.exists(), path)
        for path in [*kept, fresh]:
            self.assertTrue(path.exists(), path)
        # now both the new run's owner and the live one have ended
        self.assertEqual(sorted([str(fresh), str(kept[0])]), sorted(scratch.sweep(str(self.tmp))))
