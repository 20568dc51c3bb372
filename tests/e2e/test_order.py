"""End to end: an order-dependent failure that longest-first dispatch brings out, found with the REAL stestr.

A small suite with a planted polluter: ``ZPolluterTest`` (the most tests: first in longest-first order without
history) leaves a mark in a module global that ``AVictimTest`` trips on; ``LongTest`` (next in that order, and
longer) keeps the other worker busy, so the victim follows the polluter on one worker. ``partitioner exec
--dispatch-order cost -- stestr run`` fails it; plain ``stestr run`` (suite order: the victim first) passes it.
Then ``partitioner races 0 --order --confirm`` names the one polluting test, changes nothing in ``.stestr`` and
leaves no process behind.
"""

from __future__ import annotations

from pathlib import Path

import fixtures
import testtools

from partitioner.history.repository import read_repository
from partitioner.statuses import FAILING
from partitioner.testids import class_key
from tests.e2e.test_races_confirm import live_processes
from tests.suites import ORDER_STATE, ORDER_VICTIM, GeneratedSuite, tool, tree_snapshot

SUITE = {
    "__init__.py": "",
    "state.py": ORDER_STATE,
    "test_a.py": ORDER_VICTIM,
    "test_m.py": '''
import time
import unittest


class LongTest(unittest.TestCase):
''' + "".join(f"    def test_{n}(self):\n        time.sleep(0.8)\n\n" for n in range(5)) + '''

class MOneTest(unittest.TestCase):
    def test_1(self):
        pass

    def test_2(self):
        pass


class MTwoTest(MOneTest):
    pass
''',
    "test_z.py": '''
import time
import unittest

from pkg import state


class ZPolluterTest(unittest.TestCase):
''' + "".join(f"    def test_{n}(self):\n        time.sleep(0.25)\n\n" for n in "abcdf") + '''
    def test_e(self):
        state.SEEN.add("polluted")
''',
}
VICTIM, POLLUTER = "pkg.test_a.AVictimTest", "pkg.test_z.ZPolluterTest.test_e"


def order_suite(root: Path) -> GeneratedSuite:
    """The suite above, with a ``.stestr.conf`` and an empty ``.stestr``, in ``root``."""
    (root / "pkg").mkdir()
    for name, text in SUITE.items():
        (root / "pkg" / name).write_text(text)
    (root / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./pkg\ntop_dir=./\ngroup_regex=([^\\.]*\\.)*\n")
    suite = GeneratedSuite.__new__(GeneratedSuite)
    suite.path, suite.lockdir = root, root / "locks"
    suite.run(tool("stestr"), "init", check=True)
    return suite


class OrderE2E(testtools.TestCase):
    def test_mono_order_hands_out_longest_first_and_never_runs_the_victim_after_the_polluter(self) -> None:
        root = Path(self.useFixture(fixtures.TempDir()).path)
        suite = order_suite(root)
        for _ in range(2):  # no history, then the first run's
            ours = suite.run(tool("partitioner"), "exec", "--dispatch-order", "mono", "--", tool("stestr"), "run",
                             "--concurrency", "2")
            self.assertEqual(0, ours.returncode, ours.stdout[-2000:] + ours.stderr[-2000:])
        runs, _, _ = read_repository(root / ".stestr")
        self.assertEqual(2, len(runs))
        listed = set(suite.run(tool("stestr"), "list", check=True).stdout.split())
        for run in runs:
            self.assertEqual(set(), {r.test_id for r in run.records if r.status in FAILING})
            self.assertEqual(listed, {r.test_id for r in run.records})
        # the second run's first hand-out on each worker is a long class (LongTest, ZPolluterTest), not the
        # first in suite order (AVictimTest)
        first = {}
        for record in sorted(runs[-1].records, key=lambda r: r.start or 0):
            first.setdefault(record.worker, class_key(record.test_id))
        self.assertEqual({"pkg.test_m.LongTest", "pkg.test_z.ZPolluterTest"}, set(first.values()))

    def test_longest_first_brings_out_the_polluter_and_order_confirm_names_it(self) -> None:
        root = Path(self.useFixture(fixtures.TempDir()).path)
        suite = order_suite(root)
        ours = suite.run(tool("partitioner"), "exec", "--dispatch-order", "cost", "--", tool("stestr"), "run",
                         "--concurrency", "2")
        plain = suite.run(tool("stestr"), "run", "--concurrency", "2")
        self.assertEqual(0, plain.returncode, plain.stdout[-2000:])
        runs, _, _ = read_repository(root / ".stestr")
        failed = {class_key(r.test_id) for r in runs[0].records if r.status in FAILING}
        self.assertEqual({VICTIM}, failed, ours.stdout[-2000:] + ours.stderr[-2000:])
        before = tree_snapshot(root / ".stestr")
        found = suite.run(tool("partitioner"), "races", "0", "--order", "--confirm")
        self.assertEqual(0, found.returncode, found.stderr)
        self.assertIn(f"  {VICTIM} fails after {POLLUTER} ran in the same process (3/3 reproductions); alone it "
                      f"passes (2/2)\n", found.stdout, found.stderr)
        self.assertIn("it passed in 1 stored run (1)", found.stdout)
        self.assertEqual(before, tree_snapshot(root / ".stestr"), "--order --confirm changed the repository")
        self.assertEqual([], live_processes(root), "--order --confirm left processes behind")
