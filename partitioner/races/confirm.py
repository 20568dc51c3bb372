"""``races --confirm``: which experiments to run, and what their outcomes say; pure.

One failing run rarely tells the partner of a failed class from the bystanders that ran beside it (they all
coincided once). So reproduce before accusing. For each suspect (a failed class ``F``) this module decides
the *trials* -- classes run at once, one worker each -- and the caller (:mod:`partitioner.cli.suite`) runs
them with the suite's own test command and reports which classes failed. The policy:

1. ``F`` alone, :attr:`Bounds.alone` times. A failure alone means flaky or broken, not a race: the verdict
   is ``fails alone`` and no partner is tried.
2. Round 1: ``F`` beside each of its best candidates ``P`` (:func:`~partitioner.races.shortlist.candidates`:
   its best partners of another class, in ranking order), one pair at a time, *replaying* the diagnosed run:
   ``F`` starts as long after ``P`` as its window began after ``P``'s class
   (:func:`~partitioner.races.shortlist.offsets`). A pair *reproduces* when ``F`` fails, or when ``P`` fails
   while ``F`` passes (the race went the other way) and ``P`` passes alone (run alone :attr:`Bounds.alone`
   times the first time that happens).
3. When none of them reproduced, still in round 1: ``F`` beside the other candidates *side by side*, at
   most :attr:`Bounds.width` at a time; when ``F`` fails beside a group, the group is halved, and again,
   until one class is left. A candidate that fails while ``F`` passes (it may race another candidate) is
   tried as a pair.
4. Stop once a round ends in which some candidate reproduced: each candidate was tried the same number of
   times, and those that reproduced are the confirmed partners, the others did not reproduce.
5. Otherwise, rounds 2 to :attr:`Bounds.tries` run ``F`` beside every candidate side by side, all at once
   in even rounds and replaying the run in odd ones.

The caller owns time: it asks for :meth:`Search.next_trial`, runs it (or decides the budget is spent and
calls :meth:`Search.stop`), and hands the outcome to :meth:`Search.record`. :meth:`Search.verdicts` says,
for each suspect, what was found and what was not tried.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from partitioner.races.shortlist import MOST_PARTNERS, Candidates

Purpose = Literal["alone", "pair", "side by side"]
Verdict = Literal["confirmed", "not reproduced", "fails alone", "not tried", "no race"]


@dataclass(frozen=True)
class Bounds:
    """How hard to try.

    :ivar alone: runs of a class alone before it counts as passing alone
    :ivar tries: the most tries beside each candidate
    :ivar candidates: how many of the best partner classes are tried as pairs first (more when tied with the
        last); the others are tried side by side when none of these reproduces
    :ivar width: the most candidates beside the suspect in one side-by-side trial
    :ivar most: the most partner classes tried at all
    :ivar delay: the most seconds a replay delays a class
    """

    alone: int = 2
    tries: int = 4
    candidates: int = 3
    width: int = 8
    most: int = MOST_PARTNERS
    delay: float = 120.0


@dataclass(frozen=True)
class Trial:
    """One experiment: ``classes`` run at once, one worker each, each started ``delays[i]`` seconds in.

    :ivar suspect: the class being confirmed
    :ivar classes: the classes to run; the first is the one under test
    :ivar purpose: ``alone`` (one class), ``pair`` (the suspect and one candidate), ``side by side`` (the
        suspect and every open candidate)
    :ivar delays: seconds each class starts after the trial began (empty: all at once); a *replay* starts
        them as far apart as they were in the diagnosed run
    """

    suspect: str
    classes: tuple[str, ...]
    purpose: Purpose
    delays: tuple[float, ...] = ()

    @property
    def replay(self) -> bool:
        """Whether the classes start apart, as in the diagnosed run."""
        return any(self.delays)


@dataclass(frozen=True)
class Tried:
    """A candidate's record: ``reproduced`` of ``tries`` trials beside the suspect reproduced a failure."""

    partner: str
    reproduced: int
    tries: int


