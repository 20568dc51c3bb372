"""Wall-time benchmark: a real suite run twice under testr/stestr, with and without partitioner.

Run by hand (not a timed test)::

    .venv/bin/python bench/walltime.py [--rounds 2] [--out docs/benchmarks.md] [--workdir DIR]

Each round generates a suite with ``shared/bench/gen_suite.py`` (120 classes, 60 s serial, no races; seed
``--seed`` + round) and makes four fresh copies of it, one per arm:

* ``testr``: ``testr run --parallel --concurrency N``
* ``p-testr``: ``partitioner exec -- testr run --parallel --concurrency N``
* ``stestr``: ``stestr run --concurrency N``
* ``p-stestr``: ``partitioner exec -- stestr run --concurrency N``

(``testr init`` first in the testr arms.) Pass 1 runs every arm once (empty history), pass 2 runs every arm
again, so each arm's second run plans from its own first run. Arms run one at a time, interleaved, in the
order testr, p-testr, stestr, p-stestr on even rounds and reversed on odd rounds. Every arm of one pass gets
the same ``BENCH_RUN`` (the same per-test jitter: a paired comparison); pass 2 gets a different one than
pass 1, so the history never matches the run exactly. Wall time is ``time.monotonic()`` around the
subprocess.

Next to the wall time, the run's stored stream (the repository's newest run) gives: the makespan (max over
``worker-N`` tags of the last stop minus the first start, plus the true setUpClass of each worker's first class,
which runs before its first test starts), the time from launch to the first setUpClass (tool start-up, test
listing, planning, worker start-up) and the time after the last test (collecting and storing results). From the
generator's jitter formula the bench also recomputes every sleep of each pass, so each second-run plan is costed
on run 2's true durations and on run 1's (the history it was made from). Goals for the second run: partitioner's
wall time <= 0.90 x the same tool's, and <= 1.10 x (lower bound + one worker's start-up), where the lower bound
is ``truth.json``'s ``lower_bound_s[N]`` (x ``--scale``) and one worker's start-up is the median of 3 runs of
``python -m subunit.run discover -t . ./suite --load-list EMPTY`` in the suite.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import datetime
import io
import json
import os
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import subunit
import testtools
from _docs import write_generated

ROOT = Path(__file__).resolve().parent.parent
GEN_SUITE = ROOT.parent / "shared" / "bench" / "gen_suite.py"
BIN = Path(sys.executable).parent
HEADING = "## Wall time"
#: goal: partitioner's second run <= VS_TOOL x the tool's own second run
VS_TOOL = 0.90
#: goal: partitioner's second run <= VS_BOUND x (lower bound + one worker's start-up)
VS_BOUND = 1.10
ARMS = ("testr", "p-testr", "stestr", "p-stestr")
#: each partitioner arm and the tool it is compared with
BASELINE = {"p-testr": "testr", "p-stestr": "stestr"}


def arm_command(arm: str, concurrency: int) -> list[str]:
    """The command line of one arm."""
    tool = {"testr": ["testr", "run", "--parallel"], "stestr": ["stestr", "run"]}[arm.removeprefix("p-")]
    command = [*tool, "--concurrency", str(concurrency)]
    if arm.startswith("p-"):
        return [str(BIN / "partitioner"), "exec", "--", *command]
    return [str(BIN / command[0]), *command[1:]]


def repository_dir(arm: str) -> str:
    return ".stestr" if arm.endswith("stestr") else ".testrepository"


# ---------------------------------------------------------------------------------------------------------
# Stored streams


class _Events(testtools.StreamResult):  # type: ignore[misc]
    """Collects (test id, timestamp, tags) of every status event."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, float, frozenset[str]]] = []

    def status(self, test_id: str | None = None, test_status: str | None = None,
               test_tags: set[str] | None = None, timestamp: datetime.datetime | None = None,
               **_: Any) -> None:
        if test_id and timestamp is not None:
            self.events.append((test_id, timestamp.timestamp(), frozenset(test_tags or ())))


@dataclass(frozen=True)
class StreamStats:
    """What one stored run stream says about the run."""

    tests: int
    first_start: float  # epoch seconds
    last_stop: float
    workers: dict[str, float]  # worker tag -> last stop - first start
    finish: dict[str, float]  # worker tag -> last stop - the run's first start
    starts: dict[str, float]  # worker tag -> its first start (epoch seconds)
    first_test: dict[str, str]  # worker tag -> the id of its first test

    @property
    def makespan(self) -> float:
        return max(self.workers.values(), default=0.0)


