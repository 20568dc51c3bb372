"""The hooks testr and stestr call: a drop-in ``partition_tests`` and an in-process installer.

``partition_tests`` has stestr's signature and contract (the union of the returned lists is the input);
``install()`` routes ``stestr.scheduler.partition_tests`` and testrepository's
``TestListingFixture.partition_tests`` through it, for whichever of the two is importable.

The hooks run inside every ``stestr run``/``testr run``, before any test starts, so planning is run time.
They read the history as ``partitioner plan`` does (:func:`partitioner.pipeline.load_planning_history`):
the ``[partitioner] history`` sources (a history store URL on a fresh CI node), else the repository the tool
hands over, from the digests of its runs (:mod:`partitioner.history.digest`): a run not digested yet is
parsed only within a small time budget, and the rest are digested in the background when the tool exits,
so that the next run finds them. Nothing here imports python-subunit when every run is digested.

A rerun of the tool's failing tests (``stestr run --failing``) holds ids as a run reported them, not as the tool
lists them: a testscenarios ``WithScenarios`` test is listed once (``m.S.test_a``) and reports a result per scenario
(``m.S.test_a(thread)``), which the tool's runner cannot find by that id. The plan then asks for the test beside its
scenario, in one group (:func:`scenario_reruns`), and the runner runs whichever of the two its suite holds.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import math
import os
import random
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from partitioner import interpreters, testids
from partitioner.config import load_settings
from partitioner.errors import HistoryError, PartitionerError
from partitioner.grouping import Grouper, grouper_for_callback, make_grouper
from partitioner.history import PLAN_RUNS, prefetch
from partitioner.history.digest import DEFAULT_BUDGET_S, planning_history, warm_in_background
from partitioner.history.jsonfile import all_durations, is_duration
from partitioner.history.model import FEWER_TESTS_MARK, History, is_note
from partitioner.pipeline import Planned, load_planning_history, plan_ids
from partitioner.statuses import FAIL, scenario_base
from partitioner.strategies import DEFAULT

#: the seed the last randomized partition_tests call used (also printed to stderr)
LAST_SEED: int | None = None
_ORIGINALS: dict[str, Any] = {}
#: the repositories whose runs are digested in the background when this process exits (once each)
_WARMING: set[str] = set()
#: the tools a console script drives (``partitioner exec`` hooks only those)
TOOLS_OF = interpreters.TOOLS_OF
#: where the tool's own group_regex callback is said to come from
TOOL_GROUPING = "the tool's group_regex"


def _warm_at_exit(base: str) -> None:
    """Digest the repository's runs in the background when the tool exits (after it stored this run)."""
    if base not in _WARMING:
        _WARMING.add(base)
        atexit.register(warm_in_background, base, PLAN_RUNS)


def tool_of(repository: object) -> str | None:
    """Which tool asked for the plan, by its repository's class: ``"stestr"``, ``"testr"`` (testrepository), else
    ``None`` (a double, or no repository)."""
    package = type(repository).__module__.split(".", 1)[0]
    return {"stestr": "stestr", "testrepository": "testr"}.get(package)


def _history_from(repository: object, test_ids: Sequence[str], sources: Sequence[str] = ()) -> History:
    """The history to plan from: ``sources`` when given (the ``history`` option or exec's ``--history``), else
    the repository's stored runs when it is a real one on disk, else its ``get_test_times``."""
    base = getattr(repository, "base", None)
    on_disk = isinstance(base, str) and os.path.isdir(base)
    if on_disk:
        assert isinstance(base, str)
        _warm_at_exit(base)
    if sources:
        return load_planning_history(Path.cwd(), sources, budget_s=DEFAULT_BUDGET_S)
    if on_disk:
        assert isinstance(base, str)
        prefetched = prefetch.take(base, PLAN_RUNS)  # read while the tool listed its tests (exec)
        return prefetched if prefetched is not None else planning_history(base, PLAN_RUNS)
    get_test_times = getattr(repository, "get_test_times", None)
    if get_test_times is None:
        return History()
    known = get_test_times(list(test_ids)).get("known", {})
    if not all_durations(known.values()):
        # NaN, infinities, negatives, absurdly large: no measurement; those tests are priced as unknown ones
        known = {k: seconds for k, v in known.items() if is_duration(seconds := _seconds(v))}
    # keyed by the ids exactly as given (stestr's and testr's contract): no canonical form needed; the tool's
    # own dict, only read (a read-only proxy would cost a copy of a million entries to look them up at C speed)
    return History(exact_times=known, sources=("repository",))


