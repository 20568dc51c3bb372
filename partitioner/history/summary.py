"""How each test fared across stored runs: runs, failures in parallel and in serial runs; pure.

``partitioner history summary`` shows it; a test failing only in parallel is the signature of a race
(:mod:`partitioner.races` then says what ran beside it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from partitioner.history.model import Run, is_parallel
from partitioner.statuses import FAILING, PSEUDO_TESTS
from partitioner.testids import canonical


@dataclass(frozen=True)
class TestSummary:
    """How one test fared across stored runs (ids matched with ``[attrs]`` stripped).

    :ivar test: the id as the newest run that has it spells it
    :ivar runs: runs it appears in
    :ivar parallel_failures: parallel runs (2+ worker tags) in which it failed
    :ivar serial_failures: serial runs (one worker tag or none) in which it failed
    :ivar parallel_runs: parallel runs it appears in
    :ivar serial_runs: serial runs it appears in
    """

    __test__ = False  # not a test case, despite the name

    test: str
    runs: int
    parallel_failures: int
    serial_failures: int
    parallel_runs: int = 0
    serial_runs: int = 0

    @property
    def only_parallel(self) -> bool:
        """Failed in some parallel run and in no serial run: the signature of a race."""
        return self.parallel_failures > 0 and self.serial_failures == 0


def history_summary(runs: Iterable[Run]) -> tuple[TestSummary, ...]:
    """Per test: runs, failures in parallel runs, failures in serial runs.

    A run with one worker tag or none counts as serial. Sorted so that tests failing only in parallel come
    first (most parallel failures first), then tests failing in both, then only serially, then never;
    ties by id.
    """
    counts: dict[str, list[int]] = {}  # key -> [runs, parallel_failures, serial_failures, p_runs, s_runs]
    names: dict[str, tuple[int, str]] = {}
    for position, run in enumerate(runs):
        parallel = is_parallel(run)
        outcome: dict[str, bool] = {}
        for record in run.records:
            if record.test_id in PSEUDO_TESTS:
                continue
            key = canonical(record.test_id)
            outcome[key] = outcome.get(key, False) or record.status in FAILING
            newest = (run.order, position)
            if key not in names or names[key][0] <= newest[0]:
                names[key] = (newest[0], record.test_id)
        for key, failed in outcome.items():
            row = counts.setdefault(key, [0, 0, 0, 0, 0])
            row[0] += 1
            row[1 if parallel else 2] += failed
            row[3 if parallel else 4] += 1
    summaries = [TestSummary(names[k][1], *row) for k, row in counts.items()]

    def rank(s: TestSummary) -> tuple[int, int, int, str]:
        kind = 0 if s.only_parallel else 1 if s.parallel_failures else 2 if s.serial_failures else 3
        return (kind, -s.parallel_failures, -s.serial_failures, s.test)

    return tuple(sorted(summaries, key=rank))
