"""Dispatch orders that keep order-dependent suites safe, and what they cost in balance (simulated).

Run by hand::

    .venv/bin/python bench/order_dependence.py [--tempest-run STREAM] [--polluters JSON] [--lanes 2 4 8]
                                               [--sigma 0 0.3] [--seeds 20] [--spawn-s 1.2] [--fork-s 0.003]
                                               [--out FILE]

A dynamic run hands whole classes to whichever lane is idle. ``suite`` order (the default) keeps every test
process in increasing suite order, as a plain stestr/testr worker runs its share, so a suite that passes
under them passes here; ``cost`` (longest first) balances best but lets any class follow any other in a process,
which fails tempest's unit suite. The policies simulated, per lane (one test process per lane unless restarted):

* ``suite``: suite order (``dispatch.simulate`` of the ``suite`` queue);
* ``cost``: longest first (``dispatch.simulate`` of the ``cost`` queue);
* ``mono``: longest first among the classes that sort after the lane's last one, so each process still runs
  in increasing suite order; when none is left, the lane restarts its process and takes the longest; as safe
  as ``suite`` for any suite. A restart costs ``--spawn-s`` (a new interpreter loading the suite: 1.2 s for
  tempest's unit suite here) or, ``mono-fork``, ``--fork-s`` (a fork of a process that loaded the suite and
  ran nothing: 3 ms for tempest's);
* ``walk``: a new process takes the longest class left, then the next ones in suite order after it; a restart
  (``--spawn-s``) when none is left after it; as safe as ``suite``;
* ``polluters-last``: longest first, the known polluter classes (``--polluters``: the JSON of
  ``partitioner races --order --confirm --format json``) handed out last; safe only for the pairs found;
* ``restart-after``: longest first, and a lane restarts its process (``--spawn-s``) after a known polluter
  class; safe only for the pairs found.

Costs: per class, predicted from a stored run (a class's stretches on its worker, setup included) or from the
shared data's CSVs (``bench/_truth.py``, setup from the class-overhead file where there is one); each seed
draws the run's true costs as predicted x lognormal(0, sigma). Reported: the median over seeds of makespan /
lower bound (max(total / N, largest class) of the true costs), and the median restarts per run.
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from _docs import write_generated
from _truth import from_csv

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from partitioner.dispatch.queue import WorkItem, order_queue  # noqa: E402
from partitioner.dispatch.simulate import simulate  # noqa: E402
from partitioner.history.subunit import read_stream_file  # noqa: E402
from partitioner.history.summary import Lanes  # noqa: E402
from partitioner.testids import class_key  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
CSVS = {
    "tempest-cinder": ("tempest_cinder_3rdparty_ci_2016.csv", "tempest_cinder_3rdparty_ci_2016__class_overhead.csv"),
    "tacker-unit": ("tacker_unit_stestr.csv", None),
    "cloudbase-unit": ("cloudbase_init_unit_stestr.csv", None),
    "poppy-unit": ("poppy_unit_stestr.csv", None),
    "qiskit": ("qiskit_qrack_provider_stestr_2020.csv", None),
    "bandit": ("bandit_testr.csv", None),
    "dragonflow": ("dragonflow_fullstack_2016.csv", None),
    "contrail": ("contrail_test_times_dbm_2019.csv", None),
}
POLICIES = ("suite", "cost", "mono", "mono-fork", "walk", "polluters-last", "restart-after")
#: the policies that restart processes (their restarts are shown)
RESTARTING = frozenset({"mono", "mono-fork", "walk", "restart-after"})
HEADING = "## Dispatch order and order-dependent suites"


@dataclass(frozen=True)
class Suite:
    """A suite's classes: predicted seconds each, in suite order (sorted keys), and its known polluters."""

    name: str
    costs: dict[str, float]
    polluters: frozenset[str] = frozenset()


