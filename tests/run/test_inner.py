"""Tests for partitioner.run.inner: how the inner command is asked to list and to run a subset."""

from __future__ import annotations

from pathlib import Path

import testtools

from partitioner.errors import UsageError
from partitioner.run import InnerCommand


class TestInnerCommand(testtools.TestCase):
    def test_idoption_after_the_double_dash_is_refused(self) -> None:
        self.assertRaises(UsageError, InnerCommand.from_options, ["python", "--list"], "--list",
                          "--load-list {file}")

    def test_id_option_template(self) -> None:
        command = InnerCommand.from_options(["t"], "--list-tests", "--ids={file} -v")
        self.assertEqual(["t", "--ids=/x", "-v"], command.run_argv(Path("/x")))
        self.assertEqual(["t", "--list-tests"], command.list_argv())
