"""Races: which tests ran beside the ones that failed only in parallel, and the resources that separate them.

Re-exports only: :mod:`~partitioner.races.windows` (each test's extended window in a run),
:mod:`~partitioner.races.diagnosis` (scores and views), :mod:`~partitioner.races.rules` (the ``[partitioner]``
resource lines, doubtful configured pairs), :mod:`~partitioner.races.shortlist` (the partner classes
``--confirm`` tries), :mod:`~partitioner.races.confirm` (which trials it runs and what they say),
:mod:`~partitioner.races.before` (what ran before a failure in its test process), :mod:`~partitioner.races.order`
(the search for the earlier tests that make it fail, by :mod:`~partitioner.races.ddmin`), plus
:func:`~partitioner.history.summary.history_summary` for the per-test counts.
"""

from __future__ import annotations

from partitioner.history.model import is_parallel as is_parallel
from partitioner.history.summary import TestSummary as TestSummary
from partitioner.history.summary import history_summary as history_summary
from partitioner.races.before import OrderSuspect as OrderSuspect
from partitioner.races.before import order_suspects as order_suspects
from partitioner.races.confirm import Bounds as Bounds
from partitioner.races.confirm import Confirmation as Confirmation
from partitioner.races.confirm import Search as Search
from partitioner.races.confirm import Trial as Trial
from partitioner.races.diagnosis import OVERLAP_WEIGHT as OVERLAP_WEIGHT
from partitioner.races.diagnosis import Diagnosis as Diagnosis
from partitioner.races.diagnosis import Partner as Partner
from partitioner.races.diagnosis import Suspect as Suspect
from partitioner.races.diagnosis import always_failing as always_failing
from partitioner.races.diagnosis import check_parallel as check_parallel
from partitioner.races.diagnosis import diagnose as diagnose
from partitioner.races.diagnosis import find_suspects as find_suspects
from partitioner.races.diagnosis import workers as workers
from partitioner.races.order import Bisect as Bisect
from partitioner.races.order import OrderBounds as OrderBounds
from partitioner.races.order import OrderTrial as OrderTrial
from partitioner.races.order import OrderVerdict as OrderVerdict
from partitioner.races.rules import Rule as Rule
from partitioner.races.rules import doubts as doubts
from partitioner.races.rules import merge_into as merge_into
from partitioner.races.rules import resource_rules as resource_rules
from partitioner.races.rules import section as section
from partitioner.races.rules import suggest as suggest
from partitioner.races.shortlist import Candidates as Candidates
from partitioner.races.shortlist import candidates as candidates
from partitioner.statuses import PSEUDO_TESTS as PSEUDO_TESTS

__all__ = [
    "OVERLAP_WEIGHT",
    "PSEUDO_TESTS",
    "Bisect",
    "Bounds",
    "Candidates",
    "Confirmation",
    "Diagnosis",
    "OrderBounds",
    "OrderSuspect",
    "OrderTrial",
    "OrderVerdict",
    "Partner",
    "Rule",
    "Search",
    "Suspect",
    "TestSummary",
    "Trial",
    "always_failing",
    "candidates",
    "check_parallel",
    "diagnose",
    "doubts",
    "find_suspects",
    "history_summary",
    "is_parallel",
    "merge_into",
    "order_suspects",
    "resource_rules",
    "section",
    "suggest",
    "workers",
]
