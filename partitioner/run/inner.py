"""The inner test command the runner drives: how to list its tests, how to run a subset, and running it."""

from __future__ import annotations

import contextlib
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from partitioner.errors import RunnerError, UsageError
from partitioner.listing import parse_listing
from partitioner.run.parentdeath import dying_with_us
from partitioner.run.signals import POLL_S, Interrupt, describe_exit


@dataclass(frozen=True)
class InnerCommand:
    """The test command the runner drives, and how to ask it to list or to run a subset.

    :ivar argv: the command (everything after ``--``)
    :ivar list_option: arguments appended to list the tests
    :ivar id_option: arguments appended to run a subset; ``{file}`` is replaced by the id file's path
    """

    argv: tuple[str, ...]
    list_option: tuple[str, ...] = ("--list",)
    id_option: tuple[str, ...] = ("--load-list", "{file}")

    @classmethod
    def from_options(cls, argv: Sequence[str], list_option: str, id_option: str) -> InnerCommand:
        """Build from the command line's ``--list-option`` and ``--id-option`` strings (shell-quoted)."""
        if not argv:
            raise UsageError("no inner test command: put it after `--`, e.g. "
                             "`-- python -m subunit.run discover -t . ./tests`")
        try:
            listing, ids = tuple(shlex.split(list_option)), tuple(shlex.split(id_option))
        except ValueError as exc:
            raise UsageError(f"cannot split --list-option/--id-option: {exc}; check the quoting") from exc
        if not listing:
            raise UsageError("--list-option is empty; give the option that lists tests, e.g. '--list'")
        if not any("{file}" in arg for arg in ids):
            raise UsageError(f"--id-option {id_option!r} has no {{file}} placeholder; "
                             "write it like '--load-list {file}'")
        for arg in (listing[0], ids[0]):
            if arg in argv:
                raise UsageError(f"the inner command already contains {arg!r}: put $LISTOPT $IDOPTION "
                                 "before `--` in test_command, not after it")
        return cls(tuple(argv), listing, ids)

    def list_argv(self) -> list[str]:
        """The command that lists every test."""
        return [*self.argv, *self.list_option]

    def run_argv(self, id_file: Path) -> list[str]:
        """The command that runs the ids in ``id_file``."""
        return [*self.argv, *(arg.replace("{file}", str(id_file)) for arg in self.id_option)]

    def describe(self) -> str:
        """The command as a shell line, for messages."""
        return shlex.join(self.argv)


def spawn(argv: Sequence[str], cwd: Path | None, *, group: bool,
          env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start ``argv`` with its stdout piped (in a new session of its own when ``group``), SIGKILLed by the kernel
    if the runner dies first (:mod:`partitioner.run.parentdeath`: a worker leading its own group is out of reach
    of a signal to the runner's); ``env``: its environment (default: ours)."""
    # the preexec_fn runs no Python that takes a lock a reader thread might hold (parentdeath says why)
    try:
        return subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, cwd=cwd, env=env,
                                start_new_session=group, preexec_fn=dying_with_us())  # noqa: PLW1509
    except OSError as exc:
        raise RunnerError(f"cannot start the inner command `{shlex.join(argv)}`: {exc.strerror or exc}; "
                          "check the command after `--` (is it installed and on PATH?)") from exc


def capture(argv: Sequence[str], interrupt: Interrupt, cwd: Path | None = None) -> tuple[int, bytes]:
    """Run ``argv`` to completion (stderr passes through); returns (exit status, stdout bytes).

    A signal recorded by ``interrupt`` kills the child and raises :class:`Interrupted`.
    """
    proc = spawn(argv, cwd, group=False)
    while True:
        try:
            out, _ = proc.communicate(timeout=POLL_S)
            interrupt.check()  # the child may have died of the same Ctrl-C
            return proc.returncode, out
        except subprocess.TimeoutExpired:
            if interrupt.signum is not None:
                proc.kill()
                proc.communicate()
                interrupt.check()


def passthrough_list(command: InnerCommand, stdout: IO[bytes], interrupt: Interrupt,
                     cwd: Path | None = None) -> int:
    """Run the listing command, copying its stdout bytes to ``stdout``; returns its exit status."""
    status, out = capture(command.list_argv(), interrupt, cwd)
    with contextlib.suppress(BrokenPipeError, ConnectionResetError, ValueError):
        stdout.write(out)
        stdout.flush()
    return status


def list_tests(command: InnerCommand, interrupt: Interrupt, cwd: Path | None = None) -> list[str]:
    """Every test id the inner command lists (raises :class:`RunnerError` if listing fails)."""
    argv = command.list_argv()
    status, out = capture(argv, interrupt, cwd)
    if status != 0:
        raise RunnerError(f"listing the tests with `{shlex.join(argv)}` failed: it {describe_exit(status)} "
                          "(its stderr is above); run that command by hand to fix it")
    return parse_listing(out)
