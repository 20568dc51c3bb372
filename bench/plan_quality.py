"""Plan-quality benchmark: true makespan / lower bound of partitioner's plans next to testr's and stestr's.

Run by hand (not a timed test)::

    .venv/bin/python bench/plan_quality.py [--quick] [--out docs/benchmarks.md] [--workdir DIR]

For every dataset and N in 4, 8, 16 it plans the same test ids four ways from the same history --
partitioner (default strategy ``lpt``), testrepository's own ``TestListingFixture.partition_tests``,
stestr's own ``scheduler.partition_tests`` and partitioner's ``--strategy testr`` (our reimplementation
of theirs, as a sanity check) -- and scores each plan against the truth of :mod:`bench._truth`: a class's
setUpClass is charged on every worker it lands on. testr and stestr read their times from real
repositories: ``testr init``/``stestr init`` + ``load`` of the history stream with the real console
scripts, then ``get_test_times`` on their own ``times.dbm``. Both get tempest's ``group_regex``
``([^\\.]*\\.)*`` as their group callback; partitioner gets ``--group-by class``.

Datasets:

* generated suites (``shared/bench/gen_suite.py``): history = the stream of one real
  ``stestr run --concurrency 4`` of the suite (``BENCH_SCALE=0.25``, so history is about 0.25 x truth,
  with the generator's 10% per-test jitter); truth = ``dataset.json``;
* the tempest run (``shared/data``, serial): history = the stream itself; truth = its CSV durations plus
  each class's ``gap_before_s`` as setup;
* real parallel unit-test runs with worker tags and the serial dragonflow run: history = the raw
  stream; truth = the CSV (setup 0: their gaps are sub-millisecond);
* OPNFV tempest and contrail CSVs (no stream): history = a serial subunit v2 stream synthesised from the
  CSV; truth = the CSV.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import gzip
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import subunit
import testtools

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _docs import write_generated
from _truth import Truth, class_of, from_csv, from_dataset_json

from partitioner.grouping import make_grouper
from partitioner.history.model import History
from partitioner.pipeline import Planned, plan_ids
from partitioner.strategies import GroupCost
from partitioner.strategies.lpt import LongestFirst

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DATA = SHARED / "data"
GEN_SUITE = SHARED / "bench" / "gen_suite.py"
BIN = Path(sys.executable).parent
GOAL = 1.03
NS = (4, 8, 16)
#: tempest's group_regex, as testr/stestr are configured for it
GROUP_REGEX = re.compile(r"([^\.]*\.)*")
#: a fixed epoch for synthesised streams (2016-03-01), so they are byte-identical run to run
SYNTH_EPOCH = 1456790400.0
#: str hashing seed the benchmark re-executes itself with (see main)
HASH_SEED = "0"
#: statuses whose durations partitioner's estimator leaves out (relabelled in the what-if column)
RELABEL = frozenset({"skip", "fail", "uxsuccess"})
SCHEDULERS = ("partitioner", "testr", "stestr", "ours-testr")


def group_callback(test_id: str, regex: re.Pattern[str] = GROUP_REGEX) -> str | None:
    """What testr/stestr do with ``group_regex=([^\\.]*\\.)*``."""
    match = regex.match(test_id)
    return match.group(0) if match else None


class TimesRepository(Protocol):
    def get_test_times(self, test_ids: Sequence[str]) -> dict[str, Any]: ...


@dataclass
class Case:
    """One dataset: its truth and the history stream every scheduler plans from."""

    name: str
    truth: Truth
    stream: Path
    history_note: str
    notes: list[str] = field(default_factory=list)


@dataclass
class Cell:
    """One dataset at one N."""

    dataset: str
    n: int
    bound: float
    ratios: dict[str, float]
    same_as_testr: str  # "yes", "no (skip/fail)" when only partitioner's dropped samples explain it, or "no"
    predicted: float  # partitioner's own predicted makespan / its predicted lower bound
    oracle: float  # partitioner's lpt strategy fed the true class costs
    what_if: float  # partitioner (lpt) with skipped/failed samples counted as timings
    split: dict[str, int]
    diagnosis: str = ""


# ---------------------------------------------------------------- streams and repositories


def run(cmd: Sequence[str | Path], cwd: Path, stdin: bytes | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, input=stdin, env=env, capture_output=True,
                          check=False)


def to_v2(stream: Path) -> bytes:
    """The stream as subunit v2 bytes (what ``testr load``/``stestr load`` read): gunzip, or ``subunit-1to2``."""
    data = stream.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if data[:1] == b"\xb3":
        return data
    done = run([BIN / "subunit-1to2"], cwd=stream.parent, stdin=data)
    if done.returncode != 0:
        raise RuntimeError(f"subunit-1to2 failed on {stream}: {done.stderr.decode(errors='replace')[-300:]}")
    return done.stdout


class LastTimes:
    """Fallback repository: last recorded duration per test, keyed the way the tool keys ``times.dbm``."""

    def __init__(self, v2: bytes, strip_attrs: bool) -> None:
        self.strip = strip_attrs
        self.times: dict[str, float] = {}

        def on_test(test: dict[str, Any]) -> None:
            start, stop = test["timestamps"]
            if test["status"] != "exists" and start is not None and stop is not None:
                self.times[self.key(test["id"])] = (stop - start).total_seconds()

        result = testtools.StreamToDict(on_test)
        result.startTestRun()
        subunit.ByteStreamToStreamResult(io.BytesIO(v2), non_subunit_name="stdout").run(result)
        result.stopTestRun()

    def key(self, test_id: str) -> str:
        return re.sub(r"\[.*?\]", "", test_id) if self.strip else test_id

    def get_test_times(self, test_ids: Sequence[str]) -> dict[str, Any]:
        known = {t: self.times[self.key(t)] for t in test_ids if self.key(t) in self.times}
        return {"known": known, "unknown": set(test_ids) - set(known)}


def tool_repository(tool: str, v2: bytes, where: Path, ids: Sequence[str]) -> tuple[TimesRepository, str]:
    """A real testr/stestr repository with the stream loaded, opened with the tool's own API.

    Falls back to :class:`LastTimes` (and says so) when ``load`` stores no times.
    """
    where.mkdir(parents=True, exist_ok=True)
    if tool == "testr":
        (where / ".testr.conf").write_text("[DEFAULT]\ntest_command=false\n")
    init = run([BIN / tool, "init"], cwd=where)
    load = run([BIN / tool, "load"], cwd=where, stdin=v2)
    repo: TimesRepository
    if tool == "testr":
        from testrepository.repository.file import RepositoryFactory

        repo = RepositoryFactory().open(str(where))
    else:
        from stestr.repository.util import get_repo_open

        repo = get_repo_open(repo_url=str(where))
    if repo.get_test_times(list(ids))["known"]:
        return repo, f"{tool} load"
    why = (init.stderr or load.stderr or load.stdout).decode(errors="replace").strip().splitlines()
    detail = why[-1] if why else f"exit {load.returncode}, no times stored"
    return LastTimes(v2, strip_attrs=tool == "stestr"), f"{tool} load refused ({detail}): fallback LastTimes"


def synthesise_stream(truth_csv: Path, dest: Path) -> Path:
    """A serial subunit v2 stream from a CSV without timestamps: tests back to back from a fixed epoch."""
    import csv

    out = io.BytesIO()
    writer = subunit.StreamResultToBytes(out)
    clock = SYNTH_EPOCH
    with truth_csv.open(newline="") as stream:
        for row in csv.DictReader(stream):
            start = datetime.datetime.fromtimestamp(clock, datetime.timezone.utc)
            clock += float(row["duration_s"] or 0.0)
            stop = datetime.datetime.fromtimestamp(clock, datetime.timezone.utc)
            writer.status(test_id=row["test_id"], test_status="inprogress", timestamp=start)
            writer.status(test_id=row["test_id"], test_status=row["status"] or "success", timestamp=stop)
    dest.write_bytes(out.getvalue())
    return dest


def load_partitioner_history(stream: Path) -> tuple[History, str]:
    """``load_history`` on the stream; the bare stream reader if that is not usable (and say so)."""
    try:
        from partitioner.history import load_history

        return load_history([f"subunit:{stream}"]), "load_history"
    except Exception as error:  # the loader is being finished elsewhere: fall back, loudly
        from partitioner.history.subunit import read_stream_file

        return History(runs=(read_stream_file(stream),)), f"read_stream_file (load_history failed: {error})"


# ---------------------------------------------------------------- datasets


def generated_case(workdir: Path, seed: int, classes: int, log: Callable[[str], None]) -> Case:
    """Generate a suite, run it once under ``stestr run --concurrency 4``; reuse both if already there."""
    name = f"gen-s{seed}-c{classes}"
    out = workdir / name
    stream = out / ".stestr" / "0"
    if not stream.exists():
        shutil.rmtree(out, ignore_errors=True)
        done = run([sys.executable, GEN_SUITE, out, "--seed", str(seed), "--classes", str(classes)], cwd=workdir)
        if done.returncode != 0:
            raise RuntimeError(f"gen_suite failed: {done.stderr.decode(errors='replace')}")
        env = dict(os.environ, BENCH_SCALE="0.25", BENCH_LOCKDIR=str(out / "locks"), BENCH_RUN="0",
                   PYTHON=sys.executable, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
        began = time.monotonic()
        done = run([BIN / "stestr", "run", "--concurrency", "4"], cwd=out, env=env)
        log(f"  {name}: stestr run --concurrency 4 took {time.monotonic() - began:.1f}s (exit {done.returncode})")
        if not stream.exists():
            raise RuntimeError(f"stestr run produced no stream: {done.stdout.decode(errors='replace')[-500:]}")
    truth = from_dataset_json(out / "dataset.json")
    failing = _failures(stream)
    note = (f"history: one real `stestr run --concurrency 4` (BENCH_SCALE=0.25, 4 workers)"
            f"{f', {failing} tests failed (race pairs)' if failing else ''}")
    return Case(name, truth, stream, note)


def _failures(stream: Path) -> int:
    text = stream.read_bytes()
    return len(re.findall(rb"^(?:failure|error):", text, flags=re.M))


#: (dataset name, raw stream, normalised CSV, history description)
REAL_STREAMS = (
    ("bandit (testr, 8w)", "openstack-archive__bandit__testrepository_5", "bandit_testr.csv",
     "raw stream of the real 8-worker testr run"),
    ("qiskit (stestr, 12w)", "vm6502q__qiskit-qrack-provider__stestr_0", "qiskit_qrack_provider_stestr_2020.csv",
     "raw stream of the real 12-worker stestr run"),
    ("poppy-unit (stestr, 8w)", "merryldmello__poppy__stestr_2", "poppy_unit_stestr.csv",
     "raw stream of the real 8-worker stestr run"),
    ("cloudbase (stestr, 16w)", "grmrgecko__cloudbase-init__stestr_11", "cloudbase_init_unit_stestr.csv",
     "raw stream of the real 16-worker stestr run"),
    ("tacker (stestr, 4w)", "hoangphuocbk__tacker__stestr_11", "tacker_unit_stestr.csv",
     "raw stream of the real 4-worker stestr run"),
    ("dragonflow (testr, serial)", "openstack-archive__dragonflow__testrepository_0",
     "dragonflow_fullstack_2016.csv", "raw stream of the real serial testr run"),
)

SYNTHESISED = (
    ("opnfv-compass-onos", "opnfv_functest_tempest_compass_os_onos_nofeature_ha.csv"),
    ("opnfv-compass-odl", "opnfv_functest_tempest_compass_os_odl_l2_nofeature_ha.csv"),
    ("opnfv-fuel-onos", "opnfv_functest_tempest_fuel_os_onos_nofeature_ha.csv"),
    ("opnfv-joid-odl", "opnfv_functest_tempest_joid_os_odl_l2_nofeature_ha.csv"),
    ("contrail (times.dbm)", "contrail_test_times_dbm_2019.csv"),
)


def cases(workdir: Path, quick: bool, log: Callable[[str], None], only: str | None = None) -> list[Case]:
    """Every dataset (generated suites are generated and run only when ``only`` lets them through)."""
    found: list[Case] = []
    suites = [(1, 120)] if quick else [(1, 120), (2, 120), (1, 300)]
    for seed, classes in suites:
        if only is None or re.search(only, f"gen-s{seed}-c{classes}"):
            found.append(generated_case(workdir, seed, classes, log))
    tempest = DATA / "raw" / "nikesh-biarca__log-test__testrepository.subunit.gz"
    found.append(Case(
        "tempest-cinder (serial)",
        from_csv(DATA / "tempest_cinder_3rdparty_ci_2016.csv",
                 DATA / "tempest_cinder_3rdparty_ci_2016__class_overhead.csv"),
        tempest, "history: the raw stream itself (a SERIAL run: one worker, every class change visible)"))
    for name, raw, truth_csv, what in REAL_STREAMS:
        found.append(Case(name, from_csv(DATA / truth_csv), DATA / "raw" / raw, f"history: {what}"))
    synth = workdir / "synthesised"
    synth.mkdir(parents=True, exist_ok=True)
    for name, truth_csv in SYNTHESISED:
        stream = synthesise_stream(DATA / truth_csv, synth / (Path(truth_csv).stem + ".v2"))
        found.append(Case(name, from_csv(DATA / truth_csv), stream,
                          "history: synthesised from CSV (serial subunit v2, tests back to back, no timestamps "
                          "in the source)"))
    return found


# ---------------------------------------------------------------- scoring


def partitions(planned: Planned) -> list[list[str]]:
    if planned.plan.serial:
        raise RuntimeError("plan has a serial phase; the benchmark plans without serial settings")
    return [list(p.tests) for p in planned.plan.workers]


def oracle_ratio(truth: Truth, n: int) -> float:
    """partitioner's lpt strategy given each class's TRUE cost: what perfect estimates would reach."""
    costs = truth.classes()
    members: dict[str, list[str]] = {}
    for test_id in truth.test_ids:
        members.setdefault(class_of(test_id), []).append(test_id)
    keys = sorted(costs)
    groups = [GroupCost(k, costs[k], truth.setup.get(k, 0.0), costs[k], 0.0, len(members[k]), 0) for k in keys]
    assignment = LongestFirst().assign(groups, n)
    plan = [[t for i in worker for t in members[keys[i]]] for worker in assignment]
    return truth.makespan(plan) / truth.lower_bound(n)


def optimum_ratio(truth: Truth, n: int, budget: int = 2_000_000) -> float | None:
    """The best whole-class plan's makespan / LB by branch and bound, or ``None`` if not proven in budget."""
    costs = sorted(truth.classes().values(), reverse=True)
    bound = truth.lower_bound(n)
    suffix = [0.0] * (len(costs) + 1)
    for i in range(len(costs) - 1, -1, -1):
        suffix[i] = suffix[i + 1] + costs[i]
    best = [sum(costs)]
    nodes = [0]

    def search(i: int, loads: list[float]) -> None:
        nodes[0] += 1
        if nodes[0] > budget or best[0] <= bound * (1 + 1e-12):
            return
        if i == len(costs):
            best[0] = min(best[0], max(loads))
            return
        if max(*loads, (sum(loads) + suffix[i]) / n) >= best[0]:
            return
        tried: set[float] = set()
        for w in sorted(range(n), key=lambda w: loads[w]):
            if loads[w] in tried or loads[w] + costs[i] >= best[0]:
                continue
            tried.add(loads[w])
            loads[w] += costs[i]
            search(i + 1, loads)
            loads[w] -= costs[i]

    search(0, [0.0] * n)
    proven = nodes[0] <= budget or best[0] <= bound * (1 + 1e-12)
    return best[0] / bound if proven else None


