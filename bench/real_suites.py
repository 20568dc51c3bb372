"""Real suites no one here wrote, plain tool vs through ``partitioner exec``: wall time, first and second run.

Run by hand (not a timed test; each round takes minutes)::

    .venv/bin/python bench/real_suites.py [--rounds 3] [--suites tempest-unit,oslo.utils,testtools]
        [--concurrency 2] [--workdir DIR] [--out docs/real-suites.md]

Suites (sdists from PyPI that ship their own ``.stestr.conf``/``.testr.conf``; venvs made in the workdir with
pip, except tempest's, which is given):

* ``tempest-unit``: tempest 47.0.0's unit suite (the sdist and venv the slow end-to-end test builds into
  ``~/.cache/partitioner/test-tempest``; ``--tempest-sdist``/``--tempest-venv``), as a new user runs it:
  ``stestr --test-path ./tempest/tests run`` (its ``.stestr.conf`` groups by class);
* ``oslo.utils``: oslo.utils 10.2.0, ``stestr run`` (no ``group_regex``: stestr splits per test);
* ``testtools``: testtools 2.9.1's own suite under testr (``testr init``; ``testr run --parallel``).

Every round runs, for each suite, two arms in fresh copies of the sdist: ``plain`` (the tool) and
``partitioner`` (``python -m partitioner exec -- TOOL ...`` with this checkout on ``PYTHONPATH``, so the suite's
venv needs nothing installed); with ``--baseline DIR`` a third, ``baseline``, runs the same with the checkout DIR
(another commit) on ``PYTHONPATH``, and a last table compares the two. Pass 1 starts from no repository (the
first run), pass 2 runs again in the same copy (the second run, planned from the first). Arms rotate their
order from round to round; wall time is ``time.monotonic()`` around the subprocess. Each run's stored stream
gives its test count, its failures and its makespan (the longest worker's first start to last stop); a run that
lost a test is flagged.

After pass 2 of the ``partitioner`` arm, in the suite's venv and in its copy (planning overhead, in process):
the tool's own ``partition_tests`` on the suite's ids with that repository, ``partitioner.hooks.partition_tests``
as wired today, and planning from :func:`partitioner.history.digest.planning_history` (digests warm, and
with the newest run not digested: the first plan after a run was stored); and the import time
``partitioner.hooks`` adds after the tool's own modules. End to end, the overhead is the wall-time
difference of the two arms.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _docs import write_generated

ROOT = Path(__file__).resolve().parent.parent
HEADING = "## Real suites: plain tool vs partitioner exec"
#: where the slow tempest end-to-end test (tests/e2e/test_tempest.py) caches the tempest sdist and its venv
TEMPEST_CACHE = Path(os.environ.get("PARTITIONER_TEMPEST_CACHE")
                     or Path.home() / ".cache" / "partitioner" / "test-tempest")


@dataclass(frozen=True)
class Suite:
    """A real suite: where its sdist comes from, how its venv is made, how its tool runs it."""

    name: str
    tool: str  # stestr or testr
    run_args: tuple[str, ...]  # after the tool's name; {n} is the concurrency
    pypi: str | None = None  # "name==version" to download as an sdist
    requirements: tuple[str, ...] = ()  # extra packages for its tests (besides its test-requirements.txt)


SUITES = {
    "tempest-unit": Suite("tempest-unit", "stestr", ("--test-path", "./tempest/tests", "run", "--concurrency", "{n}")),
    "oslo.utils": Suite("oslo.utils", "stestr", ("run", "--concurrency", "{n}"), "oslo.utils==10.2.0",
                        ("cryptography",)),  # test_luks imports it; test-requirements.txt does not name it
    "testtools": Suite("testtools", "testr", ("run", "--parallel", "--concurrency", "{n}"), "testtools==2.9.1",
                       ("testrepository", "python-subunit", "testscenarios", "fixtures", "testresources", "twisted")),
}


@dataclass
class RunResult:
    suite: str
    arm: str
    round: int
    run: int  # 1 = first run (no history), 2 = second run
    wall_s: float
    exit_code: int
    tests: int
    failed: tuple[str, ...]
    makespan_s: float
    ids: tuple[str, ...] = field(default=(), repr=False)
    #: the partition the run used (its worker-N tags) and each test's measured seconds
    partition: tuple[tuple[str, ...], ...] = field(default=(), repr=False)
    durations: dict[str, float] = field(default_factory=dict, repr=False)


def sh(cmd: Sequence[str | Path], cwd: Path, env: dict[str, str] | None = None, check: bool = True,
       log: Callable[[str], None] | None = None) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, stdin=subprocess.DEVNULL,
                          check=False)
    if check and done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-5:]
        raise RuntimeError(f"{shlex.join(str(c) for c in cmd)} failed ({done.returncode}) in {cwd}: {tail}")
    return done


def prepare(suite: Suite, work: Path, args: argparse.Namespace, log: Callable[[str], None]) -> tuple[Path, Path]:
    """``(sdist directory, venv)`` for a suite, made once in ``work`` and reused."""
    if suite.name == "tempest-unit":
        sdist, venv = Path(args.tempest_sdist), Path(args.tempest_venv)
        if not (sdist / "tempest" / "tests").is_dir() or not (venv / "bin" / "python").exists():
            raise SystemExit(f"real_suites.py: no tempest sdist at {sdist} or venv at {venv}; build them once with "
                             "`PARTITIONER_SLOW_TESTS=1 .venv/bin/python -m pytest -q -m slow "
                             "tests/e2e/test_tempest.py` (it caches both), or pass --tempest-sdist and --tempest-venv")
        return sdist, venv
    assert suite.pypi is not None
    home = work / "suites" / suite.name
    venv = home / "venv"
    ready = home / "ready"
    if ready.exists():
        return Path(ready.read_text().strip()), venv
    shutil.rmtree(home, ignore_errors=True)
    (home / "dl").mkdir(parents=True)
    log(f"{suite.name}: downloading {suite.pypi} (sdist) and making its venv")
    sh([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", suite.pypi, "-d",
        home / "dl"], cwd=home)
    archive = next((home / "dl").iterdir())
    with tarfile.open(archive) as tar:
        tar.extractall(home, filter="data")
    sdist = next(p for p in home.iterdir() if p.is_dir() and p.name not in ("dl", "venv"))
    sh([sys.executable, "-m", "venv", venv], cwd=home)
    pip = [venv / "bin" / "python", "-m", "pip", "install", "-q"]
    sh([*pip, "--upgrade", "pip"], cwd=home)
    sh([*pip, sdist, "stestr" if suite.tool == "stestr" else "testrepository", *suite.requirements], cwd=home)
    requirements = sdist / "test-requirements.txt"
    if requirements.exists():
        sh([*pip, "-r", requirements], cwd=home)
    ready.write_text(str(sdist))
    return sdist, venv


def stream_figures(copy: Path, tool: str) -> tuple[int, tuple[str, ...], float, tuple[str, ...],
                                                 tuple[tuple[str, ...], ...], dict[str, float]]:
    """``(tests, failed ids, makespan, ids, partition, durations)`` of the newest stored run in ``copy``
    (zeros when the run stored nothing, e.g. discovery failed)."""
    from partitioner.errors import HistoryError
    from partitioner.history.repository import Repository
    from partitioner.history.samples import worker_lanes

    try:
        repo = Repository.read(copy / (".stestr" if tool == "stestr" else ".testrepository"))
        run = repo.latest()
    except HistoryError:
        return 0, (), 0.0, (), (), {}
    records = [r for r in run.records if r.status != "exists"]
    failed = tuple(sorted(r.test_id for r in records if r.status in ("fail", "uxsuccess")))
    lanes = worker_lanes(run)
    spans = [max(r.stop or 0.0 for r in lane) - min(r.start or 0.0 for r in lane) for _, lane in lanes]
    partition = tuple(tuple(r.test_id for r in lane) for _, lane in lanes)
    durations = {r.test_id: d for r in records if (d := r.duration) is not None}
    return len(records), failed, max(spans, default=0.0), tuple(sorted(r.test_id for r in records)), partition, \
        durations


def run_arm(suite: Suite, sdist: Path, venv: Path, copy: Path, arm: str, n: int, run: int, round_: int,
            log: Callable[[str], None], baseline: Path | None = None) -> RunResult:
    """One run of ``arm``: ``plain`` (the tool), ``partitioner`` (this checkout's exec) or ``baseline`` (the exec of
    the checkout ``baseline``)."""
    code = baseline if arm == "baseline" and baseline is not None else ROOT
    env = dict(os.environ, PYTHON=str(venv / "bin" / "python"), PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
               PYTHONPATH=str(code), PARTITIONER_CACHE_DIR=str(copy.parent / f"cache-{arm}"))
    env.pop("VIRTUAL_ENV", None)
    if run == 1:
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(sdist, copy, ignore=shutil.ignore_patterns(".stestr", ".testrepository", "*.pyc"))
        if suite.tool == "testr":
            sh([venv / "bin" / "testr", "init"], cwd=copy, env=env)
    tool_args = [a.format(n=n) for a in suite.run_args]
    prefix: list[str | Path] = [venv / "bin" / suite.tool] if arm == "plain" else \
        [venv / "bin" / "python", "-m", "partitioner", "exec", "--", suite.tool]
    began = time.monotonic()
    done = sh([*prefix, *tool_args], cwd=copy, env=env, check=False)
    wall = time.monotonic() - began
    (copy.parent / f"{arm}-run{run}.log").write_bytes(done.stdout + b"\n--- stderr ---\n" + done.stderr)
    tests, failed, makespan, ids, partition, durations = stream_figures(copy, suite.tool)
    log(f"  round {round_} {suite.name} {arm:11} run {run}: {wall:6.1f}s exit {done.returncode} "
        f"{tests} tests, {len(failed)} failed, makespan {makespan:.1f}s")
    return RunResult(suite.name, arm, round_, run, wall, done.returncode, tests, failed, makespan, ids, partition,
                     durations)


OVERHEAD_SNIPPET = r'''
import json, re, sys, time
from pathlib import Path
tool, repo_dir, ids_file, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ids = Path(ids_file).read_text().split()
began = time.perf_counter()
if tool == "stestr":
    import stestr.commands.run
    from stestr import scheduler
    from stestr.config_file import TestrConf
    from stestr.repository.util import get_repo_open
    conf = TestrConf(".stestr.conf")
    repo = get_repo_open(repo_url=".")
    regex = conf.group_regex
    own = lambda cb: scheduler.partition_tests(ids, n, repo, cb)
else:
    import testrepository.commands.run
    from testrepository.repository.file import RepositoryFactory
    from testrepository.testcommand import TestListingFixture
    repo = RepositoryFactory().open(".")
    regex = None
    def own(cb):
        fixture = TestListingFixture.__new__(TestListingFixture)
        fixture.repository, fixture._group_callback = repo, cb
        return TestListingFixture.partition_tests(fixture, ids, n)
tool_import = time.perf_counter() - began
callback = None
if regex:
    def callback(test_id, regex=re.compile(regex)):
        match = regex.match(test_id)
        if match:
            return match.group(0)
began = time.perf_counter()
from partitioner import hooks
from partitioner.grouping import grouper_for_callback, make_grouper
from partitioner.history import digest
from partitioner.pipeline import PLAN_RUNS, plan_ids
ours_import = time.perf_counter() - began

def best(func, repeat=5):
    out = []
    for _ in range(repeat):
        t = time.perf_counter(); func(); out.append(time.perf_counter() - t)
    return min(out)

grouper = grouper_for_callback(callback) if callback else make_grouper("none")
def by_digest():
    plan_ids(ids, n, digest.planning_history(repo_dir, PLAN_RUNS), grouper)
digest.warm(repo_dir)
newest = max((p for p in Path(repo_dir).iterdir() if p.name.isdigit()), key=lambda p: int(p.name))
key = digest.content_key(newest.read_bytes())
def first_after_store():
    entry = digest.cache.cache_dir() / f"{key}.json"
    entry.unlink(missing_ok=True)
    by_digest()
print(json.dumps({
    "tool_import_s": tool_import, "hooks_import_s": ours_import,
    "tool_partition_s": best(lambda: own(callback)),
    "hook_today_s": best(lambda: hooks.partition_tests(ids, n, repo, callback)),
    "digest_later_s": best(by_digest),
    "digest_first_s": best(first_after_store),
}))
'''


def overhead(suite: Suite, venv: Path, copy: Path, ids: Sequence[str], n: int) -> dict[str, float]:
    ids_file = copy.parent / "ids.txt"
    ids_file.write_text("\n".join(ids) + "\n")
    repo = copy / (".stestr" if suite.tool == "stestr" else ".testrepository")
    env = dict(os.environ, PYTHONPATH=str(ROOT), PARTITIONER_CACHE_DIR=str(copy.parent / "cache-overhead"))
    done = sh([venv / "bin" / "python", "-c", OVERHEAD_SNIPPET, suite.tool, repo, ids_file, str(n)], cwd=copy, env=env)
    figures: dict[str, float] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return figures


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(results: Sequence[RunResult], overheads: dict[str, list[dict[str, float]]], n: int, rounds: int,
           command: str, seconds: float) -> str:
    lines = [f"Generated {datetime.date.today().isoformat()} by `{command}` ({seconds:.0f}s; Python "
             f"{platform.python_version()}, {os.cpu_count()} cores, load average "
             f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())} at the end), concurrency {n}, {rounds} round(s). "
             "Wall s: median over rounds (each round's values in brackets). Ratio: partitioner / plain, of the "
             "medians. Paired: the median over rounds of partitioner / plain within a round (a round runs the "
             "arms one after the other, so a host that drifts between rounds moves both).", "",
             "| suite | run | plain s | partitioner s | ratio | paired | plain makespan s | partitioner makespan s | "
             "tests (plain/partitioner) | failed (plain/partitioner) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|---|"]
    suites = list(dict.fromkeys(r.suite for r in results))
    verdicts = []
    for suite in suites:
        for run in (1, 2):
            arms = {arm: [r for r in results if r.suite == suite and r.run == run and r.arm == arm]
                    for arm in ("plain", "partitioner")}
            plain, ours = (median([r.wall_s for r in arms[a]]) for a in ("plain", "partitioner"))
            spans = [median([r.makespan_s for r in arms[a]]) for a in ("plain", "partitioner")]
            tests = "/".join(",".join(sorted({str(r.tests) for r in arms[a]})) for a in arms)
            failed = "/".join(",".join(sorted({str(len(r.failed)) for r in arms[a]})) for a in arms)
            each = [" / ".join(f"{r.wall_s:.1f}" for r in arms[a]) for a in arms]
            ratio = ours / plain if plain else float("nan")
            paired = median([o.wall_s / p.wall_s for p, o in _same_rounds(arms["plain"], arms["partitioner"])
                             if p.wall_s] or [float("nan")])
            verdicts.append((suite, run, ratio))
            lines.append(f"| {suite} | {'first' if run == 1 else 'second'} | {plain:.1f} [{each[0]}] | {ours:.1f} "
                         f"[{each[1]}] | {ratio:.2f} | {paired:.2f} | {spans[0]:.1f} | {spans[1]:.1f} | {tests} | "
                         f"{failed} |")
    lost = [f"{r.suite} {r.arm} round {r.round} run {r.run}" for r in results
            if r.ids != next(x.ids for x in results if x.suite == r.suite and x.arm == "plain" and x.run == 1)]
    slower = [f"{s} ({'first' if run == 1 else 'second'} run, {ratio:.2f} x)" for s, run, ratio in verdicts
              if ratio > 1.0]
    verdict = ("No runs." if not results else
               "**Goal met on these rounds: partitioner no slower than the tool (median) on every suite, first and "
               "second run.**" if not slower else f"**Slower than the tool (median): {', '.join(slower)}.**")
    if results and rounds < 3:
        verdict += f" Provisional: {rounds} round(s); the goal needs at least 3 interleaved rounds."
    lines += ["", verdict,
              "", ("Every run of every arm ran the same tests." if not lost else
                   f"**Runs whose test set differs from the plain first run: {', '.join(lost)}.**")]
    lines += ["", "Noise-free replay: the partition each arm's run actually used (its worker tags), costed on the "
              "mean measured seconds of each test over that suite's runs in the same round (all four; class setup "
              "not counted); makespan / (total / N), 1.000 being an even split.", "",
              "| suite | round | run | plain | partitioner |", "|---|---:|---|---:|---:|"]
    for suite in suites:
        for round_ in sorted({r.round for r in results if r.suite == suite}):
            same = [r for r in results if r.suite == suite and r.round == round_]
            means = _mean_durations([r.durations for r in same])
            for run in (1, 2):
                cells = []
                for arm in ("plain", "partitioner"):
                    found = next((r for r in same if r.run == run and r.arm == arm), None)
                    cells.append(f"{_replay(found.partition, means, n):.3f}" if found and found.partition else "-")
                lines.append(f"| {suite} | {round_} | {'first' if run == 1 else 'second'} | {cells[0]} | {cells[1]} |")
    lines += ["", "Planning overhead in process (the suite's venv, its own ids and the partitioner arm's repository "
              "after the second run; best of 5 calls, median over rounds):", "",
              "| suite | tests | tool's partition_tests s | hook today s | digests s (later runs) | digests s "
              "(first run after a store) | import tool s | import partitioner.hooks after it s |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for suite in suites:
        rows = overheads.get(suite, [])
        if not rows:
            continue
        med = {k: median([r[k] for r in rows]) for k in rows[0]}
        tests = next(r.tests for r in results if r.suite == suite)
        lines.append(f"| {suite} | {tests} | {med['tool_partition_s']:.3f} | {med['hook_today_s']:.3f} | "
                     f"{med['digest_later_s']:.3f} | {med['digest_first_s']:.3f} | {med['tool_import_s']:.3f} | "
                     f"{med['hooks_import_s']:.3f} |")
    if any(r.arm == "baseline" for r in results):
        lines += ["", "This checkout against `--baseline` (another commit's partitioner, the same exec command), "
                  "wall s (median over rounds) and the median of the paired ratio:", "",
                  "| suite | run | baseline s | partitioner s | paired partitioner / baseline |",
                  "|---|---|---:|---:|---:|"]
        for suite in suites:
            for run in (1, 2):
                base = [r for r in results if r.suite == suite and r.run == run and r.arm == "baseline"]
                ours = [r for r in results if r.suite == suite and r.run == run and r.arm == "partitioner"]
                paired = median([o.wall_s / b.wall_s for b, o in _same_rounds(base, ours) if b.wall_s])
                walls = [median([r.wall_s for r in arm]) for arm in (base, ours)]
                lines.append(f"| {suite} | {'first' if run == 1 else 'second'} | {walls[0]:.1f} | {walls[1]:.1f} | "
                             f"{paired:.3f} |")
    return "\n".join(lines) + "\n"


def _same_rounds(plain: Sequence[RunResult], ours: Sequence[RunResult]) -> list[tuple[RunResult, RunResult]]:
    """The two arms' results of each round both ran in."""
    by_round = {r.round: r for r in plain}
    return [(by_round[o.round], o) for o in ours if o.round in by_round]


