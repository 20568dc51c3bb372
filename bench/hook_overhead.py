"""What the drop-in hook adds over the tool's own partitioning: a 15,000-test suite with 10 stored runs.

Run by hand (not a timed test)::

    .venv/bin/python bench/hook_overhead.py [--tests 15000] [--runs 10] [--workdir DIR] [--out docs/real-suites.md]

A stestr repository is made with the real ``stestr init`` and ``stestr load`` of ``--runs`` streams of a
generated suite (10 tests per class, 15 classes per module, two workers with class-setup gaps). Then, in
one process (the hook runs inside ``stestr run``), ``concurrency 2``, tempest's class ``group_callback``:

* ``stestr``: ``stestr.scheduler.partition_tests`` with the repository (times.dbm);
* ``hook, later runs``: ``partitioner.hooks.partition_tests`` as wired (digests of the newest runs), every run
  digested;
* ``hook, first run after a run was stored``: the newest run's digest removed first (it is over the planning
  budget: planned from the other runs and times.dbm, the newest digested at exit);
* ``hook, cold cache``: nothing digested (every run over the budget: times.dbm alone);
* ``records of the newest runs``: what the hook read before it was wired to digests (the run cache warm), for
  comparison.

Each is the best of ``--repeat`` (default 5) calls, ``time.perf_counter``. End to end, in fresh interpreters
(best of 3): ``import stestr.commands.run`` (what ``stestr run`` has loaded when it partitions), open the
repository, partition the listed ids, once with stestr's own function and once through ``partitioner.hooks``
(its import included), first and later runs; the difference is what the hook adds to a ``stestr run``. Import
times alone are measured the same way: ``import partitioner.hooks`` and ``import stestr.scheduler``, best of 5,
less ``python -c pass``.
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


STEP = """
import sys, time
began = time.perf_counter()
import stestr.commands.run
from stestr.repository.util import get_repo_open
ids = open(sys.argv[2]).read().split()
repo = get_repo_open(repo_url=sys.argv[3])
if sys.argv[1] == "stestr":
    from stestr import scheduler
    partition = scheduler.partition_tests
else:
    from partitioner.hooks import partition_tests as partition
import re
regex = re.compile(r"([^\\.]*\\.)*")
partition(ids, 2, repo, lambda t: regex.match(t).group(0))
print(time.perf_counter() - began)
import atexit
atexit._clear()  # the hook's background digest at exit: after the step, and not beside the next measurement
"""


def end_to_end(project: Path, ids: Sequence[str], repeat: int, drop_newest: Callable[[], object]
               ) -> list[tuple[str, float]]:
    """Seconds a fresh interpreter spends importing stestr's run command, opening the repository and
    partitioning, with stestr's own function or the hook (later runs, and the first run after a store)."""
    listed = project / "ids.txt"
    listed.write_text("\n".join(ids))

    def once(how: str, before: Callable[[], object] | None = None) -> float:
        if before is not None:
            before()
        done = subprocess.run([sys.executable, "-c", STEP, how, str(listed), str(project)], cwd=project,
                              capture_output=True, text=True, check=True)
        return float(done.stdout.split()[-1])

    return [("stestr's own partition_tests", min(once("stestr") for _ in range(max(3, repeat // 2)))),
            ("partitioner.hooks, later runs", min(once("hook") for _ in range(max(3, repeat // 2)))),
            ("partitioner.hooks, first run after a run was stored",
             min(once("hook", drop_newest) for _ in range(max(3, repeat // 2))))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the hook's planning overhead over stestr's own partitioning")
    parser.add_argument("--tests", type=int, default=15_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, help="keep the repository here (reused when present)")
    parser.add_argument("--out", type=Path,
                        help=f"write the section '{HEADING}' into this markdown file (- or none: print only)")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    from stestr import scheduler
    from stestr.repository.util import get_repo_open

    from partitioner import hooks
    from partitioner.grouping import RegexGrouper
    from partitioner.history import digest, load_history
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
        newest = project / ".stestr" / str(args.runs - 1)
        digest.warm(project)
        digested = digest.content_key(newest.read_bytes())

        def hook() -> None:
            hooks.partition_tests(ids, 2, repo, group_callback)

        def drop_newest() -> None:
            (cache / f"{digested}.json").unlink(missing_ok=True)  # as if the newest run had just been stored

        def drop_all() -> None:
            for entry in cache.glob("*.json"):
                entry.unlink()

        unread = len(digest.planning_history(project, PLAN_RUNS).unread)
        rows.append(("hook, later runs (every run digested)", best(hook, args.repeat), f"{unread} runs unread"))
        drop_newest()
        first = digest.planning_history(project, PLAN_RUNS)
        rows.append(("hook, first run after a run was stored (newest not digested)",
                     best(lambda: (drop_newest(), hook()), args.repeat),
                     f"{len(first.unread)} run over the budget, left out and named"))
        rows.append(("hook, cold cache (nothing digested)", best(lambda: (drop_all(), hook()), args.repeat),
                     "every run over the budget: times.dbm alone"))
        warm_s = best(lambda: (drop_all(), digest.warm(project)), 1)
        rows.append(("digesting every run (`digest warm`, in the background at exit)", warm_s, ""))
        load_history([str(project)], newest=PLAN_RUNS)  # fills the run cache

        def records() -> None:
            plan_ids(ids, 2, load_history([str(project)], newest=PLAN_RUNS), grouper)

        rows.append(("records of the newest runs, run cache warm (the hook before digests)",
                     best(records, args.repeat), "for comparison"))
        digest.warm(project)
        ends = end_to_end(project, ids, args.repeat, lambda: (cache / f"{digested}.json").unlink(missing_ok=True))
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
    lines += ["", "| end to end: a fresh `stestr run` process's partitioning step (imports included, best of 3) | s |"
              " over stestr s |", "|---|---:|---:|"]
    lines += [f"| {what} | {seconds:.3f} | {seconds - ends[0][1]:+.3f} |" for what, seconds in ends]
    lines += ["", "| import (fresh interpreters, best of 5, difference) | s |", "|---|---:|"]
    lines += [f"| `{what}` | {seconds:.3f} |" for what, seconds in imports]
    print("\n".join(lines))
    if args.out and str(args.out) != "-":
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
