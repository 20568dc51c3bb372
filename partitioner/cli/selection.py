"""What ``plan`` and ``explain`` cover, as the run will: the test list, stestr's test path, the run's filters.

A tox env runs ``stestr --test-path ./tempest/tests run --concurrency 4 FILTER...``; ``partitioner plan`` and
``explain`` take the same: ``--test-path DIR`` (and ``--top-dir``) list the suite as stestr's discovery of DIR
does, ``FILTER...`` keeps the tests one of the regexes finds (``re.search``, their union: what ``stestr run``
and ``testr run`` do with theirs), ``--exclude-regex`` drops those it finds (stestr's ``-E``). Without them the
list is ``--tests FILE``, else the project's own listing (:func:`partitioner.listing.default_ids`).
:meth:`Selection.describe` says which, in the words of one line.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, replace
from pathlib import Path

from partitioner.cli.arguments import add_discovery
from partitioner.cli.console import Console
from partitioner.cli.inputs import test_ids
from partitioner.config import Settings
from partitioner.errors import InputError, UsageError


def add_selection_arguments(parser: argparse.ArgumentParser) -> None:
    """``--test-path``, ``--top-dir``, ``--exclude-regex`` and the ``FILTER`` regexes."""
    add_discovery(parser)
    parser.add_argument("--exclude-regex", metavar="REGEX",
                        help="drop the tests REGEX finds, as `stestr run --exclude-regex`")
    parser.add_argument("filters", nargs="*", default=[], metavar="FILTER",  # a default: not "required"
                        help="only the tests one of these regexes finds (re.search), as `stestr run FILTER...` and "
                             "`testr run FILTER...` select them")


def _compile(pattern: str, what: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as error:
        raise UsageError(f"{what} {pattern!r} is not a regular expression ({error}); fix it, or quote it for the "
                         "shell") from None


@dataclass(frozen=True)
class Selection:
    """The tests a plan covers and how they were chosen.

    :ivar ids: the selected ids, in listing order
    :ivar listed: how many the list or listing held
    :ivar source: where the list came from
    :ivar filters: the FILTER regexes (none: every listed test)
    :ivar exclude: the exclude regex, if any
    """

    ids: list[str]
    listed: int
    source: str
    filters: tuple[str, ...] = ()
    exclude: str | None = None

    def describe(self) -> str:
        """E.g. ``40 of 1,200 tests from discovery of ./tests (--test-path), filters: smoke``."""
        listed = f"{self.listed:,} tests"
        what = f"{len(self.ids):,} of {listed}" if len(self.ids) != self.listed else listed
        picked = f", filters: {' '.join(self.filters)}" if self.filters else ""
        dropped = f", excluding {self.exclude}" if self.exclude else ""
        return f"{what} from {self.source}{picked}{dropped}"


def _source(args: argparse.Namespace, settings: Settings) -> str:
    if args.tests:
        return "stdin" if args.tests == "-" else args.tests
    if args.test_path or args.top_dir:
        where = "--test-path" if args.test_path else ".stestr.conf"
        return f"discovery of {args.test_path or settings.test_path} ({where})"
    if settings.test_command:
        return "the listing of .testr.conf's test_command"
    return f"discovery of {settings.test_path} (.stestr.conf's test_path)"


def select(args: argparse.Namespace, cwd: Path, settings: Settings, console: Console) -> Selection:
    """List the tests (``--tests``, ``--test-path``, or the project's listing), then apply the filters.

    :raises UsageError: a filter that is not a regular expression; ``--test-path`` with ``--tests``
    :raises InputError: no test listed, or none left after the filters
    """
    if args.tests and (args.test_path or args.top_dir):
        raise UsageError("--tests gives the list itself; --test-path/--top-dir say where to discover it: use one")
    patterns = [_compile(f, "FILTER") for f in args.filters]
    exclude = _compile(args.exclude_regex, "--exclude-regex") if args.exclude_regex else None
    listing = settings
    if args.test_path or args.top_dir:  # stestr's discovery, as `stestr --test-path DIR run` lists
        listing = replace(settings, test_command=None, stestr=True, test_path=args.test_path or settings.test_path,
                          top_dir=args.top_dir or settings.top_dir)
    ids = test_ids(args, cwd, listing, console)
    chosen = [t for t in ids if (not patterns or any(p.search(t) for p in patterns))
              and (exclude is None or not exclude.search(t))]
    selection = Selection(chosen, len(ids), _source(args, listing), tuple(args.filters), args.exclude_regex)
    if not chosen:
        raise InputError(f"no tests to plan: none of the {selection.listed} tests from {selection.source} is "
                         "selected by the filters; check the FILTER and --exclude-regex regexes")
    return selection