def with_all_samples(history: History) -> History:
    """The history with skipped/failed records relabelled ``success``: what partitioner would plan if a
    test's own skip/fail durations counted (a what-if for the estimator, not a change to it)."""
    runs = tuple(dataclasses.replace(run, records=tuple(
        dataclasses.replace(r, status="success") if r.status in RELABEL and r.duration is not None else r
        for r in run.records)) for run in history.runs)
    return dataclasses.replace(history, runs=runs)


def diagnose(case: Case, n: int, planned: Planned, plan: list[list[str]]) -> str:
    """Why partitioner's plan misses the goal: tight bound, estimation error, or the search."""
    truth = case.truth
    klass, largest = truth.largest_class
    share = truth.total / n
    costs = [truth.worker_cost(p) for p in plan]
    crit = max(range(n), key=lambda w: (costs[w], -w))
    predicted = planned.plan.workers[crit].predicted_s
    model = planned.model
    crit_classes = sorted({class_of(t) for t in plan[crit]})
    setup_true = sum(truth.setup.get(c, 0.0) for c in crit_classes)
    setup_est = sum(model.setup[c].seconds for c in crit_classes if c in model.setup)
    tests_true = sum(truth.durations[t] for t in plan[crit])
    tests_est = sum(model.tests[t].seconds for t in plan[crit])
    scale = _history_scale(case, planned)
    parts = [f"LB = {'largest class ' + klass.rsplit('.', 1)[-1] if largest >= share else 'total/N'} "
             f"({largest:.2f}s vs total/N {share:.2f}s)",
             f"critical worker {crit}: true {costs[crit]:.2f}s = tests {tests_true:.2f} + setup {setup_true:.2f} "
             f"over {len(crit_classes)} classes; predicted {predicted:.2f} (x{1 / scale:.2f} = "
             f"{predicted / scale:.2f}s in truth units: tests {tests_est / scale:.2f} + setup {setup_est / scale:.2f})",
             f"predicted ratio {planned.plan.predicted_makespan_s / planned.plan.lower_bound_s:.3f}, "
             f"lpt on true costs {oracle_ratio(truth, n):.3f}"]
    optimum = optimum_ratio(truth, n) if len(truth.classes()) <= 40 else None
    if optimum is not None:
        parts.append(f"best possible whole-class plan {optimum:.3f} (exhaustive)")
    return "; ".join(parts)


