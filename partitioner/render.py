"""Render a plan: a human table, versioned JSON, a stestr ``--worker-file``, per-worker id lists.

JSON ``format_version`` history: 1 — first version.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

from partitioner.errors import InputError
from partitioner.grouping import Group
from partitioner.plan import Plan

FORMAT_VERSION = 1


def _r(value: float) -> float:
    """Round for output, so JSON is byte-stable across platforms."""
    return round(value, 3)


def plan_to_dict(plan: Plan) -> dict[str, object]:
    """The JSON document for a plan (``format_version`` 1)."""
    return {
        "format_version": FORMAT_VERSION,
        "strategy": plan.strategy,
        "grouping": plan.grouping,
        "concurrency": plan.concurrency,
        "has_history": plan.has_history,
        "predicted_makespan_s": _r(plan.predicted_makespan_s),
        "lower_bound_s": _r(plan.lower_bound_s),
        "total_s": _r(plan.total_s),
        "efficiency": _r(plan.efficiency),
        "estimated_share": _r(plan.estimated_share),
        "critical_group": plan.critical_group,
        "startup_s": _r(plan.startup_s),
        "workers": [
            {"worker": p.worker, "predicted_s": _r(p.predicted_s), "groups": list(p.groups), "tests": list(p.tests)}
            for p in plan.workers
        ],
        "serial": {"tests": list(plan.serial), "predicted_s": _r(plan.serial_s)},
        "merged_groups": [{"group": m.key, "resources": list(m.resources), "members": list(m.members)}
                          for m in plan.merged],
        "warnings": list(plan.warnings),
    }


def render_json(plan: Plan, out: IO[str], groups: Sequence[Group] = ()) -> None:
    json.dump(plan_to_dict(plan), out, indent=1, ensure_ascii=False)
    out.write("\n")


def render_table(plan: Plan, out: IO[str], groups: Sequence[Group] = ()) -> None:
    unit = "s" if plan.has_history else " tests"
    out.write(f"{'worker':>6}  {'groups':>6}  {'tests':>6}  {'predicted':>12}\n")
    for p in plan.workers:
        out.write(f"{p.worker:>6}  {len(p.groups):>6}  {len(p.tests):>6}  {p.predicted_s:>11.1f}{unit}\n")
    if plan.serial:
        out.write(f"{'serial':>6}  {'':>6}  {len(plan.serial):>6}  {plan.serial_s:>11.1f}{unit}\n")
    out.write(f"strategy {plan.strategy}, grouping {plan.grouping}\n")
    out.write(f"predicted makespan {plan.predicted_makespan_s:.1f}{unit}, lower bound {plan.lower_bound_s:.1f}{unit}, "
              f"efficiency {plan.efficiency:.1%}\n")
    out.write(f"estimated (not measured) share of cost {plan.estimated_share:.1%}; "
              f"critical group {plan.critical_group or '-'}\n")
    for merge in plan.merged:
        out.write(f"resource group {merge.key} (worker {plan.worker_of_group(merge.key)}) joins: "
                  f"{', '.join(merge.members)}\n")
    for warning in plan.warnings:
        out.write(f"warning: {warning}\n")


def _yaml_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def group_regex(group: Group, all_ids: Sequence[str]) -> str:
    """One anchored, escaped regex selecting exactly the group's tests among ``all_ids`` (re.search).

    A class-like group whose tests all start with ``KEY.`` gets ``^KEY\\.``, when no other test does;
    otherwise an anchored alternation of its exact ids.
    """
    prefix = group.key + "."
    if all(t.startswith(prefix) for t in group.tests):
        members = set(group.tests)
        if not any(t.startswith(prefix) and t not in members for t in all_ids):
            return "^" + re.escape(prefix)
    if len(group.tests) == 1:
        return "^" + re.escape(group.tests[0]) + "$"
    return "^(?:" + "|".join(re.escape(t) for t in group.tests) + ")$"


def render_worker_file(plan: Plan, out: IO[str], groups: Sequence[Group] = ()) -> None:
    """YAML for ``stestr run --worker-file``: one anchored regex per group, one entry per worker.

    Serial tests, which a worker file cannot run alone, go to the last worker with a comment.
    """
    by_key = {g.key: g for g in groups}
    all_ids = [t for p in plan.workers for t in p.tests] + list(plan.serial)
    out.write(f"# partitioner plan: {plan.concurrency} workers, predicted makespan "
              f"{plan.predicted_makespan_s:.1f}s, lower bound {plan.lower_bound_s:.1f}s\n")
    for p in plan.workers:
        if not p.groups:
            out.write("# (empty worker omitted: stestr skips workers with no tests)\n")
            continue
        out.write("- worker:\n")
        for key in p.groups:
            group = by_key.get(key) or Group(key, tuple(t for t in p.tests if t.startswith(key)))
            out.write(f"  - {_yaml_quote(group_regex(group, all_ids))}\n")
    if plan.serial:
        out.write("# serial tests: a worker file cannot express phases; they run as one more worker\n")
        out.write("- worker:\n")
        out.write(f"  - {_yaml_quote('^(?:' + '|'.join(re.escape(t) for t in plan.serial) + ')$')}\n")


def write_load_lists(plan: Plan, directory: Path) -> list[Path]:
    """One ``worker-N.list`` file per worker (ids one per line, ``serial.list`` for serial tests)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for p in plan.workers:
            path = directory / f"worker-{p.worker}.list"
            path.write_text("".join(f"{t}\n" for t in p.tests), encoding="utf-8")
            written.append(path)
        if plan.serial:
            path = directory / "serial.list"
            path.write_text("".join(f"{t}\n" for t in plan.serial), encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise InputError(f"cannot write load lists into {directory}: {exc.strerror}; "
                         "pass a writable --output directory") from exc
    return written


Renderer = Callable[[Plan, IO[str], Sequence[Group]], None]

RENDERERS: Mapping[str, Renderer] = {
    "table": render_table,
    "json": render_json,
    "stestr-worker-file": render_worker_file,
}
