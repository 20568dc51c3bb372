"""End to end: the loop docs/races.md tells a user to follow, with the REAL testr and stestr on generated suites with
two racing class pairs: run in parallel until a run fails, append ``partitioner races --confirm --format config``
to the config, run again; until three runs in a row pass.

Every rule ``--confirm`` writes pairs a racing class with its true partner after that single failing run, so each
racing pair fails at most once; ``--confirm`` leaves no process behind and changes nothing in the repository.
And the tempest shape: a class that fails in ``setUpClass`` (stestr's ``setUpClass (...)`` pseudo-test, whose
start equals its stop) still gets its partner.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import fixtures
import testtools

from partitioner.history.repository import read_repository
from partitioner.statuses import FAILING, PSEUDO_TESTS
from partitioner.testids import class_key
from tests.builders import rec, stream
from tests.suites import GEN_SUITE, REPO, GeneratedSuite, tool, tool_env, tree_snapshot

CONCURRENCY = "4"
#: runs of the loop before giving up (2 failing runs at most, then 3 green ones, with room for luck)
MAX_RUNS = 10
#: racing pairs' classes are this many times longer, so that they overlap (as in tests/e2e/test_races.py)
RACE_SCALE = "12"


def live_processes(directory: Path) -> list[str]:
    """Command lines of live (not zombie) processes whose working directory is ``directory``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or entry.name == str(os.getpid()):
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            state = (entry / "stat").read_text().split(") ", 1)[1][:1]
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if Path(cwd) == directory and state != "Z":
            found.append(cmdline)
    return found


class ConfirmLoop:
    """The loop, for one tool (a concrete class per tool below: pytest does not see testscenarios' expansion)."""

    tool: str
    repo: str
    conf: str
    run_argv: tuple[str, ...]
    seed: int

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        if not GEN_SUITE.exists():
            self.skipTest(f"{GEN_SUITE} not found (set PARTITIONER_SHARED)")
        self.suite = self.useFixture(GeneratedSuite(classes=12, serial_s=4, races=2, seed=self.seed,
                                                    extra=("--race-scale", RACE_SCALE)))
        truth = json.loads((self.suite.path / "truth.json").read_text())["classes"]
        self.partner = {c["class"]: o["class"] for c in truth for o in truth
                        if c["resource"] and o["resource"] == c["resource"] and o is not c}
        if self.tool == "stestr":
            (self.suite.path / ".testr.conf").unlink()  # a stestr project: no testr config to fall back on

    def test_each_failing_run_gets_the_true_partners_and_the_loop_turns_green(self) -> None:
        self.suite.run(tool(self.tool), "init", check=True)
        repo = self.suite.path / self.repo
        conf = self.suite.path / self.conf
        failing_runs: dict[str, int] = {}
        green = runs = 0
        while green < 3:
            runs += 1
            self.assertLessEqual(runs, MAX_RUNS, f"no 3 green runs in a row in {MAX_RUNS}: {failing_runs}")
            stored = len(read_repository(repo)[0])
            done = self.suite.run(tool("partitioner"), "exec", "--", tool(self.tool), *self.run_argv[1:])
            self.assertEqual(stored + 1, len(read_repository(repo)[0]), done.stdout[-2000:] + done.stderr[-2000:])
            if done.returncode == 0:
                green += 1
                continue
            green = 0
            failed = self.latest_failed_classes()
            for pair in {"|".join(sorted((k, self.partner.get(k, "?")))) for k in failed}:
                self.assertNotIn("?", pair.split("|"), f"{pair}: a class failed that races with nobody")
                failing_runs[pair] = failing_runs.get(pair, 0) + 1
                self.assertEqual(1, failing_runs[pair], f"{pair} failed again after its rule: {failing_runs}")
            before = tree_snapshot(repo)
            confirm = self.suite.run(tool("partitioner"), "races", "--confirm", "--format", "config", "--into")
            self.assertEqual(0, confirm.returncode, confirm.stderr)
            self.assertEqual(before, tree_snapshot(repo), "--confirm changed the repository")
            self.assertEqual([], live_processes(self.suite.path), "--confirm left processes behind")
            rules = self.active_rules(confirm.stdout)
            for klass in failed:  # each failed class is paired with its true partner, and nothing else is
                self.assertIn(tuple(sorted((klass, self.partner[klass]))), rules, confirm.stdout + confirm.stderr)
            for a, b in rules:
                self.assertEqual(self.partner.get(a), b, f"wrong pair {a} with {b}:\n{confirm.stdout}")
            self.assertEqual(rules, self.active_rules(conf.read_text()) & rules, "the rules are not in the config")
        self.assertGreaterEqual(len(failing_runs), 1, "no run ever failed: the suite did not race")

    def latest_failed_classes(self) -> set[str]:
        runs, _, _ = read_repository(self.suite.path / self.repo)
        latest = max(runs, key=lambda r: r.order)
        return {class_key(r.test_id) for r in latest.records if r.status in FAILING and r.test_id not in PSEUDO_TESTS}

    def active_rules(self, config: str) -> set[tuple[str, str]]:
        """The class pairs of the ``raceN:`` lines that are not commented out."""
        pairs = set()
        for line in config.splitlines():
            match = re.match(r"^\s+race\d+: \^\(\?:(.+)\|(.+)\)\\\.$", line)
            if match:
                pairs.add((match.group(1).replace("\\", ""), match.group(2).replace("\\", "")))
        return pairs


