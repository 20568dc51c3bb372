"""The lane supervisor's life on its dispatcher connection (:class:`Lane`): run groups through pull workers,
account for every test, leave. Used by the lane process (:mod:`partitioner.dispatch.lane`, which says what
nothing-is-lost means for a lane) and, as threads, by the runner (:mod:`partitioner.dispatch.host`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from partitioner.dispatch import protocol
from partitioner.dispatch.command import LANE_MODULE, WorkerCommand
from partitioner.dispatch.spawn import Spawned
from partitioner.render.output import plural, recorded_as_failures
from partitioner.run.signals import Interrupt, describe_exit, not_started
from partitioner.statuses import EXISTS, INPROGRESS, NOT_RUN, unended

if TYPE_CHECKING:  # imported when used: the worker starts before the lane loads them
    from multiprocessing.connection import Connection

    from partitioner.dispatch.child import Child
    from partitioner.dispatch.relay import Sink

#: seconds between passing a signal on to the worker and SIGKILL
GRACE_S = 3.0
#: seconds a worker that closed its control socket mid-group gets to exit by itself before SIGKILL
EXIT_S = 2.0
_POLL_S = 0.05
#: how the reason of a test a signal kept from starting begins after ``not run:`` (the dispatcher's, when a lane or
#: the host told it of the signal: ``the run was interrupted (SIGINT) before this test was handed to a worker``)
INTERRUPTED_RUN = "the run was interrupted"


class Gone(Exception):
    """The dispatcher went away."""


class Lane:
    """One lane's life: run groups through pull workers, account for every test, leave.

    :param index: the lane's number (its ``worker-N``)
    :param command: the inner command the workers stand in for
    :param output: where the lane's events go
    :param name: how its lines on stderr start (default ``partitioner.dispatch.lane N``; the lane process passes
        ``partitioner: lane N``, the runner ``partitioner.run: lane N``)
    :param cwd: the workers' working directory (default: ours)
    :param preload: the preloader's socket path (:mod:`partitioner.dispatch.preload`; default: the one the
        environment names, if any)

    After a signal a lane says only what is news when its host accounts for every test itself, in one line
    (:attr:`accounted`): not how many tests it held or wrote for the queue, which that line counts.
    """

    def __init__(self, index: int, command: WorkerCommand, output: Sink, stderr: IO[str], interrupt: Interrupt,
                 grace: float = GRACE_S, name: str | None = None, cwd: Path | None = None,
                 preload: str | None = None) -> None:
        from partitioner.dispatch.relay import Relay

        self.index = index
        self.command = command
        self.relay = Relay(output)
        self.stderr = stderr
        self.interrupt = interrupt
        self.grace = grace
        self.name = name or f"{LANE_MODULE} {index}"
        self.cwd = cwd
        #: the preloader's socket path (None: the environment's ``PARTITIONER_PRELOAD``, if any)
        self.preload = preload
        self.conn: Connection | None = None
        self.child: Child | None = None
        self._ready = False
        #: every id this lane is responsible for (handed to it and not handed back) -> its group
        self.held: dict[str, str] = {}
        #: something other than a failed test went wrong (a dead worker, a lost dispatcher)
        self.trouble = False
        #: why the lane cannot go on (its worker cannot start), or ""
        self.broken = ""
        self.gone = False
        self._awaiting = False  # a request is out whose reply has not been read
        self._sending = threading.Lock()  # the reader thread sends progress on the same connection
        self._told_interrupt = False
        self._gone_mid_group = False  # the dispatcher went away while the worker ran a group
        self._fate = "was never started"
        #: the host says in one line what a signal did to every test: ``partitioner exec``'s session
        #: (:func:`partitioner.dispatch.toolaccount.warning`), the host whose dispatcher asks its lanes to track
        #: (it cannot see their streams: the tool reads and stores them), unlike the runner's, which says its own
        #: lines and lets its lanes say theirs
        self.accounted = False

    def say(self, line: str) -> None:
        """One ``partitioner.dispatch.lane N: ...`` line on stderr."""
        with contextlib.suppress(OSError, ValueError):
            self.stderr.write(f"{self.name}: {line}\n")
            self.stderr.flush()

    def adopt(self, spawned: Spawned) -> None:
        """Take a worker started before the lane connected (it loads the suite meanwhile)."""
        from partitioner.dispatch.child import Child

        self.child = Child.adopt(spawned, self.relay, self.index)
        self._ready = False

    def kill_child(self) -> None:
        """End the worker at once (the lane itself is failing)."""
        if self.child is not None:
            child, self.child = self.child, None
            child.signal(signal.SIGKILL)
            child.reap()

    # -- the conversation with the dispatcher ----------------------------------------------------

    def _send(self, op: str, **fields: Any) -> None:
        assert self.conn is not None
        try:
            with self._sending:
                protocol.send(self.conn, op, **fields)
        except (OSError, ValueError) as exc:
            raise Gone(str(exc)) from None

    def _receive(self, timeout: float | None) -> dict[str, Any] | None:
        """The reply to the request that is out; ``None`` after ``timeout`` seconds or on a signal
        (``timeout`` None: wait until a reply or a signal)."""
        assert self.conn is not None
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.conn.poll(_POLL_S):
            if timeout is None and self.interrupt.signum is not None:
                return None
            if deadline is not None and time.monotonic() > deadline:
                raise Gone("it did not answer")
        self._awaiting = False
        try:
            reply = protocol.recv(self.conn)
        except (EOFError, OSError) as exc:
            raise Gone(str(exc) or "connection closed") from None
        if reply["op"] == "error":
            raise Gone(f"it refused this lane: {reply.get('message')}")
        return reply

    def _check_dispatcher(self) -> None:
        """While a group runs no reply is due: anything to read means the dispatcher closed the connection
        (it was killed, or refused us).

        :raises Gone: it did
        """
        assert self.conn is not None
        try:
            if not self.conn.poll(0):
                return
            self._gone_mid_group = True
            message = protocol.recv(self.conn)
        except (EOFError, OSError) as exc:
            self._gone_mid_group = True
            raise Gone(str(exc) or "connection closed") from None
        if message.get("op") == "error":
            raise Gone(f"it refused this lane: {message.get('message')}")
        raise Gone(f"it sent {message.get('op')!r} while no reply was due")

    def _ask(self, op: str, **fields: Any) -> dict[str, Any] | None:
        """Send a request and wait for its reply; ``None`` when a signal arrives first."""
        self._send(op, **fields)
        self._awaiting = True
        return self._receive(None)

    def run(self, conn: Connection) -> int:
        """The whole life of the lane on the dispatcher connection ``conn``; returns its exit status."""
        self.conn = conn
        try:
            # load the suite before asking for work: loading overlaps on every lane
            welcome = self._ask("hello", lane=self.index, pid=os.getpid())
            if welcome is not None:
                self._welcomed(welcome)
            if welcome is not None and self._ensure_child() is not None:
                self._loop()
        except Gone as exc:
            self.gone = True
            self.trouble = True
            self.say(f"the dispatcher went away ({exc}); ending")
        try:
            if self._awaiting and not self.gone:  # a signal cut the wait: the reply may hold a group
                reply = self._receive(self.grace + 5.0)
                if reply is not None and reply["op"] == "welcome":  # the signal came as the lane said hello
                    self._welcomed(reply)
                elif reply is not None and reply["op"] == "group":
                    self.held.update(dict.fromkeys(map(str, reply["tests"]), str(reply["key"])))
                elif reply is not None and reply["op"] == "report":
                    self._write_reports(reply["items"])
        except Gone:
            pass
        self._end_child()
        self._account()
        if not self.gone:
            try:
                self._tell_interrupt()
                self._send("leave", why=self._leave_reason())
                self._awaiting = True
                reply = self._receive(self.grace + 5.0)
                if reply is not None and reply["op"] == "report":
                    self._write_reports(reply["items"])
            except Gone as exc:
                self.trouble = True
                self.say(f"the dispatcher went away while this lane left ({exc})")
        self.relay.output.flush()
        if self.interrupt.signum is not None:
            return 128 + self.interrupt.signum
        return 1 if self.trouble or self.broken or self.relay.synthetic else 0

    def _welcomed(self, welcome: dict[str, Any]) -> None:
        """The dispatcher's welcome: whether to tell it of each test before writing it, and whether its host
        accounts for every test after a signal (:attr:`accounted`): both when it tracks."""
        if welcome.get("track"):
            self.relay.before = self._progress
            self.relay.before_batch = self._progress_batch
            self.accounted = True

    def _signal_said(self) -> bool:
        """Whether what a signal did to this lane's tests is the host's to say (:attr:`accounted`): after a signal,
        while the dispatcher is there (a lane that lost it says what it wrote: no account may follow)."""
        return self.accounted and self.interrupt.signum is not None and not self.gone

    def _progress(self, test_id: str, status: str) -> None:
        """Tell the dispatcher before the event is written (it decides what a lost lane ran on this)."""
        key = "started" if status == "inprogress" else "finished"
        with contextlib.suppress(Gone):
            self._send("progress", **{key: [test_id]})

    def _progress_batch(self, told: list[tuple[str, str]]) -> None:
        """:meth:`_progress` for the events of packets written together: one message for all of them."""
        started = [test_id for test_id, status in told if status == "inprogress"]
        finished = [test_id for test_id, status in told if status != "inprogress"]
        with contextlib.suppress(Gone):
            self._send("progress", started=started, finished=finished)

    def _leave_reason(self) -> str:
        if self.interrupt.signum is not None:
            return f"lane {self.index} was interrupted by {signal.Signals(self.interrupt.signum).name}"
        return f"lane {self.index}: {self.broken}" if self.broken else ""

    def _tell_interrupt(self) -> None:
        if self.interrupt.signum is not None and not self._told_interrupt:
            self._told_interrupt = True
            self._send("interrupt", why=f"{INTERRUPTED_RUN} ({signal.Signals(self.interrupt.signum).name})")

    def _loop(self) -> None:
        done: str | None = None
        while self.interrupt.signum is None:
            reply = self._ask("next", done=done)
            if done is not None:
                for test_id in [t for t, k in self.held.items() if k == done and self.relay.finished(t)]:
                    del self.held[test_id]
            done = None
            if reply is None or reply["op"] == "stop":
                return
            if reply["op"] == "report":
                self._write_reports(reply["items"])
                continue
            if reply["op"] == "idle":  # a group may still come back from a lost lane: tear down now, then wait
                self._end_child()
                continue
            if reply["op"] != "group":
                raise Gone(f"it sent {reply['op']!r} where a group, report or stop was due")
            key, tests = str(reply["key"]), [str(t) for t in reply["tests"]]
            self.held.update(dict.fromkeys(tests, key))
            ending = self._run_group(key, tests, bool(reply.get("fresh")))
            if ending in ("done", "failfast"):
                done = key
            if ending == "failfast":  # stop dispatch; the next replies carry the not-run reports, then stop
                self._send("interrupt", why="a test failed and the run stops at the first failure (--failfast)")
            elif ending in ("broken", "interrupted"):
                return

    # -- groups ----------------------------------------------------------------------------------

    def _ensure_child(self) -> Child | None:
        """The running worker, or a new one that has loaded the suite; ``None`` (and :attr:`broken`) when
        it cannot be started."""
        from partitioner.dispatch.child import Child

        if self.child is not None and self.child.alive() and self._ready:
            return self.child
        if self.child is not None and not self.child.alive() and self._ready:  # it died between groups
            self._reap("between groups")
        if self.child is None:
            self._ready = False  # a new worker loads the suite: until it says ready, a signal ends it outright
            try:
                self.child = Child.start(self.command, self.relay, self.index, self.cwd, self.preload)
            except OSError as exc:
                self._broken(f"cannot start the test process `{self.command.describe()}`: "
                             f"{exc.strerror or exc}")
                return None
        child = self.child
        while self.interrupt.signum is None:
            message = child.poll_message(_POLL_S)
            if message is not None and "ready" in message:
                self._ready = True
                child.forks = message.get("forks") is not False
                return child
            if message is not None or not child.alive():
                self.child = None
                child.reap()
                detail = message.get("error") if message else None
                self._broken(f"its test process {describe_exit(child.proc.returncode)} before it loaded "
                             f"the suite{f' ({detail})' if detail else ' (its stderr is above)'}")
                return None
        return child

    def _broken(self, why: str) -> None:
        self.broken = why
        self.trouble = True
        self.say(why)

    def _run_group(self, key: str, tests: list[str], fresh: bool = False) -> str:
        """Run one group (in a fresh test process: ``fresh``); returns done, failfast, crashed, broken or
        interrupted.

        A worker that cannot fork a fresh process (its suite patched the standard library) and has run a group
        is ended first (its last class and module torn down), and a new one runs the group.
        """
        if fresh and self.child is not None and self._ready and not self.child.forks and self.child.groups:
            self._end_child()
        child = self._ensure_child()
        if child is None:
            self._hand_back(key, tests, tests, f"lane {self.index} {self.broken}")
            return "broken"
        if self.interrupt.signum is not None:
            return "interrupted"
        child.groups += 1
        if child.send(group=key, tests=tests, **({"fresh": True} if fresh else {})):
            while True:
                message = child.poll_message(_POLL_S)
                if message is not None and message.get("done") == key:
                    return "failfast" if message.get("stop") else "done"
                if self.interrupt.signum is not None:
                    return "interrupted"
                if (message is not None and message.get("eof")) or not child.alive():
                    break
                self._check_dispatcher()
        self._after_death(key, tests)
        return "crashed"

    def _after_death(self, key: str, tests: list[str]) -> None:
        """The worker died during group ``key``: fail what was running, hand back what never started."""
        assert self.child is not None
        child, self.child = self.child, None
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.proc.wait(EXIT_S)  # its control socket closed: it is most likely exiting
        if child.alive():  # it closed its control socket but lives on: not a worker we can trust
            child.signal(signal.SIGKILL)
        child.reap()
        self._fate = describe_exit(child.proc.returncode)
        last = self.relay.last
        left = unended(tests, last)  # a scenario that was running by its own id, not the listed one
        running = [t for t in left if last.get(t) == INPROGRESS]
        unstarted = [t for t in left if last.get(t) in (None, EXISTS)]
        why = f"the test process of lane {self.index} {self._fate}"
        for test_id in running:
            self.relay.fail(test_id, f"{why} while this test was running")
        self._hand_back(key, tests, unstarted, why)
        self.trouble = True
        self.say(f"its test process {self._fate} during group {key}: {plural(len(running), 'running test')} "
                 f"recorded as {'a failure' if len(running) == 1 else 'failures'}, {len(unstarted)} not started "
                 "handed back to the dispatcher")

    def _hand_back(self, key: str, tests: list[str], unstarted: list[str], why: str) -> None:
        for test_id in tests:
            if test_id in unstarted or self.relay.finished(test_id):
                self.held.pop(test_id, None)  # the dispatcher holds the unstarted ones again
        self._send("crash", key=key, unstarted=unstarted, why=why)

    def _reap(self, when: str) -> None:
        assert self.child is not None
        child, self.child = self.child, None
        child.reap()
        self._fate = describe_exit(child.proc.returncode)
        self.trouble = True
        self.say(f"the test process {self._fate} {when}")

    # -- the end ---------------------------------------------------------------------------------

    def _end_child(self) -> None:
        """End the worker: cleanly when idle (final teardowns run), by signal when interrupted or when the
        dispatcher went away (then SIGKILL after ``grace`` seconds, or at a second signal)."""
        child = self.child
        if child is None:
            return
        child.close_control()
        signalled_at: float | None = None
        killed = False
        while child.alive():
            # the dispatcher went away mid-group: nobody will read what the test reports, end it as SIGTERM would
            signum = self.interrupt.signum or (signal.SIGTERM if self._gone_mid_group else None)
            if signum is not None and signalled_at is None:
                signalled_at = time.monotonic()
                # a worker still loading the suite has run nothing, and a signal in the middle of an import
                # would print its traceback: end it at once
                child.signal(signum if self._ready else signal.SIGKILL)
                with contextlib.suppress(Gone):
                    self._tell_interrupt()
            elif signalled_at is not None and not killed and (
                    time.monotonic() - signalled_at > self.grace or self.interrupt.repeated):
                killed = True
                child.signal(signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):  # back as soon as it ends, not a step later
                child.proc.wait(_POLL_S)
        child.reap()
        self.child = None
        self._fate = describe_exit(child.proc.returncode)
        if child.proc.returncode != 0 and self.interrupt.signum is None:
            self.trouble = True
            self.say(f"the test process {self._fate} at the end of the run")

    def _account(self) -> None:
        """Every id this lane held that never reported a final status fails, with the reason (said in a line unless
        that is the host's to say: :meth:`_signal_said`)."""
        missing = unended(self.held, self.relay.last)
        if not missing:
            return
        said = not self._signal_said()
        if self.interrupt.signum is not None:
            name = signal.Signals(self.interrupt.signum).name
            unstarted = [t for t in missing if self.relay.last.get(t) in (None, EXISTS)]
            missing = [t for t in missing if self.relay.last.get(t) not in (None, EXISTS)]
            for test_id in unstarted:  # as the queue's: these were handed to the lane, and never began
                self.relay.fail(test_id, not_started(self.interrupt.signum,
                                                     f"lane {self.index} held it, and its test process {self._fate}"))
            if unstarted and said:
                recorded = recorded_as_failures(len(unstarted))
                self.say(f"{plural(len(unstarted), 'test')} it held never started and {recorded} (not run)")
            why = (f"interrupted: lane {self.index} received {name}, and its test process {self._fate} before "
                   "this test reported a result")
        elif self.gone:
            why = f"lane {self.index} lost its dispatcher, and this test never reported a result"
        else:
            why = f"the test process of lane {self.index} {self._fate}, and this test never reported a result"
        for test_id in missing:
            self.relay.fail(test_id, why)
        if missing and said:
            recorded = recorded_as_failures(len(missing))
            self.say(f"{plural(len(missing), 'test')} it held never reported and {recorded} ({why})")

    def _write_reports(self, items: Sequence[Sequence[str]]) -> None:
        for test_id, reason in items:
            self.relay.fail(str(test_id), str(reason))
        if self._signal_said():  # those a signal kept from starting are the host's to count: the rest are news
            items = [(t, r) for t, r in items if not str(r).startswith(f"{NOT_RUN} {INTERRUPTED_RUN}")]
        if items:  # the queue's, not this lane's: their reason says why (an interrupted run, a group that kills)
            reasons = Counter((str(reason).splitlines() or [""])[0] for _, reason in items)
            reason, _ = reasons.most_common(1)[0]
            more = f" (and {plural(len(reasons) - 1, 'other reason')})" if len(reasons) > 1 else ""
            recorded = "a failure" if len(items) == 1 else "failures"
            self.say(f"{plural(len(items), 'queued test')} recorded as {recorded}: {reason}{more}")
