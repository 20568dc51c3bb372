"""How to word advice for a project whose testr ``test_command`` is partitioner's runner.

With the runner line (``test_command=... python -m partitioner.run ... -- INNER``, docs/runner.md) a plain
``testr run`` already runs the suite on the runner's N workers, and ``testr run --parallel`` would nest
testr's partitioning around the runner's. So the usual advice is wrong twice for such a project: "run in
parallel (testr run --parallel)" nests, and "run serially (testr run)" runs N workers. The commands below
are the true ones; :func:`runs_the_runner` tells which projects need them. Stdlib only, importing nothing of
partitioner: the runner imports it, and so does every layer that gives advice (a foundation module, as
tests/test_layers.py places it).
"""

from __future__ import annotations

import itertools
import shlex

__all__ = ["PARALLEL", "PARALLEL_WORKERS", "SERIAL", "runs_the_runner"]

#: how a runner project runs its suite in parallel: testr runs the runner once, the runner runs the workers
PARALLEL = "testr run (the runner in .testr.conf's test_command runs the workers; not --parallel)"
#: how a runner project runs its suite on more than one worker when a run used one
PARALLEL_WORKERS = ("testr run with --concurrency 2 or more among the runner's options in .testr.conf's "
                    "test_command (not --parallel)")
#: how a runner project runs its suite serially: one worker of the runner (testr passes no options to it)
SERIAL = "testr run with --concurrency 1 (-j 1) among the runner's options in .testr.conf's test_command"


def runs_the_runner(test_command: str | None) -> bool:
    """Whether a testr ``test_command`` runs partitioner's runner (``python -m partitioner.run ...``).

    :param test_command: the ``test_command`` option of ``.testr.conf`` (``None`` when there is none)
    """
    if not test_command:
        return False
    try:
        words = shlex.split(test_command.replace("\n", " "))
    except ValueError:  # an unbalanced quote: testr's shell would refuse it too
        words = test_command.split()
    head = words[:words.index("--")] if "--" in words else words
    return any(a == "-m" and b == "partitioner.run" for a, b in itertools.pairwise(head))