def _history_scale(case: Case, planned: Planned) -> float:
    """history seconds per truth second (about 0.25 for generated suites, 1 for real runs)."""
    measured = [(e.seconds, case.truth.durations[t]) for t, e in planned.model.tests.items() if e.measured]
    est = sum(a for a, _ in measured)
    real = sum(b for _, b in measured)
    return est / real if est > 0 and real > 0 else 1.0


def evaluate(case: Case, ns: Sequence[int], workdir: Path, log: Callable[[str], None]) -> list[Cell]:
    from stestr import scheduler
    from testrepository.testcommand import TestListingFixture

    ids = case.truth.test_ids
    history, how = load_partitioner_history(case.stream)
    v2 = to_v2(case.stream)
    repos_dir = workdir / "repos" / re.sub(r"[^A-Za-z0-9]+", "-", case.name).strip("-")
    shutil.rmtree(repos_dir, ignore_errors=True)
    testr_repo, testr_how = tool_repository("testr", v2, repos_dir / "testr", ids)
    stestr_repo, stestr_how = tool_repository("stestr", v2, repos_dir / "stestr", ids)
    known = {tool: len(repo.get_test_times(ids)["known"]) for tool, repo in
             (("testr", testr_repo), ("stestr", stestr_repo))}
    case.notes.append(f"{case.history_note}; partitioner: {how}; {testr_how}, {stestr_how}; times known to "
                      f"testr {known['testr']}/{len(ids)}, stestr {known['stestr']}/{len(ids)}")
    grouper = make_grouper("class")
    relabelled = with_all_samples(history)
    fixture = types.SimpleNamespace(repository=testr_repo, _group_callback=group_callback)
    cells: list[Cell] = []
    for n in ns:
        ours = plan_ids(ids, n, history, grouper)
        ours_testr = plan_ids(ids, n, history, grouper, strategy="testr")
        plans = {
            "partitioner": partitions(ours),
            "testr": TestListingFixture.partition_tests(fixture, list(ids), n),
            "stestr": scheduler.partition_tests(list(ids), n, stestr_repo, group_callback),
            "ours-testr": partitions(ours_testr),
        }
        bound = case.truth.lower_bound(n)
        ratios = {name: case.truth.makespan(plan) / bound for name, plan in plans.items()}
        theirs = _as_sets(plans["testr"])
        same = "yes" if _as_sets(plans["ours-testr"]) == theirs else "no"
        if same == "no" and _as_sets(partitions(plan_ids(ids, n, relabelled, grouper, strategy="testr"))) == theirs:
            same = "no (skip/fail)"
        what_if = case.truth.makespan(partitions(plan_ids(ids, n, relabelled, grouper))) / bound
        cell = Cell(case.name, n, bound, ratios, same,
                    ours.plan.predicted_makespan_s / ours.plan.lower_bound_s, oracle_ratio(case.truth, n),
                    what_if, {name: case.truth.split_classes(plan) for name, plan in plans.items()})
        if ratios["partitioner"] > GOAL:
            cell.diagnosis = diagnose(case, n, ours, plans["partitioner"])
        cells.append(cell)
    return cells


