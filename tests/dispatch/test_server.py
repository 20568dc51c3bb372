"""The dispatcher thread over its real socket, with the lanes played by this test."""

from __future__ import annotations

import threading
import time
from multiprocessing.connection import Client, Connection
from typing import Any

import testtools

from partitioner.dispatch import protocol
from partitioner.dispatch.queue import order_queue
from partitioner.dispatch.server import Dispatcher
from partitioner.dispatch.state import CRASHED, DONE, LOST


class FakeLane:
    """A lane speaking the protocol by hand."""

    def __init__(self, dispatcher: Dispatcher, lane: int) -> None:
        self.conn: Connection = Client(dispatcher.address, family=protocol.FAMILY, authkey=dispatcher.authkey)
        self.ask("hello", lane=lane, pid=0)

    def ask(self, op: str, **fields: Any) -> dict[str, Any]:
        protocol.send(self.conn, op, **fields)
        return protocol.recv(self.conn)

    def tell(self, op: str, **fields: Any) -> None:
        protocol.send(self.conn, op, **fields)


def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


class TestDispatcher(testtools.TestCase):
    def dispatcher(self, lanes: int = 2, serial: bool = False) -> Dispatcher:
        queue = order_queue([("a", 3.0, ["a.1", "a.2"]), ("b", 1.0, ["b.1"])],
                            [("s", 1.0, ["s.1"])] if serial else ())
        dispatcher = Dispatcher(queue, lanes).start()
        self.addCleanup(dispatcher.close)
        return dispatcher

    def test_a_run_of_two_lanes_and_its_record(self) -> None:
        dispatcher = self.dispatcher()
        zero, one = FakeLane(dispatcher, 0), FakeLane(dispatcher, 1)
        self.assertEqual({"op": "group", "key": "a", "tests": ["a.1", "a.2"], "attempt": 1}, zero.ask("next"))
        self.assertEqual("b", one.ask("next")["key"])
        # a is still out (it may come back if lane 0 is lost): lane 1 winds its worker down and waits
        self.assertEqual("idle", one.ask("next", done="b")["op"])
        answer: list[dict[str, Any]] = []
        waiting = threading.Thread(target=lambda: answer.append(one.ask("next")))
        waiting.start()
        self.assertEqual("stop", zero.ask("next", done="a")["op"])
        waiting.join(5)
        self.assertEqual("stop", answer[0]["op"])
        self.assertEqual({"op": "report", "items": []}, zero.ask("leave", why=""))
        self.assertEqual({"op": "report", "items": []}, one.ask("leave", why=""))
        outcome = dispatcher.outcome()
        self.assertEqual([(0, "a", DONE), (1, "b", DONE)], [(h.lane, h.key, h.outcome) for h in outcome.handouts])
        self.assertEqual({"a.1": "ran", "a.2": "ran", "b.1": "ran"}, dispatcher.fates())

    def test_a_crash_retries_the_unstarted_tests_on_whoever_asks(self) -> None:
        dispatcher = self.dispatcher()
        zero, one = FakeLane(dispatcher, 0), FakeLane(dispatcher, 1)
        zero.ask("next")
        zero.tell("crash", key="a", unstarted=["a.2"], why="killed by SIGKILL")
        wait_for(lambda: dispatcher.outcome().handouts[0].outcome == CRASHED)
        retry = one.ask("next")
        self.assertEqual(("a", ["a.2"], 2), (retry["key"], retry["tests"], retry["attempt"]))

    def test_a_serial_group_waits_for_the_running_group(self) -> None:
        dispatcher = self.dispatcher(serial=True)
        zero, one = FakeLane(dispatcher, 0), FakeLane(dispatcher, 1)
        zero.ask("next")
        self.assertEqual("b", one.ask("next")["key"])
        answer: list[dict[str, Any]] = []
        waiting = threading.Thread(target=lambda: answer.append(one.ask("next", done="b")))
        waiting.start()
        time.sleep(0.3)
        self.assertEqual([], answer)  # a still runs on lane 0
        mine = zero.ask("next", done="a")  # now either idle lane may take s; the other then winds down
        if mine["op"] == "group":
            self.assertEqual("s", mine["key"])
            waiting.join(5)
            self.assertEqual("idle", answer[0]["op"])
            self.assertEqual("stop", zero.ask("next", done="s")["op"])
            self.assertEqual("stop", one.ask("next")["op"])
        else:
            waiting.join(5)
            self.assertEqual(("idle", "s"), (mine["op"], answer[0]["key"]))
            self.assertEqual("stop", one.ask("next", done="s")["op"])
            self.assertEqual("stop", zero.ask("next")["op"])

    def test_a_lane_that_drops_its_connection_is_lost_and_its_group_retried(self) -> None:
        dispatcher = self.dispatcher()
        zero, one = FakeLane(dispatcher, 0), FakeLane(dispatcher, 1)
        zero.ask("next")
        zero.conn.close()
        wait_for(lambda: dispatcher.outcome().handouts[0].outcome == LOST)
        self.assertEqual(["a.1", "a.2"], one.ask("next")["tests"])

    def test_a_lost_lane_s_group_goes_to_a_lane_waiting_idle(self) -> None:
        dispatcher = Dispatcher(order_queue([("a", 3.0, ["a.1", "a.2", "a.3"]), ("b", 1.0, ["b.1"])]), 2,
                                track=True).start()
        self.addCleanup(dispatcher.close)
        zero, one = FakeLane(dispatcher, 0), FakeLane(dispatcher, 1)
        zero.ask("next")
        self.assertEqual("b", one.ask("next")["key"])
        self.assertEqual("idle", one.ask("next", done="b")["op"])
        # lane 0 says (before writing them) that a.1 finished and a.2 started, then dies
        zero.tell("progress", started=["a.1"])
        zero.tell("progress", finished=["a.1"])
        zero.tell("progress", started=["a.2"])
        time.sleep(0.1)
        zero.conn.close()
        retry = one.ask("next")
        self.assertEqual(("group", ["a.3"]), (retry["op"], retry["tests"]))  # only what never started
        pending = dict(dispatcher.outcome().pending)
        self.assertEqual(["a.2"], list(pending))  # the host writes it on lane 0's stream: it had started there
        self.assertIn("lane 0 went away", pending["a.2"])

    def test_protocol_breaches_get_an_error_and_the_lane_is_dropped(self) -> None:
        dispatcher = self.dispatcher()
        FakeLane(dispatcher, 0)
        twin = Client(dispatcher.address, family=protocol.FAMILY, authkey=dispatcher.authkey)
        protocol.send(twin, "hello", lane=0, pid=0)
        self.assertEqual("error", protocol.recv(twin)["op"])
        rogue = FakeLane(dispatcher, 1)
        self.assertEqual("error", rogue.ask("dance")["op"])
        wait_for(lambda: len(dispatcher.problems) == 2)
        self.assertIn("lane 1: it broke the dispatch protocol", dispatcher.problems[1])

    def test_a_wrong_key_cannot_connect(self) -> None:
        dispatcher = self.dispatcher()
        from multiprocessing import AuthenticationError

        self.assertRaises((AuthenticationError, EOFError, OSError), Client, dispatcher.address,
                          family=protocol.FAMILY, authkey=b"wrong")
        lane = FakeLane(dispatcher, 0)  # the dispatcher still serves
        self.assertEqual("group", lane.ask("next")["op"])

    def test_interrupt_turns_the_queue_into_reports(self) -> None:
        dispatcher = self.dispatcher()
        zero = FakeLane(dispatcher, 0)
        dispatcher.interrupt("interrupted (SIGINT)")
        reply = zero.ask("next")
        self.assertEqual("report", reply["op"])
        self.assertEqual({"a.1", "a.2", "b.1"}, {t for t, _ in reply["items"]})
        self.assertEqual("stop", zero.ask("next")["op"])

    def test_close_ends_a_waiting_lane_and_removes_the_socket(self) -> None:
        import os

        dispatcher = self.dispatcher(serial=True)
        zero, one = FakeLane(dispatcher, 0), FakeLane(dispatcher, 1)
        zero.ask("next")
        one.ask("next")
        answer: list[object] = []

        def wait() -> None:
            try:
                answer.append(one.ask("next", done="b"))
            except (EOFError, OSError) as exc:
                answer.append(exc)

        waiting = threading.Thread(target=wait)
        waiting.start()
        time.sleep(0.2)
        dispatcher.close()
        waiting.join(5)
        self.assertFalse(waiting.is_alive())
        self.assertFalse(os.path.exists(dispatcher.address))
        self.assertEqual(1, len(answer))