def parse_stream(path: Path) -> list[tuple[str, float, frozenset[str]]]:
    """(test id, epoch seconds, tags) of every timed status event of a stored run.

    testr and stestr store subunit v1; a v2 stream is detected by its signature byte and read too.
    """
    data = path.read_bytes()
    sink = _Events()
    if data[:1] == b"\xb3":
        subunit.ByteStreamToStreamResult(io.BytesIO(data), non_subunit_name="stdout").run(sink)
    else:
        decorator = testtools.ExtendedToStreamDecorator(sink)
        decorator.startTestRun()
        subunit.TestProtocolServer(decorator, stream=io.BytesIO()).readFrom(io.BytesIO(data))
        decorator.stopTestRun()
    return sink.events


def read_stream(path: Path) -> StreamStats:
    """Timing figures of a stored run."""
    start: dict[str, float] = {}
    stop: dict[str, float] = {}
    worker: dict[str, str] = {}
    for test_id, stamp, tags in parse_stream(path):
        start[test_id] = min(start.get(test_id, stamp), stamp)
        stop[test_id] = max(stop.get(test_id, stamp), stamp)
        for tag in tags:
            if tag.startswith("worker-"):
                worker[test_id] = tag
    if not start:
        raise ValueError(f"{path}: no timed test events")
    first: dict[str, float] = {}
    first_test: dict[str, str] = {}
    last: dict[str, float] = defaultdict(float)
    for test_id, began in start.items():
        tag = worker.get(test_id, "worker-?")
        if tag not in first or began < first[tag]:
            first[tag], first_test[tag] = began, test_id
        last[tag] = max(last[tag], stop[test_id])
    t0 = min(start.values())
    tags = sorted(first)
    return StreamStats(len(start), t0, max(stop.values()), {tag: last[tag] - first[tag] for tag in tags},
                       {tag: last[tag] - t0 for tag in tags}, {tag: first[tag] for tag in tags},
                       {tag: first_test[tag] for tag in tags})


def class_of(test_id: str) -> str:
    """``pkg.mod.Class`` of ``pkg.mod.Class.test_x[attrs]``."""
    return re.sub(r"\[[^\[\]]*\]$", "", test_id).rpartition(".")[0]


@dataclass(frozen=True)
class Realized:
    """The true seconds of one pass: the generator's sleeps with that pass's BENCH_RUN jitter applied."""

    tests: dict[str, float]
    setup: dict[str, float]

    def cost(self, test_ids: set[str]) -> float:
        """One worker's true cost: its tests plus one setUpClass per distinct class."""
        return (sum(self.tests.get(t, 0.0) for t in test_ids)
                + sum(self.setup.get(klass, 0.0) for klass in {class_of(t) for t in test_ids}))

    def lower_bound(self, n: int) -> float:
        per_class: dict[str, float] = defaultdict(float)
        for test_id, seconds in self.tests.items():
            per_class[class_of(test_id)] += seconds
        total = sum(self.tests.values()) + sum(self.setup.values())
        return max(total / n, max((v + self.setup.get(k, 0.0) for k, v in per_class.items()), default=0.0))


def realized(dataset: Path, bench_run: str, jitter: float, scale: float) -> Realized:
    """What each sleep of the generated suite lasts under ``BENCH_RUN=bench_run``.

    gen_suite.py's runtime sleeps ``seconds * BENCH_SCALE * lognormvariate(0, BENCH_JITTER)`` drawn from
    ``random.Random(crc32(f"{BENCH_RUN}|{key}"))``, where key is the test id (attributes included) or
    ``pkg.mod.Class:setUpClass``; recomputing it gives this run's exact true costs.
    """
    def nap(key: str, seconds: float) -> float:
        rnd = random.Random(zlib.crc32(f"{bench_run}|{key}".encode()))
        return max(0.0, seconds * scale * rnd.lognormvariate(0, jitter))

    tests: dict[str, float] = {}
    setup: dict[str, float] = {}
    for klass in json.loads(dataset.read_text())["classes"]:
        setup[klass["class"]] = nap(f"{klass['class']}:setUpClass", float(klass["setup_class_s"]))
        for test_id, seconds in klass["tests"].items():
            tests[test_id] = nap(test_id, float(seconds))
    return Realized(tests, setup)


