"""Shard balance on generated suites: the largest shard's predicted time over the per-shard lower bound (run by hand).

    .venv/bin/python bench/shards.py            # 3 suites x M = 2, 4, 8 x N = 4; figures into docs/history-store.md
    .venv/bin/python bench/shards.py --out -    # printed only
    .venv/bin/python bench/shards.py --real --suites 1 --scale 0.02 --out -   # and run the shards: a small round

Suites come from ``shared/bench/gen_suite.py`` (tempest-shaped: classes of lognormal size, half of them with a
costly setUpClass that no test's own timing records). History is one synthetic serial run of the suite: each
class's setUpClass as the gap before its first test, each test's true duration with a 10% lognormal jitter
(as ``BENCH_JITTER`` does), so the estimator has to infer the setups the way it does from a real stream.

For each M it splits the suite with :func:`partitioner.shards.split_shards` (N workers a shard, lpt) and reports:

* **predicted**: the largest shard's predicted wall time over the split's lower bound,
  max((total / N + serial) / M, largest group), both from the cost model; and the smallest shard's predicted
  time over the largest's (1.0: every job predicted to end together);
* **truth**: the same split scored with the generator's true costs (a worker costs its tests plus each of its
  classes' setUpClass once) over the true lower bound max(total / (M x N), largest class); the real time,
  measured from jobs that run the shards, comes with the CLI wiring;
* **by count**: the truth ratio of a duration-blind split (groups dealt to shards in key order, as counting
  splitters such as ``--partition count:K/M`` do), each shard still planned by lpt from the history.

With ``--real`` it also runs every shard, one after the other, as a CI job would: the split is written as a plan
file, the history as a JSON timing file, and each shard runs ``partitioner exec --plan plan.json --shard K
--history history.json -- stestr run --concurrency N`` in the suite's directory (a fresh ``.stestr``), its sleeps
scaled by ``--scale`` (``BENCH_SCALE``). **real / LB** is the largest shard's wall time over the per-shard lower
bound at that scale (``scale x`` the truth's); the wall time includes stestr's and the workers' start-up, which
a small scale makes large against the tests: compare rows at one scale, and use a scale near 1 on a quiet
machine for figures to publish.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _docs import write_generated

from partitioner.estimate import build_cost_model
from partitioner.grouping import GroupTable, group_tests, make_grouper
from partitioner.history.jsonfile import write_samples
from partitioner.history.model import History, Run, TestRecord
from partitioner.history.samples import collect_samples
from partitioner.plan import build_plan
from partitioner.shards import ShardedPlan, split_shards
from partitioner.shards.planfile import dumps_plan_file
from partitioner.strategies import get_strategy
from partitioner.testids import class_key

ROOT = Path(__file__).resolve().parent.parent
GEN_SUITE = ROOT.parent / "shared" / "bench" / "gen_suite.py"
DOC = ROOT / "docs" / "history-store.md"
#: (seed, classes, serial seconds): a gate-sized suite, a larger one, a tempest-full-sized one
SUITES = ((1, 120, 600.0), (2, 400, 3600.0), (3, 1500, 14400.0))
SHARDS = (2, 4, 8)
WORKERS = 4
START = 1_700_000_000.0


@dataclass(frozen=True)
class Suite:
    """A generated suite's truth: test durations, class setups."""

    name: str
    tests: dict[str, float]
    setups: dict[str, float]
    path: Path

    def history(self, seed: int) -> History:
        """One serial run: setups as gaps before each class's first test, durations jittered 10%."""
        rng = random.Random(seed)
        clock, records = START, []
        last = None
        for test_id in sorted(self.tests):
            klass = class_key(test_id)
            if klass != last:
                clock += self.setups.get(klass, 0.0)
                last = klass
            took = self.tests[test_id] * rng.lognormvariate(0, 0.1)
            records.append(TestRecord(test_id, "success", clock, clock + took, "worker-0", frozenset({"worker-0"})))
            clock += took
        return History(runs=(Run(self.name, tuple(records)),))

    def worker_truth(self, tests: tuple[str, ...]) -> float:
        return math.fsum(self.tests[t] for t in tests) + math.fsum(self.setups.get(k, 0.0)
                                                                  for k in {class_key(t) for t in tests})

    def lower_bound(self, workers: int) -> float:
        per_class: dict[str, float] = dict(self.setups)
        for test_id, seconds in self.tests.items():
            per_class[class_key(test_id)] = per_class.get(class_key(test_id), 0.0) + seconds
        return max(math.fsum(per_class.values()) / workers, *per_class.values())


def generate(workdir: Path, seed: int, classes: int, serial_s: float) -> Suite:
    out = workdir / f"gen-s{seed}-c{classes}"
    if not (out / "dataset.json").exists():
        subprocess.run([sys.executable, str(GEN_SUITE), str(out), "--seed", str(seed), "--classes", str(classes),
                        "--serial-s", str(serial_s)], check=True, capture_output=True)
    data = json.loads((out / "dataset.json").read_text())
    tests = {t: float(s) for c in data["classes"] for t, s in c["tests"].items()}
    setups = {c["class"]: float(c["setup_class_s"]) for c in data["classes"]}
    return Suite(out.name, tests, setups, out)


def truth_ratio(suite: Suite, sharded: ShardedPlan) -> float:
    top = max((suite.worker_truth(p.tests) for s in sharded.shards for p in s.plan.workers), default=0.0)
    return top / suite.lower_bound(sharded.count * sharded.concurrency)


