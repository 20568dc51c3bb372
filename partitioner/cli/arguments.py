"""Argument declarations shared by partitioner's command lines (the ``partitioner`` commands and
``python -m partitioner.run``): one parser class, one whole-number type, each shared option declared once.

Light on purpose: ``python -m partitioner.run`` imports it before every test run.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

from partitioner.errors import UsageError

#: what ``--group-by`` accepts
GROUP_BY_HELP = "class (default), module, none, regex:RE, callback:package.module:function"
#: what ``--history`` accepts
HISTORY_HELP = ("a .testrepository/.stestr dir, a subunit v1/v2 stream (gzip ok; - for stdin) or a JSON timing "
                "file; repeatable; a KIND: prefix (stestr:, testrepository:, subunit:, json:) forces the kind")


class BadArguments(UsageError):
    """A command line argparse rejected; ``parser`` is the (sub)parser that rejected it, for its usage line."""

    def __init__(self, message: str, parser: argparse.ArgumentParser) -> None:
        super().__init__(message)
        self.parser = parser


class Parser(argparse.ArgumentParser):
    """argparse that raises :class:`BadArguments` instead of printing and exiting, so that only the entry
    point (``partitioner``'s or the runner's) decides how an error is shown and which status it exits with."""

    def error(self, message: str) -> NoReturn:
        raise BadArguments(message, self)

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        """argparse's check of a choice (a subcommand's name, a ``choices=`` option's value), naming the choice
        a typo was close to: ``invalid choice: 'paln', did you mean 'plan'? (choose from 'plan', ...)``."""
        choices = action.choices
        if choices is not None and isinstance(value, str) and value not in choices:
            import difflib  # only for a command line that is already wrong: the runner's start stays light

            names = [str(c) for c in choices]
            close = difflib.get_close_matches(value, names, n=1)
            if close:
                listed = ", ".join(repr(name) for name in names)
                raise argparse.ArgumentError(action, f"invalid choice: {value!r}, did you mean {close[0]!r}? "
                                                     f"(choose from {listed})")
        super()._check_value(action, value)


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


#: how relative paths are read: said once, in -C's help
PATHS_HELP = ("a relative path given on the command line is read from the current directory, or from DIR when "
              "the current directory has no such file; relative paths in config files are taken from DIR")


def percent(text: str) -> float:
    """argparse type: a finite number >= 0 (a percentage; above 100 is allowed)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage (a number >= 0), got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a percentage (a finite number >= 0), got {text!r}")
    return value


def add_directory(parser: argparse.ArgumentParser) -> None:
    """``-C DIR``: the project directory."""
    parser.add_argument("-C", "--directory", default=".", metavar="DIR",
                        help=f"the project directory (config files, repositories); default: the current one; "
                             f"{PATHS_HELP}")


def history_source(text: str) -> str:
    """argparse type of ``--history``: a relative path that exists here is made absolute (the rule of
    :data:`PATHS_HELP`; :func:`partitioner.history.load.given_here`)."""
    from partitioner.history.load import given_here  # the history readers: only for commands that read history

    return given_here(text)


def given_path(path: str, cwd: Path) -> str:
    """A file named on the command line, by the rule of :data:`PATHS_HELP` (``-`` is stdin, kept)."""
    if path == "-" or Path(path).is_absolute() or _exists(Path(path)) or not _exists(cwd / path):
        return path
    return str(cwd / path)


def _exists(path: Path) -> bool:
    """Whether ``path`` exists; a name the system refuses (too long) is "no", and reading it says why."""
    try:
        return path.exists()
    except OSError:
        return False


def add_history(parser: argparse.ArgumentParser, default: str, use: str = "") -> None:
    """``--history PATH``, repeatable.

    :param default: what is read when none is given
    :param use: what the command does with it, when more than "timing history"
    """
    parser.add_argument("--history", action="append", default=[], metavar="PATH", type=history_source,
                        help=f"{use or 'timing history'}: {HISTORY_HELP}; default: {default}")