def worker_ids(path: Path) -> dict[str, set[str]]:
    """worker tag -> the ids it ran, from a stored run."""
    owner: dict[str, str] = {}
    for test_id, _, tags in parse_stream(path):
        for tag in tags:
            if tag.startswith("worker-"):
                owner[test_id] = tag
    out: dict[str, set[str]] = defaultdict(set)
    for test_id, tag in owner.items():
        out[tag].add(test_id)
    return dict(out)


def newest_run(repo: Path) -> Path:
    runs = [p for p in repo.iterdir() if p.name.isdigit()]
    if not runs:
        raise FileNotFoundError(f"{repo}: no stored run")
    return max(runs, key=lambda p: int(p.name))


# ---------------------------------------------------------------------------------------------------------
# Runs


@dataclass
class Run:
    """One timed invocation."""

    arm: str
    round: int
    pass_: int
    wall: float
    returncode: int
    stats: StreamStats | None
    launched: float  # epoch seconds
    finished: float
    log: Path
    error: str = ""
    true_loads: dict[str, float] = field(default_factory=dict)  # worker -> true cost of what it ran
    #: worker -> what it ran would have cost with the previous pass's jitter (what its history showed)
    history_loads: dict[str, float] = field(default_factory=dict)

    @property
    def after(self) -> float | None:
        """Seconds from the last test's stop to the process's exit."""
        return None if self.stats is None else self.finished - self.stats.last_stop


@dataclass
class Round:
    """One generated suite and its eight runs."""

    index: int
    seed: int
    lower_bound: float
    startup: float
    tests: int
    runs: dict[tuple[str, int], Run] = field(default_factory=dict)
    coverage: dict[str, float] = field(default_factory=dict)  # arm -> share of run-2 ids timed in run 1
    setup: dict[str, float] = field(default_factory=dict)  # class -> true setUpClass seconds (scaled)
    realized_lb: float = 0.0  # LB of pass 2 with its own jitter
    history_lb: float = 0.0  # LB of pass 1 with its own jitter

    def plan_quality(self, run: Run) -> float | None:
        """True makespan of the plan as run (this pass's true costs) / this pass's true LB."""
        if not run.true_loads or not self.realized_lb:
            return None
        return max(run.true_loads.values()) / self.realized_lb

    def history_quality(self, run: Run) -> float | None:
        """The same plan costed with pass 1's true costs (the history it was made from) / pass 1's LB."""
        if not run.history_loads or not self.history_lb:
            return None
        return max(run.history_loads.values()) / self.history_lb

    def first_setup(self, stats: StreamStats) -> dict[str, float]:
        """Per worker: the true setUpClass of its first class (paid before its first test starts)."""
        return {tag: self.setup.get(class_of(test_id), 0.0) for tag, test_id in stats.first_test.items()}

    def makespan(self, stats: StreamStats) -> float:
        """Stream makespan plus each worker's first setUpClass, which the stream does not show."""
        setup = self.first_setup(stats)
        return max(span + setup[tag] for tag, span in stats.workers.items())

    def overhead_before(self, run: Run) -> float | None:
        """Launch to the first worker's first setUpClass: tool start-up, listing, planning, worker start."""
        if run.stats is None:
            return None
        setup = self.first_setup(run.stats)
        return min(began - setup[tag] for tag, began in run.stats.starts.items()) - run.launched

    @property
    def bound(self) -> float:
        """Lower bound + one worker's start-up."""
        return self.lower_bound + self.startup


def run_env(arm_dir: Path, bench_run: str, jitter: float | None, scale: float) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHON"] = sys.executable  # .testr.conf runs ${PYTHON:-python}
    env["BENCH_LOCKDIR"] = str(arm_dir / "locks")
    env["BENCH_RUN"] = bench_run
    env["BENCH_SCALE"] = repr(scale)
    env.pop("BENCH_JITTER", None)
    if jitter is not None:
        env["BENCH_JITTER"] = repr(jitter)
    env.pop("PARTITIONER_SEED", None)
    return env