@dataclass(frozen=True)
class Confirmation:
    """What ``--confirm`` found for one suspect.

    :ivar suspect: as shown; ``klass`` its class
    :ivar verdict: ``confirmed`` (some candidate reproduced), ``not reproduced``, ``fails alone``,
        ``not tried`` (the budget ran out first), or ``no race`` (known before trying: see ``note``)
    :ivar alone: ``(failures, runs)`` of the suspect's class run alone
    :ivar tried: every candidate tried, best first
    :ivar untried: candidates never tried (the budget ran out)
    :ivar note: why it is no race, or what stopped the search
    """

    suspect: str
    klass: str
    verdict: Verdict
    alone: tuple[int, int] = (0, 0)
    tried: tuple[Tried, ...] = ()
    untried: tuple[str, ...] = ()
    note: str = ""

    @property
    def confirmed(self) -> tuple[Tried, ...]:
        """The candidates that reproduced the failure, best first."""
        return tuple(t for t in self.tried if t.reproduced)


@dataclass
class _Suspect:
    spec: Candidates
    alone_runs: int = 0
    alone_failures: int = 0
    round: int = 0
    queue: list[Trial] = field(default_factory=list)
    tries: dict[str, int] = field(default_factory=dict)
    reproduced: dict[str, int] = field(default_factory=dict)
    #: pair trials in which only the partner failed, waiting for the partner's runs alone
    pending: list[str] = field(default_factory=list)
    #: whether round 1 went on to the partners beyond the best
    widened: bool = False
    done: Verdict | None = None
    note: str = ""


