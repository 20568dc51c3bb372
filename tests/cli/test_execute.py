"""Tests for ``partitioner exec`` (the hooked tools themselves run in tests/e2e/)."""

from __future__ import annotations

import subprocess
import sys

from partitioner.cli.main import USAGE
from tests.cli.harness import CLICase


class TestExec(CLICase):
    def test_loads_only_its_own_command(self) -> None:
        code = ("import sys; from partitioner.cli.main import main; "
                "rc = main(['exec', '--', 'python-no-such-program']); "
                "print(rc, sorted(m for m in sys.modules if m.startswith('partitioner.cli.commands.')))")
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        self.assertEqual("2 ['partitioner.cli.commands.execute']", proc.stdout.strip(), proc.stderr)

    def test_unknown_program_is_a_usage_error(self) -> None:
        self.assertOneLineError(["exec", "python-no-such-program"], USAGE,
                                "'python-no-such-program' is neither a Python console script nor a program on PATH")