def _as_sets(plan: list[list[str]]) -> list[frozenset[str]]:
    return sorted((frozenset(p) for p in plan if p), key=sorted)


# ---------------------------------------------------------------- output


def table(cells: Sequence[Cell]) -> list[str]:
    lines = ["| dataset | N | LB s | partitioner (lpt) | testr | stestr | ours `--strategy testr` | = testr? |",
             "|---|---:|---:|---:|---:|---:|---:|:---:|"]
    for c in cells:
        marks = {k: f"**{v:.3f}**" if k == "partitioner" and v > GOAL else f"{v:.3f}" for k, v in c.ratios.items()}
        lines.append(f"| {c.dataset} | {c.n} | {c.bound:.2f} | {marks['partitioner']} | {marks['testr']} | "
                     f"{marks['stestr']} | {marks['ours-testr']} | {c.same_as_testr} |")
    return lines


def summary(cells: Sequence[Cell]) -> list[str]:
    lines = ["| scheduler | mean ratio | max ratio | cells > 1.03 | worst cell |", "|---|---:|---:|---:|---|"]
    for name in SCHEDULERS:
        values = [c.ratios[name] for c in cells]
        worst = max(cells, key=lambda c: (c.ratios[name], c.dataset, c.n))
        over = sum(1 for v in values if v > GOAL)
        label = "partitioner (lpt)" if name == "partitioner" else name
        lines.append(f"| {label} | {statistics.fmean(values):.3f} | {max(values):.3f} | {over}/{len(values)} | "
                     f"{worst.dataset} N={worst.n} |")
    same = sum(1 for c in cells if c.same_as_testr == "yes")
    skips = sum(1 for c in cells if c.same_as_testr == "no (skip/fail)")
    lines.append("")
    lines.append(f"ours `--strategy testr` gives testr's exact partition in {same}/{len(cells)} cells; in {skips} "
                 "more it differs only because partitioner drops skipped/failed samples that testr's times.dbm "
                 "keeps (re-planned with those samples counted, it matches exactly).")
    return lines


