"""Reading a plan's history from a store vs re-parsing the same runs from a .stestr repository (run by hand).

    .venv/bin/python bench/store_read.py                       # 1,000 runs x 10,000 tests, SQLite + PostgreSQL
    .venv/bin/python bench/store_read.py --runs 50 --tests 2000 --out -   # a quick look, printed only

Builds a tempest-shaped suite (10 tests a class, 4 workers, class setup gaps, ~1% failures, ~1% skips) and
``--runs`` runs of it, pushes every run through ``Store.push_run`` into a SQLite store and into a database on a
throwaway PostgreSQL server (``partitioner.history.store.testing``), and writes the newest ``--repo-runs``
runs as numbered subunit v2 files of a ``.stestr`` directory (python-subunit's writer).

Then it times, as the median of ``--repeat`` fresh calls each:

* ``store``: ``Store.history()`` -- the planning inputs (the newest 5 samples per test and class), one SQL read;
  ``pinned``: the same at a pin 10 runs back; ``runs(10)``: the 10 newest full runs (races, summary);
* ``.stestr``: ``load_history([repo], newest=PLAN_RUNS)`` as ``partitioner plan`` does today: with the run cache
  off (python-subunit parses every stream) and with a warm run cache;
* for each: ``build_cost_model`` on that history (the rest of a plan's start), reported beside it.

Ratios are repository time over store time. Figures go to ``--out`` (default /work/notes/store_bench.md).
"""

from __future__ import annotations

import argparse
import datetime
import io
import math
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import subunit

from partitioner.estimate import build_cost_model
from partitioner.history import load_history
from partitioner.history.model import History, Run, TestRecord
from partitioner.history.store import open_store
from partitioner.history.store.testing import PostgresUnavailable, ThrowawayPostgres
from partitioner.pipeline import PLAN_RUNS

START = 1_700_000_000.0