def _seconds(value: object) -> float:
    """A time ``get_test_times`` returned, as a float (NaN when too large for one: dropped by the caller).

    :raises HistoryError: it is not a number at all
    """
    try:
        return float(value)  # type: ignore[arg-type]
    except OverflowError:
        return math.nan
    except (TypeError, ValueError) as exc:
        raise HistoryError(f"the repository's get_test_times returned a time that is not a number ({exc}); "
                           "check the repository's times.dbm or run the suite again") from None


def _shuffle(tests: Sequence[str], grouper: Grouper, rng: random.Random) -> list[str]:
    """Shuffle group order and the order inside each group, keeping every group contiguous."""
    blocks: dict[str, list[str]] = {}
    for test_id in tests:
        blocks.setdefault(grouper(test_id), []).append(test_id)
    order = sorted(blocks)
    rng.shuffle(order)
    out: list[str] = []
    for key in order:
        block = blocks[key]
        rng.shuffle(block)
        out.extend(block)
    return out


def partition_tests(test_ids: Sequence[str], concurrency: int, repository: object = None,
                    group_callback: Callable[[str], object] | None = None, randomize: bool = False,
                    seed: int | None = None) -> list[list[str]]:
    """Partition ``test_ids`` into ``concurrency`` lists, as ``stestr.scheduler.partition_tests`` does.

    :param test_ids: the ids to run
    :param concurrency: how many lists to return
    :param repository: a testr/stestr repository: its stored run streams are read when it lives on disk
        (multi-run estimates and class-setup gaps); any object with ``get_test_times`` also works
    :param group_callback: ``f(id) -> key or None``; when ``None``, the ``group_by`` of a
        ``[partitioner]`` section in the working directory, else every test alone (stestr's behaviour).
        The callback testr and stestr build from ``group_regex`` is recognised and replaced by its regex
        (same groups, no Python call per id)
    :param randomize: shuffle inside each list without splitting groups; the seed is recorded in
        :data:`LAST_SEED` and printed to stderr (``PARTITIONER_SEED`` fixes it)
    :returns: a list per worker, at most one per test id (``concurrency`` beyond the number of ids only
        costs memory); their union is the input, and, for a rerun of failed testscenarios scenarios, the test of
        each beside it (:func:`scenario_reruns`)
    """
    with _collector_paused():  # the plan is dropped before the collector runs again: it never scans it
        return plan_partitions(test_ids, concurrency, repository, group_callback, randomize, seed)[0]


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (nested pauses keep it paused until the outermost ends).

    Planning a million ids builds millions of small values and no cycles: with the collector on, its repeated
    scans cost up to 40% of the time, and once it is back on, the first allocation triggers a scan of every
    container the plan still holds (0.1-0.3 s on a million ids in 100,000 classes, a full collection among
    them)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _warn(line: str) -> None:
    with contextlib.suppress(OSError, ValueError):  # a closed stderr must not stop the run
        sys.stderr.write(f"partitioner: warning: {line}\n")


def _note(line: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"partitioner: note: {line}\n")


#: the fewest bytes a failing run's stream holds per failed test (a subunit v2 packet's header and checksum, a v1
#: ``failure: `` line, besides the id): a stream smaller than this per id cannot hold every id of a list
MIN_FAILURE_BYTES = 10


def scenario_reruns(test_ids: Sequence[str], repository: object) -> dict[str, str]:
    """``{scenario id: its test's id}``, when ``test_ids`` are a rerun of the repository's failing tests (each one a
    failure its failing run holds: ``stestr run --failing``, ``testr run --failing``), for those that name a
    testscenarios scenario of a test the ids do not hold (``m.S.test_a(thread)`` of ``m.S.test_a``, as
    :func:`partitioner.statuses.scenario_base` reads it).

    A rerun's ids are results: the runner's ``--load-list`` filter matches ids exactly, and a ``WithScenarios`` test
    is listed as ``m.S.test_a`` alone, while a suite using ``load_tests_apply_scenarios`` lists
    ``m.S.test_a(thread)`` and has no ``m.S.test_a``. Which of the two the suite holds only its loaded suite
    knows, so :func:`plan_partitions` asks for both, in one group. Empty for any other run: a listing's ids are
    tests already, and a failing run too small to hold them all says so before anything is parsed.
    """
    failing = _failing_stream(repository, len(test_ids))
    if failing is None:
        return {}
    known = set(test_ids)
    found: dict[str, str] = {}
    for test_id in test_ids:
        if not test_id.endswith(")"):
            continue
        listed = scenario_base(test_id)
        parsed = testids.parse(test_id)  # a trailing (scenario), not a fixture's 'setUpClass (m.C)'
        if listed is not None and listed not in known and parsed.fixture is None and \
                test_id == f"{listed}({parsed.scenario})":
            found[test_id] = listed
    if not found or not all(t.encode() in failing for t in found):
        return {}
    from partitioner.history.subunit import read_stream  # python-subunit, for a rerun only

    try:
        failed = {r.test_id for r in read_stream(failing, "failing").records if r.status == FAIL}
    except HistoryError:
        return {}
    return found if known <= failed else {}