def details(cases_: Sequence[Case], cells: Sequence[Cell]) -> list[str]:
    lines = ["Datasets (truth and history):", ""]
    for case in cases_:
        largest = case.truth.largest_class[1]
        lines.append(f"- **{case.name}**: {len(case.truth.durations)} tests, "
                     f"{len(case.truth.classes())} classes, true serial {case.truth.total:.1f}s "
                     f"(setup {sum(case.truth.setup.get(k, 0.0) for k in case.truth.classes()):.1f}s), "
                     f"largest class {largest:.1f}s; " + "; ".join(case.truth.notes + tuple(case.notes)))
    lines += ["", "Where partitioner's ratio comes from: its own prediction (predicted makespan / predicted LB), "
              "the same lpt strategy fed the TRUE class costs (no estimation error), and partitioner re-planned "
              "with the history's skipped/failed records counted as timings (what-if for the estimator); "
              "last, how many classes each plan splits over workers (partitioner/testr/stestr/ours-testr):", "",
              "| dataset | N | partitioner | predicted | lpt on true costs | skip/fail samples counted | "
              "split classes |", "|---|---:|---:|---:|---:|---:|---|"]
    for c in cells:
        split = "/".join(str(c.split[name]) for name in SCHEDULERS)
        lines.append(f"| {c.dataset} | {c.n} | {c.ratios['partitioner']:.3f} | {c.predicted:.3f} | "
                     f"{c.oracle:.3f} | {c.what_if:.3f} | {split} |")
    misses = [c for c in cells if c.diagnosis]
    lines += ["", f"Cells where partitioner misses {GOAL}: {len(misses)}", ""]
    lines += [f"- {c.dataset} N={c.n}: ratio {c.ratios['partitioner']:.3f}; {c.diagnosis}" for c in misses]
    return lines


