"""The plan renderings ``partitioner plan --format`` chooses from, by name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import IO, Protocol

from partitioner.grouping import Group
from partitioner.plan import Plan
from partitioner.render.json import render_json
from partitioner.render.table import render_table
from partitioner.render.workerfile import render_worker_file


class Renderer(Protocol):
    """**Protocol:** write ``plan`` to ``out``; ``groups`` are the plan's groups (parallel and serial)."""

    def __call__(self, plan: Plan, out: IO[str], groups: Sequence[Group] = ()) -> None: ...


#: the plan renderings that write one stream, by ``--format`` name
RENDERERS: Mapping[str, Renderer] = {
    "table": render_table,
    "json": render_json,
    "stestr-worker-file": render_worker_file,
}
#: the renderings that also show a plan under dynamic dispatch: they take ``dispatch=DispatchView``
DISPATCH_RENDERERS = frozenset({"table", "json"})
