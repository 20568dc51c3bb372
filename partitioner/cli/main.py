"""``partitioner``: wire the subcommands into one argparse parser, run one, and map errors to exit codes.

Each subcommand lives in :mod:`partitioner.cli.commands` as a module with ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args, console) -> int``; this module is the one place that turns a
:class:`~partitioner.errors.PartitionerError` into an exit code, so a traceback always means a bug.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import IO, Protocol

from partitioner import __version__
from partitioner.cli.arguments import BadArguments, Parser
from partitioner.cli.console import Console
from partitioner.errors import PartitionerError, one_line

#: every command ran as asked
OK = 0
#: a PartitionerError: bad input, unreadable history, unwritable output... (one line on stderr)
ERROR = 1
#: a bad command line (one line: what is wrong, and which ``--help`` to read)
USAGE = 2
#: stopped by Ctrl-C
INTERRUPTED = 130


class Command(Protocol):
    """**Protocol:** a subcommand module."""

    NAME: str
    HELP: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace, console: Console) -> int: ...


def commands(only: str | None = None) -> tuple[Command, ...]:
    """The registered subcommands, in help order (just ``only`` when given and known)."""
    from partitioner.cli import commands as registry

    names = [only] if only in registry.MODULES else list(registry.MODULES)
    return tuple(registry.load(name) for name in names)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full argument parser (also used to document the CLI).

    :param only: a command name: build just that subcommand (its module alone is imported); parsing a
        command line that names it gives the same result as with the full parser
    """
    parser = Parser(prog="partitioner", description="Balanced, race-aware test partitions for testr/stestr.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for command in commands(only):
        p = sub.add_parser(command.NAME, help=command.HELP, description=command.HELP)
        command.add_arguments(p)
        p.set_defaults(_command=command)
    return parser


def _deepest(parser: argparse.ArgumentParser, arguments: Sequence[str]) -> argparse.ArgumentParser:
    """The (sub)parser of the deepest subcommand ``arguments`` name (``partitioner history export ...`` ->
    that of ``history export``): an error the top parser reports, such as unrecognized arguments, is then
    shown with the command the user typed."""
    found = parser
    words = iter(arguments)
    while True:
        subparsers = [a for a in found._actions if isinstance(a, argparse._SubParsersAction)]
        if not subparsers:
            return found
        word = next((w for w in words if not w.startswith("-")), None)
        chosen = subparsers[0].choices.get(word) if word is not None else None
        if chosen is None:
            return found
        found = chosen


def _before_the_command(arguments: Sequence[str],
                        parser: argparse.ArgumentParser) -> tuple[argparse.ArgumentParser, list[str]] | None:
    """The command named in ``arguments`` and the options (with their values) typed before its name, when the
    command itself takes each of them (``-q`` of ``partitioner -q exec``, ``-n 2`` of ``partitioner -n 2 plan``):
    argparse blamed the command for them ("partitioner exec: unrecognized arguments: -q"), or took a value for the
    command's name ("invalid choice: '2'"). None when something else is wrong."""
    subparsers = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
    if subparsers is None:
        return None
    at = next((i for i, word in enumerate(arguments) if word in subparsers.choices), 0)
    early = list(arguments[:at])
    if not early or not early[0].startswith("-"):
        return None
    command = subparsers.choices[arguments[at]]
    known = command._option_string_actions
    for word in (w for w in early if w.startswith("-")):
        name = word.split("=", 1)[0]
        if name not in known and not (not name.startswith("--") and name[:2] in known):  # -n2: -n with its value
            return None
    return command, early


def main(argv: Sequence[str] | None = None, stdout: IO[str] | None = None, stderr: IO[str] | None = None,
         stdin: IO[bytes] | None = None) -> int:
    """Run the CLI; returns the exit status (:data:`OK`, :data:`ERROR`, :data:`USAGE`, :data:`INTERRUPTED`).

    :param argv: arguments without the program name; ``sys.argv[1:]`` when ``None``
    """
    console = Console(stdin if stdin is not None else sys.stdin.buffer,
                      stdout if stdout is not None else sys.stdout,
                      stderr if stderr is not None else sys.stderr)
    try:
        return _run(list(sys.argv[1:] if argv is None else argv), console)
    except KeyboardInterrupt:  # also while the command's modules load: a Ctrl-C right after the command starts
        console.stderr.write("partitioner: interrupted\n")
        return INTERRUPTED


def _run(arguments: list[str], console: Console) -> int:
    """Parse ``arguments`` and run the command (:func:`main` answers a KeyboardInterrupt)."""
    parser = build_parser(only=arguments[0] if arguments else None)
    try:
        args = parser.parse_args(arguments)
    except BadArguments as exc:
        prog = _deepest(parser, arguments).prog if exc.parser is parser else exc.parser.prog
        misplaced = _before_the_command(arguments, parser) if exc.parser is parser else None
        if misplaced is not None:  # `partitioner -q exec ...`: the top parser has no -q; the command was not to blame
            command, early = misplaced
            console.stderr.write(f"partitioner: error: {' '.join(early)} goes after the command: `{command.prog} "
                                 f"{' '.join(early)} ...`; see `{command.prog} --help`\n")
            return USAGE
        console.stderr.write(f"{prog}: error: {one_line(str(exc))}; see `{prog} --help`\n")
        return USAGE
    except SystemExit as exc:  # --help and --version print and exit 0
        return exc.code if isinstance(exc.code, int) else USAGE
    try:
        return int(args._command.run(args, console))
    except PartitionerError as exc:
        console.stderr.write(f"partitioner: error: {one_line(str(exc))}\n")
        return exc.exit_code
    except BrokenPipeError:
        return ERROR
