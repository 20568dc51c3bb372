"""What ``partitioner exec -- stestr run`` (dynamic dispatch) says of its run after a Ctrl-C or a ``timeout``: the real
stestr, a real signal to the process group while a test runs.

The account counts every test the run was given: how many ran, how many the signal cut short (recorded as
failures: by the test process's own ``KeyboardInterrupt`` under SIGINT, by the lane under SIGTERM) and how many
never started, and says the stored run is partial. Before, a SIGINT whose only casualty was the running test (its
test process recorded it as failed) left the account silent or saying "each lane said how many" when no lane had,
and exec then called the run "stored complete".
"""

from __future__ import annotations

import json
import os
import re
import signal
import time

import testtools

from tests.e2e.test_faults_runs import HANG_S, Matrix, Outcome

#: the account's line after a signal (partitioner.dispatch.toolaccount.warning)
ACCOUNT = re.compile(r"partitioner: warning: the run was interrupted \((SIGINT|SIGTERM)\): of its (\d+) tests (\d+) "
                     r"ran, (\d+) (?:was|were) cut short and (\d+) never started; the stored run is partial: (?:that "
                     r"one is|those (\d+) are) recorded as (?:a failure|failures) \(the tool's failure count "
                     r"includes (?:it|them|1 of them; its output leaves out the \5 that never started)\), and "
                     r"`stestr run --failing` reruns (?:it|them)\n")


class TestInterruptedRunAccount(Matrix, testtools.TestCase):
    CHAIN = "exec"
    DISPATCH = "dynamic"
    TOOL = "stestr"
    REPO = ".stestr"

    def hang_last_test_of_first_class(self) -> str:
        """Make the last test of the suite's first class (dispatched first) hang; returns its id. Its lane then
        holds no test that has not started when the signal comes, and the other lane has run the rest."""
        cls = json.loads((self.suite.path / "dataset.json").read_text())["classes"][0]
        test_id = str(list(cls["tests"])[-1])
        name = test_id.rsplit(".", 1)[1].split("[", maxsplit=1)[0]
        module, class_name = cls["class"].rsplit(".", 1)
        path = self.suite.path.joinpath(*module.split(".")).with_suffix(".py")
        source = path.read_text()
        head = f"    def {name}(self):\n"
        at = source.index(head, source.index(f"class {class_name}(")) + len(head)
        pidfile = self.suite.path / "hung.pid"
        hang = f"import os, time; open({str(pidfile)!r}, 'w').write(str(os.getpid())); time.sleep({HANG_S})"
        path.write_text(f"{source[:at]}        {hang}\n{source[at:]}")
        return test_id

    def times(self) -> dict[str, float]:
        """The test times stestr keeps for the next runs' partitions (``times.dbm``), by id without ``[attrs]``."""
        from stestr.repository.file import Repository

        ids = [str(t) for c in json.loads((self.suite.path / "dataset.json").read_text())["classes"]
               for t in c["tests"]]
        known = Repository(str(self.repo)).get_test_times(ids)["known"]
        return {k.split("[")[0]: float(v) for k, v in known.items()}

    def interrupted(self, signum: signal.Signals) -> tuple[str, Outcome]:
        victim = self.hang_last_test_of_first_class()
        self.old_times = self.times()
        self.old_run = (self.repo / "0").read_bytes()
        started = time.monotonic()
        proc = self.start()
        self.await_hang(proc, self.suite.path / "hung.pid", started)
        os.killpg(proc.pid, signum)  # as a terminal's Ctrl-C, or `timeout` to the group
        return victim, self.finish(proc, started)

    def check_account(self, signum: signal.Signals) -> None:
        victim, outcome = self.interrupted(signum)
        self.check(outcome, victim, "complete", victim_status="fail")
        self.assertEqual(128 + signum, outcome.returncode, outcome.stderr[-2000:])
        match = ACCOUNT.search(outcome.stderr)
        assert match is not None, outcome.stderr[-3000:]
        name, total, ran, cut, never = match.group(1), *map(int, match.group(2, 3, 4, 5))
        assert outcome.stored is not None
        finals = {t: s[0] for t, s in outcome.stored.finals().items() if t != "process-returncode"}
        not_run = [t for t, s in finals.items() if s == "fail"
                   and outcome.stored.attachment(t, "reason").startswith("not run")]
        self.assertEqual((signum.name, len(finals), total), (name, total, ran + cut + never))
        self.assertEqual(len(not_run), never)
        self.assertEqual(1, cut)  # the hung test, and only it: the others had ended (passed) or never started
        self.assertEqual(len([s for s in finals.values() if s == "success"]), ran)
        # `stestr last` prints one failure block per test a Ctrl-C kept from starting (the run's own console leaves
        # them out: test_exec_interrupt_console.py): each block's reason stays one short line, the full account is
        # said once on stderr
        reasons = {outcome.stored.attachment(t, "reason") for t in not_run}
        self.assertEqual([], [r for r in reasons if "\n" in r.strip() or len(r) > 200])
        self.assertNotIn("each lane said how many", outcome.stderr)
        self.assertNotIn("stored complete", outcome.stderr)
        # the tests that did not run to their end keep the times an earlier run stored (the interrupted run wrote
        # 0 s for each unstarted one, and plain stestr's next --failing run put nearly all of them on one worker);
        # the tests that ran are timed as they ran
        times = self.times()
        unrun = {i.split("[")[0] for i in [*not_run, victim]}
        self.assertEqual({t: self.old_times.get(t) for t in unrun}, {t: times.get(t) for t in unrun})
        ran = [t.split("[")[0] for t, s in finals.items() if s == "success"]
        self.assertTrue(ran and all(times.get(t, 0) > 0 for t in ran), (ran, times))

    def test_sigint_to_the_group_counts_the_test_its_own_process_failed(self) -> None:
        self.check_account(signal.SIGINT)

    def test_sigterm_to_the_group_as_timeout_sends_it(self) -> None:
        self.check_account(signal.SIGTERM)


# the matrix's own cases are test_faults_runs.py's to run: not again here
for _name in [n for n in dir(Matrix) if n.startswith("test_")]:
    setattr(TestInterruptedRunAccount, _name, None)