def timed_run(arm: str, arm_dir: Path, round_: int, pass_: int, concurrency: int, env: dict[str, str]) -> Run:
    log = arm_dir / f"run{pass_}.log"
    with log.open("wb") as out:
        launched = time.time()
        began = time.monotonic()
        proc = subprocess.run(arm_command(arm, concurrency), cwd=arm_dir, env=env, stdout=out,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False)
        wall = time.monotonic() - began
        finished = time.time()
    stats, error = None, ""
    try:
        stats = read_stream(newest_run(arm_dir / repository_dir(arm)))
    except (OSError, ValueError) as exc:
        error = str(exc)
    if proc.returncode:
        error = f"exit {proc.returncode}; see {log}" + (f"; {error}" if error else "")
    return Run(arm, round_, pass_, wall, proc.returncode, stats, launched, finished, log, error)


def worker_startup(suite: Path, env: dict[str, str], repeats: int = 3) -> float:
    """Median wall time of one worker that runs nothing (an empty --load-list)."""
    empty = suite / "empty.list"
    empty.write_text("")
    samples = []
    for _ in range(repeats):
        began = time.monotonic()
        subprocess.run([sys.executable, "-m", "subunit.run", "discover", "-t", ".", "./suite", "--load-list",
                        str(empty)], cwd=suite, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True)
        samples.append(time.monotonic() - began)
    return statistics.median(samples)


def stream_ids(path: Path) -> set[str]:
    return {event[0] for event in parse_stream(path)}


def history_coverage(repo: Path) -> float:
    """Share of the newest run's ids that the run before it timed (what run 2's plan could know)."""
    runs = sorted((p for p in repo.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))
    if len(runs) < 2:
        return 0.0
    now, before = stream_ids(runs[-1]), stream_ids(runs[-2])
    return len(now & before) / max(1, len(now))


def do_round(index: int, args: argparse.Namespace, work: Path, log: Callable[[str], None]) -> Round:
    seed = args.seed + index
    base = work / f"round{index}"
    source = base / "source"
    subprocess.run([sys.executable, str(GEN_SUITE), str(source), "--seed", str(seed), "--classes",
                    str(args.classes), "--serial-s", repr(args.serial_s), "--races", "0"],
                   check=True, stdout=subprocess.DEVNULL)
    truth = json.loads((source / "truth.json").read_text())
    lower_bound = float(truth["lower_bound_s"][str(args.concurrency)]) * args.scale
    tests = sum(int(c["n_tests"]) for c in truth["classes"])
    startup = worker_startup(source, run_env(source, f"{seed}.startup", args.jitter, args.scale))
    result = Round(index, seed, lower_bound, startup, tests,
                   setup={c["class"]: float(c["setup_class_s"]) * args.scale for c in truth["classes"]})
    arms = [a for a in ARMS if a in args.arms]
    order = arms if index % 2 == 0 else arms[::-1]
    dirs: dict[str, Path] = {}
    for arm in order:
        dirs[arm] = base / arm
        shutil.copytree(source, dirs[arm], ignore=shutil.ignore_patterns("empty.list"))
        if arm.endswith("-testr") or arm == "testr":
            subprocess.run([str(BIN / "testr"), "init"], cwd=dirs[arm], check=True, stdout=subprocess.DEVNULL,
                           env=run_env(dirs[arm], "init", args.jitter, args.scale))
    log(f"round {index}: seed {seed}, {tests} tests, LB {lower_bound:.2f}s, worker start-up {startup:.3f}s, "
        f"order {' '.join(order)}")
    jitter = 0.1 if args.jitter is None else args.jitter
    previous: Realized | None = None
    for pass_ in (1, 2):
        bench_run = f"{seed}.{pass_}"
        truth_now = realized(source / "dataset.json", bench_run, jitter, args.scale)
        if pass_ == 2 and previous is not None:
            result.realized_lb = truth_now.lower_bound(args.concurrency)
            result.history_lb = previous.lower_bound(args.concurrency)
        for arm in order:
            run = timed_run(arm, dirs[arm], index, pass_, args.concurrency,
                            run_env(dirs[arm], bench_run, args.jitter, args.scale))
            with contextlib.suppress(OSError, ValueError):
                assignment = worker_ids(newest_run(dirs[arm] / repository_dir(arm)))
                run.true_loads = {tag: truth_now.cost(ids) for tag, ids in assignment.items()}
                if previous is not None:
                    run.history_loads = {tag: previous.cost(ids) for tag, ids in assignment.items()}
            result.runs[arm, pass_] = run
            span = f", makespan {result.makespan(run.stats):.2f}s" if run.stats else ""
            log(f"  pass {pass_} {arm:9} {run.wall:6.2f}s{span}{'  ERROR ' + run.error if run.error else ''}")
        previous = truth_now
    for arm in order:
        try:
            result.coverage[arm] = history_coverage(dirs[arm] / repository_dir(arm))
        except (OSError, ValueError):
            result.coverage[arm] = float("nan")
    return result


