"""Grouping: which tests must share a worker. Re-exports only.

* :mod:`~partitioner.grouping.spec`: groupers and the ``--group-by`` spec language;
* :mod:`~partitioner.grouping.table`: :class:`Group`, the columnar :class:`GroupTable`, :func:`group_tests`;
* :mod:`~partitioner.grouping.constraints`: resource merges and the serial split.
"""

from __future__ import annotations

from partitioner.grouping.constraints import Merge as Merge
from partitioner.grouping.constraints import merge_by_resources as merge_by_resources
from partitioner.grouping.constraints import serial_matcher as serial_matcher
from partitioner.grouping.constraints import split_serial as split_serial
from partitioner.grouping.spec import BUILTIN as BUILTIN
from partitioner.grouping.spec import CLASS_REGEXES as CLASS_REGEXES
from partitioner.grouping.spec import CallbackGrouper as CallbackGrouper
from partitioner.grouping.spec import Grouper as Grouper
from partitioner.grouping.spec import RegexGrouper as RegexGrouper
from partitioner.grouping.spec import callback_grouper as callback_grouper
from partitioner.grouping.spec import grouper_for_callback as grouper_for_callback
from partitioner.grouping.spec import make_grouper as make_grouper
from partitioner.grouping.spec import regex_grouper as regex_grouper
from partitioner.grouping.spec import tool_callback_regex as tool_callback_regex
from partitioner.grouping.table import Group as Group
from partitioner.grouping.table import GroupTable as GroupTable
from partitioner.grouping.table import group_tests as group_tests
from partitioner.grouping.table import sorted_unique as sorted_unique
