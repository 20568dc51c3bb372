"""Plan test partitions with partitioner's Python API, from timings held in memory.

    python examples/api.py        # plan for 2 workers
    python examples/api.py 3      # or any other worker count

It builds a :class:`~partitioner.history.model.History` out of :class:`TestRecord` values (what the
history readers produce from a ``.stestr``/``.testrepository`` run), plans the suite's ids with
:func:`partitioner.plan_ids`, keeping each class on one worker, and prints the plan table.
"""

from __future__ import annotations

import sys

from partitioner import plan_ids
from partitioner.grouping import make_grouper
from partitioner.history.model import History, Run, TestRecord
from partitioner.render import render_table

#: one past run on two workers, as (test id, seconds) in the order each worker ran them; a "<setup>"
#: entry is the pause before a class's first test (its setUpClass), which the estimator measures as
#: the gap at a class change on one worker
PAST_RUN: dict[str, list[tuple[str, float]]] = {
    "worker-0": [
        ("proj.api.test_images.ImagesTest.test_list", 0.5),
        ("proj.api.test_images.ImagesTest.test_upload", 6.0),
        ("<setup>", 2.0),
        ("proj.api.test_servers.ServersTest.test_create", 4.0),
        ("proj.api.test_servers.ServersTest.test_list", 1.0),
        ("proj.api.test_servers.ServersTest.test_delete", 3.0),
    ],
    "worker-1": [
        ("proj.scenario.test_boot.BootScenario.test_boot_and_ssh", 9.0),
        ("<setup>", 1.5),
        ("proj.api.test_volumes.VolumesTest.test_attach", 5.0),
        ("proj.api.test_volumes.VolumesTest.test_detach", 2.5),
    ],
}

#: what the suite holds today: the ids above, plus one new test with no timing yet
SUITE = [test_id for lane in PAST_RUN.values() for test_id, _ in lane if not test_id.startswith("<")]
NEW_TEST = "proj.api.test_volumes.VolumesTest.test_resize"
SUITE.append(NEW_TEST)


def history_from(lanes: dict[str, list[tuple[str, float]]]) -> History:
    """A one-run History: each worker's tests back to back from t=1000s, pauses where a lane has them."""
    records: list[TestRecord] = []
    for worker, lane in lanes.items():
        clock = 1000.0
        for test_id, seconds in lane:
            if not test_id.startswith("<"):
                records.append(TestRecord(test_id, "success", clock, clock + seconds, worker, frozenset({worker})))
            clock += seconds
    records.sort(key=lambda r: (r.start or 0.0, r.test_id))
    return History(runs=(Run("in-memory/0", tuple(records)),), sources=("in-memory",))


def main(argv: list[str]) -> int:
    workers = int(argv[0]) if argv else 2
    planned = plan_ids(SUITE, workers, history_from(PAST_RUN), make_grouper("class"))
    render_table(planned.plan, sys.stdout, planned.groups)
    for partition in planned.plan.workers:
        print(f"worker {partition.worker}: {', '.join(partition.groups) or '(idle)'}")
    for test_id in (NEW_TEST, "proj.api.test_servers.ServersTest.test_create"):
        estimate = planned.model.tests[test_id]
        print(f"{test_id}: {estimate.seconds:.2f}s ({estimate.source})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
