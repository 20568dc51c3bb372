"""The shard plan file: a split made once (``partitioner plan --shards M -o plan.json``) and handed to every job.

Format (version :data:`SHARD_FILE_VERSION`), numbers rounded to milliseconds, keys sorted, ``indent=1`` and a
trailing newline, so the same split always gives the same bytes::

    {
     "concurrency": 4,                      N: each shard's workers
     "digest": "3f2a...",                   fingerprint of which tests each shard runs (checked on read)
     "format_version": 1,
     "grouping": "class",
     "has_history": true,
     "history": ["sqlite:///ci/history.db?upto=42"],   the pinned sources the split came from, passwords hidden
     "kind": "partitioner-shards",
     "lower_bound_s": 118.2, "predicted_makespan_s": 121.0, "startup_s": 0.4, "total_s": 1890.5,
     "shard_count": 4,
     "shards": [
      {"shard": 1, "predicted_s": 121.0, "groups": ["pkg.mod.Class", ...],
       "plan": {"strategy": "lpt", "predicted_makespan_s": ..., "lower_bound_s": ..., "total_s": ...,
                "efficiency": ..., "estimated_share": ..., "critical_group": ..., "serial_s": ...,
                "serial": [test ids], "warnings": [...],
                "workers": [{"worker": 0, "predicted_s": ..., "groups": [...], "tests": [...]}, ...]}},
      ...
     ],
     "warnings": [...]
    }

The file is read back by every shard job, so it has its own version (like the timing file's), independent
of the version of partitioner's JSON outputs (:data:`partitioner.render.FORMAT_VERSION`). History:
1 -- first version. A file of another version, of another kind (a plain ``plan --format json``), with a
test in two shards, or whose digest does not match its shards (edited by hand) is refused with one line.
Resource merges are not kept (each shard's plan shows none when read back).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from partitioner.errors import InputError
from partitioner.history.store.url import redact
from partitioner.plan import Partition, Plan
from partitioner.shards.split import Shard, ShardedPlan, split_digest

__all__ = ["KIND", "SHARD_FILE_VERSION", "PlanFileError", "dumps_plan_file", "parse_plan_file", "read_plan_file",
           "sharded_to_dict"]

#: version of the shard plan file, which partitioner reads back
SHARD_FILE_VERSION = 1
#: what the ``kind`` key says, so that a plain plan's JSON is not taken for a split
KIND = "partitioner-shards"


class PlanFileError(InputError):
    """A shard plan file is missing, unreadable, of another version, or not a consistent split."""


def _r(value: float) -> float:
    return round(value, 3)


def _plan_dict(plan: Plan) -> dict[str, Any]:
    return {
        "strategy": plan.strategy,
        "predicted_makespan_s": _r(plan.predicted_makespan_s),
        "lower_bound_s": _r(plan.lower_bound_s),
        "total_s": _r(plan.total_s),
        "efficiency": _r(plan.efficiency),
        "estimated_share": _r(plan.estimated_share),
        "critical_group": plan.critical_group,
        "serial": list(plan.serial),
        "serial_s": _r(plan.serial_s),
        "warnings": list(plan.warnings),
        "workers": [{"worker": p.worker, "predicted_s": _r(p.predicted_s), "groups": list(p.groups),
                     "tests": list(p.tests)} for p in plan.workers],
    }


def _shard_s(shard: Shard) -> float:
    """A shard's predicted time from its plan's rounded figures, so that a file read back and written again
    gives the same bytes."""
    return _r(_r(shard.plan.predicted_makespan_s) + _r(shard.plan.serial_s))


def sharded_to_dict(sharded: ShardedPlan) -> dict[str, Any]:
    """The plan file's document for ``sharded``."""
    return {
        "format_version": SHARD_FILE_VERSION,
        "kind": KIND,
        "shard_count": sharded.count,
        "concurrency": sharded.concurrency,
        "grouping": sharded.grouping,
        "has_history": sharded.has_history,
        "history": [redact(h) for h in sharded.history],  # a URL password never reaches the file
        "digest": sharded.digest,
        "predicted_makespan_s": max((_shard_s(s) for s in sharded.shards), default=0.0),
        "lower_bound_s": _r(sharded.lower_bound_s),
        "total_s": _r(sharded.total_s),
        "startup_s": _r(sharded.startup_s),
        "warnings": list(sharded.warnings),
        "shards": [{"shard": s.index, "predicted_s": _shard_s(s), "groups": list(s.groups),
                    "plan": _plan_dict(s.plan)} for s in sharded.shards],
    }


def dumps_plan_file(sharded: ShardedPlan) -> str:
    """The deterministic text of the plan file (sorted keys, ``indent=1``, trailing newline)."""
    return f"{json.dumps(sharded_to_dict(sharded), sort_keys=True, indent=1, ensure_ascii=False)}\n"


