"""Plan records (dispatch/record.py): a dynamic run's hand-outs priced, and records written aside (a forked
child writes, the parent goes on, then reaps it)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import fixtures
import testtools

from partitioner.dispatch.queue import Queue, order_queue
from partitioner.dispatch.record import dynamic_record, wait_aside, write_aside
from partitioner.dispatch.simulate import simulate
from partitioner.dispatch.state import Assign, DispatchState
from tests.dispatch.test_state import Clock


def per_test_queue(n: int = 400) -> tuple[dict[str, float], Queue]:
    """A suite split per test (one item per test, as stestr splits one without a group_regex): costs 0.1-1.0 s."""
    costs = {f"pkg.T.test_{i:04d}": 0.1 * (1 + i % 10) for i in range(n)}
    return costs, order_queue([(t, c, [t]) for t, c in costs.items()], order="suite",
                              positions={t: i for i, t in enumerate(costs)})


class TestDynamicRecord(testtools.TestCase):
    def test_a_batched_hand_out_is_priced_as_the_sum_of_its_items(self) -> None:
        costs, queue = per_test_queue()
        state = DispatchState(queue, 2, clock=Clock())
        state.join(0)
        state.join(1)
        lane = 0
        while isinstance(reply := state.take(lane), Assign):
            state.finish(lane, reply.handout.key)
            lane = 1 - lane
        outcome = state.outcome()
        self.assertTrue(any(h.key.endswith(" groups)") for h in outcome.handouts))  # it was handed out in batches
        record = dynamic_record(queue, outcome, 2, 0.0, startup_s=0.5)
        groups = [g for lane_ in record.workers for g in lane_.groups]
        self.assertEqual(len(outcome.handouts), len(groups))
        for group in groups:
            self.assertAlmostEqual(sum(costs[t] for t in group.tests), group.predicted_s, places=9)
        self.assertAlmostEqual(sum(costs.values()), sum(g.predicted_s for g in groups), places=6)
        self.assertEqual(simulate(queue, 2, startup_s=0.5).makespan_s, record.predicted_makespan_s)

    def test_a_retried_batch_costs_the_items_it_still_held(self) -> None:
        costs, queue = per_test_queue()
        state = DispatchState(queue, 2, clock=Clock())
        state.join(0)
        state.join(1)
        first = state.take(0)
        assert isinstance(first, Assign)
        batch = first.handout.tests
        self.assertGreater(len(batch), 2)
        state.crash(0, first.handout.key, batch[2:], "boom")  # two tests had started
        retry = state.take(0)
        assert isinstance(retry, Assign)
        self.assertEqual(batch[2:], retry.handout.tests)
        state.finish(0, retry.handout.key)
        record = dynamic_record(queue, state.outcome(), 2, 0.0)
        priced = [g.predicted_s for g in record.workers[0].groups]
        self.assertAlmostEqual(sum(costs[t] for t in batch), priced[0], places=9)
        self.assertAlmostEqual(sum(costs[t] for t in batch[2:]), priced[1], places=9)

    def test_groups_handed_out_whole_keep_their_own_cost(self) -> None:
        queue = order_queue([("a", 3.0, ["a.t0", "a.t1"]), ("b", 1.0, ["b.t0"])], [("s", 2.0, ["s.t0"])])
        state = DispatchState(queue, 1, clock=Clock())
        state.join(0)
        while isinstance(reply := state.take(0), Assign):
            state.finish(0, reply.handout.key)
        record = dynamic_record(queue, state.outcome(), 1, 0.0)
        self.assertEqual([("a", 3.0), ("b", 1.0), ("s", 2.0)],
                         [(g.key, g.predicted_s) for g in record.workers[0].groups])


class TestWriteAside(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.out = Path(self.useFixture(fixtures.TempDir()).path) / "written"

    def write_pid(self) -> None:
        self.out.write_text(str(os.getpid()))

    def test_the_work_runs_in_a_child_and_is_done_once_reaped(self) -> None:
        self.useFixture(fixtures.MonkeyPatch("threading.active_count", lambda: 1))  # other tests' leftover threads
        pid = write_aside(self.write_pid)
        assert pid is not None
        self.assertTrue(wait_aside(pid, 30.0))
        self.assertEqual(str(pid), self.out.read_text())  # written by the child, not by this process
        self.assertTrue(wait_aside(pid, 0.0))  # reaped already: nothing to wait for

    def test_a_child_that_fails_leaves_nothing_behind_and_says_nothing(self) -> None:
        self.useFixture(fixtures.MonkeyPatch("threading.active_count", lambda: 1))

        def fail() -> None:
            raise RuntimeError("boom")

        pid = write_aside(fail)
        assert pid is not None
        self.assertTrue(wait_aside(pid, 30.0))
        self.assertFalse(self.out.exists())

    def test_with_another_thread_alive_it_does_not_fork_and_the_caller_writes(self) -> None:
        stop = threading.Event()
        thread = threading.Thread(target=stop.wait, daemon=True)
        thread.start()
        self.addCleanup(thread.join)
        self.addCleanup(stop.set)
        self.assertIsNone(write_aside(self.write_pid))
        self.assertFalse(self.out.exists())  # not run: the caller runs it itself

    def test_a_child_still_running_is_left_to_finish(self) -> None:
        self.useFixture(fixtures.MonkeyPatch("threading.active_count", lambda: 1))
        gate = Path(self.out.parent / "gate")

        def slow() -> None:
            while not gate.exists():
                threading.Event().wait(0.01)
            self.write_pid()

        pid = write_aside(slow)
        assert pid is not None
        self.assertFalse(wait_aside(pid, 0.05))
        gate.write_text("go")
        self.assertTrue(wait_aside(pid, 30.0))
        self.assertEqual(str(pid), self.out.read_text())