def _failing_stream(repository: object, ids: int) -> bytes | None:
    """The bytes of the repository's failing run, when they may hold ``ids`` failures (its file's size is checked
    first, where the repository lives on disk); None when they cannot, or it has none it can give."""
    base = getattr(repository, "base", None)
    if isinstance(base, str):
        try:
            if os.stat(os.path.join(base, "failing")).st_size < ids * MIN_FAILURE_BYTES:
                return None
        except OSError:
            return None
    get = getattr(repository, "get_failing", None)
    if get is None:
        return None
    try:
        data = get().get_subunit_stream().read()
    except (OSError, AttributeError, KeyError, TypeError, ValueError):  # a repository that cannot say
        return None
    return bytes(data) if isinstance(data, bytes | bytearray) and len(data) >= ids * MIN_FAILURE_BYTES else None


class _WithTheirTests:
    """Groups as ``grouper`` does, each scenario of ``tests`` (scenario id -> its test's id) with its test."""

    def __init__(self, grouper: Grouper, tests: dict[str, str]) -> None:
        self._grouper = grouper
        self._tests = tests

    @property
    def spec(self) -> str:
        return f"{self._grouper.spec} (a scenario of a rerun with its test)"

    def __call__(self, test_id: str) -> str:
        return self._grouper(self._tests.get(test_id, test_id))