def _mean_durations(runs: Sequence[dict[str, float]]) -> dict[str, float]:
    found: dict[str, list[float]] = {}
    for durations in runs:
        for test_id, seconds in durations.items():
            found.setdefault(test_id, []).append(seconds)
    return {test_id: statistics.fmean(values) for test_id, values in found.items()}


def _replay(partition: Sequence[Sequence[str]], costs: dict[str, float], n: int) -> float:
    """A partition's makespan on ``costs`` over an even split, total / n (1.000: perfectly even)."""
    loads = [sum(costs.get(t, 0.0) for t in worker) for worker in partition]
    total = sum(loads)
    return max(loads, default=0.0) / (total / n) if total else 1.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="real suites: plain tool vs partitioner exec, first and second run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--suites", default=",".join(SUITES))
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--workdir", type=Path, help="keep sdists and venvs here (reused); default: a temp dir")
    parser.add_argument("--tempest-sdist", default=str(TEMPEST_CACHE / "tempest-47.0.0"))
    parser.add_argument("--tempest-venv", default=str(TEMPEST_CACHE / "venv-tempest-47.0.0"))
    parser.add_argument("--baseline", type=Path, help="a checkout of another commit (`git worktree add DIR REV`): a "
                        "third arm, baseline, runs its exec, and a table compares this checkout with it")
    parser.add_argument("--out", type=Path, help=f"write the section '{HEADING}' into this markdown file")
    args = parser.parse_args(argv)
    if args.baseline is not None and not (args.baseline / "partitioner" / "__init__.py").is_file():
        parser.error(f"--baseline {args.baseline}: no partitioner package there; make one with `git worktree add DIR "
                     "REV`")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    began = time.monotonic()
    work = args.workdir.resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="real-suites-"))
    chosen = [SUITES[s.strip()] for s in args.suites.split(",") if s.strip()]
    prepared = {s.name: prepare(s, work, args, log) for s in chosen}
    # a pip install byte-compiles a package, and the tools' own modules in each venv were; this checkout on
    # PYTHONPATH under PYTHONDONTWRITEBYTECODE=1 would be compiled again on every start: compile it once
    for venv in {str(venv) for _, venv in prepared.values()}:
        for code in (ROOT, *([args.baseline.resolve()] if args.baseline else [])):
            sh([Path(venv) / "bin" / "python", "-m", "compileall", "-q", code / "partitioner"], cwd=code)
    results: list[RunResult] = []
    overheads: dict[str, list[dict[str, float]]] = {}
    try:
        for round_ in range(args.rounds):
            for suite in chosen:
                sdist, venv = prepared[suite.name]
                every = ["plain", "partitioner", *(["baseline"] if args.baseline else [])]
                arms = every[round_ % len(every):] + every[:round_ % len(every)]
                base = work / "runs" / f"round{round_}" / suite.name
                for run in (1, 2):
                    for arm in arms:
                        results.append(run_arm(suite, sdist, venv, base / arm / "suite", arm, args.concurrency, run,
                                               round_, log, args.baseline.resolve() if args.baseline else None))
                ids = next(r.ids for r in reversed(results) if r.suite == suite.name and r.arm == "partitioner")
                if not ids:
                    log(f"  round {round_} {suite.name}: no stored run, no overhead figures (see the arms' logs)")
                    continue
                figures = overhead(suite, venv, base / "partitioner" / "suite", ids, args.concurrency)
                overheads.setdefault(suite.name, []).append(figures)
                log(f"  round {round_} {suite.name} overhead: {figures}")
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    shown = shlex.join(["python", "bench/real_suites.py", *(sys.argv[1:] if argv is None else argv)])
    text = report(results, overheads, args.concurrency, args.rounds, shown, time.monotonic() - began)
    print(text)
    if args.out:
        write_generated(args.out.resolve(), HEADING, "real_suites.py", text)
        log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
