"""Tests for partitioner.run.parentdeath: a child started with its preexec_fn dies with its parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import fixtures
import testtools

from partitioner.run import parentdeath

#: a parent that starts a sleeping child (with or without the preexec_fn), prints its pid, and waits
PARENT = textwrap.dedent("""
    import subprocess, sys
    from partitioner.run.parentdeath import dying_with_us
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True,
                             preexec_fn=dying_with_us() if sys.argv[1] == "1" else None)
    print(child.pid, flush=True)
    child.wait()
""")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class TestDyingWithUs(testtools.TestCase):
    def orphan(self, tied: bool) -> bool:
        """Start a parent with a child in a session of its own, SIGKILL the parent: is the child still alive?"""
        parent = subprocess.Popen([sys.executable, "-c", PARENT, "1" if tied else "0"], stdout=subprocess.PIPE)
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        self.addCleanup(lambda: _alive(child) and os.kill(child, signal.SIGKILL))
        parent.kill()
        parent.wait()
        parent.stdout.close()
        deadline = time.monotonic() + (5.0 if tied else 1.0)  # an untied child must still live after 1 s
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        return _alive(child)

    def test_a_tied_child_dies_with_its_parent_an_untied_one_does_not(self) -> None:
        if not parentdeath.available():
            self.skipTest("no prctl here")
        self.assertFalse(self.orphan(tied=True))
        self.assertTrue(self.orphan(tied=False))

    def test_the_tools_own_preexec_fn_still_runs(self) -> None:
        if not parentdeath.available():
            self.skipTest("no prctl here")
        marker = self.useFixture(fixtures.TempDir()).path + "/ran"
        preexec = parentdeath.dying_with_us(lambda: open(marker, "w").close())
        subprocess.run([sys.executable, "-c", "pass"], check=True, preexec_fn=preexec)
        self.assertTrue(os.path.exists(marker))

    def test_without_prctl_the_tools_own_preexec_fn_is_given_back(self) -> None:
        self.useFixture(fixtures.MonkeyPatch("partitioner.run.parentdeath._prctl", lambda: None))

        def own() -> None:
            pass

        self.assertIs(own, parentdeath.dying_with_us(own))
        self.assertIsNone(parentdeath.dying_with_us())
        self.assertFalse(parentdeath.available())
