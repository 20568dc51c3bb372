"""Dynamic dispatch: whole groups from a queue ordered longest-first, pulled by lanes while the run happens.

Import from the modules (this package re-exports nothing, so that each lane and each pull worker, which
start once per worker of every run, import only what they use). From the bottom up:

* pure, no I/O: :mod:`~partitioner.dispatch.queue` (the queue and its orders),
  :mod:`~partitioner.dispatch.lookahead` (the default order's picks), :mod:`~partitioner.dispatch.simulate`
  (the expected timeline), :mod:`~partitioner.dispatch.state` (the dispatcher's bookkeeping; every id ends
  ran, failed, interrupted, reported or pending), :mod:`~partitioner.dispatch.protocol` (the lane wire's
  messages), :mod:`~partitioner.dispatch.command` (which inner commands a pull worker can stand in for),
  :mod:`~partitioner.dispatch.choice` (when a queue of small single tests keeps the static plan);
* the test processes: :mod:`~partitioner.dispatch.worker` (the pull worker), :mod:`~partitioner.dispatch.preload`
  (loads the suite once and forks every lane's worker), :mod:`~partitioner.dispatch.forks` (``mono`` order's
  fresh processes), :mod:`~partitioner.dispatch.direct` (a static share's worker, writing into the tool's pipe),
  :mod:`~partitioner.dispatch.monkeypatch` (a suite that patched the standard library is forked from by none);
* a lane: :mod:`~partitioner.dispatch.lane` (``python -m partitioner.dispatch.lane``: its command line and
  start), :mod:`~partitioner.dispatch.supervisor` (its life on the connection), :mod:`~partitioner.dispatch.child`
  and :mod:`~partitioner.dispatch.spawn` (its worker process), :mod:`~partitioner.dispatch.relay` (the worker's
  events passed on, each test's last status kept for the lane's account);
* the dispatcher's side: :mod:`~partitioner.dispatch.server` (the thread serving lanes over an AF_UNIX socket),
  :mod:`~partitioner.dispatch.host` (the runner's N lanes merged into one stream),
  :mod:`~partitioner.dispatch.record` (the plan records a run leaves for ``timeline`` and ``explain``);
* ``partitioner exec`` inside testr/stestr: :mod:`~partitioner.dispatch.tools` (its session, which the patch
  points of :mod:`~partitioner.dispatch.patches` call) hands each job on: :mod:`~partitioner.dispatch.toolmode`
  (a run's dispatch mode), :mod:`~partitioner.dispatch.toolpreload` (the preloader started as the tool lists,
  handed to the run), :mod:`~partitioner.dispatch.timescheck` (the tool's times.dbm opened before a run starts),
  :mod:`~partitioner.dispatch.toolaccount` (as the tool stores a run: every test that never reported, the plan
  record), :mod:`~partitioner.dispatch.toolsignals` (SIGINT/SIGTERM passed on to the tool's workers),
  :mod:`~partitioner.dispatch.toolprogress` (the progress line); with :mod:`~partitioner.dispatch.toolrun`
  (one run of the tool, its inserter watched), :mod:`~partitioner.dispatch.toolshard` (``--shard``),
  :mod:`~partitioner.dispatch.toolconf` (the tool's config file) and :mod:`~partitioner.dispatch.staticstreams`
  (static workers' streams, read for the tool).

See docs/dispatch.md.
"""
