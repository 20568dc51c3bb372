"""What the planning commands (plan, explain, concurrency) read, given the shared arguments: test ids and a plan."""

from __future__ import annotations

import argparse
from pathlib import Path

from partitioner.cli.arguments import given_path, project_dir
from partitioner.cli.console import Console
from partitioner.config import Settings, default_concurrency, load_settings
from partitioner.errors import InputError, UsageError
from partitioner.listing import default_ids, read_id_file
from partitioner.pipeline import Planned, plan_for_directory


def test_ids(args: argparse.Namespace, cwd: Path, settings: Settings, console: Console) -> list[str]:
    """The ids of ``--tests`` (a file, or ``-`` for stdin), else the project's own listing.

    :raises InputError: when there are none
    """
    if args.tests == "-" and "-" in args.history:
        raise UsageError("--tests - and --history - both want stdin; put one of them in a file")
    ids = read_id_file(given_path(args.tests, cwd), console.stdin) if args.tests else default_ids(cwd, settings)
    if not ids:
        raise InputError("no tests to plan: the test list is empty; check --tests or the listing command")
    return ids


def make_plan(args: argparse.Namespace, console: Console) -> Planned:
    """List, load history, and plan, honouring flags over config files."""
    cwd = project_dir(args)
    settings = load_settings(cwd)
    ids = test_ids(args, cwd, settings, console)
    concurrency = settings.choose("concurrency", getattr(args, "concurrency", None), default_concurrency()).value
    return plan_for_directory(ids, concurrency, cwd, args.history, args.group_by, args.strategy, console.stdin,
                              settings)
