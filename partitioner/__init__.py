"""partitioner: balanced, race-aware test partitions for testr, stestr and tempest.

The public API is re-exported here; the implementation lives in the modules named in ``__all__``'s
neighbours (``plan``, ``grouping``, ``estimate``, ``strategies``, ``history``, ...).
"""

from __future__ import annotations

__version__ = "0.1.0"

from partitioner.errors import (
    ConfigError as ConfigError,
)
from partitioner.errors import (
    HistoryError as HistoryError,
)
from partitioner.errors import (
    InputError as InputError,
)
from partitioner.errors import (
    PartitionerError as PartitionerError,
)
from partitioner.errors import (
    UsageError as UsageError,
)
from partitioner.plan import Partition as Partition
from partitioner.plan import Plan as Plan

__all__ = ["ConfigError", "HistoryError", "InputError", "Partition", "PartitionerError", "Plan", "UsageError",
           "__version__"]