def markdown(cells: Sequence[Cell], cases_: Sequence[Case], command: str, seconds: float) -> str:
    today = datetime.date.today().isoformat()
    head = [
        f"Generated {today} by `{command}` ({seconds:.0f}s). Each number is the plan's **true makespan / "
        "lower bound** (1.000 is perfect; goal: partitioner <= 1.03 at every N). The truth charges a "
        "class's setUpClass on every worker the class lands on; LB = max(true serial total / N, largest class "
        "with its setup). All four schedulers plan the same test ids from the same history: partitioner "
        "reads the stream, testr and stestr read real repositories made by `testr init/load` and "
        "`stestr init/load` of that stream (their own `partition_tests`, group_regex `([^\\.]*\\.)*`). "
        "The generated-suite rows rest on a real timed `stestr run` (history) and so change from one fresh "
        "invocation to the next -- partitioner's by a few hundredths, testr's and stestr's by up to several "
        "tenths at N=16, where their time-only greedy stacks heavy-setup classes by chance; a rerun with the "
        "same `--workdir` reuses those runs and is byte-identical. Every other row is deterministic. The script "
        "re-executes itself with `PYTHONHASHSEED=0`: testr's and stestr's `partition_tests` sum times over sets, "
        "so with randomised str hashing near-equal loads tie-break differently from one process to the next.", "",
    ]
    body = [*table(cells), "", *summary(cells), "", *details(cases_, cells), ""]
    return "\n".join(head + body)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Plan quality: true makespan / lower bound of partitioner's plans vs testr's and stestr's "
        "own partition functions, on generated suites and on the real runs in ../shared/data.")
    parser.add_argument("--quick", action="store_true",
                        help="one generated suite (seed 1, 120 classes) instead of three")
    parser.add_argument("--ns", default=",".join(map(str, NS)), help="worker counts (default: 4,8,16)")
    parser.add_argument("--out", type=Path, help="write the markdown section 'Plan quality' into this file "
                        "(e.g. docs/benchmarks.md), with the command and the date")
    parser.add_argument("--workdir", type=Path, help="keep generated suites, their stestr runs and the "
                        "repositories here; runs already there are reused (byte-identical reruns). "
                        "Default: a temporary directory, removed at the end")
    parser.add_argument("--only", help="regex: only datasets whose name matches")
    args = parser.parse_args(argv)
    if os.environ.get("PYTHONHASHSEED") != HASH_SEED and argv is None:
        # testr's and stestr's partition_tests sum group times over sets: with str hashing randomised per
        # process, near-equal groups swap places from one run to the next. Pin the seed for a stable table.
        os.execve(sys.executable, [sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]],
                  dict(os.environ, PYTHONHASHSEED=HASH_SEED))
    ns = [int(n) for n in args.ns.split(",")]
    began = time.monotonic()
    work = args.workdir.resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="plan-quality-"))
    work.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        all_cases = cases(work, args.quick, log, args.only)
        if args.only:
            all_cases = [c for c in all_cases if re.search(args.only, c.name)]
        cells: list[Cell] = []
        for case in all_cases:
            log(f"{case.name} ...")
            cells.extend(evaluate(case, ns, work, log))
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    seconds = time.monotonic() - began
    print("\n".join([*table(cells), "", *summary(cells), "", *details(all_cases, cells)]))
    if args.out:
        command = "python bench/plan_quality.py" + (" --quick" if args.quick else "") + (
            f" --ns {args.ns}" if args.ns != ",".join(map(str, NS)) else "") + (
            f" --only '{args.only}'" if args.only else "") + (
            f" --workdir {args.workdir}" if args.workdir else "") + f" --out {args.out}"
        write_generated(args.out, "## Plan quality", "plan_quality.py", markdown(cells, all_cases, command, seconds))
        log(f"wrote {args.out}")
    log(f"done in {seconds:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