def by_count(suite: Suite, table: GroupTable, history: History, shards: int) -> float:
    """The truth ratio of groups dealt to shards in key order, each shard planned by lpt."""
    model = build_cost_model(table, history)
    strategy = get_strategy("lpt")
    groups = list(table)
    top = 0.0
    for k in range(shards):
        mine = groups[k::shards]
        if mine:
            plan = build_plan(mine, model, strategy, WORKERS, "class")
            top = max(top, *(suite.worker_truth(p.tests) for p in plan.workers))
    return top / suite.lower_bound(shards * WORKERS)


def real_times(suite: Suite, sharded: ShardedPlan, history: History, scale: float) -> list[float]:
    """Run every shard as a CI job would (one after the other, in the suite's directory); their wall times."""
    plan_file, timings = suite.path / "plan.json", suite.path / "history.json"
    plan_file.write_text(dumps_plan_file(sharded))
    with timings.open("w") as out:
        write_samples(out, collect_samples(history))
    env = dict(os.environ, BENCH_SCALE=str(scale), BENCH_LOCKDIR=str(suite.path / "locks"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    times = []
    for k in range(1, sharded.count + 1):
        shutil.rmtree(suite.path / ".stestr", ignore_errors=True)
        started = time.perf_counter()
        done = subprocess.run(["partitioner", "exec", "--quiet", "--plan", str(plan_file), "--shard", str(k),
                               "--history", str(timings), "--", "stestr", "run", "--concurrency", str(WORKERS)],
                              cwd=suite.path, env=env, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - started)
        if done.returncode != 0 and "Ran: " not in done.stdout:  # a failed test is a result (the suite races)
            raise SystemExit(f"shard {k}/{sharded.count} of {suite.name} did not run:\n{done.stdout}\n{done.stderr}")
    return times


def run(workdir: Path, suites: int = len(SUITES), real: bool = False, scale: float = 0.02) -> tuple[str, str]:
    """The predicted/truth table, and (with ``real``) the table of real shard times."""
    rows = ["| suite | tests | M x N | predicted / LB | smallest / largest shard | truth / LB | by count: truth / LB "
            "| split (ms) |",
            "|---|---:|---|---:|---:|---:|---:|---:|"]
    measured = ["| suite | M x N | scale | LB at scale (s) | shards' wall times (s) | real / LB | smallest / "
                "largest |",
                "|---|---|---:|---:|---|---:|---:|"]
    for seed, classes, serial_s in SUITES[:suites]:
        suite = generate(workdir, seed, classes, serial_s)
        history = suite.history(seed)
        table = group_tests(list(suite.tests), make_grouper("class"))
        model = build_cost_model(table, history)
        for m in SHARDS:
            started = time.perf_counter()
            sharded = split_shards(table, (), model, m, WORKERS, get_strategy("lpt"), "class")
            took = (time.perf_counter() - started) * 1000
            predicted = (sharded.predicted_makespan_s - sharded.startup_s) / sharded.lower_bound_s
            spread = min(x.predicted_s for x in sharded.shards) / sharded.predicted_makespan_s
            rows.append(f"| {suite.name} | {len(suite.tests)} | {m} x {WORKERS} | {predicted:.3f} | {spread:.3f} | "
                        f"{truth_ratio(suite, sharded):.3f} | {by_count(suite, table, history, m):.3f} | {took:.0f} |")
            print(rows[-1], flush=True)
            if real:
                walls = real_times(suite, sharded, history, scale)
                bound = scale * suite.lower_bound(m * WORKERS)
                measured.append(f"| {suite.name} | {m} x {WORKERS} | {scale:g} | {bound:.2f} | "
                                f"{', '.join(f'{w:.1f}' for w in walls)} | {max(walls) / bound:.3f} | "
                                f"{min(walls) / max(walls):.3f} |")
                print(measured[-1], flush=True)
    return "\n".join(rows), "\n".join(measured) if real else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="keep the generated suites here (default: a temp dir)")
    parser.add_argument("--out", default=str(DOC), help="the doc to write the figures into, or - to print only")
    parser.add_argument("--suites", type=int, default=len(SUITES), choices=range(1, len(SUITES) + 1),
                        help="only the first N suites (1: the gate-sized one)")
    parser.add_argument("--real", action="store_true",
                        help="also run every shard (partitioner exec --plan --shard -- stestr run) and time it")
    parser.add_argument("--scale", type=float, default=0.02,
                        help="BENCH_SCALE of the real runs (default 0.02: a 600 s suite runs 12 s; 1 for real "
                             "figures on a quiet machine)")
    args = parser.parse_args()
    if not GEN_SUITE.exists():
        print(f"{GEN_SUITE} is missing: the bench needs ../shared", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as temporary:
        table, measured = run(args.workdir or Path(temporary), args.suites, args.real, args.scale)
    if args.out != "-":
        suites = f" --suites {args.suites}" if args.suites != len(SUITES) else ""
        if not suites:  # the published table covers every suite
            write_generated(Path(args.out), "## Shard balance", "shards.py", f"`python bench/shards.py`\n\n{table}")
        if args.real:
            command = f"python bench/shards.py --real{suites} --scale {args.scale:g}"
            write_generated(Path(args.out), "### Real shard times", "shards.py --real", f"`{command}`\n\n{measured}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