# ---------------------------------------------------------------------------------------------------------
# Report


def _f(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def ratio_vs_tool(rnd: Round, arm: str) -> float | None:
    if arm not in BASELINE or (BASELINE[arm], 2) not in rnd.runs or (arm, 2) not in rnd.runs:
        return None
    return rnd.runs[arm, 2].wall / rnd.runs[BASELINE[arm], 2].wall


def table(rounds: Sequence[Round]) -> list[str]:
    lines = ["| arm | round | run 1 wall s | run 2 wall s | run 2 vs tool's run 2 | run 2 vs (LB + start-up) | "
             "run 2 makespan s | makespan / LB | run 2 plan on run 2's true costs / its LB | same plan on run 1's "
             "true costs / its LB | launch to 1st setUpClass s | after last test s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for rnd in rounds:
        for arm in ARMS:
            if (arm, 2) not in rnd.runs:
                continue
            first, second = rnd.runs[arm, 1], rnd.runs[arm, 2]
            vs_tool = ratio_vs_tool(rnd, arm)
            span = rnd.makespan(second.stats) if second.stats else None
            flag = " (failed)" if first.returncode or second.returncode else ""
            lines.append(f"| {arm}{flag} | {rnd.index} | {first.wall:.2f} | {second.wall:.2f} | "
                         f"{_f(vs_tool, '.3f')} | {second.wall / rnd.bound:.3f} | {_f(span)} | "
                         f"{_f(None if span is None else span / rnd.lower_bound, '.3f')} | "
                         f"{_f(rnd.plan_quality(second), '.3f')} | {_f(rnd.history_quality(second), '.3f')} | "
                         f"{_f(rnd.overhead_before(second))} | {_f(second.after)} |")
    return lines


def workers_table(rounds: Sequence[Round]) -> list[str]:
    lines = ["| arm | round | run 2 per-worker span s (1st setUpClass to last stop) | spread s | "
             "per-worker finish s after launch |", "|---|---:|---|---:|---|"]
    for rnd in rounds:
        for arm in ARMS:
            run = rnd.runs.get((arm, 2))
            if run is None or run.stats is None:
                continue
            setup = rnd.first_setup(run.stats)
            spans = [span + setup[tag] for tag, span in run.stats.workers.items()]
            finish = [run.stats.starts[tag] + span - run.launched for tag, span in run.stats.workers.items()]
            lines.append(f"| {arm} | {rnd.index} | {' / '.join(f'{s:.2f}' for s in spans)} | "
                         f"{max(spans) - min(spans):.2f} | {' / '.join(f'{s:.2f}' for s in finish)} |")
    return lines


def rounds_table(rounds: Sequence[Round]) -> list[str]:
    lines = ["| round | seed | tests | LB s | one worker's start-up s | LB + start-up s | run 2's own true LB s | "
             "history coverage (run 2 ids timed in run 1) |", "|---:|---:|---:|---:|---:|---:|---:|---|"]
    for rnd in rounds:
        cover = ", ".join(f"{arm} {share:.0%}" for arm, share in rnd.coverage.items())
        lines.append(f"| {rnd.index} | {rnd.seed} | {rnd.tests} | {rnd.lower_bound:.2f} | {rnd.startup:.3f} | "
                     f"{rnd.bound:.2f} | {rnd.realized_lb:.2f} | {cover} |")
    return lines


@dataclass(frozen=True)
class Verdict:
    met: bool
    lines: tuple[str, ...]


def _breakdown(rnd: Round, run: Run) -> tuple[float, float, float] | None:
    """(launch to 1st setUpClass, 1st setUpClass to last stop, last stop to exit) of one run."""
    before = rnd.overhead_before(run)
    if run.stats is None or before is None or run.after is None:
        return None
    return before, run.wall - before - run.after, run.after


def verdict(rounds: Sequence[Round]) -> Verdict:
    """Goal check per partitioner arm (every round, and the median over rounds) plus a diagnosis."""
    out: list[str] = []
    met = True
    for arm, tool in BASELINE.items():
        rows = [r for r in rounds if (arm, 2) in r.runs and (tool, 2) in r.runs]
        if not rows:
            continue
        vs_tool = [r.runs[arm, 2].wall / r.runs[tool, 2].wall for r in rows]
        vs_bound = [r.runs[arm, 2].wall / r.bound for r in rows]
        failed = any(r.runs[arm, p].returncode or r.runs[tool, p].returncode for r in rows for p in (1, 2))
        ok_tool = all(v <= VS_TOOL for v in vs_tool)
        ok_bound = all(v <= VS_BOUND for v in vs_bound)
        met = met and ok_tool and ok_bound and not failed
        out.append(f"- **{arm}** vs {tool}: run 2 wall ratio {', '.join(f'{v:.3f}' for v in vs_tool)} "
                   f"(median {statistics.median(vs_tool):.3f}; goal <= {VS_TOOL:.2f}: "
                   f"{'met' if ok_tool else 'MISSED'}); vs LB + start-up "
                   f"{', '.join(f'{v:.3f}' for v in vs_bound)} (median {statistics.median(vs_bound):.3f}; goal <= "
                   f"{VS_BOUND:.2f}: {'met' if ok_bound else 'MISSED'}){'; a run FAILED' if failed else ''}.")
        for r in rows:
            ours, theirs = r.runs[arm, 2], r.runs[tool, 2]
            mine, base = _breakdown(r, ours), _breakdown(r, theirs)
            if mine is None or base is None or ours.stats is None or theirs.stats is None:
                continue
            fixed = mine[0] + mine[2]
            quality = r.plan_quality(ours)
            out.append(f"  - round {r.index}: {arm} run 2 = {mine[0]:.2f}s launch to the first setUpClass + "
                       f"{mine[1]:.2f}s of tests (makespan {r.makespan(ours.stats) / r.lower_bound:.3f} x LB; "
                       f"its plan costs {_f(quality, '.3f')} x LB on run 2's own true costs and "
                       f"{_f(r.history_quality(ours), '.3f')} x LB on run 1's, the history it was made from) + "
                       f"{mine[2]:.2f}s after the last test; {tool} = {base[0]:.2f}s + {base[1]:.2f}s (makespan "
                       f"{r.makespan(theirs.stats) / r.lower_bound:.3f} x LB) + {base[2]:.2f}s. Outside the "
                       f"tests: {fixed:.2f}s ({fixed - r.startup:+.2f}s over one worker's start-up), so even a "
                       f"plan at exactly LB would give {(r.lower_bound + fixed) / r.bound:.3f} x (LB + start-up); "
                       f"partitioner's extra start-up over {tool} alone: {mine[0] - base[0]:+.2f}s.")
    return Verdict(met, tuple(out))


def markdown(rounds: Sequence[Round], command: str, seconds: float, load: tuple[float, float, float],
             args: argparse.Namespace, source: str) -> str:
    today = datetime.date.today().isoformat()
    check = verdict(rounds)
    lines = [
        f"Generated {today} at {source} by `{command}` ({seconds:.0f}s, {os.cpu_count()} cores, load average "
        f"{load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f} at the start). A suite of {args.classes} classes and "
        f"{args.serial_s:g}s serial (`gen_suite.py --races 0`, tests sleep, BENCH_JITTER "
        f"{'default 0.1' if args.jitter is None else args.jitter}, BENCH_SCALE {args.scale:g}) is run twice at "
        f"N={args.concurrency} by each arm, each arm in its own fresh copy, so the second run plans from the "
        "arm's own first run. Arms are interleaved (all first runs, then all second runs; order reversed on odd "
        "rounds); every arm of one pass shares a BENCH_RUN (same jitter), pass 2 uses another. Wall time is "
        "`time.monotonic()` around the process. LB = `truth.json` lower_bound_s (max(serial / N, largest "
        "class)); start-up = median of 3 `python -m subunit.run discover -t . ./suite --load-list EMPTY`. "
        "Makespan = max over worker tags of (last stop - first start) in the stored stream, plus the true "
        "setUpClass of each worker's first class (it runs before the first test's start, so the stream does not "
        "show it); \"launch to 1st setUpClass\" = from launch to the earliest worker's first setUpClass (tool "
        "start-up, test listing, planning, worker start-up); \"after last test\" = last stop to exit "
        "(collecting and storing the results).", "",
        f"Goals for run 2: partitioner <= {VS_TOOL:.2f} x the same tool, and <= {VS_BOUND:.2f} x (LB + one "
        f"worker's start-up). **{'Both goals met.' if check.met else 'Goal MISSED (see the diagnosis).'}**", "",
        *rounds_table(rounds), "",
        *table(rounds), "",
        "Per-worker spans of the second runs (balance of the plan as run):", "",
        *workers_table(rounds), "",
        "Verdict and where the time goes:", "",
        *check.lines, "",
    ]
    return "\n".join(lines)


def source_state() -> str:
    """``commit abc1234`` of the checkout, noting uncommitted changes under partitioner/."""
    def git(*argv: str) -> str:
        try:
            return subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "partitioner")
    return f"commit {commit}{' + uncommitted changes in partitioner/' if dirty else ''}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Wall time of a generated suite run twice (the second run has the first as history) by "
        "testr, partitioner exec -- testr, stestr and partitioner exec -- stestr, interleaved.")
    parser.add_argument("--rounds", type=int, default=2, help="suites to run, seeds SEED, SEED+1, ... (default 2)")
    parser.add_argument("--seed", type=int, default=1, help="gen_suite seed of round 0 (default 1)")
    parser.add_argument("--concurrency", type=int, default=4, help="workers N (default 4)")
    parser.add_argument("--classes", type=int, default=120, help="gen_suite --classes (default 120)")
    parser.add_argument("--serial-s", type=float, default=60.0, help="gen_suite --serial-s (default 60)")
    parser.add_argument("--scale", type=float, default=1.0, help="BENCH_SCALE for every run; the LB is scaled "
                        "by it (default 1)")
    parser.add_argument("--jitter", type=float, default=None, help="BENCH_JITTER (default: unset, i.e. the "
                        "generator's 0.1)")
    parser.add_argument("--arms", default=",".join(ARMS), help=f"comma-separated subset of {','.join(ARMS)}")
    parser.add_argument("--workdir", type=Path, help="keep the suites, repositories and logs here "
                        "(default: a temporary directory, removed at the end)")
    parser.add_argument("--out", type=Path, help=f"write the markdown section '{HEADING}' into this file "
                        "(e.g. docs/benchmarks.md), with the command and the date; other sections are kept")
    args = parser.parse_args(argv)
    args.arms = [a.strip() for a in args.arms.split(",") if a.strip()]
    unknown = set(args.arms) - set(ARMS)
    if unknown:
        parser.error(f"unknown arms: {', '.join(sorted(unknown))}")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    # a pip install byte-compiles a package; an editable checkout under PYTHONDONTWRITEBYTECODE=1 would
    # recompile partitioner on every start while testr and stestr load their .pyc files: compile it once
    import partitioner

    compileall.compile_dir(str(Path(partitioner.__file__).parent), quiet=1)
    load = os.getloadavg()
    source = source_state()
    began = time.monotonic()
    work = args.workdir.resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="walltime-"))
    work.mkdir(parents=True, exist_ok=True)
    rounds: list[Round] = []
    try:
        for index in range(args.rounds):
            if (work / f"round{index}").exists():
                shutil.rmtree(work / f"round{index}")
            rounds.append(do_round(index, args, work, log))
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    seconds = time.monotonic() - began
    check = verdict(rounds)
    print("\n".join([*rounds_table(rounds), "", *table(rounds), "", *workers_table(rounds), "", *check.lines]))
    print(f"\ngoal {'met' if check.met else 'MISSED'}")
    if args.out:
        shown = ["python", "bench/walltime.py", *(sys.argv[1:] if argv is None else argv)]
        write_generated(args.out, HEADING, "walltime.py", markdown(rounds, shlex.join(shown), seconds, load, args,
                                                                         source))
        log(f"wrote section {HEADING!r} of {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
