"""Speed of ``partitioner.hooks.partition_tests`` against stestr's own ``scheduler.partition_tests``.

Run by hand (not a timed test)::

    .venv/bin/python bench/partition_speed.py [--n 1000000] [--out docs/benchmarks.md] [--profile]

Input: ``--n`` tempest-shaped ids (default 1,000,000 = 20,000 classes x 50 tests, in 2,000 modules over six
API areas, in listing order), e.g. ``tempest.api.compute.test_m0001.C00012Test.test_07[id-3f2a9c1d,smoke]``:
every third test carries an ``id-`` attribute and every tenth ``smoke``, so plain ids, ``[smoke]``,
``[id-...]`` and ``[id-...,smoke]`` all occur. Both functions get the same list, concurrency 8, and:

* (a) the ``group_callback`` stestr builds from tempest's ``group_regex=([^\\.]*\\.)*`` (the same code as
  stestr's config_file.py, which is what ``stestr run`` passes), no repository;
* (b) no callback, no repository;
* (c) that callback and a repository double whose ``get_test_times(ids)`` returns
  ``{"known": {id: seconds} for a seeded random 80% of ids, "unknown": set(the rest)}`` (no ``base``
  attribute, so partitioner cannot read streams and uses these times);
* (d) as (c) with the same grouping written as another Python function, which partitioner must call
  once per id (only direct API callers can pass such a callback; testr and stestr pass (a)'s kind).

Each call is timed with ``time.perf_counter``, best of ``--repeat`` (default 3), stestr and partitioner
alternating. The process works in an empty temporary directory, since partitioner reads ``[partitioner]``
settings from the working directory. ``--profile`` runs partitioner once more per case under cProfile and
prints the top functions by cumulative and by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import gc
import io
import os
import platform
import pstats
import random
import re
import shlex
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from stestr import scheduler

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _docs import write_generated
from walltime import source_state

from partitioner import hooks

HEADING = "## partition_tests speed"
CONCURRENCY = 8
TESTS_PER_CLASS = 50
KNOWN_SHARE = 0.8
AREAS = ("compute", "network", "volume", "image", "identity", "object_storage")

Partitioner = Callable[..., list[list[str]]]


def tool_callback(group_regex: str) -> Callable[[str], str | None]:
    """The group callback stestr (config_file.py) and testr (testcommand.py) build from ``group_regex``,
    written as they write it: this is what ``stestr run`` hands to ``partition_tests``."""

    def group_callback(test_id: str, regex: re.Pattern[str] = re.compile(group_regex)) -> str | None:  # noqa: RET503
        match = regex.match(test_id)
        if match:
            return match.group(0)

    return group_callback


#: tempest's group_regex, as stestr passes it
class_callback = tool_callback(r"([^\.]*\.)*")


def opaque_callback(test_id: str, regex: re.Pattern[str] = re.compile(r"([^\.]*\.)*")) -> str | None:
    """The same grouping as a Python function partitioner cannot see through (only API callers pass these)."""
    match = regex.match(test_id)
    return match.group(0) if match else None


def make_ids(n: int, per_class: int = TESTS_PER_CLASS) -> list[str]:
    """``n`` tempest-shaped ids, ``per_class`` per class, ten classes per module, in listing order."""
    ids: list[str] = []
    klass = 0
    width = max(5, len(str(n // per_class)))  # class numbers sort as the listing does
    while len(ids) < n:
        area = AREAS[klass % len(AREAS)]
        prefix = f"tempest.api.{area}.test_m{klass // 10:04d}.C{klass:0{width}d}Test"
        for t in range(min(per_class, n - len(ids))):
            attrs = []
            if t % 3 == 0:
                attrs.append(f"id-{(klass * per_class + t) * 2654435761 % 2**32:08x}")
            if t % 10 == 0:
                attrs.append("smoke")
            ids.append(f"{prefix}.test_{t:02d}" + (f"[{','.join(attrs)}]" if attrs else ""))
        klass += 1
    return ids


class RepositoryDouble:
    """A repository that only has ``get_test_times`` (as stestr's repository API defines it)."""

    def __init__(self, ids: Sequence[str], seed: int = 7) -> None:
        rnd = random.Random(seed)
        known: dict[str, float] = {}
        unknown: set[str] = set()
        for test_id in ids:
            if rnd.random() < KNOWN_SHARE:
                known[test_id] = round(rnd.lognormvariate(-1.5, 1.1), 6)
            else:
                unknown.add(test_id)
        self.times: dict[str, object] = {"known": known, "unknown": unknown}

    def get_test_times(self, test_ids: Sequence[str]) -> dict[str, object]:
        return self.times


@dataclass(frozen=True)
class Case:
    name: str
    label: str
    callback: Callable[[str], object] | None
    repository: object
    #: False for a callback testr and stestr never pass (reported, not part of the goal)
    tool: bool = True


@dataclass(frozen=True)
class Result:
    case: Case
    stestr: list[float]
    partitioner: list[float]

    @property
    def ratio(self) -> float:
        return min(self.partitioner) / min(self.stestr)


def timed(func: Partitioner, ids: list[str], case: Case) -> tuple[float, list[list[str]]]:
    gc.collect()
    began = time.perf_counter()
    parts = func(ids, CONCURRENCY, case.repository, case.callback)
    return time.perf_counter() - began, parts


def check(parts: list[list[str]], ids: list[str], who: str, case: Case) -> None:
    """The contract: exactly CONCURRENCY lists whose union is the input, each id once."""
    placed = sum(len(p) for p in parts)
    if len(parts) != CONCURRENCY or placed != len(ids) or len({t for p in parts for t in p}) != len(ids):
        raise SystemExit(f"{who} broke the contract in case {case.name}: {len(parts)} lists, {placed} ids placed "
                         f"of {len(ids)}")


def run_case(case: Case, ids: list[str], repeat: int, log: Callable[[str], None]) -> Result:
    times: dict[str, list[float]] = {"stestr": [], "partitioner": []}
    funcs: dict[str, Partitioner] = {"stestr": scheduler.partition_tests, "partitioner": hooks.partition_tests}
    for index in range(repeat):
        for who, func in funcs.items():
            seconds, parts = timed(func, ids, case)
            if index == 0:
                check(parts, ids, who, case)
            del parts
            times[who].append(seconds)
            log(f"  ({case.name}) {who:11} {seconds:7.2f}s")
    return Result(case, times["stestr"], times["partitioner"])


def profile_case(case: Case, ids: list[str], top: int) -> str:
    profiler = cProfile.Profile()
    gc.collect()
    profiler.enable()
    hooks.partition_tests(ids, CONCURRENCY, case.repository, case.callback)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def table(results: Sequence[Result]) -> list[str]:
    lines = ["| case | stestr best s | partitioner best s | partitioner / stestr | all stestr s | "
             "all partitioner s |", "|---|---:|---:|---:|---|---|"]
    for r in results:
        lines.append(f"| ({r.case.name}) {r.case.label} | {min(r.stestr):.2f} | {min(r.partitioner):.2f} | "
                     f"{r.ratio:.2f} | {' / '.join(f'{s:.2f}' for s in r.stestr)} | "
                     f"{' / '.join(f'{s:.2f}' for s in r.partitioner)} |")
    return lines


def markdown(results: Sequence[Result], n: int, command: str, seconds: float, source: str,
             per_class: int = TESTS_PER_CLASS) -> str:
    slower = [r for r in results if r.ratio > 1.0 and r.case.tool]
    others = [r for r in results if r.ratio > 1.0 and not r.case.tool]
    verdict = ("**Goal met: partitioner is no slower than stestr in every case testr and stestr can produce.**"
               if not slower else
               f"**Goal MISSED: partitioner is slower in {', '.join(f'({r.case.name})' for r in slower)}.**")
    if others:
        verdict += (f" Slower with a callback they never pass: "
                    f"{', '.join(f'({r.case.name}) {r.ratio:.2f} x' for r in others)}.")
    lines = [
        f"Generated {datetime.date.today().isoformat()} at {source} by `{command}` ({seconds:.0f}s; Python "
        f"{platform.python_version()}, {os.cpu_count()} cores, load average "
        f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())} at the end). Goal: on 1,000,000 ids "
        "`partitioner.hooks.partition_tests` is no slower than `stestr.scheduler.partition_tests` on the same "
        f"input. {n:,} tempest-shaped ids ({per_class} per class, plain, `[smoke]`, `[id-...]` and "
        f"`[id-...,smoke]` forms), concurrency {CONCURRENCY}, `time.perf_counter` around each call, best of "
        "the repeats (stestr and partitioner alternate), in an empty working directory. The class callback is "
        "the one stestr builds from tempest's `group_regex` `([^\\.]*\\.)*` (case d: the same grouping as an opaque "
        "Python function); the repository double's "
        f"`get_test_times` returns known times for a seeded random {KNOWN_SHARE:.0%} of ids and the rest as "
        "unknown (no `base`, so partitioner cannot read run streams).", "",
        verdict, "",
        *table(results), "",
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time partitioner.hooks.partition_tests against stestr.scheduler.partition_tests on the "
        "same million tempest-shaped ids: (a) class callback, (b) no callback, (c) class callback + a "
        "repository double with times for 80% of ids.")
    parser.add_argument("--n", type=int, default=1_000_000, help="how many test ids (default 1000000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed calls per function and case; the best "
                        "counts (default 3)")
    parser.add_argument("--cases", default="a,b,c,d", help="which cases to run (default a,b,c,d)")
    parser.add_argument("--per-class", type=int, default=TESTS_PER_CLASS,
                        help=f"tests per class (default {TESTS_PER_CLASS}; issue 9 names 10)")
    parser.add_argument("--profile", action="store_true", help="also profile partitioner once per case "
                        "(cProfile) and print the top functions")
    parser.add_argument("--top", type=int, default=25, help="functions to show per profile (default 25)")
    parser.add_argument("--out", type=Path, help=f"write the markdown section '{HEADING}' into this file "
                        "(e.g. docs/benchmarks.md), with the command and the date; other sections are kept")
    args = parser.parse_args(argv)
    out = args.out.resolve() if args.out else None
    wanted = {c.strip() for c in args.cases.split(",") if c.strip()}

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    source = source_state()
    began = time.monotonic()
    ids = make_ids(args.n, args.per_class)
    log(f"{len(ids):,} ids, e.g. {ids[0]} ... {ids[-1]}")
    repository = RepositoryDouble(ids) if wanted & {"c", "d"} else None
    cases = [c for c in (
        Case("a", "class group_callback", class_callback, None),
        Case("b", "no callback", None, None),
        Case("c", f"class group_callback + get_test_times ({KNOWN_SHARE:.0%} known)", class_callback,
             repository),
        Case("d", f"opaque Python callback + get_test_times ({KNOWN_SHARE:.0%} known)", opaque_callback,
             repository, tool=False),
    ) if c.name in wanted]
    results: list[Result] = []
    profiles: list[str] = []
    home = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="partition-speed-") as empty:
        os.chdir(empty)  # partition_tests reads [partitioner] settings from the working directory
        try:
            for case in cases:
                log(f"case ({case.name}) {case.label}")
                results.append(run_case(case, ids, args.repeat, log))
                if args.profile:
                    profiles.append(f"### partitioner, case ({case.name}) {case.label}\n"
                                    f"{profile_case(case, ids, args.top)}")
        finally:
            os.chdir(home)
    seconds = time.monotonic() - began
    print("\n".join(table(results)))
    for text in profiles:
        print(f"\n{text}")
    if out:
        shown = ["python", "bench/partition_speed.py", *(sys.argv[1:] if argv is None else argv)]
        write_generated(out, HEADING, "partition_speed.py",
                        markdown(results, len(ids), shlex.join(shown), seconds, source, args.per_class))
        log(f"wrote section {HEADING!r} of {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