#: what --dispatch-order's choices mean, said once for every command that takes it
DISPATCH_ORDER_HELP = ("under dynamic dispatch, the order groups are handed out in: lookahead (suite order, but a "
                       "lane may skip ahead to a long group that would end the run alone; each process starts at the "
                       "earliest queued group and runs in suite order), suite (each worker runs its tests in the "
                       "order plain testr/stestr would, for suites whose tests depend on what ran before them), mono "
                       "(longest predicted first among the groups that keep each test process in suite order; a "
                       "fresh process, forked from one that loaded the suite, when none is left: no test follows a "
                       "later one, but a fresh process may start mid-suite) or cost (longest predicted first: the "
                       "best balance) (default: the config files' dispatch_order option, else lookahead)")


def add_dispatch(parser: argparse.ArgumentParser, dynamic: str, static: str = "each worker's share is fixed before "
                 "the run", default: str = "the config files' dispatch option") -> None:
    """``--dispatch {dynamic,static}`` and ``--dispatch-order {suite,mono,cost}``.

    :param dynamic: what ``--dispatch dynamic`` does in this command
    :param static: what ``--dispatch static`` does in it
    :param default: where the dispatch comes from when the option is not given
    """
    parser.add_argument("--dispatch", choices=("dynamic", "static"),
                        help=f"dynamic: {dynamic}; static: {static} (default: {default})")
    # config.DISPATCH_ORDERS (not imported here: `python -m partitioner.run` starts without the config module)
    parser.add_argument("--dispatch-order", choices=("lookahead", "suite", "mono", "cost"), help=DISPATCH_ORDER_HELP)


def add_discovery(parser: argparse.ArgumentParser, when: str = "") -> None:
    """``--test-path DIR`` and ``--top-dir DIR``: stestr's discovery, as a tox env's ``stestr --test-path DIR run``.

    :param when: when the command uses them, e.g. ``"with --confirm in a stestr project: "``
    """
    parser.add_argument("--test-path", metavar="DIR",
                        help=f"{when}discover the tests under DIR, as `stestr --test-path DIR run` does (tox envs "
                             f"often pass it), instead of the project's own listing (.stestr.conf's test_path, "
                             f".testr.conf's test_command)")
    parser.add_argument("--top-dir", metavar="DIR",
                        help=f"{when}the top directory of that discovery, as stestr's --top-dir (default: "
                             f".stestr.conf's top_dir, else ./)")


def discovery_where(args: argparse.Namespace, where: Mapping[str, str]) -> Mapping[str, str]:
    """A settings' ``where`` with test_path named as the command line's when ``--test-path`` gave it, so that a
    listing that cannot start names the flag, not .stestr.conf (:func:`partitioner.listing.missing_test_path`)."""
    return {**where, "test_path": "--test-path"} if getattr(args, "test_path", None) else where


def add_plan_arguments(parser: argparse.ArgumentParser, concurrency: bool = True) -> None:
    """What planning reads: --concurrency, --tests, --history, --group-by, --strategy, -C."""
    from partitioner.strategies import STRATEGIES  # the registry: only the commands that plan need it

    if concurrency:
        parser.add_argument("-n", "--concurrency", type=positive_int, metavar="N",
                            help="number of workers (default: [partitioner] concurrency, else the CPU count)")
    parser.add_argument("--tests", metavar="FILE|-",
                        help="test ids, one per line (- for stdin); default: list through .testr.conf's "
                             "test_command with $LISTOPT, or through `stestr list`")
    add_history(parser, "[partitioner] history, else .stestr/.testrepository found in the directory")
    parser.add_argument("--group-by", metavar="SPEC", help=GROUP_BY_HELP)
    parser.add_argument("--strategy", metavar="NAME",
                        help=f"scheduling strategy: {', '.join(sorted(STRATEGIES))} (default lpt)")
    add_directory(parser)


def project_dir(args: argparse.Namespace) -> Path:
    """The ``-C`` directory.

    :raises UsageError: when it does not exist
    """
    cwd = Path(args.directory)
    try:
        found, other = cwd.is_dir(), cwd.exists()
    except OSError:  # a name too long, a loop of symbolic links
        found = other = False
    if not found:
        if other:
            raise UsageError(f"{cwd} is not a directory; pass the project's directory with -C")
        raise UsageError(f"no such directory: {cwd}; pass an existing project directory with -C")
    return cwd
