"""One SIGTERM ends ``partitioner exec`` whose run is stuck on a hung test (CI jobs wrap runs in ``timeout``, which
sends exactly one): the real testr and stestr on a generated suite, one test hanging, SIGTERM to exec alone (as
``timeout --foreground`` or a CI runner's cancel sends it) or to its whole process group (as plain ``timeout``
does). Each run must end (within :data:`tests.e2e.test_faults_runs.RUN_TIMEOUT_S`, where it hung for good
before), exit 143, store the run with every listed test once (what ran, and the rest as failures saying why),
and leave no process behind.

Where each case hung before:

* a hang that ignores SIGTERM (or cannot be interrupted) under a static plan: exec passed the signal to the
  tool's workers and waited for them to end; nothing killed one that did not;
* a run the tool does not partition (``stestr run --concurrency 1``, ``testr run`` without ``--parallel``,
  whose one test command may be the runner of ``.testr.conf``): its worker is ``sh -c COMMAND``, and dash runs
  COMMAND as a child of its own; the signal passed on ended the shell alone, and the test process (or the
  runner, which would have ended its run) went on, holding the stream the tool reads to its end.
"""

from __future__ import annotations

import json
import os
import signal

import testtools

from tests.e2e.test_faults_runs import VICTIM_CLASS, Matrix, Outcome, slow
from tests.e2e.test_runner import suite_ids
from tests.suites import tool

#: a hang that SIGTERM does not end: the test ignores it (as some test fixtures and services do)
IGNORES_SIGTERM = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); "


class Hung(Matrix):
    """The fault matrix's suite and checks, with the hang's code and the tool's command line chosen per case."""

    #: the tool's arguments after ``run`` (None: the matrix's, two workers)
    RUN_ARGS: tuple[str, ...] | None = None
    #: the test command is the runner of ``.testr.conf``, run by ``partitioner exec -- testr run``
    EXEC_RUNNER = False

    def command(self) -> list[str]:
        if self.EXEC_RUNNER:
            return [tool("partitioner"), "exec", "--", tool("testr"), "run"]
        if self.RUN_ARGS is None:
            return super().command()
        return [tool("partitioner"), "exec", "--dispatch", self.DISPATCH, "--", tool(self.TOOL), "run",
                *self.RUN_ARGS]

    def run_hung(self, target: str, prefix: str = "", victim_class: int = VICTIM_CLASS) -> tuple[str, Outcome]:
        """Run with a hang (``prefix`` first) planted in the first test of ``victim_class``; SIGTERM to
        ``target`` (``tool``: exec alone; ``group``: its process group) once it hangs."""
        victim, proc, started, _ = self.start_hung(prefix, victim_class)
        if target == "group":
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            os.kill(proc.pid, signal.SIGTERM)
        return victim, self.finish(proc, started)

    def check_ended(self, outcome: Outcome, victim: str, shape: str = "complete") -> None:
        """The promises, and exec's status: 143, as for a tool SIGTERM ended."""
        self.check(outcome, victim, shape, victim_status="" if shape != "complete" else "fail")
        self.assertEqual(143, outcome.returncode, outcome.stderr[-2000:])
        self.assertNotIn("arrived after every test had reported", outcome.stderr)

    def reason(self, outcome: Outcome, test_id: str) -> str:
        assert outcome.stored is not None
        return outcome.stored.attachment(test_id, "reason")

    def not_run(self, outcome: Outcome) -> list[str]:
        """The tests stored as never started because of the SIGTERM."""
        assert outcome.stored is not None
        return [t for t in outcome.stored.finals()
                if self.reason(outcome, t).startswith("not run: the run was interrupted (SIGTERM)")]


def last_class(suite_dataset: str) -> int:
    """The index of the class whose tests sort last (a one-worker run reaches it after every other class)."""
    classes = json.loads(suite_dataset)["classes"]
    return max(range(len(classes)), key=lambda i: classes[i]["class"])


