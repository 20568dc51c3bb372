"""No-history plans, replayed without noise on measured costs: look-alikes spread (issue 9) vs key order.

Run by hand (not a timed test)::

    .venv/bin/python bench/no_history_spread.py [--ns 2,4,8] [--stream NAME=PATH[:GROUPING] ...]

Every dataset is planned with **no history** twice by ``lpt``: as now (equal-cost unmeasured groups dealt in
reversed-key order, :func:`partitioner.strategies.lpt.spread`) and as before issue 9 (key order,
``LongestFirst(spread_ties=False)``). Each plan is then costed on the dataset's measured durations (and
class setups where the data has them) by :mod:`bench._truth`: a worker costs its tests plus each distinct
class's setup; the score is the true makespan / the lower bound max(total/N, largest class).

Datasets: the real runs of ``shared/data`` that plan_quality uses (CSV durations; tempest-cinder with its
class overheads), streams of real suites given with ``--stream`` (e.g. the stored runs
``bench/real_suites.py`` leaves in its workdir; durations from the stream, no setup), and one synthetic
suite shaped like issue 9's (a class per time zone and implementation, ``_Pure`` twice ``_Fast``), which
shows the effect the rule is for.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _truth import Truth, from_csv

from partitioner.estimate import build_cost_model
from partitioner.grouping import group_tests, make_grouper
from partitioner.history.model import History
from partitioner.plan import build_plan
from partitioner.strategies.lpt import LongestFirst

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
CSVS = (
    ("tempest-cinder", "tempest_cinder_3rdparty_ci_2016.csv", "tempest_cinder_3rdparty_ci_2016__class_overhead.csv"),
    ("bandit", "bandit_testr.csv", None),
    ("qiskit", "qiskit_qrack_provider_stestr_2020.csv", None),
    ("poppy-unit", "poppy_unit_stestr.csv", None),
    ("cloudbase", "cloudbase_init_unit_stestr.csv", None),
    ("tacker", "tacker_unit_stestr.csv", None),
    ("dragonflow", "dragonflow_fullstack_2016.csv", None),
    ("opnfv-compass-onos", "opnfv_functest_tempest_compass_os_onos_nofeature_ha.csv", None),
    ("contrail", "contrail_test_times_dbm_2019.csv", None),
)


def zoneinfo_truth(zones: int = 419) -> Truth:
    """Issue 9's parametrised classes: a class per zone and implementation, 6 tests each, _Pure 2x _Fast."""
    durations = {}
    for z in range(zones):
        for impl, cost in (("Fast", 0.01), ("Pure", 0.02)):
            for m in range(6):
                durations[f"tz.tests.test_zoneinfo.ZoneInfoTest[Area/Zone{z:03d}]_{impl}.test_{m}"] = cost * (1 + m % 3)
    return Truth(durations, {}, ["synthetic: issue 9's shape (419 zones x _Fast/_Pure x 6 tests), _Pure 2x _Fast"])


def stream_truth(path: Path) -> Truth:
    """Measured durations of a stored run (passing or not; no setup)."""
    from partitioner.history.subunit import read_stream_file

    run = read_stream_file(path)
    durations = {r.test_id: r.duration for r in run.records if r.duration is not None and r.status != "exists"}
    return Truth({k: float(v) for k, v in durations.items() if v is not None}, {}, [f"stream {path}"])


def score(truth: Truth, n: int, grouping: str, spread: bool) -> float:
    ids = truth.test_ids
    table = group_tests(ids, make_grouper(grouping))
    model = build_cost_model(table, History())
    plan = build_plan(table, model, LongestFirst(spread_ties=spread), n, grouping)
    parts = [list(p.tests) for p in plan.workers]
    truth.check(parts)
    if grouping == "none":  # classes may be split: the bound is an even split or the longest test
        return truth.makespan(parts) / max(truth.total / n, *truth.durations.values())
    return truth.makespan(parts) / truth.lower_bound(n)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="no-history plans: look-alikes spread vs key order, replayed on "
                                     "measured costs")
    parser.add_argument("--ns", default="2,4,8")
    parser.add_argument("--stream", action="append", default=[], metavar="NAME=PATH[:GROUPING]",
                        help="a stored run of a real suite (grouping: class, the default, or none)")
    args = parser.parse_args(argv)
    ns = [int(n) for n in args.ns.split(",")]
    datasets: list[tuple[str, Truth, str]] = [("zoneinfo-shaped (synthetic)", zoneinfo_truth(), "class")]
    for spec in args.stream:
        name, _, rest = spec.partition("=")
        path, _, grouping = rest.partition(":")
        datasets.append((name, stream_truth(Path(path)), grouping or "class"))
    for name, csv_name, overhead in CSVS:
        if (DATA / csv_name).exists():
            datasets.append((name, from_csv(DATA / csv_name, DATA / overhead if overhead else None), "class"))
    lines = ["| dataset | grouping | tests | N | key order (before) | spread (now) | change |",
             "|---|---|---:|---:|---:|---:|---:|"]
    changes = []
    for name, truth, grouping in datasets:
        for n in ns:
            before, after = score(truth, n, grouping, False), score(truth, n, grouping, True)
            changes.append(after / before - 1)
            lines.append(f"| {name} | {grouping} | {len(truth.test_ids)} | {n} | {before:.3f} | {after:.3f} | "
                         f"{after / before - 1:+.1%} |")
    lines += ["", f"Makespan / lower bound, true costs, no history. Median change {statistics.median(changes):+.1%}, "
              f"best {min(changes):+.1%}, worst {max(changes):+.1%} over {len(changes)} cells."]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
