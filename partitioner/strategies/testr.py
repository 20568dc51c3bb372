"""testr's and stestr's own algorithm, kept for comparison (``--strategy testr``).

Both tools share it: groups whose every test has a recorded time go first, longest first, each onto the
partition with the lowest (time, test count); groups with some times follow the same way; groups with
no time at all are dealt round-robin from the first partition. Only measured test time counts: class
setup and estimates for unseen tests are invisible to it, which is exactly its weakness.
"""

from __future__ import annotations

from collections.abc import Sequence

from partitioner.strategies.protocol import CostTable, GroupCost


class TestrCompatible:
    """Reproduces ``stestr.scheduler.partition_tests`` / ``TestListingFixture.partition_tests``."""

    __test__ = False

    name = "testr"
    cost_aware = True
    description = "testr/stestr's own greedy over last-run test times (unseen groups round-robin)"

    def assign(self, groups: Sequence[GroupCost], n: int) -> list[list[int]]:
        table = CostTable.of(groups)
        unmeasured, measured, sizes = table.n_unmeasured, table.measured_tests_s, table.n_tests
        timed = [i for i, u in enumerate(unmeasured) if u == 0]
        partial = [i for i, u in enumerate(unmeasured) if u > 0 and measured[i] > 0]
        unknown = [i for i, u in enumerate(unmeasured) if u > 0 and not measured[i] > 0]
        workers: list[list[int]] = [[] for _ in range(n)]
        state = [(0.0, 0, w) for w in range(n)]  # (time, tests, worker); kept sorted like theirs
        for queue in (timed, partial):
            # a stable sort on time alone, as theirs: equal times keep group order
            for i in sorted(queue, key=lambda i: -measured[i]):
                time, count, w = state[0]
                workers[w].append(i)
                state[0] = (time + measured[i], count + sizes[i], w)
                state.sort(key=lambda s: (s[0], s[1]))
        for k, i in enumerate(unknown):
            workers[k % n].append(i)
        return workers
