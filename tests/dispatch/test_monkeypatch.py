"""Whether a loaded suite patched the standard library: what changed since before it loaded, and what eventlet or
gevent say they patched."""

from __future__ import annotations

import importlib.util
import select
import subprocess
import sys
import textwrap
import types
from unittest import mock

import fixtures
import testtools

from partitioner.dispatch import monkeypatch


class TestPatched(testtools.TestCase):
    def test_nothing_changed_is_nothing_patched(self) -> None:
        self.assertEqual([], monkeypatch.patched(monkeypatch.taken()))

    def test_each_function_put_in_the_place_of_a_watched_one_is_named(self) -> None:
        before = monkeypatch.taken()
        self.assertIs(select.select, before["select.select"])
        self.useFixture(fixtures.MonkeyPatch("select.select", lambda *args: ([], [], [])))
        self.useFixture(fixtures.MonkeyPatch("time.sleep", lambda seconds: None))
        self.assertEqual(["select.select", "time.sleep"], monkeypatch.patched(before))

    def test_a_module_not_imported_before_is_not_watched(self) -> None:
        before = monkeypatch.taken()
        before.pop("subprocess.Popen", None)
        self.useFixture(fixtures.MonkeyPatch("subprocess.Popen", object))
        self.assertEqual([], monkeypatch.patched(before))

    def test_what_eventlet_and_gevent_say_they_patched(self) -> None:
        before = monkeypatch.taken()
        eventlet = types.ModuleType("eventlet.patcher")
        eventlet.is_monkey_patched = lambda module: module == "socket"  # type: ignore[attr-defined]
        gevent = types.ModuleType("gevent.monkey")
        gevent.saved = {"ssl": {}, "time": {}}  # type: ignore[attr-defined]
        gevent.is_module_patched = lambda module: module == "ssl"  # type: ignore[attr-defined]
        with mock.patch.dict(sys.modules, {"eventlet.patcher": eventlet, "gevent.monkey": gevent}):
            self.assertEqual(["eventlet:socket", "gevent:ssl"], monkeypatch.patched(before))

    def test_a_library_whose_record_cannot_be_read_adds_nothing(self) -> None:
        broken = types.ModuleType("eventlet.patcher")

        def fails(module: str) -> bool:
            raise TypeError("another API")

        broken.is_monkey_patched = fails  # type: ignore[attr-defined]
        with mock.patch.dict(sys.modules, {"eventlet.patcher": broken}):
            self.assertEqual([], monkeypatch.patched(monkeypatch.taken()))

    def test_eventlet_s_monkey_patch_is_seen(self) -> None:
        if importlib.util.find_spec("eventlet") is None:  # not imported here: it would watch this process's forks
            self.skipTest("eventlet is not installed (the test extra has it)")
        script = textwrap.dedent("""
            import warnings
            warnings.simplefilter("ignore")
            from partitioner.dispatch import monkeypatch
            before = monkeypatch.taken()
            import eventlet
            eventlet.monkey_patch()
            print(" ".join(monkeypatch.patched(before)))
        """)
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
        found = done.stdout.split()
        for name in ("select.select", "socket.socket", "os.read", "os.waitpid", "time.sleep", "eventlet:socket"):
            self.assertIn(name, found)
