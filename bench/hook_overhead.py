"""What the drop-in hook adds over the tool's own partitioning: a 15,000-test suite with 10 stored runs.

Run by hand (not a timed test)::

    /work/venv/bin/python bench/hook_overhead.py [--tests 15000] [--runs 10] [--workdir DIR] [--out docs/real-suites.md]

A stestr repository is made with the real ``stestr init`` and ``stestr load`` of ``--runs`` streams of a
generated suite (10 tests per class, 15 classes per module, two workers with class-setup gaps). Then, in
one process (the hook runs inside ``stestr run``), ``concurrency 2``, tempest's class ``group_callback``:

* ``stestr``: ``stestr.scheduler.partition_tests`` with the repository (times.dbm);
* ``hook (runs)``: ``partitioner.hooks.partition_tests`` as wired today (every record of the newest runs,
  from the run cache when warm);
* ``digest, first run``: planning from :func:`partitioner.history.digest.planning_history` right after a run
  was stored: every run digested but the newest (over the budget: planned from the rest and times.dbm);
* ``digest, later runs``: every run digested;
* ``digest, cold``: nothing digested (over the budget: times.dbm alone).

Each is the best of ``--repeat`` (default 5) calls, ``time.perf_counter``. Import times are measured in fresh
interpreters: ``import partitioner.hooks`` and ``import stestr.scheduler``, best of 5, less ``python -c pass``.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import platform
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import subunit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _docs import write_generated

HEADING = "## Planning overhead: 15,000 tests, 10 stored runs"
BIN = Path(sys.executable).parent
GROUP_REGEX = r"([^\.]*\.)*"


def group_callback(test_id: str, regex: re.Pattern[str] = re.compile(GROUP_REGEX)) -> str | None:  # noqa: RET503
    match = regex.match(test_id)
    if match:
        return match.group(0)


def suite_ids(n: int) -> list[str]:
    return [f"proj.tests.unit.test_m{c // 15:03d}.C{c:04d}Test.test_{t:02d}" for c in range(n // 10) for t in range(10)]


def run_stream(ids: Sequence[str], seed: int) -> bytes:
    """One run: two workers, classes dealt alternately, 1-20 ms per test, 50 ms of setup per class."""
    rnd = random.Random(seed)
    out = io.BytesIO()
    writer = subunit.StreamResultToBytes(out)
    clock = [1.7e9 + seed * 1000.0] * 2

    def at(seconds: float) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)

    for i, test_id in enumerate(ids):
        worker = (i // 10) % 2
        if i % 10 == 0:
            clock[worker] += 0.05
        start = clock[worker]
        clock[worker] += rnd.uniform(0.001, 0.02)
        tags = {f"worker-{worker}"}
        writer.status(test_id=test_id, test_status="inprogress", timestamp=at(start), test_tags=tags)
        writer.status(test_id=test_id, test_status="success", timestamp=at(clock[worker]), test_tags=tags)
    return out.getvalue()


def make_repository(where: Path, ids: Sequence[str], runs: int, log: Callable[[str], None]) -> None:
    if (where / ".stestr" / str(runs - 1)).exists():
        return
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    (where / ".stestr.conf").write_text(f"[DEFAULT]\ntest_path=./tests\ngroup_regex={GROUP_REGEX}\n")
    subprocess.run([BIN / "stestr", "init"], cwd=where, check=True, capture_output=True)
    for seed in range(runs):
        subprocess.run([BIN / "stestr", "load"], cwd=where, input=run_stream(ids, seed), check=True,
                       capture_output=True)
    log(f"made {where / '.stestr'}: {runs} runs of {len(ids)} tests")


def best(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        func()
        times.append(time.perf_counter() - began)
    return min(times)


def import_time(module: str, before: str = "", repeat: int = 5) -> float:
    """Seconds ``import module`` adds in a fresh interpreter that has already imported ``before``."""
    def once(code: str) -> float:
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - began

    base = min(once(f"import {before}" if before else "pass") for _ in range(repeat))
    return min(once(f"import {before}; import {module}" if before else f"import {module}")
               for _ in range(repeat)) - base


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the hook's planning overhead over stestr's own partitioning")
    parser.add_argument("--tests", type=int, default=15_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, help="keep the repository here (reused when present)")
    parser.add_argument("--out", type=Path, help=f"write the section '{HEADING}' into this markdown file")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    from stestr import scheduler
    from stestr.repository.util import get_repo_open

    from partitioner import hooks
    from partitioner.grouping import RegexGrouper
    from partitioner.history import digest
    from partitioner.pipeline import PLAN_RUNS, plan_ids

    began = time.monotonic()
    work = args.workdir.resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="hook-overhead-"))
    ids = suite_ids(args.tests)
    project = work / f"suite-{args.tests}-{args.runs}"
    make_repository(project, ids, args.runs, log)
    cache = Path(tempfile.mkdtemp(prefix="hook-overhead-cache-"))
    os.environ["PARTITIONER_CACHE_DIR"] = str(cache)
    home = os.getcwd()
    os.chdir(project)
    rows: list[tuple[str, float, str]] = []
    try:
        repo = get_repo_open(repo_url=str(project))
        grouper = RegexGrouper(f"regex:{GROUP_REGEX}", re.compile(GROUP_REGEX))
        stestr_s = best(lambda: scheduler.partition_tests(ids, 2, repo, group_callback), args.repeat)
        rows.append(("stestr's own partition_tests (times.dbm)", stestr_s, ""))
        hooks.partition_tests(ids, 2, repo, group_callback)  # fills the run cache
        rows.append(("hook as wired today (records of the newest runs, run cache warm)",
                     best(lambda: hooks.partition_tests(ids, 2, repo, group_callback), args.repeat), ""))

        def digest_plan() -> tuple[int, int]:
            history = digest.planning_history(project, PLAN_RUNS)
            planned = plan_ids(ids, 2, history, grouper)
            return len(history.digested), len(planned.plan.workers)

        newest = project / ".stestr" / str(args.runs - 1)
        digest.warm(project)
        digested = digest.content_key(newest.read_bytes())
        rows.append(("digests, later runs (every run digested)", best(digest_plan, args.repeat),
                     f"{len(digest.planning_history(project, PLAN_RUNS).digested)} runs digested"))

        def first_run() -> None:
            (cache / f"{digested}.json").unlink(missing_ok=True)  # as if the newest run had just been stored
            digest_plan()

        rows.append(("digests, first run after a run was stored (newest not digested)",
                     best(first_run, args.repeat), "newest run over the budget: times.dbm covers it"))

        def cold() -> None:
            for entry in cache.glob("*.json"):
                entry.unlink()
            digest_plan()

        rows.append(("digests, cold cache (nothing digested)", best(cold, args.repeat),
                     "every run over the budget: times.dbm alone"))
        warm_s = best(lambda: (cold(), digest.warm(project)), 1)
        rows.append(("background warm of every run (not on the critical path)", warm_s, ""))
    finally:
        os.chdir(home)
        shutil.rmtree(cache, ignore_errors=True)
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    stestr_run = "stestr.commands.run"  # what `stestr run` has imported when it calls partition_tests
    imports = [("import partitioner.hooks", import_time("partitioner.hooks")),
               (f"import partitioner.hooks after {stestr_run}", import_time("partitioner.hooks", stestr_run)),
               (f"import partitioner.history.digest after {stestr_run}",
                import_time("partitioner.history.digest", stestr_run)),
               ("import stestr.scheduler", import_time("stestr.scheduler"))]
    lines = ["| what | best s | over stestr s | note |", "|---|---:|---:|---|"]
    for what, seconds, note in rows:
        lines.append(f"| {what} | {seconds:.3f} | {seconds - stestr_s:+.3f} | {note} |")
    lines += ["", "| import (fresh interpreters, best of 5, difference) | s |", "|---|---:|"]
    lines += [f"| `{what}` | {seconds:.3f} |" for what, seconds in imports]
    print("\n".join(lines))
    if args.out:
        shown = shlex.join(["python", "bench/hook_overhead.py", *(sys.argv[1:] if argv is None else argv)])
        text = (f"Generated {datetime.date.today().isoformat()} by `{shown}` ({time.monotonic() - began:.0f}s; Python "
                f"{platform.python_version()}, {os.cpu_count()} cores, load average "
                f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())}). {args.tests:,} tests (10 per class), "
                f"{args.runs} runs stored with `stestr load`, concurrency 2, tempest's class group_callback, best of "
                f"{args.repeat}, in process. Goal (issue 9): the hook adds <= 0.3 s over stestr's own "
                "partitioning, first and later runs alike.\n\n" + "\n".join(lines) + "\n")
        write_generated(args.out.resolve(), HEADING, "hook_overhead.py", text)
        log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
