"""The dispatcher: a thread in the host process that serves the queue to lanes over an AF_UNIX socket.

The host (our runner, or testr/stestr under ``partitioner exec``) builds a :class:`~partitioner.dispatch.queue.Queue`,
starts a :class:`Dispatcher`, starts its lanes with :meth:`Dispatcher.lane_env` in their environment and
:attr:`Dispatcher.address` on their command line, and reads :meth:`Dispatcher.outcome` when they are done.
One thread accepts connections and one serves each lane; all of them share one lock around the
:class:`~partitioner.dispatch.state.DispatchState`. A lane waiting for a serial group blocks in its thread.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from multiprocessing.connection import Client, Connection, Listener
from types import TracebackType
from typing import Any

from partitioner import scratch
from partitioner.dispatch import protocol
from partitioner.dispatch.queue import Queue
from partitioner.dispatch.state import Assign, DispatchError, DispatchState, Idle, Outcome, Report, Stop, Wait

_WAIT_S = 0.5


class Dispatcher:
    """Serves a queue to ``lanes`` lanes; use as a context manager (or :meth:`start` / :meth:`close`).

    :param queue: what to hand out
    :param lanes: how many lanes the host starts
    :param max_kills: test processes a group may kill before its remaining tests are reported
    :param reported: for a lane that went away, which of its group's ids the host saw a result for
    :param track: ask lanes to say which tests started and finished before they write them (for a host
        that cannot see their streams; see :mod:`partitioner.dispatch.state`)
    :param clock: a monotonic clock (the hand-out log's times)
    """

    def __init__(self, queue: Queue, lanes: int, *, max_kills: int = 2,
                 reported: Callable[[int, Sequence[str]], Iterable[str]] | None = None, track: bool = False,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.state = DispatchState(queue, lanes, clock=clock, max_kills=max_kills, reported=reported)
        self.track = track
        self.authkey = os.urandom(32)
        self._dir = scratch.make("dispatch")  # mode 0700: only we can connect
        self.address = os.path.join(self._dir, "socket")
        #: where a preloader of the lanes' workers listens (:mod:`partitioner.dispatch.preload`), if one starts
        self.preload_path = os.path.join(self._dir, "preload")
        self._cond = threading.Condition()
        self._listener: Listener | None = None
        self._threads: list[threading.Thread] = []
        self._conns: set[Connection] = set()
        self._closing = False
        self._idle: set[int] = set()  # lanes told to wind their test process down while the others finish
        #: one line per protocol problem (a lane that broke the protocol is dropped)
        self.problems: list[str] = []

    def lane_env(self) -> dict[str, str]:
        """What a lane needs in its environment to connect."""
        return {protocol.KEY_ENV: self.authkey.hex()}

    def start(self) -> Dispatcher:
        """Listen and start accepting lanes."""
        self._listener = Listener(self.address, family=protocol.FAMILY, authkey=self.authkey)
        self._spawn(self._accept, "partitioner-dispatch-accept")
        return self

    def __enter__(self) -> Dispatcher:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def interrupt(self, why: str) -> None:
        """Stop handing out groups (a signal, failfast); what is still queued is reported as not run."""
        with self._cond:
            self.state.interrupt(why)
            self._cond.notify_all()

    def outcome(self) -> Outcome:
        """What happened so far (every hand-out, the reports, what is still pending)."""
        with self._cond:
            return self.state.outcome()

    def left(self) -> int:
        """How many groups are still queued (not handed out yet)."""
        with self._cond:
            return self.state.left()

    def fates(self) -> dict[str, str]:
        """Each queued id's fate so far (see :mod:`partitioner.dispatch.state`)."""
        with self._cond:
            return self.state.fates()

    def close(self) -> None:
        """Stop serving: wake the accept thread, drop every connection, remove the socket directory."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._listener is not None:
            # accept() does not return when its socket is closed from another thread: connect to wake it
            with contextlib.suppress(OSError, EOFError):
                Client(self.address, family=protocol.FAMILY, authkey=self.authkey).close()
        for thread in list(self._threads):
            if thread.name.endswith("accept"):
                thread.join(5.0)
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._cond:
            conns = list(self._conns)
        for conn in conns:
            _shutdown(conn)
        for thread in list(self._threads):
            thread.join(5.0)
        shutil.rmtree(self._dir, ignore_errors=True)

    # -- threads ---------------------------------------------------------------------------------

    def _spawn(self, target: Callable[..., None], name: str, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                conn = self._listener.accept()
            except Exception as exc:  # a lane died during the handshake, or had the wrong key
                # (AuthenticationError is not an OSError): keep serving the others
                if self._closing:
                    return
                self.problems.append(f"a lane could not connect: {type(exc).__name__}: {exc}")
                continue
            if self._closing:
                conn.close()
                return
            with self._cond:
                self._conns.add(conn)
            self._spawn(self._serve, f"partitioner-dispatch-lane-{len(self._threads)}", conn)

    def _serve(self, conn: Connection) -> None:
        lane: int | None = None
        left = False
        why = "its connection closed"
        try:
            hello = protocol.recv(conn)
            if hello["op"] != "hello" or not isinstance(hello.get("lane"), int):
                raise protocol.ProtocolError(f"a lane's first message must be hello with a lane number: {hello}")
            with self._cond:
                self.state.join(hello["lane"])
            lane = hello["lane"]
            protocol.send(conn, "welcome", track=self.track)
            while not left:
                left = self._handle(conn, lane, protocol.recv(conn))
        except (EOFError, OSError):
            pass
        except (protocol.ProtocolError, DispatchError, KeyError, TypeError, ValueError) as exc:
            why = f"it broke the dispatch protocol: {exc}"
            self.problems.append(f"lane {lane}: {why}")
            with contextlib.suppress(OSError, ValueError):
                protocol.send(conn, "error", message=str(exc))
        finally:
            if lane is not None and not left:
                with self._cond:
                    self.state.lose(lane, why)
                    self._cond.notify_all()
            with self._cond:
                self._conns.discard(conn)
            conn.close()

    def _handle(self, conn: Connection, lane: int, message: dict[str, Any]) -> bool:
        """Serve one message; returns True when the lane has left."""
        op = message["op"]
        if op == "next":
            with self._cond:
                if message.get("done") is not None:
                    self.state.finish(lane, str(message["done"]))
                    self._cond.notify_all()
                while True:
                    reply = self.state.take(lane) if not self._closing else Stop("the dispatcher is closing")
                    if isinstance(reply, Idle) and lane not in self._idle:
                        self._idle.add(lane)  # said once; after that the lane waits here like for a serial group
                        break
                    if not isinstance(reply, (Wait, Idle)):
                        self._idle.discard(lane)
                        break
                    self._cond.wait(_WAIT_S)
            self._reply(conn, reply)
        elif op == "progress":
            with self._cond:
                self.state.progress(lane, [str(t) for t in message.get("started", ())],
                                    [str(t) for t in message.get("finished", ())])
        elif op == "crash":
            with self._cond:
                self.state.crash(lane, str(message["key"]), [str(t) for t in message["unstarted"]],
                                 str(message["why"]))
                self._cond.notify_all()
        elif op == "interrupt":
            self.interrupt(str(message["why"]))
        elif op == "leave":
            with self._cond:
                report = self.state.leave(lane, str(message.get("why") or ""))
                self._cond.notify_all()
            self._reply(conn, report)
            return True
        else:
            raise protocol.ProtocolError(f"unknown op {op!r}")
        return False

    @staticmethod
    def _reply(conn: Connection, reply: Assign | Report | Stop | Wait | Idle) -> None:
        if isinstance(reply, Assign):
            h = reply.handout
            protocol.send(conn, "group", key=h.key, tests=list(h.tests), attempt=h.attempt,
                          **({"fresh": True} if h.fresh else {}))
        elif isinstance(reply, Report):
            protocol.send(conn, "report", items=[list(item) for item in reply.items])
        elif isinstance(reply, Stop):
            protocol.send(conn, "stop", reason=reply.reason)
        elif isinstance(reply, Idle):
            protocol.send(conn, "idle")
        else:  # pragma: no cover - Wait never leaves _handle
            raise AssertionError(reply)


def _shutdown(conn: Connection) -> None:
    """Wake a thread blocked reading ``conn`` (closing the fd from another thread does not): shut the
    socket down through a duplicate of its descriptor; the serving thread then closes it."""
    with contextlib.suppress(OSError):
        sock = socket.socket(fileno=os.dup(conn.fileno()))
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.close()