def from_run(name: str, path: Path, polluters: frozenset[str]) -> Suite:
    """Class costs from a stored run: the sum of each class's stretches (its setup included)."""
    costs: dict[str, float] = {}
    for lane in Lanes(read_stream_file(path)).lanes.values():
        for stretch in lane:
            costs[stretch.klass] = costs.get(stretch.klass, 0.0) + stretch.seconds
    return Suite(name, costs, polluters)


def polluters_of(path: Path) -> frozenset[str]:
    """The classes of the polluters ``races --order --confirm --format json`` found (or of the test ids in a
    text file, one a line)."""
    text = path.read_text()
    if not text.lstrip().startswith("{"):
        return frozenset(class_key(line.strip()) for line in text.splitlines() if line.strip())
    doc = json.loads(text)
    found = set()
    for entry in doc.get("order", []):
        bisect = entry.get("bisect") or {}
        if bisect.get("verdict") == "order-dependent":
            found.update(p if bisect.get("level") == "class" else class_key(p) for p in bisect["polluters"])
    return frozenset(found)


def lane_policy(items: Sequence[WorkItem], actual: dict[str, float], lanes: int, restart_s: float,
                choose: Callable[[int, list[WorkItem]], tuple[WorkItem, bool]],
                after: Callable[[int, WorkItem], None]) -> tuple[float, int]:
    """List scheduling where the idle lane picks (``choose``: the item, and whether it restarts first)."""
    remaining = list(items)
    free = [(0.0, lane) for lane in range(lanes)]
    heapq.heapify(free)
    restarts = 0
    while remaining:
        at, lane = heapq.heappop(free)
        item, restart = choose(lane, remaining)
        remaining.remove(item)
        restarts += restart
        end = at + (restart_s if restart else 0.0) + actual[item.key]
        after(lane, item)
        heapq.heappush(free, (end, lane))
    return max(at for at, _ in free), restarts


def run_policy(policy: str, suite: Suite, actual: dict[str, float], lanes: int, spawn_s: float,
               fork_s: float) -> tuple[float, int]:
    """Makespan (true seconds) and restarts of one policy on one draw."""
    keys = sorted(suite.costs)
    position = {k: n for n, k in enumerate(keys)}
    triples = [(k, suite.costs[k], (k,)) for k in keys]
    if policy in ("suite", "cost"):
        queue = order_queue(triples, order=policy, positions=position)
        timeline = simulate([WorkItem(i.key, i.tests, actual[i.key]) for i in queue.items], lanes)
        return timeline.makespan_s, 0
    longest = list(order_queue(triples, order="cost").items)
    if policy == "polluters-last":
        ordered = sorted(longest, key=lambda i: i.key in suite.polluters)  # a stable sort: longest first in each
        return simulate([WorkItem(i.key, i.tests, actual[i.key]) for i in ordered], lanes).makespan_s, 0
    last = [-1] * lanes
    dirty = [False] * lanes

    def after(lane: int, item: WorkItem) -> None:
        last[lane] = position[item.key]
        dirty[lane] = item.key in suite.polluters

    if policy == "restart-after":
        def choose(lane: int, remaining: list[WorkItem]) -> tuple[WorkItem, bool]:
            return remaining[0], dirty[lane]
        return lane_policy(longest, actual, lanes, spawn_s, choose, after)

    if policy == "walk":
        def walk(lane: int, remaining: list[WorkItem]) -> tuple[WorkItem, bool]:
            later = [i for i in remaining if position[i.key] > last[lane]]
            if last[lane] < 0 or not later:  # a new process: the longest left
                return remaining[0], last[lane] >= 0
            return min(later, key=lambda i: position[i.key]), False
        return lane_policy(longest, actual, lanes, spawn_s, walk, after)

    def monotone(lane: int, remaining: list[WorkItem]) -> tuple[WorkItem, bool]:
        later = next((i for i in remaining if position[i.key] > last[lane]), None)
        if later is not None:
            return later, False
        return remaining[0], last[lane] >= 0  # a fresh process; the lane's first item needs no restart

    return lane_policy(longest, actual, lanes, fork_s if policy == "mono-fork" else spawn_s, monotone, after)


