"""The one definition of test statuses (subunit's vocabulary) and of the pseudo test ids tools invent, and which
listed tests have no final status yet (testscenarios' ``id(scenario)`` results counted for their listed id).

A test's events end in one *final* status; ``exists`` (listed, not run) and ``inprogress`` (started) are
not final. Every module that sorts results by status takes the sets below from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

SUCCESS = "success"
FAIL = "fail"
SKIP = "skip"
XFAIL = "xfail"
UXSUCCESS = "uxsuccess"
#: a listing's status: the test exists (``--list``), nothing ran
EXISTS = "exists"
#: the test started and has not ended yet
INPROGRESS = "inprogress"

#: statuses that end a test
FINAL = frozenset({SUCCESS, FAIL, SKIP, XFAIL, UXSUCCESS})
#: final statuses of a test that ran to completion as expected; only these give timing samples
PASSING = frozenset({SUCCESS, XFAIL})
#: final statuses that make a run unsuccessful
FAILING = frozenset({FAIL, UXSUCCESS})
#: final statuses of a test that did not pass (failed or skipped)
NOT_PASSING = FINAL - PASSING

#: the id testr records a test command's non-zero exit status under (a failed pseudo-test, never a real one)
TESTR_RETURNCODE = "process-returncode"
#: ids tools invent for things that are not tests: never planned, run, or suspected of a race
PSEUDO_TESTS = frozenset({TESTR_RETURNCODE})
#: the pseudo-test id python-subunit reports a v2 packet parse error under
SUBUNIT_PARSER = "subunit.parser"

#: how partitioner's reasons for a test it records as failed itself begin when the test never started (the queue's,
#: a lane's, the runner's and ``partitioner exec``'s ``not run: ...``)
NOT_RUN = "not run:"
#: ... when a signal cut it short (``interrupted: lane 0 received SIGTERM, ...``)
INTERRUPTED = "interrupted"
#: ... and how they end when its worker died or was lost first (``..., and this test never reported a result``)
NEVER_REPORTED = "never reported a result"


def reason_line(reason: str, traceback: str = "") -> str:
    """A failure's reason in one line: the first line of its ``reason`` attachment, else the last line of its
    ``traceback`` (the exception), else ``""``."""
    for text, last in ((reason, False), (traceback, True)):
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if lines:
            return lines[-1] if last else lines[0]
    return ""


def ctrl_c(line: str) -> bool:
    """Whether a failure's :func:`reason_line` is a ``KeyboardInterrupt``: SIGINT reached the test's own process."""
    return line.startswith("KeyboardInterrupt")


def unfinished(line: str) -> bool:
    """Whether a failure's :func:`reason_line` says the test did not run to its end: partitioner's reasons for a test
    that never started, was cut short by a signal or lost with its worker, or a Ctrl-C in its own process."""
    return line.startswith((NOT_RUN, INTERRUPTED)) or line.endswith(NEVER_REPORTED) or ctrl_c(line)


def scenario_base(test_id: str) -> str | None:
    """The listed id a scenario run reports under ``test_id``: ``m.C.test_x`` for ``m.C.test_x(scenario)``.

    A test class with ``testscenarios.WithScenarios`` lists one id and, when it runs, reports one result per
    scenario under ``id(scenario)``: for the accounting, the listed id then ran.
    """
    head, sep, _ = test_id.partition("(")
    return head if sep and head else None


def expanded(finished: Iterable[str]) -> set[str]:
    """The listed ids that ran as scenarios (see :func:`scenario_base`), from ids with a final status."""
    return {base for base in map(scenario_base, finished) if base is not None}


def unended(listed: Iterable[str], last: Mapping[str, str]) -> list[str]:
    """The tests of ``listed`` that have no final status in ``last`` (test id -> the last status it reported), by
    the id each is known by: a listed id that never reported, neither itself nor as scenarios; then each scenario
    ``id(scenario)`` of a listed id that started and never ended (a signal or a crash cut it short).

    The scenario must fail under its own id: its listed id may count as run already, by a scenario that ended
    (:func:`expanded`), and a failure under the listed id would be one for a test that never runs by that name.
    """
    listed = list(listed)
    known = set(listed)
    ran = expanded(t for t, status in last.items() if status in FINAL)
    scenarios = [t for t, status in last.items()
                 if status not in FINAL and t not in known and scenario_base(t) in known]
    begun = {scenario_base(t) for t in scenarios}
    return [t for t in listed if last.get(t) not in FINAL and t not in ran and t not in begun] + scenarios