class _Reader:
    """Typed access to a parsed document; every problem is one :class:`PlanFileError` naming the file."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, problem: str) -> PlanFileError:
        return PlanFileError(f"{self.name}: {problem}; make the file again with `partitioner plan --shards M "
                             f"-o FILE` and hand the same file to every shard job")

    def get(self, data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
        if key not in data:
            raise self.fail(f"{where} has no {key!r}")
        value = data[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _tuple(kind)):
            raise self.fail(f"{where}: {key!r} is {type(value).__name__}, expected {_names(kind)}")
        return value

    def number(self, data: Mapping[str, Any], key: str, where: str) -> float:
        return float(self.get(data, key, (int, float), where))

    def strings(self, data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        values = self.get(data, key, list, where)
        if not all(isinstance(v, str) for v in values):
            raise self.fail(f"{where}: {key!r} must be a list of strings")
        return tuple(values)

    def mapping(self, value: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{where} is {type(value).__name__}, expected an object")
        return value


def _tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _names(kind: type | tuple[type, ...]) -> str:
    return " or ".join(k.__name__ for k in _tuple(kind))


def _plan(read: _Reader, data: Mapping[str, Any], where: str, grouping: str, has_history: bool,
          startup: float) -> Plan:
    workers: list[Partition] = []
    for position, raw in enumerate(read.get(data, "workers", list, where)):
        at = f"{where} worker {position}"
        worker = read.mapping(raw, at)
        number = read.get(worker, "worker", int, at)
        if number != position:
            raise read.fail(f"{at} is numbered {number}")
        workers.append(Partition(number, read.strings(worker, "tests", at), read.strings(worker, "groups", at),
                                 read.number(worker, "predicted_s", at)))
    critical = data.get("critical_group")
    if critical is not None and not isinstance(critical, str):
        raise read.fail(f"{where}: 'critical_group' must be a string or null")
    return Plan(
        workers=tuple(workers),
        strategy=read.get(data, "strategy", str, where),
        grouping=grouping,
        predicted_makespan_s=read.number(data, "predicted_makespan_s", where),
        lower_bound_s=read.number(data, "lower_bound_s", where),
        total_s=read.number(data, "total_s", where),
        efficiency=read.number(data, "efficiency", where),
        estimated_share=read.number(data, "estimated_share", where),
        critical_group=critical,
        has_history=has_history,
        startup_s=startup,
        serial=read.strings(data, "serial", where),
        serial_s=read.number(data, "serial_s", where),
        warnings=read.strings(data, "warnings", where),
    )


def parse_plan_file(data: bytes | str, name: str) -> ShardedPlan:
    """Parse and check a plan file's content.

    :param name: how to name the file in messages
    :raises PlanFileError: for anything but a consistent split of a known version
    """
    read = _Reader(name)
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise read.fail(f"not JSON ({' '.join(str(error).split())})") from None
    top = read.mapping(document, "the file")
    if top.get("kind") != KIND:
        if "workers" in top:
            raise read.fail("this is a plan for one machine (plan --format json), not a split into shards")
        raise read.fail(f"not a shard plan file (its 'kind' is {top.get('kind')!r}, expected {KIND!r})")
    version = top.get("format_version")
    if version != SHARD_FILE_VERSION:
        raise read.fail(f"format_version {version!r} is not {SHARD_FILE_VERSION}, the version this partitioner "
                        f"reads (a newer partitioner made it, or it is damaged)")
    grouping = read.get(top, "grouping", str, "the file")
    has_history = read.get(top, "has_history", bool, "the file")
    startup = read.number(top, "startup_s", "the file")
    concurrency = read.get(top, "concurrency", int, "the file")
    shards: list[Shard] = []
    for position, raw in enumerate(read.get(top, "shards", list, "the file"), 1):
        where = f"shard {position}"
        entry = read.mapping(raw, where)
        if read.get(entry, "shard", int, where) != position:
            raise read.fail(f"{where} is numbered {entry['shard']}: shards must be numbered 1, 2, ... in order")
        plan = _plan(read, read.mapping(read.get(entry, "plan", dict, where), f"{where}'s plan"), f"{where}'s plan",
                     grouping, has_history, startup)
        if plan.concurrency != concurrency:
            raise read.fail(f"{where} has {plan.concurrency} workers, not {concurrency}")
        shards.append(Shard(position, plan, read.strings(entry, "groups", where)))
    if read.get(top, "shard_count", int, "the file") != len(shards) or not shards:
        raise read.fail(f"shard_count says {top['shard_count']} but the file holds {len(shards)} shards")
    seen: dict[str, int] = {}
    for shard in shards:
        for test in shard.tests:
            first = seen.setdefault(test, shard.index)
            if first != shard.index:
                raise read.fail(f"{test} is in shard {first} and in shard {shard.index}")
    if sum(len(s.tests) for s in shards) != len(seen):
        raise read.fail("a test is listed twice within one shard")
    digest = read.get(top, "digest", str, "the file")
    if digest != split_digest([s.tests for s in shards]):
        raise read.fail("its digest does not match its shards (edited by hand, or damaged)")
    return ShardedPlan(
        shards=tuple(shards),
        concurrency=concurrency,
        strategy=shards[0].plan.strategy,
        grouping=grouping,
        has_history=has_history,
        total_s=read.number(top, "total_s", "the file"),
        lower_bound_s=read.number(top, "lower_bound_s", "the file"),
        startup_s=startup,
        history=read.strings(top, "history", "the file"),
        warnings=read.strings(top, "warnings", "the file"),
    )


def read_plan_file(path: str | os.PathLike[str]) -> ShardedPlan:
    """Read and check a plan file.

    :raises PlanFileError: when it is missing, unreadable or not a consistent split
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise PlanFileError(f"{path}: no such plan file; make it with `partitioner plan --shards M -o {path}` "
                            f"or pass the file the planning job wrote") from None
    except OSError as error:
        raise PlanFileError(f"{path}: cannot read the plan file ({error.strerror or error}); check the path "
                            f"and its permissions") from None
    return parse_plan_file(data, str(path))

