"""Dynamic dispatch benchmark (issue 11): what a hand-out costs, and wall time and makespan against the peers.

Run by hand (not a timed test; the machine should be quiet)::

    .venv/bin/python bench/dispatch.py overhead [--groups 100 800]
    .venv/bin/python bench/dispatch.py walltime [--rounds 3] [--jitter 0.3 0.1] [--lanes 4 8] [--classes 140]
                                                [--serial-s 120] [--scale 1] [--arms ...] [--out docs/benchmarks.md]

``overhead``: a suite of G classes of empty tests (BENCH_SCALE=0) run by the runner with one worker, dynamic
and static, and by plain ``subunit.run``, for two values of G; the difference of the slopes is what one
hand-out adds (the round trip to the dispatcher, the group to the worker, its acknowledgement).

``walltime``: per ``--jitter`` sigma and ``--lanes`` N, ``--rounds`` rounds; each round generates a
``gen_suite.py`` suite (``--classes``, ``--serial-s``, no races, seed 100 + round) and runs it under
``BENCH_SCALE`` / ``BENCH_JITTER`` by each arm, in a fresh copy per arm, arms interleaved (the order rotates
every round):

* ``testr``: ``testr run --parallel --concurrency N`` (plain; its repository is its history);
* ``stestr``: ``stestr run --concurrency N`` (plain);
* ``static``: ``partitioner exec --dispatch static -- stestr run --concurrency N`` (our static plans);
* ``dynamic``: ``partitioner exec -- stestr run --concurrency N`` (dynamic dispatch under stestr, the
  default ``suite`` order);
* ``runner``: ``python -m partitioner.run -j N -- python -m subunit.run discover ...`` (dynamic, lanes in
  the runner; history: its pass-1 stream);
* ``dynamic-mono``, ``runner-mono``, ``dynamic-cost``, ``runner-cost``, ``dynamic-lookahead``,
  ``runner-lookahead``: the same with ``--dispatch-order mono``, ``cost`` or ``lookahead``;
* ``dynamic-baseline``, ``runner-baseline``: ``dynamic`` and ``runner`` with the partitioner of ``--baseline DIR``
  (a checkout of another commit, first on ``PYTHONPATH``): a change against the commit before it, in one run;
* ``dynamic-nopreload``, ``runner-nopreload``: the default order with ``PARTITIONER_PRELOAD=0``: each lane's
  worker loads the suite itself instead of being forked from one preloaded process;
* ``xdist-worksteal``, ``xdist-loadscope``, ``xdist-load``: ``pytest -n N --dist ...`` with pytest-xdist 3.8
  (pytest runs these unittest classes), in a venv of the bench's own (``--xdist-venv``, made on first use).

Pass 1 has no history; pass 2 runs every arm again with another ``BENCH_RUN`` (durations differ from the
history, as between real runs), so each arm plans from its own first run. Per run: the wall time around the
subprocess, and the makespan in the stored stream (last stop - first start over all tests; ``stestr last``,
``testr last``, the runner's stdout; pytest stores none), each also over the lower bound (``truth.json``'s
``lower_bound_s[N]`` x ``--scale``), and the makespan over the *run's* lower bound: max(total / N, largest
class) of the durations the run really slept (gen_suite's jitter is seeded by ``BENCH_RUN`` and the test
or class, so they are computed exactly here; at sigma 0.3 the lognormal's mean, e^(sigma^2/2) = 1.046, puts
them about 4.6 % above truth.json's noise-free figures, which no schedule can beat). The summary gives
medians per (sigma, N, pass, arm) and each arm's wall time over stestr's and testr's. Goals (sigma 0.3):
second-run makespan <= 1.03 x LB and wall <= 0.90 x stestr's and testr's; first run <= 0.85 x theirs; below
every xdist mode.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import subunit
import testtools
from _docs import write_generated

ROOT = Path(__file__).resolve().parent.parent
GEN_SUITE = ROOT.parent / "shared" / "bench" / "gen_suite.py"
BIN = Path(sys.executable).parent
INNER = [sys.executable, "-m", "subunit.run", "discover", "-t", ".", "./suite"]
ARMS = ("testr", "stestr", "static", "dynamic", "dynamic-mono", "dynamic-cost", "dynamic-lookahead", "runner",
        "runner-mono", "runner-cost", "runner-lookahead", "dynamic-nopreload", "runner-nopreload", "dynamic-baseline",
        "runner-baseline", "xdist-worksteal", "xdist-loadscope", "xdist-load")
HEADING = "## Dynamic dispatch"
XDIST = "pytest-xdist==3.8.*"


class _Span(testtools.StreamResult):
    def __init__(self) -> None:
        super().__init__()
        self.first: float | None = None
        self.last: float | None = None
        self.finals = 0

    def status(self, test_id: str | None = None, test_status: str | None = None, timestamp: object = None,
               **_: object) -> None:  # type: ignore[override]
        if test_id is None or timestamp is None or test_status not in ("inprogress", "success", "fail", "skip"):
            return
        at = timestamp.timestamp()  # type: ignore[attr-defined]
        self.first = at if self.first is None else min(self.first, at)
        self.last = at if self.last is None else max(self.last, at)
        self.finals += test_status != "inprogress"


def makespan(stream: bytes) -> tuple[float | None, int]:
    """(last stop - first start, number of final results) of a subunit v2 stream (None when it has no times)."""
    if not stream:
        return None, 0
    span = _Span()
    subunit.ByteStreamToStreamResult(io.BytesIO(stream), non_subunit_name="stdout").run(span)
    if span.first is None or span.last is None:
        return None, span.finals
    return span.last - span.first, span.finals


def realized_bound(suite: Path, run: str, jitter: float, scale: float, lanes: int) -> float:
    """max(total / N, largest class) of the seconds a run of ``suite`` with this ``BENCH_RUN`` really sleeps:
    gen_suite's ``nap(key, s)`` sleeps s x scale x lognormvariate(0, jitter) from a Random seeded with
    crc32("RUN|key"), key being the test id, or ``module.Class:setUpClass``."""
    def slept(key: str, seconds: float) -> float:
        rnd = random.Random(zlib.crc32(f"{run}|{key}".encode()))
        return max(0.0, seconds * scale * rnd.lognormvariate(0, jitter))

    costs = [slept(f"{c['class']}:setUpClass", c["setup_class_s"])
             + sum(slept(test_id, seconds) for test_id, seconds in c["tests"].items())
             for c in json.loads((suite / "dataset.json").read_text())["classes"]]
    return max(sum(costs) / lanes, *costs)


def gen_suite(where: Path, classes: int, serial_s: float, seed: int = 1, setup: bool = True) -> None:
    extra = [] if setup else ["--setup-share", "0"]
    subprocess.run([sys.executable, str(GEN_SUITE), str(where), "--classes", str(classes), "--serial-s",
                    str(serial_s), "--races", "0", "--seed", str(seed), *extra], check=True, capture_output=True)


def _timed(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, bytes, bytes]:
    started = time.monotonic()
    proc = subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, check=False, timeout=7200,
                          stdin=subprocess.DEVNULL)
    return time.monotonic() - started, proc.stdout, proc.stderr


# -- overhead --------------------------------------------------------------------------------------------------


def overhead(groups: list[int]) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-dispatch-") as tmp:
        times: dict[str, list[float]] = {"plain": [], "static": [], "dynamic": []}
        for count in groups:
            where = Path(tmp) / f"g{count}"
            gen_suite(where, count, 0.0, setup=False)
            env = {"BENCH_SCALE": "0", "BENCH_LOCKDIR": str(where / "locks"), "PATH": f"{BIN}:/usr/bin:/bin",
                   "HOME": str(where), "PARTITIONER_CACHE": "0"}
            runs = {"plain": INNER,
                    "static": [sys.executable, "-m", "partitioner.run", "-q", "-j", "1", "--dispatch", "static",
                               "--", *INNER],
                    "dynamic": [sys.executable, "-m", "partitioner.run", "-q", "-j", "1", "--dispatch", "dynamic",
                                "--", *INNER]}
            for arm, argv in runs.items():
                times[arm].append(min(_timed(argv, where, env)[0] for _ in range(3)))
        tests = [sum(len(c["tests"]) for c in json.loads((Path(tmp) / f"g{g}" / "dataset.json").read_text())
                     ["classes"]) for g in groups]
        slopes = {}
        for arm, values in times.items():
            slopes[arm] = (values[1] - values[0]) / (groups[1] - groups[0])
            print(f"{arm:8s} " + "  ".join(f"{g} classes ({t} tests): {v:.2f}s"
                                            for g, t, v in zip(groups, tests, values, strict=True)))
    print(f"per group, best of 3: dynamic - plain {(slopes['dynamic'] - slopes['plain']) * 1000:.2f} ms, "
          f"dynamic - static {(slopes['dynamic'] - slopes['static']) * 1000:.2f} ms")


# -- walltime --------------------------------------------------------------------------------------------------


def xdist_python(venv: Path) -> Path:
    """A venv with pytest-xdist 3.8 (and testtools, which the generated suites use), made on first use."""
    python = venv / "bin" / "python"
    if not (venv / ".complete").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", XDIST, "pytest", "testtools"], check=True)
        (venv / ".complete").write_text(XDIST)
    return python


def _command(arm: str, lanes: int, cwd: Path, pass_: int, xdist: Path | None) -> list[str]:
    n = str(lanes)
    if arm == "testr":
        return [str(BIN / "testr"), "run", "--parallel", "--concurrency", n]
    if arm == "stestr":
        return [str(BIN / "stestr"), "run", "--concurrency", n]
    if arm == "static":
        return [str(BIN / "partitioner"), "exec", "-q", "--dispatch", "static", "--", "stestr", "run",
                "--concurrency", n]
    suffix = arm.rsplit("-", 1)[1] if "-" in arm else ""
    order = ["--dispatch-order", suffix] if suffix in ("cost", "suite", "mono", "lookahead") else []
    if arm.startswith("dynamic"):
        return [str(BIN / "partitioner"), "exec", "-q", *order, "--", "stestr", "run", "--concurrency", n]
    if arm.startswith("runner"):
        history = ["--history", str(cwd / "pass1.subunit")] if pass_ == 2 else []
        return [sys.executable, "-m", "partitioner.run", "-q", "-j", n, *order, *history, "--", *INNER]
    assert xdist is not None
    return [str(xdist), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", n, "--dist", arm.split("-", 1)[1],
            "suite"]


def _stream(arm: str, cwd: Path, env: dict[str, str], out: bytes) -> bytes:
    if arm.startswith("runner"):
        return out
    if arm.startswith("xdist"):
        return b""
    tool = "testr" if arm == "testr" else "stestr"
    return subprocess.run([str(BIN / tool), "last", "--subunit"], cwd=cwd, env=env, capture_output=True,
                          check=False).stdout


Key = tuple[float, int, int, str]  # (sigma, N, pass, arm)


Result = tuple[float, float | None, float | None]  # wall / LB, makespan / LB, makespan / the run's LB


def walltime(args: argparse.Namespace, log: Callable[[str], None]) -> dict[Key, list[Result]]:
    """Every run's (wall / LB, makespan / LB, makespan / the run's own LB), by (sigma, N, pass, arm)."""
    arms = [a for a in args.arms.split(",") if a]
    xdist = xdist_python(args.xdist_venv) if any(a.startswith("xdist") for a in arms) else None
    results: dict[Key, list[Result]] = {}
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bench-dispatch-"))
    for jitter in args.jitter:
        for lanes in args.lanes:
            for round_ in range(args.rounds):
                base = work / f"s{jitter}-n{lanes}-r{round_}"
                shutil.rmtree(base, ignore_errors=True)
                gen_suite(base / "suite0", args.classes, args.serial_s, seed=100 + round_)
                truth = json.loads((base / "suite0" / "truth.json").read_text())
                bound = truth["lower_bound_s"][str(lanes)] * args.scale
                copies = {}
                for arm in arms:
                    copies[arm] = base / arm
                    shutil.copytree(base / "suite0", copies[arm])
                shift = round_ % len(arms)
                order = arms[shift:] + arms[:shift]
                for pass_ in (1, 2):
                    for arm in order:
                        cwd = copies[arm]
                        env = {"BENCH_SCALE": str(args.scale), "BENCH_JITTER": str(jitter),
                               "BENCH_RUN": str(10 * round_ + pass_), "BENCH_LOCKDIR": str(cwd / "locks"),
                               "PATH": f"{BIN}:/usr/bin:/bin", "PYTHON": sys.executable, "HOME": str(cwd),
                               "PARTITIONER_CACHE_DIR": str(cwd / ".cache")}
                        if arm.endswith("-nopreload"):
                            env["PARTITIONER_PRELOAD"] = "0"
                        if arm.endswith("-baseline"):  # another commit's partitioner, first on the path
                            env["PYTHONPATH"] = str(args.baseline)
                        if pass_ == 1 and not arm.startswith(("runner", "xdist")):
                            tool = "testr" if arm == "testr" else "stestr"
                            subprocess.run([str(BIN / tool), "init"], cwd=cwd, env=env, check=True,
                                           capture_output=True)
                        wall, out, err = _timed(_command(arm, lanes, cwd, pass_, xdist), cwd, env)
                        stream = _stream(arm, cwd, env, out)
                        if pass_ == 1 and arm.startswith("runner"):
                            (cwd / "pass1.subunit").write_bytes(stream)
                        span, finals = makespan(stream)
                        real = realized_bound(base / "suite0", env["BENCH_RUN"], jitter, args.scale, lanes)
                        results.setdefault((jitter, lanes, pass_, arm), []).append(
                            (wall / bound, None if span is None else span / bound,
                             None if span is None else span / real))
                        shown = ("-" if span is None else
                                 f"{span:6.2f}s ({span / bound:.3f} x LB, {span / real:.3f} x the run's LB)")
                        log(f"sigma {jitter} N={lanes} round {round_} pass {pass_} {arm:16s} wall {wall:7.2f}s "
                            f"({wall / bound:.3f} x LB) makespan {shown} results {finals} LB {bound:.2f}s")
                        if not finals and not arm.startswith("xdist"):
                            log(f"  {arm} stored no results; stderr: {err.decode(errors='replace')[-400:]}")
    return results


def summary(results: dict[Key, list[Result]], args: argparse.Namespace) -> str:
    """The markdown table of medians."""
    lines = ["| sigma | N | pass | arm | wall / LB | makespan / LB | makespan / run's LB | wall / stestr | "
             "wall / testr |",
             "|---:|---:|---:|---|---:|---:|---:|---:|---:|"]

    def median(values: list[float]) -> float | None:
        return statistics.median(values) if values else None

    for jitter in args.jitter:
        for lanes in args.lanes:
            for pass_ in (1, 2):
                walls = {arm: median([w for w, _, _ in results.get((jitter, lanes, pass_, arm), [])])
                         for arm in args.arms.split(",")}
                for arm in args.arms.split(","):
                    runs = results.get((jitter, lanes, pass_, arm), [])
                    if not runs:
                        continue
                    wall = median([w for w, _, _ in runs])
                    span = median([s for _, s, _ in runs if s is not None])
                    own = median([r for _, _, r in runs if r is not None])

                    ratios = [f"{wall / walls[o]:.3f}" if wall is not None and walls.get(o) else "-"  # type: ignore[operator]
                              for o in ("stestr", "testr")]
                    lines.append(f"| {jitter} | {lanes} | {pass_} | {arm} | {wall:.3f} | "
                                 f"{'-' if span is None else f'{span:.3f}'} | {'-' if own is None else f'{own:.3f}'} "
                                 f"| {ratios[0]} | {ratios[1]} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    over = sub.add_parser("overhead")
    over.add_argument("--groups", type=int, nargs=2, default=[100, 800])
    wall = sub.add_parser("walltime")
    wall.add_argument("--rounds", type=int, default=3)
    wall.add_argument("--classes", type=int, default=140)
    wall.add_argument("--serial-s", type=float, default=120.0)
    wall.add_argument("--scale", type=float, default=1.0, help="BENCH_SCALE (the LB is scaled with it)")
    wall.add_argument("--jitter", type=float, nargs="+", default=[0.3, 0.1], help="BENCH_JITTER sigmas")
    wall.add_argument("--lanes", type=int, nargs="+", default=[4, 8], help="workers N")
    wall.add_argument("--arms", default=",".join(ARMS), help=f"comma-separated subset of {','.join(ARMS)}")
    wall.add_argument("--xdist-venv", type=Path, default=Path.home() / ".cache" / "partitioner" / "bench-xdist",
                      help="the venv with pytest-xdist 3.8 (made on first use)")
    wall.add_argument("--baseline", type=Path, help="a checkout of another commit (e.g. `git worktree add DIR REV`): "
                      "the -baseline arms run its partitioner, the others this one")
    wall.add_argument("--workdir", help="keep the suites and repositories here (default: a temp dir)")
    wall.add_argument("--out", type=Path, help=f"write the '{HEADING}' section's generated block into this file")
    args = parser.parse_args()
    if args.what == "overhead":
        overhead(args.groups)
        return
    unknown = set(args.arms.split(",")) - set(ARMS)
    if unknown:
        parser.error(f"unknown arms: {', '.join(sorted(unknown))}; choose from {', '.join(ARMS)}")
    if args.baseline is None and any(a.endswith("-baseline") for a in args.arms.split(",")):
        parser.error("the -baseline arms need --baseline DIR, a checkout of the commit to compare with")
    if args.baseline is not None and not (args.baseline / "partitioner" / "__init__.py").is_file():
        parser.error(f"--baseline {args.baseline}: no partitioner package there; make one with "
                     "`git worktree add DIR REV`")
    started = time.monotonic()
    results = walltime(args, lambda line: print(line, flush=True))
    table = summary(results, args)
    print(table)
    if args.out is not None:
        shown = ["python", "bench/dispatch.py", *sys.argv[1:]]
        header = (f"Generated {time.strftime('%Y-%m-%d')} by `{shlex.join(shown)}` "
                  f"({time.monotonic() - started:.0f}s; {os.cpu_count()} CPUs): {args.rounds} interleaved rounds of "
                  f"a {args.classes}-class suite, {args.serial_s:g} s serial x {args.scale:g}; medians over the "
                  "rounds. wall / LB: wall time over the lower bound (truth.json); makespan / LB: from the stored "
                  "stream (pytest stores none); makespan / run's LB: over max(total / N, largest class) of what "
                  "that run really slept (the jitter included); wall / stestr and wall / testr: over that "
                  "tool's median wall in the same cell.")
        write_generated(args.out, HEADING, "dispatch.py", f"{header}\n\n{table}")


if __name__ == "__main__":
    main()
