"""Dynamic dispatch: whole groups from a queue ordered longest-first, pulled by lanes while the run happens.

Import from the modules (this package re-exports nothing, so that each lane and each pull worker, which
start once per worker of every run, import only what they use). From the bottom up:

* :mod:`~partitioner.dispatch.queue` and :mod:`~partitioner.dispatch.simulate` (pure): the queue and the
  expected timeline;
* :mod:`~partitioner.dispatch.state` (pure): the dispatcher's bookkeeping; every id ends ran, failed,
  interrupted, reported or pending;
* :mod:`~partitioner.dispatch.server`: the dispatcher thread serving lanes over an AF_UNIX socket
  (:mod:`~partitioner.dispatch.protocol`: the messages);
* :mod:`~partitioner.dispatch.worker`: the pull worker (``python -m partitioner.dispatch.worker``);
* :mod:`~partitioner.dispatch.lane` and :mod:`~partitioner.dispatch.child`: the lane supervisor
  (``python -m partitioner.dispatch.lane``) and its worker process;
* :mod:`~partitioner.dispatch.command`: which inner commands a pull worker can stand in for;
* :mod:`~partitioner.dispatch.host`: a dispatcher and N lanes merged into one stream, as the runner merges.

See docs/dispatch.md.
"""
