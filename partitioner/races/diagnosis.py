"""Rank the tests that ran beside a test that failed only in parallel, and turn the culprits into resources.

Pure: it takes :class:`~partitioner.history.model.Run` values and returns frozen values; the command reads
the streams and :mod:`partitioner.render.races` renders the result.

**Windows.** In each run, every timed test gets an *extended window*: from the stop of the test before it on
the same worker (the run's first timestamp for a worker's first test) to its own stop. The first test of a
class thereby carries its class's ``setUpClass`` time, where races most often strike. Two windows
*overlap* when they are on different workers and share time.

**Views.** The *test view* looks at one failed test ``F`` and every test on another worker whose window
overlapped ``F``'s. The *class view* looks at a class ``K`` with failed tests where its failures began: on
each worker, the window of its first failed test (when a ``setUpClass`` lost a race, that window holds the
``setUpClass``; the later failures are its consequences, not new coincidences); in runs where ``K`` did not
fail, the windows of those same tests. Its partners are whole classes (every window of every test of the
class), since a class that holds a resource holds it from its ``setUpClass`` to its ``tearDownClass``.
Resource rules are written for classes.

**Score** of a partner ``P`` of a suspect ``F`` (a test or a class), in ``[0, 1)``::

    score = 0.2 * share + 0.8 * (coincidences / failures) * (split + 1) / (overlapped + 2)

    share         seconds P's windows overlapped F's in the diagnosed run / the shorter of the two
                  (1.0: one ran entirely within the other -- a short class holding a resource through
                  F's setUpClass counts as much as a long one)
    failures      parallel runs (the diagnosed one included) in which F failed
    coincidences  those of them in which P overlapped F's window on another worker
    overlapped    parallel runs in which P overlapped F's window on another worker
    split         those of them in which exactly one of F and P failed
                  (= overlapped - harmless, where neither failed, - together, where both failed)

``coincidences / failures`` asks "was P there every time F failed?". ``(split + 1) / (overlapped + 2)``
estimates "when P was there, did exactly one of the two fail?" (Laplace's rule of succession, so that more
runs of evidence beat fewer: 5 split overlaps out of 5 score above 4 out of 4). A race on a shared resource
has a winner and a loser, so a run in which P overlapped F and *P* failed counts for P (the race went the
other way), while an overlap in which both passed (harmless) or both failed (together: two victims of
something else, typically of two different races) counts against it. Serial runs (one worker tag or none)
take no part. With a single parallel run ``coincidences / failures`` is 1 for every partner, ``split``
prefers the partners that passed, and ``share`` ranks the rest; more runs separate true partners from
bystanders. Partners are ranked by score (best first), ties by id.

**Deterministic failures** are left out before any of this. A failed test that failed in every run that ran it
(the diagnosed run, the parallel runs of the history and its serial runs, those in which nearly everything failed
aside; at least :data:`DETERMINISTIC_RUNS` of them), while no class ran beside its class's onset window at every
one of those failures (a serial failure had nothing beside it), fails whatever runs beside it: an environment or
an ordinary bug, no race (``Diagnosis.deterministic``); left in, it would get a rule pairing it with whichever
class happened to be beside it in the diagnosed run. Where one class was beside it at every failure, a race it loses
every time (testr's plan puts the classes in the same places run after run) cannot be told from a bug, so it stays
a suspect; so does a test that passed once. Like ``--serial``'s failures, such a test counts as passed wherever it
is a partner: its failure says nothing about who won a race.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from partitioner.errors import HistoryError
from partitioner.history.model import Run, is_parallel
from partitioner.history.summary import broken_run
from partitioner.races.windows import Level, Timeline
from partitioner.run import advice
from partitioner.statuses import FAILING, PASSING, PSEUDO_TESTS
from partitioner.testids import canonical, class_key

#: weight of the overlap share in the score; the rest goes to the cross-run evidence
OVERLAP_WEIGHT = 0.2
#: score digits kept, so equal scores tie (and fall back to ids) whatever the float noise
_DIGITS = 9
#: the fewest runs that ran a test, each a failure, for it to be left out as a deterministic failure: one run (the
#: diagnosed one alone) says nothing, since every failure failed in every run; two runs with a different class
#: beside each failure (or none) already say that what overlapped it does not matter: a race with one partner class
#: has that partner beside it at each failure, and a failure with a new partner each time is none a rule can fix.
DETERMINISTIC_RUNS = 2

By = Literal["auto", "test", "class"]


@dataclass(frozen=True)
class Partner:
    """A test (or class) that ran beside a failed one on another worker.

    :ivar test: the partner's id as the diagnosed run has it (a class key in the class view)
    :ivar score: see the module docstring; higher is more suspicious
    :ivar overlap_s: seconds its windows overlapped the suspect's in the diagnosed run
    :ivar coincidences: parallel runs in which the suspect failed while this partner overlapped it
    :ivar failures: parallel runs in which the suspect failed (the denominator of ``coincidences``)
    :ivar overlapped: parallel runs in which this partner overlapped the suspect
    :ivar harmless: runs among ``overlapped`` in which neither failed (they count against it)
    :ivar together: runs among ``overlapped`` in which both failed (they count against it too)
    :ivar share: ``overlap_s`` over the shorter of the two windows in the diagnosed run
    """

    test: str
    score: float
    overlap_s: float
    coincidences: int
    failures: int = 1
    overlapped: int = 1
    harmless: int = 0
    together: int = 0
    share: float = 0.0


@dataclass(frozen=True)
class Suspect:
    """A test (or class) that failed in the parallel run, with its partners best first.

    :ivar test: the failed test's id, or the class key in the class view
    :ivar partners: ranked by score, ties by id
    :ivar level: ``test`` or ``class``
    :ivar failed: the failed test ids it stands for (itself, or the class's failed tests)
    :ivar failures: parallel runs in which it failed (the diagnosed one included)
    :ivar serial_failures: stored serial runs in which it failed too (then it is no race)
    :ivar lone: parallel runs (the diagnosed one included) in which it failed with nothing beside it on
        another worker (then it is no race either)
    :ivar passed: parallel runs that ran it in which it passed (see :attr:`order_dependent`)
    """

    test: str
    partners: tuple[Partner, ...]
    level: Level = "test"
    failed: tuple[str, ...] = ()
    failures: int = 1
    serial_failures: int = 0
    lone: int = 0
    passed: int = 0

    @property
    def klass(self) -> str:
        """The suspect's class (itself in the class view): what a rule keeps on one worker."""
        return self.test if self.level == "class" else class_key(self.test)

    @property
    def not_race(self) -> str | None:
        """Why this failure is no race (it also failed with nothing beside it), or ``None``."""
        reasons = []
        if self.serial_failures:
            reasons.append(f"in {self.serial_failures} serial run{'s' if self.serial_failures != 1 else ''}")
        if self.lone:
            reasons.append(f"in {self.lone} parallel run{'s' if self.lone != 1 else ''} with nothing beside it "
                           f"on another worker")
        return f"it also failed {' and '.join(reasons)}" if reasons else None

    @property
    def order_dependent(self) -> bool:
        """Whether its failure may hang on what ran before it in its test process: no race (it failed with
        nothing beside it), yet it passed in another parallel run, so what it fails with is not the code alone
        (oslo.middleware's ``test_factory_creates_middleware`` fails only after ``test_init_idempotent`` has run in
        the same process). ``races --order`` ranks what ran before it, and with ``--confirm`` bisects it."""
        return self.not_race is not None and self.passed > 0

    def ranked(self) -> tuple[tuple[Partner, str], ...]:
        """The partners of another class, best first, each with its class: what rules are made of."""
        mine = self.klass
        found = []
        for partner in self.partners:
            theirs = partner.test if self.level == "class" else class_key(partner.test)
            if theirs != mine:
                found.append((partner, theirs))
        return tuple(found)

    def top(self) -> tuple[Partner, str, tuple[str, ...]] | None:
        """The partner a rule pairs this suspect with: the best-scoring partner of another class (ties go to
        the smaller id, as the ranking has them), its class, and the other partners' classes tied with it.
        ``None`` when no partner of another class ran beside it.
        """
        ranked = self.ranked()
        if not ranked:
            return None
        best, klass = ranked[0]
        tied = tuple(dict.fromkeys(c for p, c in ranked[1:] if p.score == best.score and c != klass))
        return best, klass, tied


@dataclass(frozen=True)
class Diagnosis:
    """Everything :func:`diagnose` found about one parallel run.

    :ivar run_id: the diagnosed run
    :ivar tests: one suspect per failed test (test view), sorted by id
    :ivar classes: one suspect per class with failed tests (class view), sorted by class key
    :ivar runs: parallel runs the cross-run counts rest on, the diagnosed one included
    :ivar excluded: failed tests left out because they failed in the serial run too
    :ivar untimed: records of the diagnosed run left out for lack of timestamps or a worker tag
    :ivar broken: ``(failed classes, classes)`` of the diagnosed run when (nearly) all of it failed -- no race,
        something broke the whole run -- else ``None``
    :ivar broken_runs: parallel runs of the history left out of the counts because (nearly) all of them failed
    :ivar deterministic: failed tests left out because they failed in every run that ran them, whatever ran beside
        them (see the module docstring), each with the number of those runs; sorted by id
    """

    run_id: str
    tests: tuple[Suspect, ...]
    classes: tuple[Suspect, ...]
    runs: int = 1
    excluded: tuple[str, ...] = ()
    untimed: int = 0
    broken: tuple[int, int] | None = None
    broken_runs: int = 0
    deterministic: tuple[tuple[str, int], ...] = ()

    def view(self, by: By = "auto") -> tuple[Suspect, ...]:
        """The suspects to show: ``test``, ``class``, or ``auto`` -- a class where several tests failed as
        one class suspect, a lone failed test as itself; sorted by id.
        """
        if by == "test":
            return self.tests
        if by == "class":
            return self.classes
        whole = {s.test for s in self.classes if len(s.failed) > 1}
        lone = tuple(s for s in self.tests if class_key(s.test) not in whole)
        chosen = lone + tuple(s for s in self.classes if s.test in whole)
        return tuple(sorted(chosen, key=lambda s: s.test))


def workers(run: Run) -> tuple[str, ...]:
    """The distinct workers of a run, sorted (the reader gives each record its inner ``worker-N`` tag)."""
    return tuple(sorted(run.workers))


def ran_no_tests(run: Run, name: str) -> str | None:
    """The message for a run that holds no test's result (only the tool's ``process-returncode``, or nothing:
    its tests never loaded), or ``None``: such a run is neither serial nor parallel."""
    if any(r.test_id not in PSEUDO_TESTS for r in run.records):
        return None
    held = f" (only {', '.join(sorted({r.test_id for r in run.records}))})" if run.records else ""
    return (f"{name} holds no test results{held}: its tests never ran, so nothing overlapped; `testr last` or "
            "`stestr last` shows why (an import or listing failure?), then diagnose a parallel run in which tests "
            "failed")


def recorded_by(runner: bool = False) -> str:
    """What records a run whose overlaps can be told: the tools' parallel runs, or, for a project whose testr
    runs partitioner's runner (``runner``), a plain ``testr run`` (:mod:`partitioner.run.advice`)."""
    return advice.PARALLEL if runner else "`testr run --parallel` or `stestr run`"


def check_parallel(run: Run, label: str | None = None, runner: bool = False) -> None:
    """Refuse a run whose overlaps cannot be told.

    :param label: how to name the run in messages (default its ``run_id``)
    :param runner: the project's testr test_command is partitioner's runner: the messages name ``testr run``
        (the runner's workers), not ``testr run --parallel`` (which would nest testr's partitioning around it)
    :raises HistoryError: when the run has no timestamps or ran on fewer than two workers
    """
    name = label or f"run {run.run_id}"
    no_tests = ran_no_tests(run, name)
    if no_tests is not None:
        raise HistoryError(no_tests)
    timed = any(r.start is not None and r.stop is not None for r in run.records)
    seen = workers(run)
    if not timed and not seen:
        raise HistoryError(f"{name} has neither timestamps nor worker tags, so nothing can be said about what "
                           f"overlapped; pass a run recorded by {recorded_by(runner)}")
    if not timed:
        writers = f"{advice.PARALLEL}, with an inner command that writes them such as `python -m subunit.run`" \
            if runner else "`testr run --parallel`, `stestr run`, `python -m subunit.run`"
        raise HistoryError(f"{name} has no timestamps, so overlaps cannot be computed; re-record it with a runner "
                           f"that writes them ({writers})")
    if not seen:
        raise HistoryError(f"{name} has no worker tags: it ran serially, so nothing overlapped; pass a parallel "
                           f"run ({advice.PARALLEL if runner else 'testr run --parallel'})")
    if len(seen) == 1:
        more = advice.PARALLEL_WORKERS if runner else "testr run --parallel --concurrency 2 or more"
        raise HistoryError(f"{name} ran on one worker ({seen[0]}), so nothing overlapped; pass a parallel run "
                           f"({more})")


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _score(share: float, coincidences: int, failures: int, split: int, overlapped: int) -> float:
    evidence = _ratio(coincidences, failures) * (split + 1) / (overlapped + 2)
    return round(OVERLAP_WEIGHT * min(1.0, share) + (1.0 - OVERLAP_WEIGHT) * evidence, _DIGITS)


@dataclass
class _Tally:
    coincided: int = 0
    overlapped: int = 0
    harmless: int = 0
    together: int = 0

    @property
    def split(self) -> int:
        return self.overlapped - self.harmless - self.together


def _suspect(key: str, level: Level, focus: frozenset[str], target: Timeline, others: Sequence[Timeline],
             serial_failures: int) -> Suspect:
    window = target.window(key, level, focus)
    beside = target.beside(window, level)
    if level == "class":
        beside.pop(key, None)  # the class's own tests on another worker say nothing about a partner class
    own_length = sum(s.length for s in window)
    failures = lone = passed = 0
    tally = {partner: _Tally() for partner in beside}
    for timeline in (target, *others):
        if not timeline.has(key, level):
            continue
        failed = timeline.failed(key, level)
        failures += failed
        passed += not failed
        if timeline is target:
            near = beside
        else:
            near = timeline.beside(timeline.window(key, level, focus), level)
            if level == "class":
                near.pop(key, None)
        lone += failed and not near
        for partner, counts in tally.items():
            if partner not in near:
                continue
            counts.overlapped += 1
            counts.coincided += failed
            if timeline.failed(partner, level):
                counts.together += failed
            else:
                counts.harmless += not failed
    partners: list[Partner] = []
    for partner, seconds in beside.items():
        length = sum(s.length for s in target.of(partner, level))
        shorter = min(own_length, length)
        share = min(1.0, seconds / shorter) if shorter > 0 else 0.0
        counts = tally[partner]
        score = _score(share, counts.coincided, failures, counts.split, counts.overlapped)
        name = target.raw_ids.get(partner, partner) if level == "test" else partner
        partners.append(Partner(name, score, round(seconds, 6), counts.coincided, failures, counts.overlapped,
                                counts.harmless, counts.together, round(share, 6)))
    partners.sort(key=lambda p: (-p.score, p.test))
    failed_ids = tuple(sorted(target.raw_ids.get(t, t) for t in target.failed_tests
                              if (t if level == "test" else class_key(t)) == key))
    name = target.raw_ids.get(key, key) if level == "test" else key
    return Suspect(name, tuple(partners), level, failed_ids, failures, serial_failures, lone, passed)


def _outcomes(run: Run) -> dict[str, bool]:
    """canonical id -> whether it failed, for each test that ran in ``run`` (failed or passed; a skip did not run)."""
    found: dict[str, bool] = {}
    for record in run.records:
        if record.test_id in PSEUDO_TESTS:
            continue
        if record.status in FAILING:
            found[canonical(record.test_id)] = True
        elif record.status in PASSING:
            found.setdefault(canonical(record.test_id), False)
    return found


def _deterministic(target: Timeline, others: Sequence[Timeline], serial: Sequence[Run]) -> dict[str, int]:
    """The failed tests of ``target`` that fail whatever runs beside them (see the module docstring): canonical id
    -> the runs that ran it (``target``, the parallel runs ``others`` and the ``serial`` ones), each a failure."""
    parallel = [(timeline, _outcomes(timeline.run)) for timeline in (target, *others)]
    return _whatever_beside(target.failed_tests, parallel, [_outcomes(r) for r in serial])


def _whatever_beside(tests: Iterable[str], parallel: Sequence[tuple[Timeline, Mapping[str, bool]]],
                     serials: Sequence[Mapping[str, bool]]) -> dict[str, int]:
    """Of ``tests``, those that failed in every run that ran them, at least :data:`DETERMINISTIC_RUNS`, with no
    class beside their class's onset window at every parallel failure (a serial failure had none): canonical id
    -> those runs. A test that failed in no timed parallel run and no serial one is not judged (nothing says what
    was beside it).

    :param parallel: each parallel run's timeline with its outcomes (:func:`_outcomes`)
    :param serials: each serial run's outcomes
    """
    near: dict[tuple[int, str], frozenset[str]] = {}

    def beside(index: int, timeline: Timeline, klass: str) -> frozenset[str]:
        """The classes beside ``klass``'s onset window on another worker in one run (memoised per class)."""
        if (index, klass) not in near:
            found = timeline.beside(timeline.window(klass, "class", frozenset()), "class")
            found.pop(klass, None)
            near[index, klass] = frozenset(found)
        return near[index, klass]

    found: dict[str, int] = {}
    for test in sorted(tests):
        ran = [o[test] for _, o in parallel if test in o] + [o[test] for o in serials if test in o]
        if not all(ran) or len(ran) < DETERMINISTIC_RUNS:
            continue
        klass = class_key(test)
        always: frozenset[str] | None = frozenset() if any(test in o for o in serials) else None
        for index, (timeline, outcomes) in enumerate(parallel):
            if always is not None and not always:
                break
            if test in outcomes and timeline.has(klass, "class"):
                here = beside(index, timeline, klass)
                always = here if always is None else always & here
        if always is not None and not always:
            found[test] = len(ran)
    return found


def always_failing(runs: Sequence[Run]) -> dict[str, int]:
    """The tests that failed in every one of ``runs`` that ran them, whatever ran beside them: the rule
    :func:`diagnose` leaves deterministic failures out by (see the module docstring), over stored runs alone
    (``partitioner history summary`` counts them apart from the tests failing only in parallel).

    :param runs: parallel and serial runs; those in which (nearly) everything failed are left out
    :returns: canonical id -> the runs that ran it, each a failure
    """
    kept = [r for r in runs if broken_run(r) is None]
    outcomes = [(r, _outcomes(r)) for r in kept]
    seen: dict[str, list[bool]] = {}
    for _, found in outcomes:
        for test, failed in found.items():
            seen.setdefault(test, []).append(failed)
    tests = [t for t, ran in seen.items() if len(ran) >= DETERMINISTIC_RUNS and all(ran)]
    if not tests:  # the timelines are built only when there is something to judge
        return {}
    parallel = [(Timeline(r, frozenset()), found) for r, found in outcomes if is_parallel(r)]
    serials = [found for r, found in outcomes if not is_parallel(r)]
    return _whatever_beside(tests, parallel, serials)


def _same_run(a: Run, b: Run) -> bool:
    """Whether two loaded runs are one stored run (read twice, perhaps under two names)."""
    return a is b or a.records == b.records


def diagnose(run: Run, serial: Run | None = None, history: Sequence[Run] = (), label: str | None = None,
             runner: bool = False) -> Diagnosis:
    """Rank, for each test (and class) that failed in ``run`` and not in ``serial``, what ran beside it.

    :param run: the parallel run to diagnose
    :param serial: a serial run of the same tests; its failures are not races and are left out
    :param history: every stored run (``run`` itself may be among them); parallel ones feed the cross-run
        counts (but those in which nearly everything failed), serial ones ``Suspect.serial_failures``; a test that
        failed in every one of them that ran it, whatever ran beside it, is left out (``Diagnosis.deterministic``)
    :param label: how to name ``run`` in error messages (default ``run <run_id>``)
    :param runner: the project's testr runs partitioner's runner (advice in the messages; :func:`check_parallel`)
    :returns: the test view and the class view; both empty when nothing failed
    :raises HistoryError: when ``run`` has no timestamps or fewer than two workers (see :func:`check_parallel`)
    """
    check_parallel(run, label, runner)
    ignore = frozenset(canonical(r.test_id) for r in (serial.records if serial else ())
                       if r.status in FAILING)
    target = Timeline(run, ignore)
    stored = [r for r in history if not _same_run(r, run)]
    parallel = [r for r in stored if is_parallel(r)]
    kept = [r for r in parallel if broken_run(r) is None]
    others = [Timeline(r, ignore) for r in kept]
    serial_runs = [r for r in stored if not is_parallel(r) and broken_run(r) is None]
    serial_failed: dict[str, int] = {}
    for r in serial_runs:
        for key in {canonical(x.test_id) for x in r.records if x.status in FAILING}:
            serial_failed[key] = serial_failed.get(key, 0) + 1
    all_failed = {canonical(r.test_id) for r in run.records
                  if r.status in FAILING and r.test_id not in PSEUDO_TESTS}
    excluded = tuple(sorted(target.raw_ids.get(t, t) for t in all_failed & ignore))
    given = [serial] if serial is not None and not any(_same_run(serial, r) for r in stored) else []
    always = {} if broken_run(run) is not None else _deterministic(target, others, [*serial_runs, *given])
    if always:  # judged with them left out, as --serial's failures are
        ignore |= frozenset(always)
        target = Timeline(run, ignore)
        others = [Timeline(r, ignore) for r in kept]
    deterministic = tuple(sorted((target.raw_ids.get(t, t), n) for t, n in always.items()))
    tests = tuple(sorted((_suspect(t, "test", frozenset({t}), target, others, serial_failed.get(t, 0))
                          for t in target.failed_tests), key=lambda s: s.test))
    classes: list[Suspect] = []
    for klass in sorted(target.failed_classes):
        focus = frozenset(s.test for s in target.window(klass, "class", frozenset()))
        worst = max((serial_failed.get(t, 0) for t in focus), default=0)
        classes.append(_suspect(klass, "class", focus, target, others, worst))
    return Diagnosis(run.run_id, tests, tuple(classes), 1 + len(others), excluded, target.untimed, broken_run(run),
                     len(parallel) - len(kept), deterministic)


def find_suspects(run: Run, serial: Run | None = None, history: Sequence[Run] = ()) -> tuple[Suspect, ...]:
    """The test view of :func:`diagnose`: one :class:`Suspect` per failed test, partners best first."""
    return diagnose(run, serial, history).tests

