"""A split into shards for people (``plan --shards M``, table format), and as its plan file (JSON).

The table is not a stable interface; the plan file is (:mod:`partitioner.shards.planfile`, versioned).
"""

from __future__ import annotations

from typing import IO

from partitioner.costmodel import UNIT_SUFFIX
from partitioner.figures import figure, number
from partitioner.history.model import is_note
from partitioner.shards import ShardedPlan
from partitioner.shards.planfile import dumps_plan_file


def render_shards_table(sharded: ShardedPlan, out: IO[str]) -> None:
    """One row per shard (its predicted wall time, tests, groups, the serial phase), then the balance."""
    unit = UNIT_SUFFIX[sharded.unit]
    m = sharded.count
    out.write(f"{'shard':>7}  {'groups':>6}  {'tests':>6}  {'serial':>6}  {'predicted':>12}\n")
    for shard in sharded.shards:
        label = f"{shard.index}/{m}"
        out.write(f"{label:>7}  {len(shard.groups):>6}  {len(shard.tests):>6}  {len(shard.plan.serial):>6}  "
                  f"{number(shard.predicted_s, sharded.unit):>11}{unit}\n")
    out.write(f"{m} shards x {sharded.concurrency} workers, strategy {sharded.strategy}, grouping {sharded.grouping}\n")
    out.write(f"largest shard {figure(sharded.predicted_makespan_s, sharded.unit)}, lower bound "
              f"{figure(sharded.lower_bound_s, sharded.unit)}, "
              f"efficiency {sharded.efficiency:.1%}; split {sharded.digest}\n")
    if sharded.history:
        out.write(f"history: {', '.join(sharded.history)}\n")
    for warning in sharded.warnings:  # a first run's empty repository is a note: nothing is wrong
        out.write(f"{'note' if is_note(warning) else 'warning'}: {warning}\n")


def render_shards_file(sharded: ShardedPlan, out: IO[str]) -> None:
    """The plan file (what every shard job reads with ``--plan FILE --shard K``)."""
    out.write(dumps_plan_file(sharded))
