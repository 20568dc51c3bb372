"""``partitioner exec --shard K/M``: the tool runs only this job's shard of its own selection.

Where the tool sets up its run (stestr's ``TestProcessorFixture.setUp``, testr's ``TestListingFixture.setUp``),
the tool's own selection is listed first (its test path, filters, load list, exclusions: a copy of the fixture set
up and thrown away, :func:`select`), the suite is split (:func:`partitioner.pipeline.select_shard`), and the
fixture is set up with this shard's tests as its test list, as ``--load-list`` would (:func:`restrict`): the tool
itself then runs only them, whether it partitions them or not (at concurrency 1 stestr never calls
``partition_tests``). An empty shard stops the tool before it runs anything (:class:`NothingToRun`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from partitioner.errors import UsageError

if TYPE_CHECKING:
    from partitioner.pipeline import ShardRun

#: run options that do not go through the tool's test list (so a shard could not restrict them)
UNSHARDABLE = ("--no-discover", "--pdb", "--isolated", "--analyze-isolation")


class NothingToRun(BaseException):  # not an error: it unwinds the tool, which catches Exception
    """This job's shard is empty: the tool must run nothing (an empty test list would make it run everything)."""


def check_shardable(shard: str | None, argv: Sequence[str]) -> None:
    """Refuse a shard for runs that do not go through the tool's test list.

    :raises UsageError: for ``--no-discover``, ``--pdb``, ``--isolated``, ``--analyze-isolation``
    """
    if shard is None:
        return
    found = [a for a in argv if a.split("=", 1)[0] in UNSHARDABLE]
    if found:
        raise UsageError(f"--shard cannot split a run with {found[0]}: it runs tests that do not go through the "
                         "tool's test list; drop one of them")


def select(fixture: Any, setup: Callable[[Any], Any], shard: str, env: Mapping[str, str], plan_file: str | None,
           history: Sequence[str]) -> tuple[ShardRun, int]:
    """This job's shard of the tool's own selection, and the tool's concurrency: a copy of ``fixture`` is set up
    (the tool lists and selects) and thrown away."""
    probe = copy.copy(fixture)
    if probe.test_ids is None and not probe.test_filters:
        probe.test_filters = [""]  # matches every id: makes either tool list its suite
    setup(probe)
    try:
        listed = list(dict.fromkeys(probe.test_ids or ()))
        concurrency = int(getattr(probe, "concurrency", 1) or 1)
    finally:
        probe.cleanUp()
    from partitioner.pipeline import select_shard

    return select_shard(sorted(listed), shard, Path.cwd(), env, plan_file=plan_file, concurrency=concurrency,
                        history=tuple(history)), concurrency


def restrict(fixture: Any, setup: Callable[[Any], Any], shard_run: ShardRun) -> Any:
    """Set ``fixture`` up with the tests of ``shard_run`` it selects (all of them when it selects none)."""
    mine = set(shard_run.tests)
    fixture.test_ids = [t for t in fixture.test_ids if t in mine] if fixture.test_ids is not None else \
        list(shard_run.tests)
    return setup(fixture)
