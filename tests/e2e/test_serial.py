"""End to end: serial groups run alone, after the parallel phase, in the same stored run (real testr)."""

from __future__ import annotations

import itertools
import json
import re

import testtools

from partitioner.history.repository import read_repository
from tests.e2e.test_runner import suite_ids, use_runner
from tests.suites import GEN_SUITE, GeneratedSuite, tool


class SerialPhaseE2E(testtools.TestCase):
    def test_serial_groups_never_overlap_any_other_test(self) -> None:
        if not GEN_SUITE.exists():
            self.skipTest(f"{GEN_SUITE} is missing")
        suite = self.useFixture(GeneratedSuite(classes=10, serial_s=3.0))
        classes = sorted({cls["class"] for cls in json.loads((suite.path / "dataset.json").read_text())["classes"]})
        serial_classes = classes[:2]
        use_runner(suite, concurrency=3)
        pattern = "|".join(re.escape(c) + r"\." for c in serial_classes)
        with open(suite.path / ".testr.conf", "a") as conf:
            conf.write(f"\n[partitioner]\nserial = ^(?:{pattern})\n")
        suite.run(tool("testr"), "init", check=True)
        proc = suite.run(tool("testr"), "run", timeout=180)
        self.assertEqual(0, proc.returncode, proc.stdout[-2000:] + proc.stderr[-2000:])

        runs, _, _ = read_repository(suite.path / ".testrepository")
        records = runs[-1].records
        self.assertEqual(suite_ids(suite), {r.test_id for r in records})
        is_serial = [any(r.test_id.startswith(c + ".") for c in serial_classes) for r in records]
        serial = [r for r, s in zip(records, is_serial, strict=True) if s]
        others = [r for r, s in zip(records, is_serial, strict=True) if not s]
        self.assertTrue(serial and others)
        # the serial phase starts after every parallel test stopped, and nothing overlaps it
        last_parallel_stop = max(r.stop or 0.0 for r in others)
        first_serial_start = min(r.start or 0.0 for r in serial)
        self.assertLess(last_parallel_stop, first_serial_start)
        for s in serial:
            for o in others:
                self.assertFalse((s.start or 0) < (o.stop or 0) and (o.start or 0) < (s.stop or 0),
                                 f"{s.test_id} overlaps {o.test_id}")
        # serial tests run one at a time, on one worker
        ordered = sorted(serial, key=lambda r: r.start or 0.0)
        for a, b in itertools.pairwise(ordered):
            self.assertLessEqual(a.stop or 0.0, b.start or 0.0)
        self.assertEqual(1, len({r.worker for r in serial}))

    def test_in_process_hook_puts_serial_tests_on_one_worker_and_warns(self) -> None:
        if not GEN_SUITE.exists():
            self.skipTest(f"{GEN_SUITE} is missing")
        suite = self.useFixture(GeneratedSuite(classes=8, serial_s=2.0))
        classes = sorted({cls["class"] for cls in json.loads((suite.path / "dataset.json").read_text())["classes"]})
        with open(suite.path / ".stestr.conf", "a") as conf:
            conf.write(f"\n[partitioner]\nserial = ^(?:{re.escape(classes[0])}|{re.escape(classes[1])})\\.\n")
        proc = suite.run(tool("partitioner"), "exec", "--dispatch", "static", "--", "stestr", "run", "--concurrency",
                         "3")
        self.assertEqual(0, proc.returncode, proc.stderr[-2000:])
        self.assertIn("serial tests cannot run alone", proc.stderr)
        runs, _, _ = read_repository(suite.path / ".stestr")
        workers = {r.worker for r in runs[-1].records if r.test_id.startswith((classes[0] + ".", classes[1] + "."))}
        self.assertEqual(1, len(workers))

    def test_under_exec_with_dynamic_dispatch_serial_groups_run_alone_at_the_end(self) -> None:
        if not GEN_SUITE.exists():
            self.skipTest(f"{GEN_SUITE} is missing")
        suite = self.useFixture(GeneratedSuite(classes=8, serial_s=2.0))
        classes = sorted({cls["class"] for cls in json.loads((suite.path / "dataset.json").read_text())["classes"]})
        serial_classes = classes[:2]
        with open(suite.path / ".stestr.conf", "a") as conf:
            conf.write(f"\n[partitioner]\nserial = ^(?:{re.escape(classes[0])}|{re.escape(classes[1])})\\.\n")
        proc = suite.run(tool("partitioner"), "exec", "--", "stestr", "run", "--concurrency", "3")
        self.assertEqual(0, proc.returncode, proc.stderr[-2000:])
        self.assertNotIn("serial tests cannot run alone", proc.stderr)
        runs, _, _ = read_repository(suite.path / ".stestr")
        records = runs[-1].records
        serial = [r for r in records if r.test_id.startswith(tuple(c + "." for c in serial_classes))]
        others = [r for r in records if r not in serial]
        self.assertTrue(serial and others)
        self.assertLess(max(r.stop or 0.0 for r in others), min(r.start or 0.0 for r in serial))