class Search:
    """The confirm search over several suspects, one after the other (see the module docstring).

    :param suspects: what to confirm, in order
    :param bounds: how hard to try
    """

    def __init__(self, suspects: Sequence[Candidates], bounds: Bounds = Bounds()) -> None:
        self.bounds = bounds
        self._suspects = [_Suspect(s) for s in suspects]
        #: class -> (failures, runs) alone, shared by every suspect (a partner is often tried twice)
        self._alone: dict[str, tuple[int, int]] = {}
        self._stopped: str | None = None
        for state in self._suspects:
            if state.spec.no_race is not None:
                state.done, state.note = "no race", state.spec.no_race
            elif state.spec.unlisted:
                state.done, state.note = "not tried", "its tests are no longer in the suite's listing"

    # -- the next trial ------------------------------------------------------------------------------------

    def next_trial(self) -> Trial | None:
        """The next experiment to run, or ``None`` when the search is over."""
        if self._stopped is not None:
            return None
        for state in self._suspects:
            if state.done is None:
                trial = self._next(state)
                if trial is not None:
                    return trial
        return None

    def _next(self, state: _Suspect) -> Trial | None:
        klass = state.spec.klass
        while True:
            if state.pending:
                partner = state.pending[0]
                failures, runs = self._alone.get(partner, (0, 0))
                if not failures and runs < self.bounds.alone:
                    return Trial(klass, (partner,), "alone")
                state.pending.pop(0)
                if not failures:
                    state.reproduced[partner] = state.reproduced.get(partner, 0) + 1
                continue
            failures, runs = self._alone.get(klass, (0, 0))
            if failures:
                state.alone_failures, state.alone_runs = failures, runs
                state.done = "fails alone"
                return None
            if runs < self.bounds.alone:
                return Trial(klass, (klass,), "alone")
            state.alone_failures, state.alone_runs = failures, runs
            if state.queue:
                return state.queue[0]
            if not self._next_round(state):
                return None

    def _next_round(self, state: _Suspect) -> bool:
        """Close the round that just ended and queue the next; ``False`` when the suspect is decided.

        Round 1 tries the best candidates as pairs and, when none of them reproduced, the others side by
        side; later rounds try every candidate side by side.
        """
        partners = state.spec.partners
        if not partners:
            state.done = "not reproduced"
            state.note = "no partner of another class ran beside it"
            return False
        reproduced = any(state.reproduced.get(p) for p in partners)
        if state.round and reproduced:
            state.done = "confirmed"
            return False
        rest = partners[len(state.spec.best):]
        if state.round == 1 and rest and not state.widened:
            state.widened = True
            state.queue = self._side_by_side(state, rest, replay=True)
            return True
        if state.round >= self.bounds.tries:
            state.done = "not reproduced"
            return False
        state.round += 1
        if state.round == 1:
            state.queue = [self._trial(state, (p,), replay=True) for p in state.spec.best]
            if not state.queue:  # no best ones: go straight to the others
                state.widened = True
                state.queue = self._side_by_side(state, rest, replay=True)
        else:
            state.queue = self._side_by_side(state, partners)
        return True

    def _side_by_side(self, state: _Suspect, partners: Sequence[str], replay: bool | None = None) -> list[Trial]:
        """Trials of the suspect beside ``partners``, at most :attr:`Bounds.width` at a time (a pair for one);
        replaying the diagnosed run's offsets in odd rounds, all at once in even ones (unless ``replay``)."""
        width = max(1, self.bounds.width)
        chunks = [tuple(partners[i:i + width]) for i in range(0, len(partners), width)]
        again = state.round % 2 == 1 if replay is None else replay
        return [self._trial(state, chunk, again) for chunk in chunks]

    def _trial(self, state: _Suspect, partners: tuple[str, ...], replay: bool) -> Trial:
        """The suspect beside ``partners``: all at once, or (``replay``) as far apart as in the diagnosed run."""
        klass = state.spec.klass
        purpose: Purpose = "pair" if len(partners) == 1 else "side by side"
        cap = self.bounds.delay
        offset = {p: min(cap, max(-cap, state.spec.offsets[p])) for p in partners if p in state.spec.offsets}
        if not replay or not any(offset.values()):
            return Trial(klass, (klass, *partners), purpose)
        lead = max(0.0, *offset.values())  # the suspect starts this late; partner p offset(p) before it
        delays = (lead, *(lead - offset.get(p, 0.0) for p in partners))
        return Trial(klass, (klass, *partners), purpose, tuple(round(d, 6) for d in delays))

    # -- outcomes ------------------------------------------------------------------------------------------

    def record(self, trial: Trial, failed: frozenset[str]) -> None:
        """What ``trial`` did: ``failed`` are the classes of it that had a failing test."""
        state = next(s for s in self._suspects if s.spec.klass == trial.suspect and s.done is None)
        if trial.purpose == "alone":
            (klass,) = trial.classes
            failures, runs = self._alone.get(klass, (0, 0))
            self._alone[klass] = (failures + (klass in failed), runs + 1)
            return
        if state.queue and state.queue[0] == trial:
            state.queue.pop(0)
        suspect, *partners = trial.classes
        if trial.purpose == "pair":
            (partner,) = partners
            state.tries[partner] = state.tries.get(partner, 0) + 1
            if suspect in failed:
                state.reproduced[partner] = state.reproduced.get(partner, 0) + 1
            elif partner in failed:
                state.pending.append(partner)
            return
        if suspect in failed:  # side by side, and the suspect failed: which of them? halve the group, and again
            half = (len(partners) + 1) // 2
            state.queue[:0] = [*self._side_by_side(state, partners[:half], trial.replay),
                               *self._side_by_side(state, partners[half:], trial.replay)]
            return
        for partner in partners:
            if partner in failed:
                state.queue.append(self._trial(state, (partner,), trial.replay))
            else:
                state.tries[partner] = state.tries.get(partner, 0) + 1

    def stop(self, why: str) -> None:
        """End the search now (the budget ran out, or an interrupt): what was not tried stays untried."""
        self._stopped = why

    # -- results -------------------------------------------------------------------------------------------

    def verdicts(self) -> tuple[Confirmation, ...]:
        """One :class:`Confirmation` per suspect, in the order given."""
        found: list[Confirmation] = []
        for state in self._suspects:
            spec = state.spec
            failures, runs = self._alone.get(spec.klass, (state.alone_failures, state.alone_runs))
            tried = tuple(Tried(p, state.reproduced.get(p, 0), state.tries[p])
                          for p in spec.partners if state.tries.get(p))
            # candidates a finished search did not need are not "untried"; those a stop left out are
            untried = () if state.done is not None else tuple(p for p in spec.partners if not state.tries.get(p))
            verdict: Verdict
            note = state.note
            if state.done is not None:
                verdict = state.done
            else:  # stopped before it was decided
                note = self._stopped or ""
                if failures:
                    verdict = "fails alone"
                elif any(t.reproduced for t in tried):
                    verdict = "confirmed"
                else:
                    verdict = "not reproduced" if tried else "not tried"
            if verdict in ("fails alone", "no race"):
                untried = ()
            found.append(Confirmation(spec.suspect, spec.klass, verdict, (failures, runs), tried, untried, note))
        return tuple(found)

    def pairs(self) -> Mapping[tuple[str, str], tuple[int, int]]:
        """Every pair tried: sorted class pair -> ``(reproductions, tries)``."""
        found: dict[tuple[str, str], tuple[int, int]] = {}
        for state in self._suspects:
            for partner, tries in state.tries.items():
                a, b = sorted((state.spec.klass, partner))
                old = found.get((a, b), (0, 0))
                found[(a, b)] = (old[0] + state.reproduced.get(partner, 0), old[1] + tries)
        return found
