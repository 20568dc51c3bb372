"""Throwaway prototype for phase 2 of issue 11: testr and stestr, unmodified, running lanes instead of workers.

    python exec_proto.py OUTCOME.json stestr run --concurrency 3
    python exec_proto.py OUTCOME.json testr run --parallel --concurrency 3

Two monkeypatches, as ``partitioner exec`` will install them (phase 2 moves this into partitioner.hooks):

1. where the tool partitions (stestr: ``scheduler.partition_tests``; testr:
   ``TestListingFixture.partition_tests``): plan the static partitions as today (the fallback the tool
   writes to each worker's --load-list file), queue the same ids by group, start the dispatcher and note
   which partition each non-empty list is (the worker index the tool will tag);
2. where it starts one partition's worker (stestr: ``TestProcessorFixture._start_process``; testr:
   ``TestListingFixture.run_tests`` of a single-partition fixture): rewrite the worker's shell command
   into the lane command with :func:`partitioner.dispatch.command.lane_shell_command`.

The tools then read N lane streams as N worker streams, tag them worker-N themselves and store the run.
Writes the dispatcher's record (who ran which group) and the static partitions' groups to OUTCOME.json.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from partitioner import hooks
from partitioner.dispatch.command import lane_shell_command
from partitioner.dispatch.protocol import KEY_ENV
from partitioner.dispatch.queue import queue_from_costs
from partitioner.dispatch.server import Dispatcher
from partitioner.estimate import build_cost_model
from partitioner.grouping import group_tests, grouper_for_callback, make_grouper
from partitioner.history.model import History

STATE: dict[str, Any] = {}


def plan(test_ids: Sequence[str], concurrency: int, group_callback: Callable[[str], object] | None) -> list[list[str]]:
    """Patch 1: the static partitions as a fallback, and a dispatcher serving the same ids by group."""
    parts = hooks.partition_tests(list(test_ids), concurrency, None, group_callback)
    grouper = grouper_for_callback(group_callback) if group_callback is not None else make_grouper("class")
    table = group_tests(list(test_ids), grouper)
    nonempty = [p for p in parts if p]
    dispatcher = Dispatcher(queue_from_costs(table, build_cost_model(table, History())), len(nonempty)).start()
    os.environ.update(dispatcher.lane_env())  # the tools' workers inherit our environment
    STATE.update(dispatcher=dispatcher, index={min(p): i for i, p in enumerate(nonempty)},
                 static=[sorted({grouper(t) for t in p}) for p in nonempty])
    return parts


def lane_command(cmd: str, test_ids: object) -> str:
    """Patch 2: the worker command of the partition holding ``test_ids``, rewritten into its lane's."""
    dispatcher = STATE.get("dispatcher")
    if dispatcher is None or not test_ids:
        return cmd
    index = STATE["index"].get(min(test_ids))  # type: ignore[call-overload]
    if index is None:
        return cmd
    return lane_shell_command(cmd, sys.executable, dispatcher.address, index) or cmd


def install() -> None:
    from stestr import scheduler
    from stestr.test_processor import TestProcessorFixture
    from testrepository.testcommand import TestListingFixture

    original_partition = scheduler.partition_tests

    def stestr_partition(test_ids: Sequence[str], concurrency: int, repository: object = None,
                         group_callback: Callable[[str], object] | None = None,
                         randomize: bool = False) -> list[list[str]]:
        return plan(test_ids, concurrency, group_callback)

    original_start = TestProcessorFixture._start_process

    def stestr_start(self: Any, cmd: str) -> Any:
        if cmd == getattr(self, "cmd", None):  # a worker, not the listing
            cmd = lane_command(cmd, self.test_ids)
        return original_start(self, cmd)

    def testr_partition(self: Any, test_ids: Sequence[str], concurrency: int) -> list[list[str]]:
        return plan(test_ids, concurrency, self._group_callback)

    original_run = TestListingFixture.run_tests

    def testr_run(self: Any) -> Any:
        if self.concurrency == 1 and self.test_ids:  # one partition's fixture
            self.cmd = lane_command(self.cmd, self.test_ids)
        return original_run(self)

    scheduler.partition_tests = stestr_partition
    TestProcessorFixture._start_process = stestr_start
    TestListingFixture.partition_tests = testr_partition
    TestListingFixture.run_tests = testr_run
    STATE["originals"] = (original_partition, original_start, original_run)


def main(argv: list[str]) -> int:
    outcome_path, tool, args = argv[0], argv[1], argv[2:]
    install()
    sys.argv = [tool, *args]
    try:
        if tool == "stestr":
            from stestr.cli import main as tool_main

            code = tool_main()
        else:
            from testrepository.commands import main as tool_main

            code = tool_main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    dispatcher = STATE.get("dispatcher")
    record: dict[str, Any] = {"code": code, "dispatched": dispatcher is not None}
    if dispatcher is not None:
        dispatcher.close()
        outcome = dispatcher.outcome()
        record.update(handouts=[[h.lane, h.key, h.outcome] for h in outcome.handouts], static=STATE["static"],
                      pending=[t for t, _ in outcome.pending], problems=dispatcher.problems)
        os.environ.pop(KEY_ENV, None)
    with open(outcome_path, "w", encoding="utf-8") as out:
        json.dump(record, out)
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