def lower_bound(actual: dict[str, float], lanes: int) -> float:
    return max(sum(actual.values()) / lanes, *actual.values())


def measure(suite: Suite, lanes: int, sigma: float, seeds: int, spawn_s: float,
            fork_s: float) -> dict[str, tuple[float, float]]:
    """policy -> (median makespan / LB, median restarts)."""
    ratios: dict[str, list[float]] = {p: [] for p in POLICIES}
    restarts: dict[str, list[int]] = {p: [] for p in POLICIES}
    for seed in range(seeds if sigma else 1):
        rng = random.Random(seed)
        actual = {k: c * (rng.lognormvariate(0.0, sigma) if sigma else 1.0) for k, c in suite.costs.items()}
        bound = lower_bound(actual, lanes)
        for policy in POLICIES:
            if policy in ("polluters-last", "restart-after") and not suite.polluters:
                continue
            span, count = run_policy(policy, suite, actual, lanes, spawn_s, fork_s)
            ratios[policy].append(span / bound)
            restarts[policy].append(count)
    return {p: (statistics.median(ratios[p]), statistics.median(restarts[p])) for p in POLICIES if ratios[p]}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tempest-run", type=Path, help="a stored run (subunit stream) of tempest's unit suite")
    parser.add_argument("--polluters", type=Path, help="`partitioner races --order --confirm --format json` output")
    parser.add_argument("--lanes", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--sigma", type=float, nargs="+", default=[0.0, 0.3])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--spawn-s", type=float, default=1.2,
                        help="seconds a lane's new test process needs (interpreter start-up, loading the suite)")
    parser.add_argument("--fork-s", type=float, default=0.003,
                        help="seconds a fork of a process that loaded the suite needs (mono-fork)")
    parser.add_argument("--out", type=Path, help="write the table into this markdown file (docs/benchmarks.md)")
    args = parser.parse_args(argv)
    suites: list[Suite] = []
    if args.tempest_run is not None:
        polluters = polluters_of(args.polluters) if args.polluters else frozenset()
        suites.append(from_run("tempest-unit", args.tempest_run, polluters))
    for name, (csv, overhead) in CSVS.items():
        if (DATA / csv).exists():
            truth = from_csv(DATA / csv, DATA / overhead if overhead else None)
            suites.append(Suite(name, truth.classes()))
    lines = [f"`python bench/order_dependence.py{' --tempest-run RUN' if args.tempest_run else ''}"
             f"{' --polluters JSON' if args.polluters else ''} --lanes {' '.join(map(str, args.lanes))} --sigma "
             f"{' '.join(map(str, args.sigma))} --seeds {args.seeds} --spawn-s {args.spawn_s} --fork-s "
             f"{args.fork_s}`: median makespan / LB over the seeds (median restarts per run in brackets).", "",
             "| suite | classes | polluters | N | sigma | " + " | ".join(POLICIES) + " |",
             "|---|---|---|---|---|" + "---|" * len(POLICIES)]
    for suite in suites:
        for lanes in args.lanes:
            for sigma in args.sigma:
                found = measure(suite, lanes, sigma, args.seeds, args.spawn_s, args.fork_s)
                cells = []
                for policy in POLICIES:
                    if policy not in found:
                        cells.append("-")
                        continue
                    ratio, count = found[policy]
                    cells.append(f"{ratio:.3f}" + (f" ({count:g})" if policy in RESTARTING else ""))
                lines.append(f"| {suite.name} | {len(suite.costs)} | {len(suite.polluters) or '-'} | {lanes} | "
                             f"{sigma:g} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print(table)
    if args.out is not None:
        write_generated(args.out, HEADING, "order_dependence.py", table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