def plan_partitions(test_ids: Sequence[str], concurrency: int, repository: object = None,
                    group_callback: Callable[[str], object] | None = None, randomize: bool = False,
                    seed: int | None = None, warn_serial: bool = True, history: Sequence[str] = (),
                    warn: Callable[[str], None] | None = _warn,
                    note: Callable[[str], None] | None = _note) -> tuple[list[list[str]], Planned | None]:
    """:func:`partition_tests`, with the plan it rests on (``None`` when there was nothing to plan): what
    ``partitioner exec`` needs to queue the same groups for dynamic dispatch and to record the plan.

    :param warn_serial: say that serial tests cannot run alone (they can, under dynamic dispatch)
    :param history: history sources that replace the ``history`` option and the repository (exec's
        ``--history``)
    :param warn: where the plan's warnings go, one line each (no history, runs left unread, ...); ``None``
        keeps them in the plan only
    :param note: where those that are only notes go (:func:`partitioner.history.model.is_note`: a first run's
        empty repository), by default a ``partitioner: note:`` line on stderr (none when ``warn`` is ``None``);
        ``None`` keeps them in the plan only
    """
    global LAST_SEED
    lists = min(concurrency, max(1, len(test_ids)))
    if concurrency < 1 or not test_ids:
        return [list(test_ids)] + [[] for _ in range(max(0, lists - 1))], None
    grouper: Grouper
    settings = load_settings(Path.cwd(), tool_of(repository))
    if group_callback is not None:
        grouper = grouper_for_callback(group_callback)  # stestr semantics: cb(id) or id
        grouping_from = TOOL_GROUPING
    else:
        grouping = settings.choose("group_by", None, "none")  # no callback: every test alone, as stestr
        grouper = make_grouper(grouping.value, grouping.where)
        grouping_from = grouping.where
    strategy = settings.choose("strategy", None, DEFAULT).value
    chosen = settings.choose("history", tuple(history), ())
    sources = chosen.value
    with chosen.blamed("history"):
        loaded = _history_from(repository, test_ids, sources) if repository is not None or sources else History()
    ids = list(test_ids)
    reruns = scenario_reruns(ids, repository) if repository is not None else {}
    asked = concurrency
    if reruns:  # each with its test, in one group: the runner runs whichever its suite holds
        ids.extend(dict.fromkeys(reruns.values()))
        grouper = _WithTheirTests(grouper, reruns)
        concurrency = min(concurrency, len(set(map(grouper, ids))))  # a test and its scenario are one to run
    with _collector_paused():
        planned = replace(plan_ids(ids, concurrency, loaded, grouper, strategy, settings),
                          grouping_from=grouping_from)
    if warn is None and note is _note:  # silenced: the notes too, unless asked for
        note = None
    if reruns and note is not None:
        shown = ", ".join(sorted(reruns)[:2]) + (", ..." if len(reruns) > 2 else "")
        are = "is a testscenarios scenario" if len(reruns) == 1 else "are testscenarios scenarios"
        note(f"{len(reruns)} of the failed tests to run again {are} of a test not in the list ({shown}): the run "
             "asks for the test too, which the tool's runner runs with all its scenarios where the suite lists the "
             "test whole (WithScenarios), each reporting under its own id")
        if concurrency < asked:  # as the plan says it of fewer tests than workers
            note(f"{asked} {FEWER_TESTS_MARK} {'is' if concurrency == 1 else 'are'} only {concurrency} "
                 f"test{'' if concurrency == 1 else 's'} to run again: planned for {concurrency}")
    for line in planned.plan.warnings:
        say = note if is_note(line) else warn
        if say is not None:
            say(line)
    parts = [list(p.tests) for p in planned.plan.workers]
    parts += [[] for _ in range(lists - len(parts))]
    if planned.plan.serial:
        if warn_serial and warn is not None:
            warn(f"{len(planned.plan.serial)} serial tests cannot run alone through testr/stestr's own runner; "
                 "they all go to one worker")
        lightest = min(range(len(parts)), key=lambda w: (planned.plan.workers[w].predicted_s, w))
        parts[lightest].extend(planned.plan.serial)
    if randomize:
        LAST_SEED = seed if seed is not None else int(os.environ.get("PARTITIONER_SEED") or
                                                      random.SystemRandom().randrange(2**31))
        sys.stderr.write(f"partitioner: randomize seed {LAST_SEED} (set PARTITIONER_SEED to repeat)\n")
        rng = random.Random(LAST_SEED)
        parts = [_shuffle(p, grouper, rng) for p in parts]
    return parts, planned


def testr_partition_tests(self: Any, test_ids: Sequence[str], concurrency: int) -> list[list[str]]:
    """Adapter for testrepository's ``TestListingFixture.partition_tests(self, test_ids, concurrency)``."""
    return partition_tests(test_ids, concurrency, self.repository, self._group_callback)


def _stestr_partition_tests(test_ids: Sequence[str], concurrency: int, repository: object = None,
                            group_callback: Callable[[str], object] | None = None,
                            randomize: bool = False) -> list[list[str]]:
    try:
        return partition_tests(test_ids, concurrency, repository, group_callback, randomize)
    except PartitionerError as exc:
        sys.stderr.write(f"partitioner: error: {exc}\n")
        raise SystemExit(1) from None


def _patch_point(tool: str) -> tuple[Any, Callable[..., list[list[str]]]]:
    """``(owner, replacement)``: the object whose ``partition_tests`` a tool calls, and ours for it.

    :raises ImportError: when the tool is not installed
    """
    if tool == "stestr":
        from stestr import scheduler

        return scheduler, _stestr_partition_tests
    from testrepository.testcommand import TestListingFixture

    return TestListingFixture, testr_partition_tests


def install(tools: Sequence[str] = ("stestr", "testr")) -> list[str]:
    """Route testr's and stestr's partitioning through :func:`partition_tests`; returns what was hooked.

    :param tools: which of ``stestr`` and ``testr`` to hook (each only when importable; a tool not asked
        for is not even imported, which saves start-up time)
    """
    hooked = []
    for tool in ("stestr", "testr"):
        if tool not in tools:
            continue
        try:
            owner, replacement = _patch_point(tool)
        except ImportError:
            continue
        _ORIGINALS.setdefault(tool, owner.partition_tests)
        owner.partition_tests = replacement
        hooked.append(tool)
    return hooked


def uninstall() -> None:
    """Restore the original partition functions."""
    for tool in list(_ORIGINALS):
        owner, _ = _patch_point(tool)
        owner.partition_tests = _ORIGINALS.pop(tool)
