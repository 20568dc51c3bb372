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

    def test_shard_options_that_cannot_work_are_usage_errors(self) -> None:
        self.assertOneLineError(["exec", "--plan", "p.json", "--", "stestr", "run"], USAGE, "--plan FILE needs --shard")
        self.assertOneLineError(["exec", "--shard", "1/2", "--", "sh", "-c", "true"], USAGE,
                                "--shard needs testr or stestr installed in this environment")
        self.assertOneLineError(["exec", "--shard", "1/2", "--", "stestr", "run", "--pdb", "x"], USAGE,
                                "--shard cannot split a run with --pdb")


class TestResolve(CLICase):
    """Issue 10 item 2: what exec does with each kind of PROGRAM (the runs themselves: tests/e2e)."""

    def test_console_scripts_modules_scripts_and_other_programs(self) -> None:
        import os
        import stat

        import fixtures

        from partitioner.cli.commands.execute import resolve

        tmp = self.useFixture(fixtures.TempDir()).path
        for name, text in (("shell-wrapper", "#!/bin/sh\nexit 0\n"), ("py-wrapper", "#!/usr/bin/env python3\n"),
                           ("binary", "\x7fELF\x00\x01")):
            path = os.path.join(tmp, name)
            with open(path, "w", encoding="latin-1") as out:
                out.write(text)
            os.chmod(path, stat.S_IRWXU)
        self.useFixture(fixtures.EnvironmentVariable("PATH", f"{tmp}{os.pathsep}{os.environ['PATH']}"))
        self.assertEqual("entry", resolve("stestr", ["run"]).kind)
        module = resolve(os.path.basename(sys.executable), ["-m", "stestr", "run"])
        self.assertEqual(("module", "stestr", ("run",)), (module.kind, module.name, module.argv))
        self.assertEqual("program", resolve(os.path.basename(sys.executable), ["-c", "1"]).kind)
        self.assertEqual("script", resolve("py-wrapper", []).kind)
        self.assertEqual("program", resolve("shell-wrapper", []).kind)
        self.assertEqual("program", resolve("binary", []).kind)