class ConfirmLoopTestrE2E(ConfirmLoop, testtools.TestCase):
    tool, repo, conf, seed = "testr", ".testrepository", ".testr.conf", 3
    run_argv = ("testr", "run", "--parallel", "--concurrency", CONCURRENCY)


class ConfirmLoopStestrE2E(ConfirmLoop, testtools.TestCase):
    tool, repo, conf, seed = "stestr", ".stestr", ".stestr.conf", 4
    run_argv = ("stestr", "run", "--concurrency", CONCURRENCY)


class SetUpClassE2E(testtools.TestCase):
    """The tempest-style example without its quota resource: the two quota classes fail each other in setUpClass."""

    def test_a_setupclass_failure_gets_its_partner_and_confirm_pairs_them(self) -> None:
        source = REPO / "examples" / "tempest-tox" / "tempest_like"
        root = Path(self.useFixture(fixtures.TempDir()).path)
        shutil.copytree(source, root / "tempest_like")
        (root / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./tempest_like\ntop_dir=./\n"
                                           "group_regex=([^\\.]*\\.)*\n")
        suite = GeneratedSuite.__new__(GeneratedSuite)
        suite.path, suite.lockdir = root, root / "locks"
        suite.run(tool("stestr"), "init", check=True)
        quota = "tempest_like.api.compute.admin.test_quotas."
        pair = (f"{quota}QuotaClassesAdminTestJSON", f"{quota}QuotasAdminTestJSON")
        for _ in range(12):
            suite.run(tool("stestr"), "run", "--concurrency", "3")
            doc = json.loads(suite.run(tool("partitioner"), "races", "--format", "json").stdout or "{}")
            setup = [s for s in doc.get("suspects", []) if s["test"].startswith("setUpClass (")]
            if setup:
                break
        else:
            self.skipTest("the quota classes never raced in 12 runs")
        (suspect,) = setup
        victim = suspect["test"][len("setUpClass ("):-1]
        self.assertIn(victim, pair)
        partners = {p["test"].split("[", 1)[0].rsplit(".", 1)[0] for p in suspect["partners"]}
        self.assertIn(next(c for c in pair if c != victim), partners)  # no longer "nothing ran beside it"
        confirm = suite.run(tool("partitioner"), "races", "--confirm", "--format", "config")
        self.assertEqual(0, confirm.returncode, confirm.stderr)
        self.assertIn(f"race1: ^(?:{pair[0].replace('.', chr(92) + '.')}|{pair[1].replace('.', chr(92) + '.')})\\.",
                      confirm.stdout, confirm.stderr)


SLOW_SUITE = '''
import os, time, unittest


class ATest(unittest.TestCase):
    def test_1(self):
        pass


class BTest(unittest.TestCase):
    def test_1(self):
        with open("b.started", "w") as out:
            out.write(str(os.getpid()))
        time.sleep(60)
'''


class InterruptE2E(testtools.TestCase):
    """Ctrl-C during a trial stops it and the search: exit 130, what was found is printed, no process is left."""

    def test_sigint_during_a_trial(self) -> None:
        root = Path(self.useFixture(fixtures.TempDir()).path)
        (root / "pkg").mkdir()
        (root / "pkg" / "__init__.py").write_text("")
        (root / "pkg" / "test_x.py").write_text(SLOW_SUITE)
        (root / ".testr.conf").write_text(
            "[DEFAULT]\ntest_command=${PYTHON:-python} -m subunit.run discover -t . ./pkg $LISTOPT $IDOPTION\n"
            "test_id_option=--load-list $IDFILE\ntest_list_option=--list\n")
        repo = root / ".testrepository"
        repo.mkdir()
        (repo / "format").write_text("1\n")
        (repo / "0").write_bytes(stream([rec("pkg.test_x.ATest.test_1", "worker-0", 0.0, 1.0, "fail"),
                                         rec("pkg.test_x.BTest.test_1", "worker-1", 0.0, 1.0)]))
        (repo / "next-stream").write_text("1\n")
        before = tree_snapshot(repo)
        proc = subprocess.Popen([tool("partitioner"), "races", "--confirm"], cwd=root, env=tool_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not (root / "b.started").exists():
            self.assertIsNone(proc.poll(), proc.communicate()[1] if proc.poll() is not None else "")
            self.assertLess(time.monotonic(), deadline, "BTest never started")
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        self.assertEqual(130, proc.returncode, err)
        self.assertIn("--confirm: ", out)
        self.assertIn("stopped: interrupted", out)
        self.assertEqual([], live_processes(root), "--confirm left processes behind")
        self.assertEqual(before, tree_snapshot(repo))
