"""The dispatcher's bookkeeping: who holds which group, what is left, what must be reported as not run.

Pure: no threads, sockets or signals (the clock is passed in). :class:`partitioner.dispatch.server.Dispatcher`
calls it under one lock. Lanes are numbered by the host (the ``worker-N`` index testr/stestr use).

Every queued id ends in exactly one fate (:meth:`DispatchState.fates`):

* ``ran``: in a group its lane finished;
* ``failed``: in progress when its lane's test process died (the lane wrote the failure);
* ``interrupted``: in a group its lane left while holding it (interrupted): the lane wrote a failure for
  each of its tests that had not finished;
* ``reported``: handed to a lane as a failure to write (``not run: ...``): never-started tests of an
  interrupted run, and the rest of a group that killed ``max_kills`` test processes;
* ``pending``: still held when asked (nobody was left to run or report it: the host must write it);
* ``running``: held by a lane right now.

A test process that dies mid-group fails the test it was running (the lane writes that); the group's
tests that never started go back to the front of the queue, once: a group that killed ``max_kills``
processes is not handed out again, its remaining tests are reported instead.

A lane that goes away without leaving (killed with SIGKILL) cannot say which of its tests it wrote. When
the host cannot see its stream (``reported`` is not given: testr or stestr read it), lanes tell
:meth:`DispatchState.progress` that a test started or finished *before* they pass its event on: a test
that had started goes to ``pending`` (the host writes its failure on that lane's stream when it has read
it to the end), only tests that never started go back to the queue, and so no test is stored twice.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from partitioner.dispatch.lookahead import LaneView, next_move
from partitioner.dispatch.queue import Queue, WorkItem, pick
from partitioner.errors import PartitionerError

#: handout outcomes
RUNNING, DONE, CRASHED, LOST, INTERRUPTED = "running", "done", "crashed", "lost", "interrupted"


class DispatchError(PartitionerError, RuntimeError):
    """A lane broke the dispatch protocol (asked twice, finished a group it did not hold, ...)."""


@dataclass(frozen=True)
class Handout:
    """A group handed to a lane, and how it ended.

    :ivar seq: hand-out order, from 0
    :ivar lane: the lane that took it
    :ivar key: the group key
    :ivar tests: the ids handed out (a retry holds only the ids that had not started)
    :ivar handed_at: clock reading when handed out
    :ivar ended_at: clock reading when the lane finished it or its process died
    :ivar outcome: running, done, crashed (its test process died), lost (the lane went away) or
        interrupted (the lane left holding it, after writing a failure for each test that had not finished)
    :ivar unstarted: for crashed/lost: the ids that had not started (retried or reported)
    :ivar detail: why it crashed
    :ivar serial: True for a serial group
    :ivar attempt: 1 for the first hand-out of the group, 2 for its retry, ...
    :ivar fresh: the lane runs it in a fresh test process (``mono`` order; :func:`~partitioner.dispatch.queue.pick`)
    """

    seq: int
    lane: int
    key: str
    tests: tuple[str, ...]
    handed_at: float
    ended_at: float | None = None
    outcome: str = RUNNING
    unstarted: tuple[str, ...] = ()
    detail: str = ""
    serial: bool = False
    attempt: int = 1
    fresh: bool = False


@dataclass(frozen=True)
class Assign:
    """Reply: run this group."""

    handout: Handout


@dataclass(frozen=True)
class Report:
    """Reply: write each ``(test_id, reason)`` as a failed test (they will not run)."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Wait:
    """Reply: nothing for you yet (a serial group waits for the running groups); ask again."""


@dataclass(frozen=True)
class Idle:
    """Reply: the queue is empty but other lanes still hold groups, which may come back (a lane lost with
    them): end your test process now (its last class's teardown runs now, not at the end) and ask again."""


@dataclass(frozen=True)
class Stop:
    """Reply: no more work for you; end your test process and leave."""

    reason: str


Reply = Assign | Report | Wait | Idle | Stop


