"""Dynamic dispatch: whole groups from a queue ordered longest-first, pulled by lanes while the run happens.

Pieces, from the bottom up:

* :mod:`~partitioner.dispatch.queue` and :mod:`~partitioner.dispatch.simulate` (pure): the queue and the
  expected timeline;
* :mod:`~partitioner.dispatch.state` (pure): the dispatcher's bookkeeping; every id ends ran, failed,
  reported or pending;
* :mod:`~partitioner.dispatch.server`: the dispatcher thread serving lanes over an AF_UNIX socket;
* :mod:`~partitioner.dispatch.worker`: the pull worker (``python -m partitioner.dispatch.worker``);
* :mod:`~partitioner.dispatch.lane`: the lane supervisor (``python -m partitioner.dispatch.lane``);
* :mod:`~partitioner.dispatch.command`: which inner commands a pull worker can stand in for.
"""

from __future__ import annotations

from partitioner.dispatch.command import WorkerCommand as WorkerCommand
from partitioner.dispatch.command import lane_argv as lane_argv
from partitioner.dispatch.command import lane_shell_command as lane_shell_command
from partitioner.dispatch.command import recognise as recognise
from partitioner.dispatch.command import recognise_shell as recognise_shell
from partitioner.dispatch.queue import Queue as Queue
from partitioner.dispatch.queue import WorkItem as WorkItem
from partitioner.dispatch.queue import order_queue as order_queue
from partitioner.dispatch.queue import queue_from_costs as queue_from_costs
from partitioner.dispatch.server import Dispatcher as Dispatcher
from partitioner.dispatch.simulate import Slot as Slot
from partitioner.dispatch.simulate import Timeline as Timeline
from partitioner.dispatch.simulate import simulate as simulate
from partitioner.dispatch.state import Handout as Handout
from partitioner.dispatch.state import Outcome as Outcome
