"""End to end: stestr's own run options under ``partitioner exec -- stestr run`` do what they do without it:
``--subunit`` (the run's stream on stdout), ``--worker-file`` (the user's split, kept static: each worker runs
what its regexes select) and ``slowest`` afterwards (issue 11: every option users rely on keeps working).
Skips when ../shared is absent."""

from __future__ import annotations

import re
import subprocess

import testtools

from tests.dispatch.helpers import read_events
from tests.e2e.test_runner import suite_ids
from tests.suites import GEN_SUITE, GeneratedSuite, tool


class TestStestrOptions(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        if not GEN_SUITE.exists():
            self.skipTest(f"{GEN_SUITE} is missing")
        self.suite = self.useFixture(GeneratedSuite(classes=6, serial_s=1.0))
        self.suite.run(tool("stestr"), "init", check=True)
        self.ids = suite_ids(self.suite)

    def exec_stestr(self, *args: str) -> tuple[int, bytes, str]:
        proc = subprocess.run([tool("partitioner"), "exec", "--", tool("stestr"), "run", *args],
                              cwd=self.suite.path, env=self.suite.env(BENCH_SCALE="0.2"), capture_output=True,
                              check=False, timeout=180, stdin=subprocess.DEVNULL)
        err = proc.stderr.decode("utf-8", "replace")
        self.assertNotIn("Traceback", err)
        return proc.returncode, proc.stdout, err

    def test_subunit_puts_the_runs_stream_on_stdout(self) -> None:
        status, out, err = self.exec_stestr("--concurrency", "2", "--subunit")
        self.assertEqual(0, status, err)
        self.assertIn("dynamic dispatch", err)
        finals = {t: s for t, s in read_events(out).finals().items() if t != "process-returncode"}
        self.assertEqual({t: ["success"] for t in self.ids}, finals)
        self.assertLessEqual({"worker-0", "worker-1"}, {tag for e in read_events(out).events for tag in e.tags})

    def test_a_worker_file_is_the_split_and_slowest_reads_the_run(self) -> None:
        classes = sorted({t.rsplit(".", 1)[0] for t in self.ids})
        first, second = classes[:2], classes[2:]
        lines = []
        for group in (first, second):
            lines.append("- worker:")
            lines.extend(f"  - '^{re.escape(c)}[.]'" for c in group)
        (self.suite.path / "workers.yaml").write_text("\n".join(lines) + "\n")
        status, _, err = self.exec_stestr("--worker-file", "workers.yaml")
        self.assertEqual(0, status, err)
        self.assertNotIn("dynamic dispatch (", err)  # the user's split is kept: no queue
        stored = read_events(subprocess.run([tool("stestr"), "last", "--subunit"], cwd=self.suite.path,
                                            env=self.suite.env(), capture_output=True, check=False,
                                            timeout=60).stdout)
        placed: dict[str, set[str]] = {}
        for event in stored.events:
            if event.test_id in self.ids:
                placed.setdefault(event.test_id, set()).update(t for t in event.tags if t.startswith("worker-"))
        self.assertEqual(self.ids, set(placed))
        for worker, group in (("worker-0", first), ("worker-1", second)):
            mine = {t for t in self.ids if t.rsplit(".", 1)[0] in group}
            self.assertEqual({worker}, set().union(*(placed[t] for t in mine)), worker)
        slowest = self.suite.run(tool("stestr"), "slowest")
        self.assertEqual(0, slowest.returncode, slowest.stderr)
        self.assertIn("Test id", slowest.stdout)