class Suite:
    """``tests`` ids in classes of 10, true durations and setups, runs dealt class by class to workers."""

    def __init__(self, tests: int, workers: int, seed: int = 7) -> None:
        rng = random.Random(seed)
        self.workers = workers
        self.classes: list[tuple[str, float, list[tuple[str, float]]]] = []
        for c in range((tests + 9) // 10):
            klass = f"tempest.api.area{c % 40}.test_mod{c % 400}.Class{c}"
            members = [(f"{klass}.test_{t}" + ("[id-1a2b,smoke]" if t == 0 else ""), rng.lognormvariate(-0.5, 1.0))
                       for t in range(min(10, tests - 10 * c))]
            self.classes.append((klass, rng.lognormvariate(0.0, 1.0), members))
        self.ids = [test_id for _, _, members in self.classes for test_id, _ in members]

    def run(self, number: int) -> Run:
        rng = random.Random(number)
        order = list(range(len(self.classes)))
        rng.shuffle(order)
        lanes = [START + number * 3600.0 + rng.uniform(0, 1) for _ in range(self.workers)]
        records: list[TestRecord] = []
        for position in order:
            _, setup, members = self.classes[position]
            w = min(range(self.workers), key=lanes.__getitem__)
            lanes[w] += setup * rng.uniform(0.9, 1.1)
            tag = f"worker-{w}"
            for test_id, seconds in members:
                begin = round(lanes[w], 6)
                lanes[w] = round(begin + seconds * rng.uniform(0.8, 1.2), 6) + 0.001
                roll = rng.random()
                status = "fail" if roll < 0.01 else "skip" if roll < 0.02 else "success"
                records.append(TestRecord(test_id, status, begin, lanes[w] - 0.001, tag, frozenset({tag})))
        return Run(f"run-{number}", tuple(records), number)


def write_stream(run: Run, path: Path) -> None:
    out = io.BytesIO()
    writer = subunit.StreamResultToBytes(out)
    for r in run.records:
        assert r.start is not None and r.stop is not None
        stamp = datetime.datetime.fromtimestamp
        tags = set(r.tags)
        writer.status(test_id=r.test_id, test_status="inprogress", test_tags=tags,
                      timestamp=stamp(r.start, tz=datetime.timezone.utc))
        writer.status(test_id=r.test_id, test_status=r.status, test_tags=tags,
                      timestamp=stamp(r.stop, tz=datetime.timezone.utc))
    path.write_bytes(out.getvalue())


def median_time(call: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--repo-runs", type=int, default=PLAN_RUNS,
                        help=f"newest runs written to the .stestr (planning reads {PLAN_RUNS})")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workdir", type=Path, help="keep the stores and the repository here (default: temp)")
    parser.add_argument("--out", default="/work/notes/store_bench.md", help="markdown figures ('-': print only)")
    args = parser.parse_args(argv)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="store-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    suite = Suite(args.tests, args.workers)
    server: ThrowawayPostgres | None = None
    stores: dict[str, str] = {}
    if "sqlite" in args.backends:
        (work / "history.db").unlink(missing_ok=True)
        stores["SQLite"] = f"sqlite:///{work / 'history.db'}"
    if "postgresql" in args.backends:
        server = ThrowawayPostgres()
        try:
            server.start()
            stores["PostgreSQL"] = server.create_database("bench")
        except PostgresUnavailable as error:
            print(f"PostgreSQL skipped: {error}", file=sys.stderr)
            server = None
    lines: list[str] = []
    try:
        repo = work / ".stestr"
        shutil.rmtree(repo, ignore_errors=True)
        repo.mkdir()
        (repo / "format").write_text("1\n")
        push_s: dict[str, float] = dict.fromkeys(stores, 0.0)
        opened = {name: open_store(url) for name, url in stores.items()}
        began = time.perf_counter()
        for number in range(args.runs):
            run = suite.run(number)
            for name, store in opened.items():
                t = time.perf_counter()
                store.push_run(run, source=f"bench run {number}", tool="stestr")
                push_s[name] += time.perf_counter() - t
            if number >= args.runs - args.repo_runs:
                write_stream(run, repo / str(number))
            if number % 50 == 49:
                print(f"  built {number + 1}/{args.runs} runs ({time.perf_counter() - began:.0f} s)", file=sys.stderr)
        for store in opened.values():
            store.close()

        rows: list[tuple[str, float, float]] = []

        def measure(label: str, load: Callable[[], History]) -> None:
            read_s, history = median_time(load, args.repeat)
            assert isinstance(history, History)
            model_s, _ = median_time(lambda: build_cost_model(suite.ids, history), args.repeat)
            rows.append((label, read_s, model_s))
            print(f"  {label}: read {read_s:.3f} s, cost model {model_s:.3f} s", file=sys.stderr)

        for name, url in stores.items():
            store = open_store(url)
            head = store.head()
            measure(f"{name} store: history()", store.history)
            measure(f"{name} store: history(upto=head-10)", lambda s=store, h=head: s.history(upto=max(1, h - 10)))
            runs_s, _ = median_time(lambda s=store: s.runs(newest=PLAN_RUNS), args.repeat)
            rows.append((f"{name} store: runs(newest={PLAN_RUNS}) (full records)", runs_s, float("nan")))
            store.close()
        cache = work / "run-cache"
        shutil.rmtree(cache, ignore_errors=True)
        os.environ["PARTITIONER_CACHE"] = "0"
        measure(f".stestr, newest {PLAN_RUNS} runs, run cache off", lambda: load_history([str(repo)], newest=PLAN_RUNS))
        os.environ["PARTITIONER_CACHE"] = "1"
        os.environ["PARTITIONER_CACHE_DIR"] = str(cache)
        load_history([str(repo)], newest=PLAN_RUNS)  # warm it
        measure(f".stestr, newest {PLAN_RUNS} runs, run cache warm",
                lambda: load_history([str(repo)], newest=PLAN_RUNS))

        def ratio(label: str, base: str) -> str:
            found = {r[0]: r[1] for r in rows}
            return f"{found[label] / found[base]:.1f}x" if label in found and base in found else "-"

        size = (work / "history.db").stat().st_size if (work / "history.db").exists() else 0
        lines += [
            f"## History store read: {args.runs:,} runs x {args.tests:,} tests ({args.workers} workers)",
            "",
            f"`python bench/store_read.py --runs {args.runs} --tests {args.tests}` on "
            f"{platform.machine()} ({os.cpu_count()} cores, Python {platform.python_version()}), "
            f"{datetime.date.today()}; median of {args.repeat}.",
            "",
            "| what | read (s) | build_cost_model (s) |",
            "|---|---:|---:|",
            *[f"| {label} | {read_s:.3f} | {'-' if math.isnan(model_s) else f'{model_s:.3f}'} |"
              for label, read_s, model_s in rows],
            "",
        ]
        plain = f".stestr, newest {PLAN_RUNS} runs, run cache off"
        warm = f".stestr, newest {PLAN_RUNS} runs, run cache warm"
        for name in stores:
            lines.append(f"- {name}: .stestr re-parse / store read = {ratio(plain, f'{name} store: history()')}; "
                         f"warm run cache / store read = {ratio(warm, f'{name} store: history()')}; "
                         f"building the store took {push_s[name]:.0f} s ({push_s[name] / args.runs * 1000:.0f} ms "
                         f"a push of {args.tests:,} results)")
        if size:
            lines.append(f"- SQLite file: {size / 2**20:.0f} MiB")
        lines.append(f"- the store reads the newest 5 samples per test over all {args.runs:,} runs; the .stestr path "
                     f"reads only the newest {PLAN_RUNS} runs (re-parsing all {args.runs:,} would cost about "
                     f"{args.runs / args.repo_runs:.0f}x its figure)")
        text = "\n".join(lines) + "\n"
        print(text)
        if args.out != "-":
            Path(args.out).write_text(text)
    finally:
        if server is not None:
            server.cleanup()
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