class TestStaticStestr(Hung, testtools.TestCase):
    CHAIN, DISPATCH, TOOL, REPO = "exec-stestr", "static", "stestr", ".stestr"

    def test_a_test_that_ignores_sigterm_is_killed_after_the_grace(self) -> None:
        victim, outcome = self.run_hung("tool", IGNORES_SIGTERM)
        self.check_ended(outcome, victim)
        self.assertIn("killed by SIGKILL", self.reason(outcome, victim))
        self.assertNotEqual([], self.not_run(outcome))
        self.assertIn("the run was interrupted (SIGTERM)", outcome.stderr)

    @slow
    def test_sigterm_to_the_group(self) -> None:
        # plain `timeout`: SIGTERM to exec and then to its process group, the workers with it
        victim, outcome = self.run_hung("group", IGNORES_SIGTERM)
        self.check_ended(outcome, victim)


class TestStaticTestr(Hung, testtools.TestCase):
    CHAIN, DISPATCH, TOOL, REPO = "exec-testr", "static", "testr", ".testrepository"

    @slow
    def test_a_test_that_ignores_sigterm_is_killed_after_the_grace(self) -> None:
        victim, outcome = self.run_hung("tool", IGNORES_SIGTERM)
        self.check_ended(outcome, victim)
        self.assertIn("killed by SIGKILL", self.reason(outcome, victim))


class TestDynamicStestr(Hung, testtools.TestCase):
    CHAIN, DISPATCH, TOOL, REPO = "exec-stestr", "dynamic", "stestr", ".stestr"

    @slow
    def test_a_test_that_ignores_sigterm_is_killed_by_its_lane(self) -> None:
        victim, outcome = self.run_hung("tool", IGNORES_SIGTERM)
        self.check_ended(outcome, victim)
        self.assertIn("killed by SIGKILL", self.reason(outcome, victim))
        # the lanes said how many they cut short; exec's last word agrees (it said the run was complete)
        self.assertIn("partitioner: warning: the run was interrupted (SIGTERM)", outcome.stderr)


class TestOneWorkerStestr(Hung, testtools.TestCase):
    """``stestr run --concurrency 1``: stestr does not partition, and its one worker is ``sh -c COMMAND``."""

    CHAIN, DISPATCH, TOOL, REPO = "exec-stestr", "dynamic", "stestr", ".stestr"
    RUN_ARGS = ("--concurrency", "1")

    def test_sigterm_reaches_the_test_process_under_the_shell(self) -> None:
        victim_class = last_class((self.suite.path / "dataset.json").read_text())
        victim, outcome = self.run_hung("tool", victim_class=victim_class)
        # no plan, so no account: the tests that ran before the hang are stored, each once
        self.check_ended(outcome, victim, "partial")
        assert outcome.stored is not None
        ran = {t for t, s in outcome.stored.finals().items() if s == ["success"]}
        self.assertLess(0, len(ran & suite_ids(self.suite)), "the tests that ran before the hang were not stored")


class TestOneWorkerTestr(Hung, testtools.TestCase):
    CHAIN, DISPATCH, TOOL, REPO = "exec-testr", "dynamic", "testr", ".testrepository"
    RUN_ARGS = ()

    @slow
    def test_sigterm_reaches_the_test_process_under_the_shell(self) -> None:
        victim, outcome = self.run_hung("tool")
        self.check_ended(outcome, victim, "partial")


class TestRunnerUnderExec(Hung, testtools.TestCase):
    """``partitioner exec -- testr run`` with the runner in ``.testr.conf``: testr's one test command is the
    runner, under a shell; the runner ends its workers and accounts for every test."""

    CHAIN, DISPATCH, TOOL, REPO = "runner", "dynamic", "testr", ".testrepository"
    EXEC_RUNNER = True

    def test_sigterm_reaches_the_runner_under_the_shell(self) -> None:
        victim, outcome = self.run_hung("tool")
        self.check(outcome, victim, "complete", victim_status="")  # the hung test's status is its worker's word
        self.assertEqual(143, outcome.returncode, outcome.stderr[-2000:])
        self.assertIn("partitioner.run: lane", outcome.stderr)


# the matrix's own cases are test_faults_runs.py's to run: not again under each class here
for _name in [n for n in dir(Matrix) if n.startswith("test_")]:
    setattr(Hung, _name, None)
