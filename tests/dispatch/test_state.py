"""The dispatcher's bookkeeping: hand-outs, crashes and retries, interrupts, lanes leaving."""

from __future__ import annotations

import itertools
from collections import Counter

import testtools
from hypothesis import given, settings
from hypothesis import strategies as st

from partitioner.dispatch.queue import ORDERS, Queue, order_queue
from partitioner.dispatch.state import (
    CRASHED,
    DONE,
    INTERRUPTED,
    LOST,
    Assign,
    DispatchError,
    DispatchState,
    Idle,
    Report,
    Stop,
    Wait,
)


def make_queue(sizes: dict[str, int], serial: dict[str, int] | None = None, order: str = "cost") -> Queue:
    """Groups named by key, each with ``n`` tests ``key.tN``; cost = size."""
    def rows(spec: dict[str, int]) -> list[tuple[str, float, list[str]]]:
        return [(k, float(n), [f"{k}.t{i}" for i in range(n)]) for k, n in spec.items()]
    return order_queue(rows(sizes), rows(serial or {}), order)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def state_for(queue: Queue, lanes: int = 2, **kwargs: object) -> DispatchState:
    state = DispatchState(queue, lanes, clock=Clock(), **kwargs)  # type: ignore[arg-type]
    for lane in range(lanes):
        state.join(lane)
    return state


def assign(reply: object) -> Assign:
    assert isinstance(reply, Assign), reply
    return reply


class TestHandOut(testtools.TestCase):
    def test_idle_lanes_take_groups_in_queue_order_and_the_log_records_who_ran_what(self) -> None:
        state = state_for(make_queue({"a": 1, "b": 3, "c": 2}))
        self.assertEqual("b", assign(state.take(0)).handout.key)
        self.assertEqual("c", assign(state.take(1)).handout.key)
        state.finish(1, "c")
        self.assertEqual("a", assign(state.take(1)).handout.key)
        state.finish(0, "b")
        self.assertIsInstance(state.take(0), Idle)  # a is still out: it may come back
        state.finish(1, "a")
        self.assertIsInstance(state.take(0), Stop)
        log = state.outcome().handouts
        self.assertEqual([(0, "b"), (1, "c"), (1, "a")], [(h.lane, h.key) for h in log])
        self.assertEqual({DONE}, {h.outcome for h in log})
        self.assertTrue(all(h.ended_at is not None and h.ended_at > h.handed_at for h in log))
        self.assertEqual({"ran"}, set(state.fates().values()))

    def test_a_suite_split_per_test_is_handed_out_in_batches(self) -> None:
        state = state_for(make_queue({f"g{i:04d}": 1 for i in range(1000)}), lanes=2)
        keys = []
        while isinstance(reply := state.take(0), Assign):
            keys.append(reply.handout.key)
            state.finish(0, reply.handout.key)
        self.assertLess(len(keys), 150)  # not 1000 round trips
        self.assertTrue(keys[0].endswith(" groups)"), keys[0])
        self.assertEqual({"ran"}, set(state.fates().values()))
        self.assertEqual(1000, len(state.fates()))

    def test_protocol_breaches_are_refused(self) -> None:
        state = state_for(make_queue({"a": 1, "b": 1}))
        self.assertRaises(DispatchError, state.join, 0)
        self.assertRaises(DispatchError, state.take, 7)
        state.take(0)
        self.assertRaises(DispatchError, state.take, 0)  # still holds a
        self.assertRaises(DispatchError, state.finish, 0, "b")
        self.assertRaises(DispatchError, state.finish, 1, "b")

    def test_serial_groups_wait_until_nothing_runs_then_go_one_at_a_time(self) -> None:
        state = state_for(make_queue({"p": 2}, serial={"s1": 1, "s2": 1}))
        self.assertEqual("p", assign(state.take(0)).handout.key)
        self.assertIsInstance(state.take(1), Wait)
        state.finish(0, "p")
        first = assign(state.take(1)).handout
        self.assertEqual(("s1", True), (first.key, first.serial))
        self.assertIsInstance(state.take(0), Wait)
        state.finish(1, "s1")
        self.assertEqual("s2", assign(state.take(0)).handout.key)


class TestCrash(testtools.TestCase):
    def test_unstarted_tests_are_retried_first_once_then_reported(self) -> None:
        state = state_for(make_queue({"a": 3, "b": 1}))
        first = assign(state.take(0)).handout
        state.crash(0, "a", ["a.t1", "a.t2"], "killed by SIGKILL")
        retry = assign(state.take(0)).handout
        self.assertEqual(("a", ("a.t1", "a.t2"), 2), (retry.key, retry.tests, retry.attempt))
        self.assertEqual(1, first.attempt)
        state.crash(0, "a", ["a.t2"], "killed by SIGKILL again")
        reply = state.take(1)
        assert isinstance(reply, Report)
        self.assertEqual(["a.t2"], [t for t, _ in reply.items])
        self.assertIn("handed out 2 times", reply.items[0][1])
        self.assertIn("killed by SIGKILL again", reply.items[0][1])
        self.assertEqual("b", assign(state.take(1)).handout.key)
        fates = state.fates()
        self.assertEqual({"a.t0": "failed", "a.t1": "failed", "a.t2": "reported", "b.t0": "running"}, fates)

    def test_a_crash_with_nothing_unstarted_requeues_nothing(self) -> None:
        state = state_for(make_queue({"a": 1}))
        state.take(0)
        handout = state.crash(0, "a", [], "segfault")
        self.assertEqual((CRASHED, "segfault"), (handout.outcome, handout.detail))
        self.assertIsInstance(state.take(0), Stop)

    def test_a_lost_lane_s_group_is_retried_without_what_the_host_saw(self) -> None:
        seen = {"a.t0"}
        state = state_for(make_queue({"a": 2}), reported=lambda lane, ids: [t for t in ids if t in seen])
        state.take(0)
        state.lose(0, "connection reset")
        self.assertEqual(LOST, state.outcome().handouts[0].outcome)
        self.assertEqual(("a.t1",), assign(state.take(1)).handout.tests)


