"""partitioner: balanced, race-aware test partitions for testr, stestr and tempest.

The public API: :func:`partition_tests` (the drop-in for stestr's and testr's own), :func:`plan_ids`
(plan ids with a loaded history), the :class:`Plan` and :class:`Partition` values, and the errors. They are
imported on first use (PEP 562), so ``import partitioner`` stays cheap: ``partitioner exec`` and
``python -m partitioner.run`` start before every test run. The house map is in docs/development.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from partitioner import lazy
from partitioner.errors import ConfigError as ConfigError
from partitioner.errors import HistoryError as HistoryError
from partitioner.errors import InputError as InputError
from partitioner.errors import OutputError as OutputError
from partitioner.errors import PartitionerError as PartitionerError
from partitioner.errors import PluginError as PluginError
from partitioner.errors import RunnerError as RunnerError
from partitioner.errors import UsageError as UsageError

if TYPE_CHECKING:
    from partitioner.hooks import partition_tests as partition_tests
    from partitioner.pipeline import plan_ids as plan_ids
    from partitioner.plan import Partition as Partition
    from partitioner.plan import Plan as Plan

__version__ = "0.1.0"

#: public name -> the submodule that defines it (imported when the name is first used)
_LAZY = {
    "partition_tests": "hooks",
    "plan_ids": "pipeline",
    "Plan": "plan",
    "Partition": "plan",
}

__all__ = ["ConfigError", "HistoryError", "InputError", "OutputError", "Partition", "PartitionerError", "Plan",
           "PluginError", "RunnerError", "UsageError", "__version__", "partition_tests", "plan_ids"]


def __getattr__(name: str) -> object:
    return lazy.attribute(__name__, _LAZY, globals(), name)


def __dir__() -> list[str]:
    return lazy.names(_LAZY, globals())
