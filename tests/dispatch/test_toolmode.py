"""Which dispatch a tool's run gets under partitioner exec (dispatch/toolmode.py)."""

from __future__ import annotations

import os
from pathlib import Path

import fixtures
import testtools

from partitioner.dispatch.toolmode import choose, nested_runner

WORKER = "python -m subunit.run discover -t . ./tests --load-list /tmp/x"


class TestChoose(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.useFixture(fixtures.TempHomeDir())  # no user-wide configuration either
        self.dir = Path(self.useFixture(fixtures.TempDir()).path)
        cwd = os.getcwd()
        os.chdir(self.dir)  # choose reads the current directory's configuration
        self.addCleanup(os.chdir, cwd)

    def test_dynamic_by_default_for_a_command_a_pull_worker_stands_in_for(self) -> None:
        mode = choose(None, None, WORKER, None)
        self.assertEqual(("dynamic", False, None), (mode.value, mode.chosen, mode.note))
        self.assertEqual("lookahead", mode.order.value)

    def test_static_with_a_note_for_another_command_or_a_reason(self) -> None:
        other = choose(None, None, "./run-tests.sh $IDFILE", None)
        self.assertEqual("static", other.value)
        self.assertIn("needs a worker command", other.note or "")
        kept = choose("dynamic", "suite", WORKER, "a randomized order (--random)")
        self.assertEqual(("static", True, "suite"), (kept.value, kept.chosen, kept.order.value))
        self.assertIn("(asked for by --dispatch) is off for a randomized order", kept.note or "")

    def test_static_asked_for_says_nothing(self) -> None:
        mode = choose("static", None, WORKER, None)
        self.assertEqual(("static", True, None), (mode.value, mode.chosen, mode.note))

    def test_the_option_chooses_when_the_command_line_does_not(self) -> None:
        (self.dir / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./tests\n[partitioner]\ndispatch = static\n")
        mode = choose(None, None, WORKER, None)
        self.assertEqual(("static", True), (mode.value, mode.chosen))


class TestNestedRunner(testtools.TestCase):
    def test_only_partitioners_runner_is_warned_of(self) -> None:
        self.assertIsNone(nested_runner(WORKER, 2))
        warning = nested_runner("python -m partitioner.run -- python -m subunit.run discover", 3)
        self.assertIn("partitioned 3 ways around it", warning or "")
