"""Ground truth for judging test plans: true test durations and true per-class setup costs.

Kept independent of the code under test on purpose: the class of a test id is derived here (the rule of
``shared/data/SOURCES.md``), not with :mod:`partitioner.testids`, so a bug there cannot hide in the score.

Truth model: a plan is a list of per-worker test id lists. A worker costs the sum of its tests' true
durations plus the true setUpClass cost of every *distinct* class present on it, so a class split over
two workers pays its setup twice. Makespan = the costliest worker. Lower bound for N workers =
max(total / N, largest class), where total counts every test once and every class's setup once, and a
class's cost is its tests plus its setup.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: pseudo-tests that are not tests: excluded from the plan and from every total (SOURCES.md)
PSEUDO_TESTS = frozenset({"devstack", "process-returncode"})
_FIXTURE = re.compile(r"^(setUpClass|tearDownClass) \((?P<target>[^()]*)\)$")
_SUFFIX = re.compile(r"(\[[^\[\]]*\]|\([^()]*\))$")


def class_of(test_id: str) -> str:
    """The class of a test id: trailing ``[attrs]``/``(scenario)`` stripped, minus the last dotted part."""
    fixture = _FIXTURE.match(test_id)
    if fixture:
        return fixture.group("target")
    base = test_id
    for _ in range(2):
        stripped = _SUFFIX.sub("", base)
        if stripped == base or not stripped:
            break
        base = stripped
    head, sep, _ = base.rpartition(".")
    return head if sep and head else base


def fixture_target(test_id: str) -> str | None:
    """``X`` for a ``setUpClass (X)`` / ``tearDownClass (X)`` pseudo-test, else ``None``."""
    match = _FIXTURE.match(test_id)
    return match.group("target") if match else None


@dataclass(frozen=True)
class Truth:
    """True costs of one suite.

    :ivar durations: true seconds of every plannable test id
    :ivar setup: true setUpClass (+ tearDownClass) seconds per class; a class missing here costs 0
    :ivar notes: how the truth was derived (printed with the results)
    """

    durations: Mapping[str, float]
    setup: Mapping[str, float]
    notes: tuple[str, ...] = field(default=())

    @property
    def test_ids(self) -> list[str]:
        """Every plannable id, sorted (the order handed to every scheduler)."""
        return sorted(self.durations)

    def classes(self) -> dict[str, float]:
        """Each class's true cost: its tests plus its setup once."""
        cost: dict[str, float] = defaultdict(float)
        for test_id, seconds in self.durations.items():
            cost[class_of(test_id)] += seconds
        return {klass: tests + self.setup.get(klass, 0.0) for klass, tests in cost.items()}

    @property
    def total(self) -> float:
        """Serial cost: every test once, every class's setup once."""
        return sum(self.classes().values())

    @property
    def largest_class(self) -> tuple[str, float]:
        """The costliest class and its cost."""
        return max(self.classes().items(), key=lambda item: (item[1], item[0]))

    def lower_bound(self, n: int) -> float:
        """max(total / n, largest class)."""
        return max(self.total / n, self.largest_class[1])

    def worker_cost(self, tests: Iterable[str]) -> float:
        """One worker's true cost: its tests plus one setup per distinct class on it."""
        ids = list(tests)
        return (sum(self.durations[t] for t in ids)
                + sum(self.setup.get(klass, 0.0) for klass in {class_of(t) for t in ids}))

    def makespan(self, partitions: Sequence[Sequence[str]]) -> float:
        """The true makespan of a plan (raises ValueError unless it places every id exactly once)."""
        self.check(partitions)
        return max((self.worker_cost(part) for part in partitions), default=0.0)

    def split_classes(self, partitions: Sequence[Sequence[str]]) -> int:
        """How many classes land on more than one worker (each pays its setup again per extra worker)."""
        homes: dict[str, set[int]] = defaultdict(set)
        for index, part in enumerate(partitions):
            for test_id in part:
                homes[class_of(test_id)].add(index)
        return sum(1 for workers in homes.values() if len(workers) > 1)

    def check(self, partitions: Sequence[Sequence[str]]) -> None:
        placed = [t for part in partitions for t in part]
        if len(placed) != len(set(placed)) or set(placed) != set(self.durations):
            missing = len(set(self.durations) - set(placed))
            extra = len(set(placed) - set(self.durations))
            raise ValueError(f"plan does not place every id exactly once: {missing} missing, {extra} unknown, "
                             f"{len(placed) - len(set(placed))} duplicated")


def from_dataset_json(path: Path) -> Truth:
    """Truth of a suite written by ``shared/bench/gen_suite.py`` (its ``dataset.json``)."""
    data = json.loads(path.read_text())
    durations: dict[str, float] = {}
    setup: dict[str, float] = {}
    for klass in data["classes"]:
        setup[klass["class"]] = float(klass["setup_class_s"])
        for test_id, seconds in klass["tests"].items():
            if class_of(test_id) != klass["class"]:
                raise ValueError(f"{path}: {test_id} is not in class {klass['class']}")
            durations[test_id] = float(seconds)
    return Truth(durations, setup, (f"truth: {path.name} (setup_class_s and duration_s at BENCH_SCALE=1)",))


def from_csv(path: Path, overhead: Path | None = None) -> Truth:
    """Truth of a real run from its normalised CSV (``test_id,status,start,stop,duration_s,worker``).

    Pseudo-tests (``devstack``, ``process-returncode``) are dropped; ``setUpClass (X)`` and
    ``tearDownClass (X)`` pseudo-tests are not planned but their durations count as class X's setup.
    With ``overhead`` (a ``*__class_overhead.csv``), each class's ``gap_before_s`` is added to its setup;
    without it, setup is 0 apart from those pseudo-tests (the unit suites show sub-millisecond gaps).
    """
    durations: dict[str, float] = {}
    setup: dict[str, float] = defaultdict(float)
    dropped = fixtures = 0
    with path.open(newline="") as stream:
        for row in csv.DictReader(stream):
            test_id = row["test_id"]
            if test_id in PSEUDO_TESTS:
                dropped += 1
                continue
            target = fixture_target(test_id)
            if target is not None:
                fixtures += 1
                setup[target] += float(row["duration_s"] or 0.0)
                continue
            durations[test_id] = durations.get(test_id, 0.0) + float(row["duration_s"] or 0.0)
    notes = [f"truth: {path.name} durations ({len(durations)} tests; {dropped} pseudo-tests dropped, "
             f"{fixtures} setUpClass/tearDownClass pseudo-tests charged to their class)"]
    if overhead is not None:
        present = {class_of(t) for t in durations}
        missing: list[str] = []
        with overhead.open(newline="") as stream:
            for row in csv.DictReader(stream):
                if row["class"] not in present:
                    continue
                if row["gap_before_s"]:
                    setup[row["class"]] += float(row["gap_before_s"])
                else:
                    missing.append(row["class"])
        notes.append(f"setup truth: gap_before_s of {overhead.name} (previous tearDownClass + setUpClass + "
                     f"runner overhead){'; no gap for ' + ', '.join(missing) if missing else ''}")
    else:
        notes.append("setup truth: 0 (SOURCES.md: inter-test gaps are sub-millisecond in this run)")
    return Truth(durations, dict(setup), tuple(notes))
