"""Races: which tests ran beside the ones that failed only in parallel, and the resources that separate them.

Re-exports only: :mod:`~partitioner.races.windows` (each test's extended window in a run),
:mod:`~partitioner.races.diagnosis` (scores and views), :mod:`~partitioner.races.rules` (the ``[partitioner]``
resource lines), plus :func:`~partitioner.history.summary.history_summary` for the per-test counts.
"""

from __future__ import annotations

from partitioner.history.model import is_parallel as is_parallel
from partitioner.history.summary import TestSummary as TestSummary
from partitioner.history.summary import history_summary as history_summary
from partitioner.races.diagnosis import OVERLAP_WEIGHT as OVERLAP_WEIGHT
from partitioner.races.diagnosis import Diagnosis as Diagnosis
from partitioner.races.diagnosis import Partner as Partner
from partitioner.races.diagnosis import Suspect as Suspect
from partitioner.races.diagnosis import check_parallel as check_parallel
from partitioner.races.diagnosis import diagnose as diagnose
from partitioner.races.diagnosis import find_suspects as find_suspects
from partitioner.races.diagnosis import workers as workers
from partitioner.races.rules import resource_rules as resource_rules
from partitioner.statuses import PSEUDO_TESTS as PSEUDO_TESTS

__all__ = [
    "OVERLAP_WEIGHT",
    "PSEUDO_TESTS",
    "Diagnosis",
    "Partner",
    "Suspect",
    "TestSummary",
    "check_parallel",
    "diagnose",
    "find_suspects",
    "history_summary",
    "is_parallel",
    "resource_rules",
    "workers",
]
