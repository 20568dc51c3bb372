"""What ``plan`` and ``explain`` cover, as the run will: the test list, stestr's test path, the run's filters.

A tox env runs ``stestr --test-path ./tempest/tests run --concurrency 4 FILTER...``; ``partitioner plan`` and
``explain`` take the same: ``--test-path DIR`` (and ``--top-dir``) list the suite as stestr's discovery of DIR
does, ``FILTER...`` keeps the tests one of the regexes finds (``re.search``, their union: what ``stestr run``
and ``testr run`` do with theirs), ``--exclude-regex`` drops those it finds (stestr's ``-E``). Without them the
list is ``--tests FILE``, else the project's own listing (:func:`partitioner.listing.default_ids`).
:meth:`Selection.describe` says which, in the words of one line; :func:`run_dispatch` says how the run deals the
plan's groups out.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from partitioner.cli.arguments import add_discovery, discovery_where
from partitioner.cli.console import Console
from partitioner.cli.inputs import test_ids
from partitioner.config import Settings, listing_tool
from partitioner.errors import InputError, UsageError
from partitioner.listing import discovery_paths

if TYPE_CHECKING:
    from partitioner.pipeline import Planned


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
    :ivar tool: the tool whose listing the run follows (``stestr``/``testr``; ``None``: neither config file), whose
        repository the plan reads (:func:`partitioner.pipeline.own_repositories`)
    """

    ids: list[str]
    listed: int
    source: str
    filters: tuple[str, ...] = ()
    exclude: str | None = None
    tool: str | None = None

    def describe(self) -> str:
        """E.g. ``40 of 1,200 tests from discovery of ./tests (--test-path), filters: smoke``."""
        listed = f"{self.listed:,} tests"
        what = f"{len(self.ids):,} of {listed}" if len(self.ids) != self.listed else listed
        picked = f", filters: {' '.join(self.filters)}" if self.filters else ""
        dropped = f", excluding {self.exclude}" if self.exclude else ""
        return f"{what} from {self.source}{picked}{dropped}"


def _source(args: argparse.Namespace, cwd: Path, settings: Settings) -> str:
    """Where the list came from; a discovery names the directory it really started at, as stestr's shell expands
    the test path (python-novaclient's ``${OS_TEST_PATH:-./novaclient/tests/unit}``), and the value it came from."""
    if args.tests:
        return "stdin" if args.tests == "-" else args.tests
    if settings.test_command and not (args.test_path or args.top_dir):
        return "the listing of .testr.conf's test_command"
    where = "--test-path" if args.test_path else ".stestr.conf's test_path"
    test_path, _ = discovery_paths(cwd, settings)
    written = f" {settings.test_path}" if test_path != settings.test_path else ""
    return f"discovery of {test_path} ({where}{written})"


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
                          top_dir=args.top_dir or settings.top_dir, where=discovery_where(args, settings.where))
    ids = test_ids(args, cwd, listing, console)
    chosen = [t for t in ids if (not patterns or any(p.search(t) for p in patterns))
              and (exclude is None or not exclude.search(t))]
    selection = Selection(chosen, len(ids), _source(args, cwd, listing), tuple(args.filters), args.exclude_regex,
                          listing_tool(listing))
    if not chosen:
        raise InputError(f"no tests to plan: none of the {selection.listed} tests from {selection.source} is "
                         "selected by the filters; check the FILTER and --exclude-regex regexes")
    return selection


def run_dispatch(settings: Settings, planned: Planned) -> tuple[str, str] | None:
    """How the project's run deals this plan out when it is given no ``--dispatch``: ``(dynamic or static, why)``,
    as ``partitioner exec`` (and ``python -m partitioner.run`` as testr's test_command) decide it; None when the
    plan has no project command to judge by (a ``--tests`` list in a directory without ``.testr.conf`` or
    ``.stestr.conf``). Under dynamic dispatch the workers a static plan names are not the run's: an idle worker
    takes the next group of the queue.
    """
    import shlex

    from partitioner.config import DEFAULT
    from partitioner.dispatch.choice import planned_reason
    from partitioner.dispatch.command import joined_lines, recognise_shell

    choice = settings.choose("dispatch", None, "dynamic")
    if choice.where != DEFAULT:
        return choice.value, f"the dispatch option in {choice.where}"
    command = settings.test_command
    foreign = "is not `python -m RUNNER ...`, which a pull worker stands in for"
    if command and "partitioner.run" in command:  # our runner decides by its own options and inner command
        from partitioner.errors import UsageError
        from partitioner.interpreters import PYTHON_VARIABLE
        from partitioner.run.cli import choose_dispatch, parse_args

        try:  # the shell testr runs it with expands ${PYTHON:-python}; $LISTOPT and $IDOPTION are testr's
            words = shlex.split(PYTHON_VARIABLE.sub("python", joined_lines(command)))
            ours = [w for w in words[words.index("partitioner.run") + 1:] if not w.startswith("$")]
            args, inner = parse_args(ours)
        except (ValueError, UsageError):
            return "static", f"the runner's command line in .testr.conf's test_command {foreign}"
        mode, _ = choose_dispatch(args.dispatch, settings, inner)
        if mode == "static":
            return "static", ("--dispatch static in .testr.conf's test_command" if args.dispatch == "static" else
                              f"the runner's inner command {foreign}")
    elif command and recognise_shell(command) is None:
        return "static", f".testr.conf's test_command {foreign}"
    elif not command and not settings.stestr:
        return None
    lanes = len(planned.plan.workers)
    if lanes < 2:
        return "static", "one worker"
    reason = planned_reason(planned, lanes)
    if reason is not None:
        return "static", reason
    return "dynamic", ("the runner's default" if command and "partitioner.run" in command else
                       "partitioner exec's default: a pull worker stands in for the project's test command")
