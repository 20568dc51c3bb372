"""``races --confirm``'s shortlist: for each failed class, the partner classes to try (best first), when they
started relative to it in the diagnosed run, and how long each class runs; pure.

:func:`candidates` reads them off a diagnosis (:class:`~partitioner.races.diagnosis.Suspect` rankings) and the
diagnosed run (:func:`offsets`, what a replay reproduces); :func:`class_seconds` off stored runs (what a trial
is expected to take). :mod:`partitioner.races.confirm` decides which trials to run with them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from partitioner.history.model import Run
from partitioner.history.samples import worker_lanes
from partitioner.races.diagnosis import Suspect
from partitioner.races.windows import Timeline
from partitioner.statuses import PSEUDO_TESTS
from partitioner.testids import canonical, class_key

#: the most partner classes tried for one suspect (the default of ``Bounds.most``)
MOST_PARTNERS = 24


@dataclass(frozen=True)
class Candidates:
    """A suspect to confirm and the partner classes to try, best first.

    :ivar suspect: the suspect as shown (a test id or a class key)
    :ivar klass: its class: what runs
    :ivar partners: the candidate partner classes, best first
    :ivar first: how many of ``partners`` are tried as pairs first (default all)
    :ivar no_race: why it is known to be no race (then nothing runs), or ``None``
    :ivar unlisted: its class is no longer in the suite's listing (then nothing runs)
    :ivar offsets: partner -> seconds the suspect's window began after the partner's class did, in the
        diagnosed run (negative: before); what a replay reproduces
    """

    suspect: str
    klass: str
    partners: tuple[str, ...]
    no_race: str | None = None
    unlisted: bool = False
    first: int | None = None
    offsets: Mapping[str, float] = field(default_factory=dict)

    @property
    def best(self) -> tuple[str, ...]:
        """The partners tried as pairs first."""
        return self.partners if self.first is None else self.partners[:self.first]


def candidates(suspects: Sequence[Suspect], count: int,
               configured: Mapping[str, Sequence[str]] | None = None, most: int = MOST_PARTNERS,
               run: Run | None = None) -> tuple[Candidates, ...]:
    """What to confirm: one :class:`Candidates` per failed class, in the order of ``suspects``.

    The candidates are the suspect's partners of another class in ranking order (:meth:`Suspect.ranked`). The
    *best*, tried as pairs first, are the first ``count`` classes, any further one tied with the last of them,
    and the classes a configured resource already pairs it with (so that ``--confirm`` also says whether those
    still hold); the others (``most`` in all) follow. A class that several test suspects stand for is confirmed
    once, with the first one's ranking.

    :param configured: class -> the classes configured resources pair it with
    :param run: the diagnosed run, for the offsets a replay reproduces (:func:`offsets`)
    """
    timeline = Timeline(run, frozenset()) if run is not None else None
    found: dict[str, Candidates] = {}
    for suspect in suspects:
        klass = suspect.klass
        if klass in found:
            continue
        ranked: list[tuple[str, float]] = []
        for partner, theirs in suspect.ranked():
            if theirs not in (c for c, _ in ranked):
                ranked.append((theirs, partner.score))
        chosen = [c for c, _ in ranked[:count]]
        if len(ranked) > count:
            last = ranked[count - 1][1]
            chosen += [c for c, score in ranked[count:] if score == last]
        chosen += [c for c in (configured or {}).get(klass, ()) if c not in chosen and c != klass]
        rest = [c for c, _ in ranked if c not in chosen][:max(0, most - len(chosen))]
        partners = tuple(chosen + rest)
        found[klass] = Candidates(suspect.test, klass, partners, suspect.not_race, first=len(chosen),
                                  offsets=offsets(timeline, klass, partners) if timeline is not None else {})
    return tuple(found.values())


def offsets(timeline: Timeline, klass: str, partners: Sequence[str]) -> dict[str, float]:
    """partner -> how many seconds after the partner's class began the suspect's window did (where its
    failures began; its first window when it passed), in one run; partners that did not run are left out."""
    window = timeline.window(klass, "class", frozenset()) or list(timeline.of(klass, "class"))
    if not window:
        return {}
    began = min(s.start for s in window)
    return {p: round(began - timeline.of(p, "class")[0].start, 6) for p in partners if timeline.has(p, "class")}


def class_seconds(runs: Iterable[Run]) -> dict[str, float]:
    """How long each class runs on a worker, from setUpClass to its last test: the most any run took.

    On a worker lane a class runs from the previous test's stop (its setUpClass time included) to its last
    test's stop; in a failed run it may have stopped early, hence the most over the runs.
    """
    longest: dict[str, float] = {}
    for run in runs:
        spent: dict[str, float] = {}
        for _, lane in worker_lanes(run):
            previous: float | None = None
            for record in lane:
                assert record.start is not None and record.stop is not None  # lanes hold timed records only
                if record.test_id not in PSEUDO_TESTS:
                    begin = record.start if previous is None else min(record.start, previous)
                    key = class_key(canonical(record.test_id))
                    spent[key] = spent.get(key, 0.0) + max(0.0, record.stop - begin)
                previous = record.stop
        for key, seconds in spent.items():
            longest[key] = max(longest.get(key, 0.0), seconds)
    return longest
