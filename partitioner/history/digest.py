"""What planning reads of a repository's stored runs, digested once per run and cached: planning off the critical path.

Planning needs four things of a run, never its records: each test's passing durations, its skip/fail
durations, the class-setup gaps and the first-class offsets (:mod:`partitioner.history.samples` says how each
is found); and, for its warnings, the ids the run names without timing them (the tests an interrupted run did
not reach: the history is this suite's, it only timed few of them). :func:`digest_run` keeps exactly these, in
columns; :func:`planning_history` loads a repository's newest runs as digests into a :class:`PlanningHistory`,
which the estimator reads as it reads the runs themselves (the same estimates, bit for bit) at a fraction of the
cost: on 10 runs of a 15,000-test suite, about 0.1 s instead of 1 s from the run cache and 8 s from the streams.

Digests are cached under the SHA-256 of the stream's bytes (``$PARTITIONER_CACHE_DIR``, see
:mod:`partitioner.history.cache`): a copied or moved repository, or a stream touched but not changed, still
hits. A stream not yet digested must be parsed by python-subunit (about 4 MB/s); planning gives that at most
``budget_s`` seconds (predicted from the stream's size), newest run first. Runs that do not fit are left out
and named in :attr:`PlanningHistory.unread` and in a warning: the estimate then rests on the other runs and on
``times.dbm`` (the tool's own last-run times, read only when a planned test needs it). :func:`warm` digests
every stream not yet cached, e.g. in a background process right after a run was stored
(:func:`warm_in_background`, ``python -m partitioner.history.digest warm REPOSITORY``), so that the next plan
finds it. Nothing is ever written into a ``.testrepository/`` or ``.stestr/``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from partitioner.errors import HistoryError
from partitioner.history import cache
from partitioner.history.jsonfile import all_durations
from partitioner.history.model import NO_RUNS_YET, History, Run, Samples
from partitioner.history.repository import find_repository, numbered_streams
from partitioner.history.timesdbm import times_dbm_exists  # loaded by repository already: a few stats, no dbm open
from partitioner.statuses import NOT_PASSING, PASSING

__all__ = ["PARSE_BYTES_PER_S", "PlanningHistory", "RunDigest", "digest_run", "merge_planning", "planning_history",
           "warm", "warm_in_background"]

#: bump when the stored shape of a digest changes, or what it holds: entries of another version are misses
#: (2: a failure of zero duration, a test that never ran, is no sample; 3: nor is any failure for not running to its
#: end, ``history.samples.did_not_end``, nor a class-setup gap beside one)
VERSION = 3
#: how fast python-subunit parses a stored stream (bytes per second; v1 as stestr and testr store it, measured
#: at 4.4 MB/s on this project's 2-core machine): the budget check predicts a parse from the stream's size
PARSE_BYTES_PER_S = 4_000_000
#: the default time planning may spend parsing streams that are not digested yet
DEFAULT_BUDGET_S = 0.2
#: while the tool still lists its tests, a stream not digested yet is parsed beyond the budget when its parse is
#: predicted to take at most this long (the plan may wait for that one parse: the newest run of tempest's unit
#: suite, 0.9 MB, is 0.2 s)
IDLE_PARSE_MAX_S = 1.0

#: how a source that stored no run yet reads in a plan's history (``stestr:.stestr (no runs stored yet)``)
NO_RUNS_STORED = "no runs stored yet"


@dataclass(frozen=True)
class RunDigest:
    """One run as planning sees it: samples in columns, in the run's record order.

    :ivar passing: ``(canonical id, seconds)`` of every passing result, as two aligned tuples (one id's samples
        in record order)
    :ivar not_passing: the same for skipped and failed results
    :ivar setup: ``(class key, gap seconds)`` of every class change on a worker lane
    :ivar firsts: ``(class key, offset seconds)`` of each lane's first class but the earliest
    :ivar tests: how many records the run holds
    :ivar untimed: canonical ids of results with no timing (:func:`~partitioner.history.samples.untimed`: the
        tests an interrupted run did not run), sorted; a digest cached before digests kept them has none
    """

    passing: tuple[tuple[str, ...], tuple[float, ...]]
    not_passing: tuple[tuple[str, ...], tuple[float, ...]]
    setup: tuple[tuple[str, ...], tuple[float, ...]]
    firsts: tuple[tuple[str, ...], tuple[float, ...]]
    tests: int
    untimed: tuple[str, ...] = ()


def _columns(pairs: Iterator[tuple[str, float]] | Sequence[tuple[str, float]]
             ) -> tuple[tuple[str, ...], tuple[float, ...]]:
    items = list(pairs)
    return tuple(k for k, _ in items), tuple(v for _, v in items)


def digest_run(run: Run) -> RunDigest:
    """What planning needs of ``run`` (the rules of :mod:`partitioner.history.samples`, applied to one run)."""
    from partitioner.history.samples import durations, first_offsets, setup_gaps, untimed

    alone = History(runs=(run,))
    passing = [(k, v) for k, values in durations(alone, PASSING).items() for v in values]
    failing = [(k, v) for k, values in durations(alone, NOT_PASSING).items() for v in values]
    return RunDigest(_columns(passing), _columns(failing), _columns(setup_gaps(run)), _columns(first_offsets(run)),
                     len(run.records), tuple(sorted(untimed(alone))))


def _encode(digest: RunDigest) -> str:
    doc: dict[str, object] = {"version": VERSION, "tests": digest.tests}
    for name in ("passing", "not_passing", "setup", "firsts"):
        keys, values = getattr(digest, name)
        doc[name] = [list(keys), list(values)]
    if digest.untimed:  # optional: a digest without it reads as before (no version bump, no re-parse)
        doc["untimed"] = list(digest.untimed)
    return json.dumps(doc, separators=(",", ":"))


def _decode(text: str) -> RunDigest | None:
    try:
        doc = json.loads(text)
        if not isinstance(doc, dict) or doc.get("version") != VERSION:
            return None
        parts = []
        for name in ("passing", "not_passing", "setup", "firsts"):
            keys, values = doc[name]
            if len(keys) != len(values) or not {str}.issuperset(map(type, keys)):  # json.loads makes exact strs
                return None
            if not all_durations(values):  # NaN, infinities, negatives, strings: damage, re-parse the run
                return None
            parts.append((tuple(keys), tuple(map(float, values))))
        untimed = doc.get("untimed", [])
        if not isinstance(untimed, list) or not {str}.issuperset(map(type, untimed)):
            return None
        return RunDigest(parts[0], parts[1], parts[2], parts[3], int(doc["tests"]), tuple(untimed))
    except (ValueError, TypeError, KeyError):
        return None


def content_key(data: bytes) -> str:
    """The cache key of a stream: its bytes' SHA-256 (with the digest version)."""
    return hashlib.sha256(data).hexdigest() + f"-d{VERSION}"


