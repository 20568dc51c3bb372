"""Shards: a suite split over M CI jobs, each planned over its N workers. Re-exports only.

* :mod:`~partitioner.shards.split`: the split (pure): :func:`split_shards`, :class:`ShardedPlan`, :class:`Shard`;
* :mod:`~partitioner.shards.spec`: which shard a job is: ``K/M`` or ``auto`` from the CI's variables (pure);
* :mod:`~partitioner.shards.planfile`: the plan file made once and handed to every job (reads a file: import it
  from there).
"""

from __future__ import annotations

from partitioner.shards.spec import CI_VARIABLES as CI_VARIABLES
from partitioner.shards.spec import SHARD_VARIABLE as SHARD_VARIABLE
from partitioner.shards.spec import CIVariables as CIVariables
from partitioner.shards.spec import ShardSpec as ShardSpec
from partitioner.shards.spec import parse_shard as parse_shard
from partitioner.shards.spec import shard_from_env as shard_from_env
from partitioner.shards.split import Coverage as Coverage
from partitioner.shards.split import Shard as Shard
from partitioner.shards.split import ShardedPlan as ShardedPlan
from partitioner.shards.split import lower_bound as lower_bound
from partitioner.shards.split import split_digest as split_digest
from partitioner.shards.split import split_shards as split_shards
from partitioner.shards.split import split_weights as split_weights
