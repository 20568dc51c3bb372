"""What the tool's console prints after ``partitioner exec`` passed it a SIGINT or SIGTERM (the real stestr and testr,
static and dynamic dispatch, a real signal to the process group while a test hangs): no block for a test the signal
kept from starting.

The stored run holds each of them as a failure, ``not run: the run was interrupted (SIGINT) before this test
started; ...``, and keeps doing so; but the console printed a block for each, twice with stestr's subunit-trace: a new
user's ``timeout 3`` into python-novaclient's 3,659 tests printed about 36,000 lines. Now the console shows the tests
that ran and those the signal cut short, its counts say so, and exec's account line says how many it left out.
"""

from __future__ import annotations

import re
import signal

import testtools

from partitioner.statuses import NOT_RUN
from tests.e2e.test_faults_runs import Matrix

#: exec's account line after a signal (partitioner.dispatch.toolaccount.warning), when the console left tests out
ACCOUNT = re.compile(r"^partitioner: warning: the run was interrupted \((SIGINT|SIGTERM)\): of its (\d+) tests (\d+) "
                     r"ran, (\d+) (?:was|were) cut short and (\d+) never started; the stored run is partial: those "
                     r"(\d+) are recorded as failures \((?:the tool's failure count includes (\d+) of them; its "
                     r"output leaves out the (\d+) that never started|the tool's output leaves them out)\), and "
                     r"`(?:stestr|testr) run --failing` reruns them$", re.MULTILINE)


class ConsoleCase(Matrix):
    """The checks, for each tool and dispatch mode (a mixin: the ``TestCase`` classes below are collected)."""

    CHAIN = "exec"

    def check_console(self, signum: signal.Signals) -> None:
        victim, outcome = self.run_signalled("group", signum)
        self.check(outcome, victim, "complete", victim_status="")  # every test once; nothing outlived the run
        self.assertEqual(128 + signum, outcome.returncode, outcome.stderr[-2000:])
        assert outcome.stored is not None
        console = self.stdout_path.read_text(errors="replace")
        # the stored run as before: every test the signal kept from starting is a failure that says so
        finals = {t: s[0] for t, s in outcome.stored.finals().items() if t != "process-returncode"}
        reasons = {t: outcome.stored.attachment(t, "reason") for t, s in finals.items() if s == "fail"}
        unstarted = {t for t, r in reasons.items() if r.startswith(NOT_RUN)}
        self.assertNotEqual(set(), unstarted, outcome.stderr[-2000:])  # the rest of the hung test's class, at least
        prefix = f"not run: the run was interrupted ({signum.name}) before this test "
        self.assertEqual([], [r for t, r in reasons.items() if t in unstarted and not r.startswith(prefix)])
        # ... and the console none of them: no block, no line, not in its counts
        self.assertNotIn("not run:", console)
        self.assertEqual([], [line for line in outcome.stderr.splitlines()  # the lanes' one line each is ours
                              if "not run:" in line and not line.startswith("partitioner: ")])
        words = set(re.findall(r"[\w.]+", console))
        self.assertEqual(set(), {t.split("[")[0] for t in unstarted} & words)
        self.assertNotIn("segfaulted", outcome.stderr)
        # exec's account line and the console's counts agree, and both are true
        match = ACCOUNT.search(outcome.stderr)
        assert match is not None, outcome.stderr[-3000:]
        name, total, ran, cut, never, failed = match.group(1), *map(int, match.group(2, 3, 4, 5, 6))
        self.assertEqual((signum.name, len(finals), ran + cut + never, cut + never), (name, total, total, failed))
        self.assertEqual(len(unstarted), never)
        if cut:
            self.assertEqual((str(cut), str(never)), match.group(7, 8))
        passed = len([s for s in finals.values() if s == "success"])
        self.assertEqual(total - len(reasons), passed)  # the generated suite's tests pass when they run
        if self.TOOL == "stestr":
            summary = re.search(r"^Ran: (\d+) tests .*\n - Passed: (\d+)\n(?: - .*\n)*? - Failed: (\d+)$", console,
                                re.M)
            assert summary is not None, console[-2000:]
            self.assertEqual((ran + cut, ran, cut), tuple(map(int, summary.groups())))
        else:  # testr counts its workers' exit statuses too (process-returncode), as the stored run has them
            returncodes = console.count("FAIL: process-returncode\n")
            summary = re.search(r"^Ran (\d+)(?: \(\S+\))? tests in .*\nFAILED \(id=\d+, failures=(\d+)(?: \(\S+\))?\)",
                                console, re.M)  # testr adds the change since the run before: (+16)
            assert summary is not None, console[-2000:]
            self.assertEqual((ran + cut + returncodes, cut + returncodes), tuple(map(int, summary.groups())))

    def test_after_sigint_no_block_for_a_test_that_never_started(self) -> None:
        self.check_console(signal.SIGINT)

    def test_after_sigterm_no_block_for_a_test_that_never_started(self) -> None:
        self.check_console(signal.SIGTERM)


class TestStestrDynamic(ConsoleCase, testtools.TestCase):
    TOOL, REPO, DISPATCH = "stestr", ".stestr", "dynamic"


class TestStestrStatic(ConsoleCase, testtools.TestCase):
    TOOL, REPO, DISPATCH = "stestr", ".stestr", "static"


class TestTestrDynamic(ConsoleCase, testtools.TestCase):
    TOOL, REPO, DISPATCH = "testr", ".testrepository", "dynamic"


class TestTestrStatic(ConsoleCase, testtools.TestCase):
    TOOL, REPO, DISPATCH = "testr", ".testrepository", "static"


# the matrix's own cases are test_faults_runs.py's to run: not again here
for _name in [n for n in dir(Matrix) if n.startswith("test_")]:
    for _case in (TestStestrDynamic, TestStestrStatic, TestTestrDynamic, TestTestrStatic):
        setattr(_case, _name, None)
del _case  # not collected a second time under this name