def _cached(key: str) -> RunDigest | None:
    where = cache.cache_dir()
    if where is None:
        return None
    try:
        return _decode((where / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def _parse(data: bytes, name: str, number: int) -> RunDigest:
    from partitioner.history.subunit import read_stream  # python-subunit only when a stream must be parsed

    return digest_run(read_stream(data, name, number))


def _digest_stream(data: bytes, name: str, number: int) -> RunDigest:
    """The digest of a stream's bytes: from the cache, else parsed (and cached)."""
    key = content_key(data)
    found = _cached(key)
    if found is not None:
        return found
    digest = _parse(data, name, number)
    where = cache.cache_dir()
    if where is not None:
        cache.store_entry(where, where / f"{key}.json", _encode(digest))
    return digest


class _LazyTimes(Mapping[str, float]):
    """``times.dbm``, read on first use: planning needs it only for tests no digested run covers."""

    def __init__(self, base: Path) -> None:
        self._base = base
        self._times: Mapping[str, float] | None = None
        self.warnings: tuple[str, ...] = ()

    def _load(self) -> Mapping[str, float]:
        if self._times is None:
            from partitioner.history.timesdbm import read_times_dbm, times_dbm_exists

            if times_dbm_exists(self._base):
                self._times, self.warnings = read_times_dbm(self._base)
            else:
                self._times = MappingProxyType({})
        return self._times

    def __getitem__(self, key: str) -> float:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


class _Chain(Mapping[str, float]):
    """Several ``times.dbm`` mappings as one, the first that holds a key winning; none is read before a lookup."""

    def __init__(self, maps: Sequence[Mapping[str, float]]) -> None:
        self._maps = tuple(maps)

    def __getitem__(self, key: str) -> float:
        for found in self._maps:
            if key in found:
                return found[key]
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(k for found in self._maps for k in found))

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass(frozen=True)
class PlanningHistory(History):
    """A :class:`History` built from run digests: what :func:`partitioner.estimate.build_cost_model` reads of
    runs, without the runs.

    ``samples`` holds one :class:`Samples` with every passing duration and setup gap, runs oldest first;
    :attr:`not_passing` and :attr:`firsts` hold the rest. ``runs`` is empty: races, summaries and timelines,
    which need records, read the repository itself.

    :ivar not_passing: skip/fail durations by canonical id, runs oldest first
    :ivar firsts: first-class offsets by class key, runs oldest first
    :ivar digested: the run files the history was built from (``.stestr/7``), oldest first
    :ivar unread: run files left out because parsing them did not fit the time budget
    :ivar untimed: canonical ids the digested runs name without timing them (:attr:`RunDigest.untimed`)
    """

    not_passing: Mapping[str, tuple[float, ...]] = field(default_factory=lambda: MappingProxyType({}))
    firsts: Mapping[str, tuple[float, ...]] = field(default_factory=lambda: MappingProxyType({}))
    digested: tuple[str, ...] = ()
    unread: tuple[str, ...] = ()
    untimed: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        """True when no run and no times.dbm entry gave any timing."""
        return not self.digested and not self.last_times and not self.exact_times and super().empty


def combine_digests(digests: Sequence[RunDigest]) -> tuple[Samples, dict[str, tuple[float, ...]],
                                                             dict[str, tuple[float, ...]]]:
    """``(samples, not_passing, firsts)`` of digests given oldest first (what :func:`collect_samples` and the
    estimator would find in the runs themselves)."""
    tests: dict[str, list[float]] = defaultdict(list)
    setup: dict[str, list[float]] = defaultdict(list)
    failing: dict[str, list[float]] = defaultdict(list)
    firsts: dict[str, list[float]] = defaultdict(list)
    for digest in digests:
        for target, (keys, values) in ((tests, digest.passing), (failing, digest.not_passing),
                                       (setup, digest.setup), (firsts, digest.firsts)):
            for key, value in zip(keys, values, strict=True):
                target[key].append(value)
    samples = Samples(MappingProxyType({k: tuple(v) for k, v in sorted(tests.items())}),
                      MappingProxyType({k: tuple(v) for k, v in sorted(setup.items())}), ())
    return (samples, {k: tuple(v) for k, v in failing.items()}, {k: tuple(v) for k, v in firsts.items()})


def planning_history(path: str | Path, newest: int, kind: str | None = None,
                     budget_s: float | None = DEFAULT_BUDGET_S,
                     idle: Callable[[], bool] | None = None) -> PlanningHistory:
    """The history planning needs from a repository's ``newest`` runs, from digests (see the module docstring).

    :param path: a ``.stestr``/``.testrepository`` directory, or a project directory holding one
    :param newest: how many of the newest runs to read
    :param budget_s: at most this many seconds (predicted) of parsing streams not digested yet, newest run
        first; ``None`` parses every one
    :param idle: while it returns True (nobody waits for the plan yet: the tool still lists its tests), a
        stream over the budget is parsed too, if its parse is predicted to take at most
        :data:`IDLE_PARSE_MAX_S`
    :raises HistoryError: when ``path`` is not (and holds no) repository
    """
    repo, found_kind = find_repository(path, kind)
    try:
        streams = numbered_streams(repo)[-newest:] if newest else numbered_streams(repo)
    except OSError as error:
        raise HistoryError(f"{repo}: cannot list directory ({error.strerror or error}); check permissions") from None
    warnings: list[str] = []
    digests: dict[int, RunDigest] = {}
    pending: list[tuple[int, Path, bytes]] = []
    times_dbm = times_dbm_exists(repo / "times.dbm")
    for number, stream in streams:
        try:
            data = stream.read_bytes()
        except OSError as error:
            warnings.append(f"{stream}: cannot read ({error.strerror or error}) "
                            "[run skipped; the other runs still load]")
            continue
        found = _cached(content_key(data))
        if found is not None:
            digests[number] = found
        else:
            pending.append((number, stream, data))
    spent = 0.0
    unread: list[str] = []
    for number, stream, data in reversed(pending):  # newest first: its samples are the most recent
        predicted = len(data) / PARSE_BYTES_PER_S
        spare = idle is not None and predicted <= IDLE_PARSE_MAX_S and idle()
        if budget_s is not None and spent + predicted > budget_s and not spare:
            unread.append(str(stream))
            continue
        began = time.perf_counter()
        try:
            digests[number] = _digest_stream(data, str(stream), number)
        except HistoryError as error:
            warnings.append(f"{error} [run skipped; the other runs still load]")
        spent += max(predicted, time.perf_counter() - began)
    if unread:
        unread.reverse()
        size = sum(len(d) for _, s, d in pending if str(s) in unread)
        named = ", ".join(unread) if len(unread) <= 3 else f"{unread[0]} ... {unread[-1]}"
        if len(unread) < len(streams):
            rest = "the other runs and times.dbm" if times_dbm else "the other runs"
        else:
            rest = "times.dbm alone (each test's last duration)" if times_dbm else "test counts (no times.dbm)"
        warnings.append(f"{len(unread)} of {len(streams)} stored runs not read yet ({named}; "
                        f"{size / 1e6:.1f} MB, about {size / PARSE_BYTES_PER_S:.2f}s to parse, over the planning "
                        f"budget of {budget_s:.2f}s): planned from {rest}; "
                        f"`{sys.executable} -m partitioner.history.digest warm {repo}` caches them")
    if not streams:
        warnings.append(f"{repo}: {NO_RUNS_YET}")
    ordered = [digests[n] for n, _ in streams if n in digests]
    samples, failing, firsts = combine_digests(ordered)
    times = _LazyTimes(repo / "times.dbm")
    label = f"{found_kind}:{repo} ({_what_was_read(len(streams), len(ordered), len(unread), times_dbm)})"
    return PlanningHistory(samples=(samples,) if ordered else (), last_times=times, sources=(label,),
                           warnings=tuple(warnings), not_passing=MappingProxyType(failing),
                           firsts=MappingProxyType(firsts),
                           digested=tuple(str(s) for n, s in streams if n in digests), unread=tuple(unread),
                           untimed=frozenset(t for digest in ordered for t in digest.untimed))


def _what_was_read(stored: int, read: int, unread: int, times_dbm: bool) -> str:
    """A repository's history in plain words: ``3 runs read``, ``1 run read, 2 not read within the planning
    budget``, ``no runs stored yet``; ``times.dbm`` only when there is one (its times price what no run read
    covers)."""
    if not stored:
        said = NO_RUNS_STORED
    else:
        said = f"{read} run{'' if read == 1 else 's'} read"
        if unread:
            said += f", {unread} not read within the planning budget"
    if times_dbm:
        said += "; times.dbm for tests the runs miss" if read else "; times.dbm for each test's last duration"
    return said


def merge_planning(parts: Sequence[History]) -> History:
    """One planning history out of several, in the order given: digested repositories
    (:class:`PlanningHistory`) beside any other source (a stream's runs are digested here, a timing file's or a
    store's samples kept), with what each says about the runs it read.

    Each part's runs count oldest first; parts are not interleaved by time (digests keep no timestamps), so
    when two sources time one test, the later part's samples are its most recent. One part comes back as it is.
    """
    if len(parts) == 1:
        return parts[0]
    samples: list[Samples] = []
    failing: dict[str, list[float]] = defaultdict(list)
    firsts: dict[str, list[float]] = defaultdict(list)
    times: list[Mapping[str, float]] = []
    exact: dict[str, float] = {}
    digested: list[str] = []
    unread: list[str] = []
    untimed: set[str] = set()
    for part in parts:
        samples.extend(part.samples)
        if isinstance(part, PlanningHistory):
            extra_failing, extra_firsts = part.not_passing, part.firsts
            digested.extend(part.digested)
            unread.extend(part.unread)
            untimed.update(part.untimed)
        else:
            runs = sorted(part.runs, key=lambda run: run.order)
            own_digests = [digest_run(run) for run in runs]
            own, extra_failing, extra_firsts = combine_digests(own_digests)
            untimed.update(t for digest in own_digests for t in digest.untimed)
            if runs:
                samples.append(own)
                digested.extend(run.run_id for run in runs)
        for target, extra in ((failing, extra_failing), (firsts, extra_firsts)):
            for key, values in extra.items():
                target[key].extend(values)
        times.insert(0, part.last_times)  # a later source's last-known time wins; each is read only when needed
        exact.update(part.exact_times)
    return PlanningHistory(samples=tuple(samples), last_times=_Chain(times), exact_times=MappingProxyType(exact),
                           sources=tuple(s for p in parts for s in p.sources),
                           warnings=tuple(w for p in parts for w in p.warnings),
                           not_passing=MappingProxyType({k: tuple(v) for k, v in failing.items()}),
                           firsts=MappingProxyType({k: tuple(v) for k, v in firsts.items()}),
                           digested=tuple(digested), unread=tuple(unread), untimed=frozenset(untimed))


def warm(path: str | Path, newest: int | None = None, kind: str | None = None) -> list[str]:
    """Digest (and cache) every run of a repository not cached yet; returns the run files digested now.

    Damaged streams are skipped (planning skips them too).
    """
    repo, _ = find_repository(path, kind)
    streams = numbered_streams(repo)
    done: list[str] = []
    for number, stream in streams[-newest:] if newest else streams:
        try:
            data = stream.read_bytes()
        except OSError:
            continue
        if _cached(content_key(data)) is not None:
            continue
        try:
            _digest_stream(data, str(stream), number)
        except HistoryError:
            continue
        done.append(str(stream))
    return done


def warm_in_background(path: str | Path, newest: int | None = None) -> subprocess.Popen[bytes] | None:
    """Start ``python -m partitioner.history.digest warm --background PATH`` detached (its own session, no output,
    the lowest CPU priority), so the run that just stored a stream returns at once and the next plan finds the
    stream digested, while a run started right after it (``stestr run`` twice in a row, a CI job's next step)
    keeps the CPU: at normal priority the digest of a 2,651-test run took a core for half a second of it.

    :returns: the process, or ``None`` when the cache is turned off or it could not start
    """
    if cache.cache_dir() is None:
        return None
    command = [sys.executable, "-m", "partitioner.history.digest", "warm", "--background", str(path)]
    if newest:
        command += ["--newest", str(newest)]
    try:
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True, env=dict(os.environ))
    except OSError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m partitioner.history.digest warm REPOSITORY [--newest N]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m partitioner.history.digest",
                                     description="digest a repository's stored runs into partitioner's cache")
    sub = parser.add_subparsers(dest="command", required=True)
    warm_parser = sub.add_parser("warm", help="digest every stored run not cached yet")
    warm_parser.add_argument("repository", help="a .stestr/.testrepository directory or a project holding one")
    warm_parser.add_argument("--newest", type=int, default=None, help="only the newest N runs")
    warm_parser.add_argument("--background", action="store_true",
                             help="at the lowest CPU priority (nice 19), as the hooks start it after a run")
    args = parser.parse_args(argv)
    if args.background:
        with contextlib.suppress(OSError, AttributeError):  # a platform without nice: normal priority
            os.nice(19)
    try:
        done = warm(args.repository, args.newest)
    except HistoryError as error:
        print(f"partitioner: error: {error}", file=sys.stderr)
        return 1
    print(f"digested {len(done)} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
