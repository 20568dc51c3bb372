"""Renderings of what partitioner computed, one module per output; what every command writes goes through here.

Plans: :mod:`.table` (people), :mod:`.json` (versioned JSON), :mod:`.workerfile` (``stestr --worker-file``),
:mod:`.loadlists` (one id file per worker); :mod:`.dispatch` (the queue and its expected timeline, which the
table and JSON show under dynamic dispatch). Other commands' outputs: :mod:`.explain`, :mod:`.races`,
:mod:`.summary`. :func:`open_output` and :data:`FORMAT_VERSION` (defined in :mod:`.output`, which the
renderers import) are the one way to open an output and the one JSON version.

The names are imported on first use (:mod:`partitioner.lazy`): ``partitioner exec`` prints its one-line summary
with :mod:`.runline` and must not pay for the table, the JSON and the dispatch timeline (with the simulator).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from partitioner import lazy

if TYPE_CHECKING:
    from partitioner.render.dispatch import DispatchView as DispatchView
    from partitioner.render.dispatch import dynamic_view as dynamic_view
    from partitioner.render.formats import DISPATCH_RENDERERS as DISPATCH_RENDERERS
    from partitioner.render.formats import RENDERERS as RENDERERS
    from partitioner.render.formats import Renderer as Renderer
    from partitioner.render.json import plan_to_dict as plan_to_dict
    from partitioner.render.json import render_json as render_json
    from partitioner.render.loadlists import write_load_lists as write_load_lists
    from partitioner.render.output import FORMAT_VERSION as FORMAT_VERSION
    from partitioner.render.output import open_output as open_output
    from partitioner.render.table import render_table as render_table
    from partitioner.render.workerfile import group_regex as group_regex
    from partitioner.render.workerfile import render_worker_file as render_worker_file

#: every re-exported name -> the module that defines it
_WHERE = {
    "DispatchView": "dispatch", "dynamic_view": "dispatch",
    "DISPATCH_RENDERERS": "formats", "RENDERERS": "formats", "Renderer": "formats",
    "plan_to_dict": "json", "render_json": "json",
    "write_load_lists": "loadlists",
    "FORMAT_VERSION": "output", "open_output": "output",
    "render_table": "table",
    "group_regex": "workerfile", "render_worker_file": "workerfile",
}


def __getattr__(name: str) -> Any:
    return lazy.attribute(__name__, _WHERE, globals(), name)


def __dir__() -> list[str]:
    return lazy.names(_WHERE, globals())
