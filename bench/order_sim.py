"""Dispatch orders in simulation, with history that is not the run: ``suite`` against ``lookahead`` (and ``cost``,
the unconstrained best), on generated suites.

Run by hand (seconds; no test runs)::

    .venv/bin/python bench/order_sim.py [--seeds 1 2 3 4 5 6] [--lanes 4 8] [--sigma 0.3 0.1] [--draws 30]
                                        [--orders suite lookahead cost checkpoint]

``checkpoint`` is an order that is not built, simulated to judge whether it is worth building: ``lookahead``,
plus a dormant copy of a lane's test process kept wherever the lane skips ahead over groups it could have run
(a fork, taken after the module's teardown); a lane left with nothing after its last group starts a fresh
process from its deepest checkpoint that still reaches a queued group (``--restart-s``, a fork: 0.05 s),
instead of waiting. Every process still runs an increasing run of suite order that begins at the earliest
queued group, as a stestr worker's share does (docs/dispatch.md, "What tempest's unit suite leans on").

For each ``gen_suite.py`` suite (140 classes, 120 s serial, seed S) and each draw, two runs are sampled with
gen_suite's own noise model (each test's and each class setup's sleep times a lognormal of sigma): the
history (what the queue is priced from) and the run (what the groups really cost). The dispatcher's rule picks
on the history's prices and what it knows at each hand-out (which lane is busy until when, predicted, and where
each lane's test process is in the suite); groups take what the run says. Printed: per suite and N, the median
and the worst makespan over the draws, each over the run's own lower bound max(total / N, largest class).
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from partitioner.dispatch.lookahead import LaneView, next_move, pick_ahead  # noqa: E402
from partitioner.dispatch.queue import WorkItem  # noqa: E402

GEN_SUITE = ROOT.parent / "shared" / "bench" / "gen_suite.py"
ORDERS = ("suite", "lookahead", "cost", "checkpoint")


def class_costs(dataset: dict[str, list[dict[str, object]]], sigma: float, seed: int) -> list[float]:
    """Each class's cost in one sampled run, classes in suite order."""
    rnd = random.Random(seed)
    costs = []
    for c in dataset["classes"]:
        tests = c["tests"]
        assert isinstance(tests, dict)
        setup = float(c["setup_class_s"])  # type: ignore[arg-type]
        costs.append(setup * rnd.lognormvariate(0, sigma) + sum(v * rnd.lognormvariate(0, sigma)
                                                                for v in tests.values()))
    return costs


def run(order: str, priced: list[float], real: list[float], lanes: int, restart_s: float = 0.05) -> float:
    """The makespan of one simulated run under ``order``."""
    todo = [WorkItem(str(i), (str(i),), priced[i], at=i, upto=i) for i in range(len(priced))]
    free = [(0.0, lane) for lane in range(lanes)]
    heapq.heapify(free)
    last: dict[int, int] = {}
    holding: dict[int, tuple[float, int]] = {}
    waited: list[float] = []
    checkpoints: dict[int, list[int]] = {lane: [] for lane in range(lanes)}
    while todo:
        now, lane = heapq.heappop(free)
        extra = 0.0
        index: int | None = None
        if order == "suite":
            index = 0
        elif order == "cost":
            index = max(range(len(todo)), key=lambda i: (todo[i].cost, -i))
        else:  # lookahead; checkpoint: lookahead, and a lane left with nothing after its last group forks instead
            others = [LaneView(max(now, holding[o][0] + priced[holding[o][1]]) if o in holding else now,
                               last.get(o)) for _, o in free]
            mine = last.get(lane)
            if order == "checkpoint" and pick_ahead(todo, mine, others, now) is None:
                for point in sorted(checkpoints[lane], reverse=True):  # the deepest checkpoint that reaches one
                    if any(item.at > point for item in todo):
                        mine, extra = point, restart_s
                        index = pick_ahead(todo, point, others, now)
                        break
            if index is None:
                index, restart = next_move(todo, last.get(lane), others, now)
                if index is None:
                    waited.append(now)
                    holding.pop(lane, None)
                    continue
                if restart:
                    mine = None
                    last.pop(lane, None)
            at = todo[index].at
            if order == "checkpoint" and mine is not None and any(mine < item.at < at for item in todo):
                checkpoints[lane].append(mine)  # a skip: keep the process here
        assert index is not None
        item = todo.pop(index)
        group = int(item.key)
        last[lane] = group
        holding[lane] = (now, group)
        heapq.heappush(free, (now + extra + real[group], lane))
    return max([t for t, _ in free] + waited)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6])
    parser.add_argument("--lanes", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--sigma", type=float, nargs="+", default=[0.3, 0.1])
    parser.add_argument("--draws", type=int, default=30)
    parser.add_argument("--orders", nargs="+", choices=ORDERS, default=list(ORDERS))
    parser.add_argument("--restart-s", type=float, default=0.05, help="a checkpoint's fork (default 0.05 s)")
    args = parser.parse_args()
    orders = tuple(args.orders)
    work = Path(tempfile.mkdtemp(prefix="order-sim-"))
    print("| sigma | N | suite seed | " + " | ".join(f"{o} median (worst)" for o in orders) + " |")
    print("|---:|---:|---:|" + "---:|" * len(orders))
    for sigma in args.sigma:
        for lanes in args.lanes:
            for seed in args.seeds:
                where = work / f"s{seed}"
                if not where.exists():
                    subprocess.run([sys.executable, str(GEN_SUITE), str(where), "--classes", "140", "--serial-s",
                                    "120", "--seed", str(seed)], check=True, capture_output=True)
                dataset = json.loads((where / "dataset.json").read_text())
                dataset["classes"].sort(key=lambda c: c["class"])
                ratios: dict[str, list[float]] = {o: [] for o in orders}
                for draw in range(args.draws):
                    priced = class_costs(dataset, sigma, 1000 + draw)
                    real = class_costs(dataset, sigma, 5000 + draw)
                    bound = max(sum(real) / lanes, *real)
                    for order in orders:
                        ratios[order].append(run(order, priced, real, lanes, args.restart_s) / bound)
                cells = " | ".join(f"{statistics.median(v):.3f} ({max(v):.3f})" for v in ratios.values())
                print(f"| {sigma} | {lanes} | {seed} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
