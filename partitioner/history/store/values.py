"""Frozen values the history store returns (imports no database library)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from partitioner.history.model import History, Samples

__all__ = ["PlanHistory", "PushResult", "RunInfo"]


def _no_series() -> Mapping[str, tuple[float, ...]]:
    return MappingProxyType({})


def _no_labels() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class RunInfo:
    """One stored run's metadata.

    :ivar id: the store's run id; ids grow in commit order, so ``id <= N`` is a stable snapshot
    :ivar at: epoch seconds the run started (its first timestamp), or when it was pushed if it has none
    :ivar pushed_at: epoch seconds of the push (the pushing machine's clock)
    :ivar host: the machine that pushed it
    :ivar source: where it was read from (a path, ``-``, a URL with the password hidden)
    :ivar tool: ``stestr``, ``testrepository``, ``subunit`` (a bare stream) or ``json`` (a timing file)
    :ivar concurrency: workers the run used (its distinct worker tags, or what the pusher said)
    :ivar tests: test records stored (0 for a JSON timing file, which holds samples only)
    :ivar labels: free-form labels such as branch, job, shard
    :ivar content_key: the de-duplication key (sha256 of the run's content)
    """

    id: int
    at: float
    pushed_at: float
    host: str
    source: str
    tool: str
    concurrency: int | None
    tests: int
    labels: Mapping[str, str] = field(default_factory=_no_labels)
    content_key: str = ""


@dataclass(frozen=True)
class PushResult:
    """What a push did.

    :ivar run_id: the stored run's id (the existing one when it was already there)
    :ivar duplicate: True when the same run was already stored (nothing was written)
    :ivar tests: test records in the pushed run
    :ivar source: where the run came from (password hidden)
    """

    run_id: int
    duplicate: bool
    tests: int
    source: str


@dataclass(frozen=True)
class PlanHistory:
    """A store's planning inputs at one pin: per key, its newest samples (oldest first).

    :ivar passing: per canonical test id, durations of passing results (success, xfail)
    :ivar other: per canonical test id that has no passing sample, durations of skipped/failed results
    :ivar setup: per class key, setup gaps measured between tests on a worker (``estimate.setup_gaps``)
    :ivar first: per class key with no ``setup`` sample, worker start offsets (``estimate.first_offsets``)
    :ivar startup: per-worker start-up samples (from pushed JSON timing files)
    :ivar upto: the pin the read used (the newest run id it could see)
    :ivar runs: how many runs the store held at that pin
    :ivar source: the store's URL, password hidden
    """

    passing: Mapping[str, tuple[float, ...]] = field(default_factory=_no_series)
    other: Mapping[str, tuple[float, ...]] = field(default_factory=_no_series)
    setup: Mapping[str, tuple[float, ...]] = field(default_factory=_no_series)
    first: Mapping[str, tuple[float, ...]] = field(default_factory=_no_series)
    startup: tuple[float, ...] = ()
    upto: int = 0
    runs: int = 0
    source: str = ""

    def samples(self) -> Samples:
        """The samples in the shape a JSON timing file has (what ``build_cost_model`` reads from ``History``).

        ``Samples`` has no place for skip/fail durations nor worker start offsets, so they are folded in:
        a test that never passed gets its skip/fail durations as its samples and a class with no setup gap
        its start offsets (the same numbers the estimator would take, reported as ``measured``); a start
        offset then also enters the module and suite setup means, which the estimator would not do.
        """
        tests = {**self.other, **self.passing}
        setup = {**self.first, **self.setup}
        return Samples(MappingProxyType(dict(sorted(tests.items()))), MappingProxyType(dict(sorted(setup.items()))),
                       self.startup)

    def to_history(self) -> History:
        """A :class:`History` for the current estimator (see :meth:`samples` for what is folded)."""
        label = f"store:{self.source} (runs up to {self.upto}: {self.runs} runs, {len(self.passing)} tests timed)"
        if self.runs == 0:
            return History(sources=(label,), warnings=(f"{self.source}: the store holds no runs yet; push one "
                                                       f"(partitioner history push)",))
        return History(samples=(self.samples(),), sources=(label,))
