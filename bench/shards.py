"""Shard balance on generated suites: the largest shard's predicted time over the per-shard lower bound (run by hand).

    .venv/bin/python bench/shards.py            # 3 suites x M = 2, 4, 8 x N = 4; figures into docs/history-store.md
    .venv/bin/python bench/shards.py --out -    # printed only

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
"""

from __future__ import annotations

import argparse
import json
import math
import random
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
from partitioner.history.model import History, Run, TestRecord
from partitioner.plan import build_plan
from partitioner.shards import ShardedPlan, split_shards
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
    return Suite(out.name, tests, setups)


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


def run(workdir: Path) -> str:
    rows = ["| suite | tests | M x N | predicted / LB | smallest / largest shard | truth / LB | by count: truth / LB "
            "| split (ms) |",
            "|---|---:|---|---:|---:|---:|---:|---:|"]
    for seed, classes, serial_s in SUITES:
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
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="keep the generated suites here (default: a temp dir)")
    parser.add_argument("--out", default=str(DOC), help="the doc to write the figures into, or - to print only")
    args = parser.parse_args()
    if not GEN_SUITE.exists():
        print(f"{GEN_SUITE} is missing: the bench needs ../shared", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as temporary:
        table = run(args.workdir or Path(temporary))
    if args.out != "-":
        command = "python bench/shards.py"
        write_generated(Path(args.out), "## Shard balance", "shards.py", f"`{command}`\n\n{table}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