@dataclass(frozen=True)
class Outcome:
    """What the dispatcher did, for the host's accounting, ``plan`` and the timeline.

    :ivar handouts: every hand-out, in order
    :ivar reported: ``(lane, test_id, reason)`` for every id handed to a lane to report as not run
    :ivar pending: ``(test_id, reason)`` for ids nobody ran or reported (the host must write them)
    :ivar stopped: why dispatch stopped early (``None`` when the queue ran out)
    """

    handouts: tuple[Handout, ...]
    reported: tuple[tuple[int, str, str], ...]
    pending: tuple[tuple[str, str], ...]
    stopped: str | None


@dataclass
class DispatchState:
    """The queue and its hand-outs.

    :param queue: what to hand out
    :param lanes: how many lanes the host starts (when all of them have left, what is left is pending)
    :param clock: a monotonic clock
    :param max_kills: after this many dead test processes, a group's remaining tests are reported
    :param reported: for a lost lane, which of its group's ids the host already saw a result for (those
        are not retried); by default none
    """

    queue: Queue
    lanes: int
    clock: Callable[[], float] = time.monotonic
    max_kills: int = 2
    reported: Callable[[int, Sequence[str]], Iterable[str]] | None = None
    stopping: str | None = None
    _todo: deque[WorkItem] = field(init=False)
    _serial: deque[WorkItem] = field(init=False)
    _log: list[Handout] = field(default_factory=list, init=False)
    _inflight: dict[int, int] = field(default_factory=dict, init=False)  # lane -> index in _log
    _joined: set[int] = field(default_factory=set, init=False)
    _gone: dict[int, str] = field(default_factory=dict, init=False)
    _reports: list[tuple[str, str]] = field(default_factory=list, init=False)
    _reported: list[tuple[int, str, str]] = field(default_factory=list, init=False)
    _kills: dict[tuple[bool, str], int] = field(default_factory=dict, init=False)
    _started: dict[int, set[str]] = field(default_factory=dict, init=False)
    _finished: dict[int, set[str]] = field(default_factory=dict, init=False)
    _orphans: list[tuple[str, str]] = field(default_factory=list, init=False)
    _last: dict[int, int] = field(default_factory=dict, init=False)  # lane -> suite position its process reached
    _items: dict[tuple[bool, str], WorkItem] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._todo = deque(self.queue.batched(self.lanes).items)
        self._serial = deque(self.queue.serial)
        self._items = {(item.serial, item.key): item for item in (*self._todo, *self._serial)}

    # -- lanes -----------------------------------------------------------------------------------

    def join(self, lane: int) -> None:
        """A lane connected.

        :raises DispatchError: the lane number is negative or already used
        """
        if lane < 0:
            raise DispatchError(f"lane number {lane} is negative; lanes are numbered from 0")
        if lane in self._joined:
            raise DispatchError(f"lane {lane} connected twice; give every lane its own --lane number")
        self._joined.add(lane)

    @property
    def live(self) -> set[int]:
        """Lanes connected and not gone."""
        return self._joined - set(self._gone)

    def left(self) -> int:
        """How many groups are still queued (retries included), parallel and serial."""
        return len(self._todo) + len(self._serial)

    def take(self, lane: int) -> Reply:
        """What ``lane`` (idle) does next: reports to write first, then the next group, else wait or stop."""
        self._check_idle(lane)
        if self._reports:
            return Report(self._hand_reports(lane))
        if self.stopping is not None:
            return Stop(self.stopping)
        if self._todo:
            if self.queue.order == "lookahead":
                return self._take_ahead(lane)
            return Assign(self._hand(lane, self._todo))
        if self._serial:
            if self._inflight:
                return Wait()
            return Assign(self._hand(lane, self._serial))
        if self._inflight:
            self._last.pop(lane, None)  # the lane ends its test process now
            return Idle()
        return Stop("the queue is empty")

    def finish(self, lane: int, key: str) -> Handout:
        """``lane`` finished its group ``key``."""
        index = self._holding(lane, key)
        done = replace(self._log[index], ended_at=self.clock(), outcome=DONE)
        self._log[index] = done
        del self._inflight[lane]
        return done

    def crash(self, lane: int, key: str, unstarted: Sequence[str], why: str) -> Handout:
        """``lane``'s test process died during group ``key``; ``unstarted`` never began.

        The tests that had started are the lane's to fail. The unstarted ones go back to the front of
        the queue, unless the group has now killed ``max_kills`` processes or dispatch is stopping:
        then they are reported.
        """
        index = self._holding(lane, key)
        return self._crash(lane, index, unstarted, why, CRASHED)

    def interrupt(self, why: str) -> None:
        """Stop handing out groups; every group still queued is reported as not run because of ``why``."""
        if self.stopping is not None:
            return
        self.stopping = why
        for item in (*self._todo, *self._serial):
            self._reports.extend((t, f"not run: {why} before this test was handed to a worker")
                                 for t in item.tests)
        self._todo.clear()
        self._serial.clear()

    def leave(self, lane: int, why: str = "") -> Report:
        """``lane`` is leaving; returns the not-run reports it should write before it goes.

        A group it still holds ends ``interrupted``: a leaving lane has written a failure for each of its
        tests that did not finish. When it is the last of the host's lanes, everything still queued is
        reported through it.
        """
        if lane in self._gone:
            raise DispatchError(f"lane {lane} left twice")
        if lane in self._inflight:
            index = self._inflight.pop(lane)
            self._log[index] = replace(self._log[index], ended_at=self.clock(), outcome=INTERRUPTED,
                                       detail=why or "its lane left")
        self._gone[lane] = why
        if not self.live and len(self._joined) >= self.lanes and (self._todo or self._serial):
            reason = self.stopping or f"no lane was left to run it{f' ({why})' if why else ''}"
            for item in (*self._todo, *self._serial):
                self._reports.extend((t, f"not run: {reason}") for t in item.tests)
            self._todo.clear()
            self._serial.clear()
        return Report(self._hand_reports(lane))

    def progress(self, lane: int, started: Iterable[str] = (), finished: Iterable[str] = ()) -> None:
        """``lane`` is about to write that these tests started, or finished (see the module doc)."""
        self._started.setdefault(lane, set()).update(started)
        self._finished.setdefault(lane, set()).update(finished)

    def lose(self, lane: int, why: str) -> None:
        """``lane`` went away without leaving (its connection dropped)."""
        if lane in self._gone:
            return
        if lane in self._inflight:
            self._lose(lane, why)
        self._gone[lane] = why

    # -- results ---------------------------------------------------------------------------------

    def outcome(self) -> Outcome:
        """A snapshot of what happened so far."""
        pending = [*self._orphans, *self._reports]
        for item in (*self._todo, *self._serial):
            pending.extend((t, "not run: the dispatcher closed before this test was handed to a worker")
                           for t in item.tests)
        return Outcome(tuple(self._log), tuple(self._reported), tuple(pending), self.stopping)

    def fates(self) -> dict[str, str]:
        """Each queued id's fate so far: ran, failed, reported, pending or running (see the module doc)."""
        fate: dict[str, str] = {}
        for handout in self._log:
            if handout.outcome == RUNNING:
                fate.update(dict.fromkeys(handout.tests, RUNNING))
            elif handout.outcome == DONE:
                fate.update(dict.fromkeys(handout.tests, "ran"))
            elif handout.outcome == INTERRUPTED:
                fate.update(dict.fromkeys(handout.tests, INTERRUPTED))
            else:
                unstarted = set(handout.unstarted)
                fate.update((t, "failed") for t in handout.tests if t not in unstarted)
        fate.update((t, "reported") for _, t, _ in self._reported)
        outcome = self.outcome()
        fate.update((t, "pending") for t, _ in outcome.pending)
        return fate

    # -- internals -------------------------------------------------------------------------------

    def _check_idle(self, lane: int) -> None:
        if lane not in self._joined:
            raise DispatchError(f"lane {lane} asked for work before it connected")
        if lane in self._gone:
            raise DispatchError(f"lane {lane} asked for work after it left")
        if lane in self._inflight:
            held = self._log[self._inflight[lane]].key
            raise DispatchError(f"lane {lane} asked for work while it still holds group {held!r}")

    def _holding(self, lane: int, key: str) -> int:
        index = self._inflight.get(lane)
        if index is None or self._log[index].key != key:
            held = "nothing" if index is None else repr(self._log[index].key)
            raise DispatchError(f"lane {lane} reported group {key!r} but holds {held}")
        return index

    def _take_ahead(self, lane: int) -> Assign | Wait | Idle:
        """``lookahead`` order: the group :func:`~partitioner.dispatch.lookahead.pick_ahead` gives ``lane``; when
        it may run none of the queued ones, it waits for them to be run by the lanes that can, or, when no other
        lane can, ends its test process and takes the earliest in a fresh one."""
        now = self.clock()
        others = [self._view(o, now) for o in sorted(self.live) if o != lane]
        index, restart = next_move(self._todo, self._last.get(lane), others, now)
        if restart:
            self._last.pop(lane, None)  # the lane ends its test process; its next ask starts at the earliest group
            return Idle()
        if index is None:
            return Wait()
        return Assign(self._hand(lane, self._todo, index))

    def _view(self, lane: int, now: float) -> LaneView:
        """What ``lane`` looks like to a ``lookahead`` pick: when it will ask next, where its process is."""
        index = self._inflight.get(lane)
        free_at = now
        if index is not None:
            held = self._log[index]
            item = self._items.get((held.serial, held.key))
            free_at = max(now, held.handed_at + (item.cost if item is not None else 0.0))
        return LaneView(free_at, self._last.get(lane))

    def _hand(self, lane: int, todo: deque[WorkItem], at: int | None = None) -> Handout:
        index, fresh = pick(todo, self._last.get(lane), self.queue.order) if at is None else (at, False)
        item = todo[index]
        del todo[index]
        self._last[lane] = item.upto
        attempt = self._kills.get((item.serial, item.key), 0) + 1
        handout = Handout(len(self._log), lane, item.key, item.tests, self.clock(), serial=item.serial,
                          attempt=attempt, fresh=fresh)
        self._inflight[lane] = len(self._log)
        self._log.append(handout)
        return handout

    def _hand_reports(self, lane: int) -> tuple[tuple[str, str], ...]:
        items = tuple(self._reports)
        self._reports.clear()
        self._reported.extend((lane, t, why) for t, why in items)
        return items

    def _lose(self, lane: int, why: str) -> None:
        index = self._inflight[lane]
        tests = self._log[index].tests
        if self.reported is not None:
            started = seen = set(self.reported(lane, tests))
        else:
            seen = self._finished.get(lane, set())
            started = seen | self._started.get(lane, set())
        self._orphans.extend((t, f"lane {lane} went away ({why}) while this test was running")
                             for t in tests if t in started and t not in seen)
        self._crash(lane, index, [t for t in tests if t not in started], f"lane {lane} went away ({why})", LOST)

    def _crash(self, lane: int, index: int, unstarted: Sequence[str], why: str, outcome: str) -> Handout:
        handout = self._log[index]
        held = set(handout.tests)
        left = tuple(dict.fromkeys(t for t in unstarted if t in held))
        ended = replace(handout, ended_at=self.clock(), outcome=outcome, unstarted=left, detail=why)
        self._log[index] = ended
        del self._inflight[lane]
        self._last.pop(lane, None)  # its next group runs in a new test process
        slot = (handout.serial, handout.key)
        kills = self._kills[slot] = self._kills.get(slot, 0) + 1
        if not left:
            return ended
        if self.stopping is not None:
            self._reports.extend((t, f"not run: {self.stopping}; its group's test process had died ({why})")
                                 for t in left)
        elif kills >= self.max_kills:
            self._reports.extend((t, f"not run: group {handout.key} was handed out {kills} times and its test "
                                     f"process died each time (the last time: {why})") for t in left)
        else:
            queued = self._items.get(slot)
            retry = WorkItem(handout.key, left, 0.0, handout.serial, *((queued.at, queued.upto) if queued else (0, 0)))
            (self._serial if handout.serial else self._todo).appendleft(retry)
        return ended
