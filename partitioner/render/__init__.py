"""Renderings of what partitioner computed, one module per output; what every command writes goes through here.

Plans: :mod:`.table` (people), :mod:`.json` (versioned JSON), :mod:`.workerfile` (``stestr --worker-file``),
:mod:`.loadlists` (one id file per worker); :mod:`.dispatch` (the queue and its expected timeline, which the
table and JSON show under dynamic dispatch). Other commands' outputs: :mod:`.explain`, :mod:`.races`,
:mod:`.summary`. :func:`open_output` and :data:`FORMAT_VERSION` (defined in :mod:`.output`, which the
renderers import) are the one way to open an output and the one JSON version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import IO, Protocol

from partitioner.grouping import Group
from partitioner.plan import Plan
from partitioner.render.dispatch import DispatchView as DispatchView
from partitioner.render.dispatch import dynamic_view as dynamic_view
from partitioner.render.json import plan_to_dict as plan_to_dict
from partitioner.render.json import render_json as render_json
from partitioner.render.loadlists import write_load_lists as write_load_lists
from partitioner.render.output import FORMAT_VERSION as FORMAT_VERSION
from partitioner.render.output import open_output as open_output
from partitioner.render.table import render_table as render_table
from partitioner.render.workerfile import group_regex as group_regex
from partitioner.render.workerfile import render_worker_file as render_worker_file


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
