"""Order-dependent failures: the search for the fewest tests that, run earlier in the same test process, make a
failed class fail; pure.

A test that passes alone and fails after certain other tests ran in the same process depends on state they
left behind: a registry, a module global, logging or configuration, a patch never undone. Which tests share a
process is the plan's choice (testr and stestr start one test process per worker, partitioner's lanes one per
lane), so such a failure comes and goes with the plan. testr's and stestr's ``--analyze-isolation`` bisects a
failing run's tests by re-running halves of them through the whole tool; this module bisects only what ran
before the failure on its worker, keeps the run's order, and says how often the result reproduces.

**What ran before** (:func:`~partitioner.races.before.order_suspects`): for each class with a failed test, the
classes before it on its worker, *fresh* (never before it where it passed) or *cleared*.

**The search** (:class:`Bisect`): the caller runs each :class:`OrderTrial` -- stretches in order, in one test
process -- and reports which classes failed. Per worker, the *replay* runs the lane as the run did, up to
the last suspect on it (at most :attr:`OrderBounds.replays` times, until every suspect failed once); a suspect
whose failure the replay does not reproduce is ``not reproduced``. Then, per reproduced suspect:

1. alone, :attr:`OrderBounds.alone` times: a failure alone is ``fails alone`` (no order dependence);
2. a first guess: the polluters found for earlier suspects (their tests, then their classes), when they ran
   before this one too; else its fresh classes, when they are at most half of what ran before it; else
   everything before it (the replay showed that fails);
3. delta debugging (:func:`~partitioner.races.ddmin.ddmin`) over the guess's classes, keeping their order:
   the suspect after one half, after the other, after the complements, finer and finer (the part expected to
   take less time first), to a set of which no class can be left out;
4. the same over that set's tests;
5. the result checked :attr:`OrderBounds.checks` times: ``X fails after Y ran in the same process (k/n)``.

Outcomes of identical sequences are reused, not run twice. The caller owns time: it asks for
:meth:`Bisect.next_trial`, runs it (or calls :meth:`Bisect.stop` when the budget is spent), and hands the
failed classes to :meth:`Bisect.record`; :meth:`Bisect.verdicts` says what was found.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from partitioner.races.before import OrderSuspect
from partitioner.races.ddmin import ddmin

Purpose = Literal["replay", "alone", "bisect", "check"]
Outcome = Literal["order-dependent", "fails alone", "not reproduced", "not tried"]
Level = Literal["class", "test"]


@dataclass(frozen=True)
class Unit:
    """What a trial runs as one group: a class's stretch, or one test of it.

    :ivar key: unique within a suspect's search: ``class#index`` for a stretch, the test id for a test
    :ivar klass: its class
    :ivar tests: canonical test ids to run, in order (empty: every test of the class the suite lists)
    :ivar seconds: its expected time (from the diagnosed run)
    :ivar whole: a whole stretch (else one test)
    """

    key: str
    klass: str
    tests: tuple[str, ...]
    seconds: float = 0.0
    whole: bool = True

    @property
    def label(self) -> str:
        """How to name it: the class, or the test."""
        return self.klass if self.whole else self.key


@dataclass(frozen=True)
class OrderTrial:
    """One experiment: ``sequence`` runs in one test process, in order; ``watch`` are the classes whose
    failure it is about.

    :ivar purpose: ``replay`` (a worker's lane as the run had it), ``alone`` (the suspect by itself),
        ``bisect`` (the suspect after a subset of what ran before it), ``check`` (after the result)
    :ivar worker: the worker whose suspects it is about (a class split per test may be a suspect on two)
    """

    watch: tuple[str, ...]
    sequence: tuple[Unit, ...]
    purpose: Purpose
    worker: str = ""

    @property
    def seconds(self) -> float:
        """Its expected time, start-up aside."""
        return sum(u.seconds for u in self.sequence)

    @property
    def before(self) -> tuple[Unit, ...]:
        """What runs before the (one) watched class: the sequence but its last unit."""
        return self.sequence[:-1]


@dataclass(frozen=True)
class OrderBounds:
    """How hard to try.

    :ivar replays: the most replays of a worker's lane until each suspect on it failed once
    :ivar alone: runs of a suspect alone before it counts as passing alone
    :ivar checks: runs of the result, for its ``k of n``
    :ivar known: the most polluter sets found for earlier suspects (tests, and their classes) tried first for a
        later one
    """

    replays: int = 2
    alone: int = 2
    checks: int = 3
    known: int = 4


@dataclass(frozen=True)
class OrderVerdict:
    """What the search found for one suspect.

    :ivar klass: the suspect class; ``worker`` the worker it failed on (its :attr:`OrderSuspect.worker`)
    :ivar outcome: ``order-dependent`` (a set of earlier tests makes it fail), ``fails alone``, ``not
        reproduced`` (the replay of its worker did not fail it, or the result did not reproduce), or ``not
        tried`` (the budget ran out first)
    :ivar polluters: the fewest earlier units found, in the order they ran (test ids at ``level`` test)
    :ivar level: whether ``polluters`` are classes or tests
    :ivar reproduced: ``(k, n)``: the suspect failed in k of n checks after ``polluters``
    :ivar replayed: ``(failures, runs)`` of the replays of its worker
    :ivar alone: ``(failures, runs)`` alone
    :ivar trials: trials run for it (its share of the replays aside)
    :ivar note: what stopped it, or what else is worth knowing
    """

    klass: str
    outcome: Outcome
    polluters: tuple[str, ...] = ()
    level: Level = "class"
    reproduced: tuple[int, int] = (0, 0)
    replayed: tuple[int, int] = (0, 0)
    alone: tuple[int, int] = (0, 0)
    trials: int = 0
    note: str = ""
    worker: str = ""


@dataclass
class _State:
    suspect: OrderSuspect
    units: tuple[Unit, ...]
    own: Unit
    replayed: list[int] = field(default_factory=lambda: [0, 0])
    alone: list[int] = field(default_factory=lambda: [0, 0])
    checks: list[int] = field(default_factory=lambda: [0, 0])
    cache: dict[tuple[str, ...], bool] = field(default_factory=dict)
    polluters: tuple[Unit, ...] = ()
    level: Level = "class"
    trials: int = 0
    outcome: Outcome | None = None
    note: str = ""


def units_of(suspect: OrderSuspect) -> tuple[tuple[Unit, ...], Unit]:
    """The suspect's predecessors as units (one per stretch, in order), and its own unit."""
    before = tuple(Unit(f"{s.klass}#{i}", s.klass, s.tests, s.seconds) for i, s in enumerate(suspect.before))
    own = suspect.own
    return before, Unit(f"{own.klass}#{len(before)}", own.klass, own.tests, own.seconds)


def split(unit: Unit) -> tuple[Unit, ...]:
    """A stretch as one unit per test (a stretch with no test id stays whole)."""
    if not unit.whole or len(unit.tests) < 2:
        return (unit,)
    each = unit.seconds / len(unit.tests)
    return tuple(Unit(t, unit.klass, (t,), each, whole=False) for t in unit.tests)


class Bisect:
    """The order search over several suspects (see the module docstring).

    :param suspects: what to search, in order
    :param bounds: how hard to try
    """

    def __init__(self, suspects: Sequence[OrderSuspect], bounds: OrderBounds = OrderBounds()) -> None:
        self.bounds = bounds
        self._states: list[_State] = []
        for suspect in suspects:
            units, own = units_of(suspect)
            self._states.append(_State(suspect, units, own))
        self._replays: dict[str, int] = {}
        self._known: list[tuple[tuple[bool, str], ...]] = []  # polluter sets found: (whole, label), in order
        self._search: Generator[OrderTrial, bool, None] | None = None
        self._current: _State | None = None
        self._pending: OrderTrial | None = None
        self._stopped: str | None = None

    # -- the next trial ------------------------------------------------------------------------------------

    def next_trial(self) -> OrderTrial | None:
        """The next experiment to run, or ``None`` when the search is over."""
        if self._stopped is not None:
            return None
        if self._pending is not None:
            return self._pending
        replay = self._replay()
        if replay is not None:
            self._pending = replay
            return replay
        while True:
            if self._search is None:
                state = next((s for s in self._states if s.outcome is None), None)
                if state is None:
                    return None
                self._current = state
                self._search = self._run(state)
                try:
                    self._pending = next(self._search)
                except StopIteration:
                    self._search = None
                    continue
            return self._pending

    def _replay(self) -> OrderTrial | None:
        """The next replay: a worker whose suspects have not all failed yet, while replays are left."""
        workers: dict[str, list[_State]] = {}
        for state in self._states:
            if state.outcome is None and not state.replayed[0]:
                workers.setdefault(state.suspect.worker, []).append(state)
        for worker, states in sorted(workers.items()):
            if self._replays.get(worker, 0) >= self.bounds.replays:
                for state in states:
                    state.outcome = "not reproduced"
                    state.note = (f"it passed in {state.replayed[1]} replay{'s' if state.replayed[1] != 1 else ''} of "
                                  f"what ran before it on {worker or 'its worker'}")
                continue
            last = max(states, key=lambda s: len(s.units))
            sequence = (*last.units, last.own)
            return OrderTrial(tuple(s.suspect.klass for s in states), sequence, "replay", worker)
        return None

    def _run(self, state: _State) -> Generator[OrderTrial, bool, None]:
        """One suspect's search after the replay reproduced its failure (see the module docstring)."""
        for _ in range(self.bounds.alone):
            failed = yield OrderTrial((state.suspect.klass,), (state.own,), "alone", state.suspect.worker)
            state.alone[1] += 1
            if failed:
                state.alone[0] += 1
                state.outcome = "fails alone"
                return
        if not state.units:
            state.outcome = "not reproduced"
            state.note = (f"nothing ran before it on {state.suspect.worker or 'its worker'}, and alone it passed "
                          f"{state.alone[1]} times: flaky, not an order dependence")
            return
        state.cache[()] = False
        state.cache[tuple(u.key for u in state.units)] = True  # the replay
        guess = yield from self._guess(state)
        found = yield from self._ddmin(state, guess)
        whole = found
        finer = tuple(t for u in found for t in split(u))
        if len(finer) > len(found):
            state.level = "test"
            state.cache[tuple(u.key for u in finer)] = state.cache.get(tuple(u.key for u in found), True)
            found = yield from self._ddmin(state, finer)
        state.polluters = found
        for _ in range(self.bounds.checks):
            failed = yield self._trial(state, found, "check")
            state.checks[0] += failed
            state.checks[1] += 1
        if state.checks[0]:
            state.outcome = "order-dependent"
            if whole != found:  # tried after the finer set, which comes first (the newest sets are tried first)
                self._learn(tuple((True, label) for label in dict.fromkeys(u.klass for u in whole)))
            self._learn(tuple((u.whole, u.label) for u in found))
        else:
            state.outcome = "not reproduced"
            state.note = f"the search ended at {_names(found)}, but that did not reproduce in {state.checks[1]} checks"

    def _learn(self, found: tuple[tuple[bool, str], ...]) -> None:
        """Remember a polluter set, as the newest (once: a set found again moves to the end)."""
        if found in self._known:
            self._known.remove(found)
        self._known.append(found)

    def _guess(self, state: _State) -> Generator[OrderTrial, bool, tuple[Unit, ...]]:
        """Where the bisection starts: known polluters (the newest sets that all ran before it, at most
        :attr:`OrderBounds.known`), else the fresh classes, else everything before it."""
        tried = 0
        for found in reversed(self._known):
            if tried >= self.bounds.known:
                break
            classes = {label for whole, label in found if whole}
            tests = {label for whole, label in found if not whole}
            known: list[Unit] = []
            for unit in state.units:
                if unit.klass in classes:
                    known.append(unit)
                elif tests.intersection(unit.tests):
                    known.extend(t for t in split(unit) if t.key in tests)
            matched = {u.klass for u in known if u.whole} | {u.key for u in known if not u.whole}
            if not known or not matched >= classes | tests:
                continue
            tried += 1
            if (yield from self._fails(state, tuple(known))):
                return tuple(known)
        fresh = set(state.suspect.fresh)
        if state.suspect.passed and fresh and len(fresh) <= len({u.klass for u in state.units}) / 2:
            subset = tuple(u for u in state.units if u.klass in fresh)
            if (yield from self._fails(state, subset)):
                return subset
        return state.units

    def _ddmin(self, state: _State, units: tuple[Unit, ...]) -> Generator[OrderTrial, bool, tuple[Unit, ...]]:
        """A subset of ``units`` (known to make the suspect fail) of which none can be left out."""
        return (yield from ddmin(units, lambda part: self._fails(state, part), _seconds))

    def _fails(self, state: _State, units: tuple[Unit, ...]) -> Generator[OrderTrial, bool, bool]:
        """Whether the suspect fails after ``units`` (a cached outcome, or one trial)."""
        key = tuple(u.key for u in units)
        if key not in state.cache:
            state.cache[key] = yield self._trial(state, units, "bisect")
        return state.cache[key]

    def _trial(self, state: _State, units: Sequence[Unit], purpose: Purpose) -> OrderTrial:
        return OrderTrial((state.suspect.klass,), (*units, state.own), purpose, state.suspect.worker)

    # -- outcomes ------------------------------------------------------------------------------------------

    def record(self, trial: OrderTrial, failed: frozenset[str]) -> None:
        """What ``trial`` did: ``failed`` are the classes with a failing test in it."""
        if trial != self._pending:
            raise ValueError("record the trial next_trial() gave, once")
        self._pending = None
        if trial.purpose == "replay":
            self._replays[trial.worker] = self._replays.get(trial.worker, 0) + 1
            for state in self._states:
                if state.suspect.worker == trial.worker and state.suspect.klass in trial.watch:
                    state.replayed[1] += 1
                    state.replayed[0] += state.suspect.klass in failed
            return
        assert self._search is not None and self._current is not None
        self._current.trials += 1
        try:
            self._pending = self._search.send(trial.watch[0] in failed)
        except StopIteration:
            self._search = None
            self._current = None

    def stop(self, why: str) -> None:
        """End the search now (the budget ran out, or an interrupt): what was not decided stays ``not tried``."""
        self._stopped = why

    # -- results -------------------------------------------------------------------------------------------

    def verdicts(self) -> tuple[OrderVerdict, ...]:
        """One :class:`OrderVerdict` per suspect, in the order given."""
        found: list[OrderVerdict] = []
        for state in self._states:
            outcome = state.outcome
            note = state.note
            polluters = state.polluters
            if outcome is None:
                outcome, note = "not tried", self._stopped or ""
                if state.replayed[0] and not state.alone[0]:
                    note = f"{note}; it failed in a replay of its worker, the search was cut short".lstrip("; ")
            found.append(OrderVerdict(state.suspect.klass, outcome, tuple(u.label for u in polluters), state.level,
                                      _pair(state.checks), _pair(state.replayed), _pair(state.alone), state.trials,
                                      note, state.suspect.worker))
        return tuple(found)


def _seconds(units: Sequence[Unit]) -> float:
    return sum(u.seconds for u in units)


def _pair(counts: Sequence[int]) -> tuple[int, int]:
    return counts[0], counts[1]


def _names(units: Sequence[Unit]) -> str:
    return ", ".join(u.label for u in units)
