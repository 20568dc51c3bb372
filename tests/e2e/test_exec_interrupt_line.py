"""What ``partitioner exec`` says when a Ctrl-C lands after every test reported: the real stestr, a real SIGINT.

The run is stored whole (and green) and exec still exits 130; one line on stderr says why, so the status does not
read as a failure the summary above it does not show.
"""

from __future__ import annotations

import testtools

from tests.e2e import test_faults_runs  # its class, not imported by name: collected once, there

#: the line for a SIGINT after every test reported (its wording is exec's, :func:`_interruption`)
AFTER_EVERY_TEST = ("partitioner: SIGINT arrived after every test had reported: the run is stored complete, and exec "
                    "exits 130 because it was interrupted")


class TestInterruptAfterEveryTest(testtools.TestCase):
    def test_a_sigint_while_the_tool_stores_a_whole_run_is_explained_in_one_line(self) -> None:
        # the run, the slow storing moment and the real Ctrl-C of the fault suite; it checks the stored run is whole
        code, err, _ = test_faults_runs.TestSignalAfterTheTests.run_signalled(
            self, "storing")  # type: ignore[arg-type]
        self.assertEqual(130, code, err)
        self.assertIn(AFTER_EVERY_TEST, err.splitlines())
        self.assertNotIn("never reported", err)
        self.assertNotIn("Traceback", err)
