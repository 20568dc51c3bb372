"""The plan as a ``stestr run --worker-file`` (YAML): one anchored regex per group, one entry per worker."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import IO

from partitioner.figures import figure
from partitioner.grouping import Group
from partitioner.plan import Plan


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
              f"{figure(plan.predicted_makespan_s, plan.unit)}, lower bound {figure(plan.lower_bound_s, plan.unit)}\n")
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
