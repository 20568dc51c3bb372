"""The testr ``test_command`` runner: ``python -m partitioner.run`` plans, runs N workers, merges their streams.

:mod:`.cli` (the command line, :func:`main`), :mod:`.phases` (workers, phase after phase, and the account of
every test), :mod:`.stream` (the merged subunit output), :mod:`.inner` (the inner command), :mod:`.signals`
(SIGINT/SIGTERM and exit statuses). Users' ``.testr.conf`` files call ``python -m partitioner.run``.
"""

from __future__ import annotations

from partitioner.run.cli import PROG as PROG
from partitioner.run.cli import Planner as Planner
from partitioner.run.cli import Shares as Shares
from partitioner.run.cli import complete as complete
from partitioner.run.cli import default_planner as default_planner
from partitioner.run.cli import main as main
from partitioner.run.inner import InnerCommand as InnerCommand
from partitioner.run.phases import RunOutcome as RunOutcome
from partitioner.run.phases import run_phases as run_phases
from partitioner.run.signals import Interrupt as Interrupt
from partitioner.run.signals import Interrupted as Interrupted
