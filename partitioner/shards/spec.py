"""Which shard a job is: ``K/M`` (K counts from 1), or ``auto`` from the CI's own variables.

``auto`` looks, in this order, at:

========================  ==========================================================  ==========
CI                        variables (index / count)                                   index base
========================  ==========================================================  ==========
any (set it yourself)     ``PARTITIONER_SHARD=K/M``                                    1
GitLab CI (``parallel:``) ``CI_NODE_INDEX`` / ``CI_NODE_TOTAL``                        1
Buildkite (parallelism)   ``BUILDKITE_PARALLEL_JOB`` / ``BUILDKITE_PARALLEL_JOB_COUNT``  0
CircleCI (parallelism)    ``CIRCLE_NODE_INDEX`` / ``CIRCLE_NODE_TOTAL``                0
Azure Pipelines           ``SYSTEM_JOBPOSITIONINPHASE`` / ``SYSTEM_TOTALJOBSINPHASE``  1
Semaphore                 ``SEMAPHORE_JOB_INDEX`` / ``SEMAPHORE_JOB_COUNT``            1
Bitbucket Pipelines       ``BITBUCKET_PARALLEL_STEP`` / ``BITBUCKET_PARALLEL_STEP_COUNT``  0
========================  ==========================================================  ==========

GitHub Actions and Zuul define no job index: a matrix value (GitHub) or a job variable (Zuul) gives it,
passed as ``K/M`` or exported as ``PARTITIONER_SHARD``. A pair counts only when its index variable is set
(GitLab sets ``CI_NODE_TOTAL=1`` in every job that is not parallel); a pair with an index but no count, or
a value that is not a whole number in range, is an error naming the variable. The environment is passed in,
so this module stays pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from partitioner.errors import ConfigError, UsageError

__all__ = ["CI_VARIABLES", "SHARD_VARIABLE", "CIVariables", "ShardSpec", "parse_shard", "shard_from_env"]

#: the variable any CI (or a person) can set to ``K/M``
SHARD_VARIABLE = "PARTITIONER_SHARD"
_FORM = re.compile(r"^\s*(?P<index>[0-9]+)\s*(?:/\s*(?P<count>[0-9]+)\s*)?$")


@dataclass(frozen=True)
class CIVariables:
    """Where one CI says which parallel job this is.

    :ivar ci: the CI's name
    :ivar index: the variable holding this job's index
    :ivar count: the variable holding the number of jobs
    :ivar base: the index of the first job (0 or 1)
    """

    ci: str
    index: str
    count: str
    base: int


#: the CIs ``auto`` knows, in the order it looks at them (after :data:`SHARD_VARIABLE`)
CI_VARIABLES: tuple[CIVariables, ...] = (
    CIVariables("GitLab CI", "CI_NODE_INDEX", "CI_NODE_TOTAL", 1),
    CIVariables("Buildkite", "BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT", 0),
    CIVariables("CircleCI", "CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL", 0),
    CIVariables("Azure Pipelines", "SYSTEM_JOBPOSITIONINPHASE", "SYSTEM_TOTALJOBSINPHASE", 1),
    CIVariables("Semaphore", "SEMAPHORE_JOB_INDEX", "SEMAPHORE_JOB_COUNT", 1),
    CIVariables("Bitbucket Pipelines", "BITBUCKET_PARALLEL_STEP", "BITBUCKET_PARALLEL_STEP_COUNT", 0),
)


@dataclass(frozen=True)
class ShardSpec:
    """This job's shard.

    :ivar index: K, counting from 1
    :ivar count: M, the number of shards
    :ivar where: where it came from (``2/4``, or the CI and its variables)
    """

    index: int
    count: int
    where: str = ""

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def _number(text: str, what: str) -> int:
    value = text.strip()
    if not value.isdigit():
        raise ConfigError(f"{what} is {text!r}, not a whole number; fix the variable or give the shard as K/M")
    return int(value)


def parse_shard(text: str, env: Mapping[str, str] | None = None, count: int | None = None) -> ShardSpec:
    """``K/M``, ``K`` (when ``count`` is known, e.g. from a plan file) or ``auto`` -> a :class:`ShardSpec`.

    :param env: the environment ``auto`` reads (``os.environ`` at the edge)
    :param count: M when the caller knows it already: ``K/M`` must agree with it, ``K`` alone is allowed
    :raises UsageError: for text of another form, K outside 1..M, M below 1, or an M that disagrees
    :raises ConfigError: for CI variables that do not make a shard (see :func:`shard_from_env`)
    """
    if text.strip().lower() == "auto":
        spec = shard_from_env(env or {})
    else:
        match = _FORM.match(text)
        if match is None:
            raise UsageError(f"shard {text!r} is not K/M; write e.g. 2/4 (K counts from 1), or auto to read "
                             f"the CI's variables")
        if match.group("count") is None and count is None:
            raise UsageError(f"shard {text!r} has no shard count; write K/M, e.g. {text.strip()}/4")
        index = int(match.group("index"))
        total = int(match.group("count")) if match.group("count") is not None else count
        assert total is not None
        spec = ShardSpec(index, total, text.strip())
    if spec.count < 1:
        raise UsageError(f"shard {spec.where}: the shard count must be at least 1")
    if not 1 <= spec.index <= spec.count:
        raise UsageError(f"shard {spec.where}: K must be between 1 and {spec.count} (K counts from 1)")
    if count is not None and spec.count != count:
        raise UsageError(f"shard {spec.where}: the split has {count} shards, not {spec.count}; use the same "
                         f"shard count in every job")
    return spec


def shard_from_env(env: Mapping[str, str]) -> ShardSpec:
    """This job's shard from :data:`SHARD_VARIABLE`, else from the first CI in :data:`CI_VARIABLES` that sets
    its index variable.

    :raises UsageError: when no CI variable says it (the message lists what was looked for)
    :raises ConfigError: for a variable that is not a whole number, or an index without a count
    """
    own = env.get(SHARD_VARIABLE, "").strip()
    if own:
        if own.lower() == "auto":
            raise ConfigError(f"{SHARD_VARIABLE}=auto: set it to K/M (e.g. 2/4), the shard of this job")
        try:
            spec = parse_shard(own)
        except UsageError as error:
            raise ConfigError(f"{SHARD_VARIABLE}={own!r}: {error}") from None
        return ShardSpec(spec.index, spec.count, f"{SHARD_VARIABLE}={own}")
    for ci in CI_VARIABLES:
        raw_index = env.get(ci.index, "").strip()
        if not raw_index:
            continue
        raw_count = env.get(ci.count, "").strip()
        if not raw_count:
            raise ConfigError(f"{ci.ci}: {ci.index} is set but {ci.count} is not; set both, or give the shard "
                              f"as K/M")
        index = _number(raw_index, f"{ci.ci}'s {ci.index}") - ci.base + 1
        total = _number(raw_count, f"{ci.ci}'s {ci.count}")
        if not 1 <= index <= total:
            raise ConfigError(f"{ci.ci}: {ci.index}={raw_index} is outside {ci.base}..{total - 1 + ci.base} "
                              f"({ci.count}={raw_count}); fix the variables or give the shard as K/M")
        return ShardSpec(index, total, f"{ci.ci} {ci.index}={raw_index} {ci.count}={raw_count}")
    looked = ", ".join(f"{c.index}/{c.count} ({c.ci})" for c in CI_VARIABLES)
    raise UsageError(f"shard auto: no CI shard variables are set (looked for {SHARD_VARIABLE}=K/M, {looked}); "
                     f"give the shard as K/M (GitHub Actions and Zuul: from a matrix value or job variable)")
