"""The one definition of test statuses (subunit's vocabulary) and of the pseudo test ids tools invent.

A test's events end in one *final* status; ``exists`` (listed, not run) and ``inprogress`` (started) are
not final. Every module that sorts results by status takes the sets below from here.
"""

from __future__ import annotations

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