class TestStopping(testtools.TestCase):
    def test_interrupt_reports_what_was_queued_and_stops_everyone(self) -> None:
        state = state_for(make_queue({"a": 2, "b": 1}, serial={"s": 1}))
        state.take(0)
        state.interrupt("interrupted (SIGINT)")
        reply = state.take(1)
        assert isinstance(reply, Report)
        self.assertEqual({"b.t0", "s.t0"}, {t for t, _ in reply.items})
        self.assertTrue(all("interrupted (SIGINT)" in why for _, why in reply.items))
        self.assertIsInstance(state.take(1), Stop)
        leaving = state.leave(0, "lane 0 was interrupted")
        self.assertEqual((), leaving.items)
        self.assertEqual(INTERRUPTED, state.outcome().handouts[0].outcome)
        state.leave(1)
        self.assertEqual({"a.t0": INTERRUPTED, "a.t1": INTERRUPTED, "b.t0": "reported", "s.t0": "reported"},
                         state.fates())
        self.assertEqual((), state.outcome().pending)

    def test_the_last_lane_to_leave_reports_what_nobody_could_run(self) -> None:
        state = state_for(make_queue({"a": 1, "b": 1}), lanes=2)
        self.assertEqual((), state.leave(0, "its test process could not start").items)
        last = state.leave(1, "its test process could not start")
        self.assertEqual({"a.t0", "b.t0"}, {t for t, _ in last.items})
        self.assertIn("no lane was left to run it", last.items[0][1])

    def test_what_nobody_could_take_is_pending_in_the_outcome(self) -> None:
        state = DispatchState(make_queue({"a": 1}), 3)
        state.join(0)
        state.leave(0)  # two lanes never came: a stays queued
        self.assertEqual(["a.t0"], [t for t, _ in state.outcome().pending])


class TestEveryIdHasOneFate(testtools.TestCase):
    """Random lane behaviour: whatever happens, each id ends exactly once when every lane has left."""

    @settings(max_examples=150, deadline=None)
    @given(st.data())
    def test_random_runs(self, data: st.DataObject) -> None:
        sizes = data.draw(st.dictionaries(st.sampled_from("abcdefg"), st.integers(1, 4), max_size=6))
        serial = data.draw(st.dictionaries(st.sampled_from("xyz"), st.integers(1, 3), max_size=2))
        lanes = data.draw(st.integers(1, 3))
        queue = make_queue(sizes, serial, data.draw(st.sampled_from(ORDERS)))
        state = state_for(queue, lanes)
        holding: dict[int, tuple[str, tuple[str, ...]]] = {}
        live = set(range(lanes))
        written: Counter[str] = Counter()  # what lanes wrote as results or failures
        stalled: set[int] = set()  # lanes told to wait since the last hand-out, with nothing running
        for _ in itertools.count():
            if not live:
                break
            lane = data.draw(st.sampled_from(sorted(live)))
            if lane in holding:
                key, tests = holding.pop(lane)
                action = data.draw(st.sampled_from(["finish", "crash", "interrupt", "leave"]))
                if action == "finish":
                    state.finish(lane, key)
                    written.update(tests)
                elif action == "crash":
                    cut = data.draw(st.integers(0, len(tests)))
                    written.update(tests[:cut])  # ran or was running: the lane reports/fails them
                    state.crash(lane, key, list(tests[cut:]), "died")
                elif action == "interrupt":
                    state.interrupt("interrupted")
                    holding[lane] = (key, tests)
                else:  # interrupted lane: it fails what it held, then leaves
                    written.update(tests)
                    written.update(t for t, _ in state.leave(lane, "interrupted").items)
                    live.discard(lane)
                continue
            reply = state.take(lane)
            if isinstance(reply, Assign):
                running_serial = [k for k, _ in holding.values() if k in serial]
                if reply.handout.serial:  # a serial group runs alone
                    self.assertEqual({}, holding)
                self.assertEqual([], running_serial)
                holding[lane] = (reply.handout.key, reply.handout.tests)
            elif isinstance(reply, Report):
                written.update(t for t, _ in reply.items)
            elif isinstance(reply, Stop):
                written.update(t for t, _ in state.leave(lane).items)
                live.discard(lane)
            elif not (set(holding) & live):  # Wait/Idle with nobody running: someone must be able to go on
                # (lookahead: a lane that skipped ahead waits while others run the rest; a lane told Idle
                # restarts its process and may then take any group, so it is not stalled)
                if isinstance(reply, Wait):
                    stalled.add(lane)
                else:
                    stalled.discard(lane)
                if stalled >= live:
                    self.fail(f"every lane was told to wait while no group runs (the last: lane {lane})")
                continue
            stalled.clear()
        ids = queue.test_ids()
        self.assertEqual(dict.fromkeys(ids, 1), {t: written[t] for t in ids})
        self.assertEqual((), state.outcome().pending)
        kills = Counter((h.serial, h.key) for h in state.outcome().handouts)
        self.assertLessEqual(max(kills.values(), default=0), 2)  # first hand-out + one retry at most
        self.assertEqual(set(ids), set(state.fates()))
        self.assertNotIn("running", set(state.fates().values()))
