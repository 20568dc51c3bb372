"""The ``partitioner`` command line: argparse subcommands, named exit codes, one error boundary.

Each subcommand lives in :mod:`partitioner.commands` as a module with ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args, io) -> int``; this module only wires them and maps
:class:`~partitioner.errors.PartitionerError` to exit codes, so a traceback always means a bug.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Protocol

from partitioner import __version__
from partitioner.errors import PartitionerError

OK = 0
ERROR = 1
USAGE = 2


@dataclass(frozen=True)
class IO_:
    """The streams a command reads and writes (injected so tests need no patching)."""

    stdin: IO[bytes]
    stdout: IO[str]
    stderr: IO[str]

    def warn(self, message: str) -> None:
        """Print one ``partitioner: warning: ...`` line to stderr."""
        self.stderr.write(f"partitioner: warning: {message}\n")


class Command(Protocol):
    """**Protocol:** a subcommand module."""

    NAME: str
    HELP: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace, io: IO_) -> int: ...


class _Parser(argparse.ArgumentParser):
    """argparse that prints one usage line plus the error, then exits with USAGE."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"{self.prog}: error: {message}\n")


def commands(only: str | None = None) -> tuple[Command, ...]:
    """The registered subcommands, in help order (just ``only`` when given and known)."""
    from partitioner import commands as registry

    names = [only] if only in registry.MODULES else list(registry.MODULES)
    return tuple(registry.load(name) for name in names)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full argument parser (also used to document the CLI).

    :param only: a command name: build just that subcommand (its module alone is imported); parsing a
        command line that names it gives the same result as with the full parser
    """
    parser = _Parser(prog="partitioner", description="Balanced, race-aware test partitions for testr/stestr.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for command in commands(only):
        p = sub.add_parser(command.NAME, help=command.HELP, description=command.HELP)
        command.add_arguments(p)
        p.set_defaults(_command=command)
    return parser


def main(argv: Sequence[str] | None = None, stdout: IO[str] | None = None, stderr: IO[str] | None = None,
         stdin: IO[bytes] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 error, 2 usage).

    :param argv: arguments without the program name; ``sys.argv[1:]`` when ``None``
    """
    io = IO_(stdin if stdin is not None else sys.stdin.buffer,
             stdout if stdout is not None else sys.stdout,
             stderr if stderr is not None else sys.stderr)
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=arguments[0] if arguments else None)
    old_err = sys.stderr
    sys.stderr = io.stderr  # argparse writes usage errors to sys.stderr
    try:
        try:
            args = parser.parse_args(arguments)
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else USAGE
    finally:
        sys.stderr = old_err
    try:
        return int(args._command.run(args, io))
    except PartitionerError as exc:
        io.stderr.write(f"partitioner: error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        io.stderr.write("partitioner: interrupted\n")
        return 130
    except BrokenPipeError:
        return ERROR
