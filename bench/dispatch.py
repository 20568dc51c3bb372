"""Dynamic dispatch benchmark (issue 11, phase 1): what a hand-out costs, and wall time against static plans.

Run by hand (not a timed test)::

    .venv/bin/python bench/dispatch.py overhead [--groups 100 800]
    .venv/bin/python bench/dispatch.py walltime [--rounds 3] [--classes 140] [--serial-s 120] [--scale 0.25]
                                                [--jitter 0.3] [--lanes 4]

``overhead``: a suite of G classes of empty tests (BENCH_SCALE=0), run by one lane (``partitioner.dispatch.host
--lanes 1``), by the static runner with one worker and by plain ``subunit.run``, for two values of G; the
difference of the slopes is what one group adds (the round trip lane -> dispatcher -> lane -> worker -> lane,
and relaying its events).

``walltime``: a ``gen_suite.py`` suite (``--classes``, ``--serial-s``, no races) run under ``BENCH_SCALE`` and
``BENCH_JITTER``, by three arms, interleaved (order rotated each round):

* ``stestr``: ``stestr run --concurrency N`` in its own copy (its repository is its history);
* ``static``: ``python -m partitioner.run --concurrency N -- python -m subunit.run discover ...``;
* ``dynamic``: ``python -m partitioner.dispatch.host --lanes N -- python -m subunit.run discover ...``.

Pass 1 has no history; pass 2 plans from the arm's own pass-1 stream (``--history``), with another
``BENCH_RUN`` so durations differ from the history, as they do between real runs. Per run: wall time
around the subprocess and the makespan in its stream (last stop - first start over all tests), both
also as a multiple of the lower bound (``truth.json`` x ``--scale``).
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import subunit
import testtools

ROOT = Path(__file__).resolve().parent.parent
GEN_SUITE = ROOT.parent / "shared" / "bench" / "gen_suite.py"
BIN = Path(sys.executable).parent
INNER = [sys.executable, "-m", "subunit.run", "discover", "-t", ".", "./suite"]


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


def makespan(stream: bytes) -> tuple[float, int]:
    """(last stop - first start, number of final results) of a subunit v2 stream."""
    span = _Span()
    subunit.ByteStreamToStreamResult(io.BytesIO(stream), non_subunit_name="stdout").run(span)
    return ((span.last or 0.0) - (span.first or 0.0)), span.finals


def gen_suite(where: Path, classes: int, serial_s: float, seed: int = 1, setup: bool = True) -> None:
    extra = [] if setup else ["--setup-share", "0"]
    subprocess.run([sys.executable, str(GEN_SUITE), str(where), "--classes", str(classes), "--serial-s",
                    str(serial_s), "--races", "0", "--seed", str(seed), *extra], check=True, capture_output=True)


def overhead(groups: list[int]) -> None:
    slopes = {}
    with tempfile.TemporaryDirectory(prefix="bench-dispatch-") as tmp:
        times: dict[str, list[float]] = {"plain": [], "static": [], "dynamic": []}
        for count in groups:
            where = Path(tmp) / f"g{count}"
            gen_suite(where, count, 0.0, setup=False)
            # the generator gives each class a few tests; keep one test per class, of zero length
            env = {"BENCH_SCALE": "0", "BENCH_LOCKDIR": str(where / "locks"), "PATH": f"{BIN}:/usr/bin:/bin"}
            runs = {"plain": INNER,
                    "static": [sys.executable, "-m", "partitioner.run", "--concurrency", "1", "--", *INNER],
                    "dynamic": [sys.executable, "-m", "partitioner.dispatch.host", "--lanes", "1", "--", *INNER]}
            for arm, argv in runs.items():
                best = min(_timed(argv, where, env)[0] for _ in range(3))
                times[arm].append(best)
        tests = [_count_tests(Path(tmp) / f"g{count}") for count in groups]
        for arm, values in times.items():
            slopes[arm] = (values[1] - values[0]) / (groups[1] - groups[0])
            print(f"{arm:8s} " + "  ".join(f"{g} classes ({t} tests): {v:.2f}s" for g, t, v in
                                            zip(groups, tests, values, strict=True)))
    print(f"per group, best of 3: dynamic - plain {(slopes['dynamic'] - slopes['plain']) * 1000:.2f} ms, "
          f"dynamic - static runner {(slopes['dynamic'] - slopes['static']) * 1000:.2f} ms (the static runner "
          "also re-emits every event; the dynamic host re-emits twice, lane and host)")


def _count_tests(where: Path) -> int:
    return sum(len(c["tests"]) for c in json.loads((where / "dataset.json").read_text())["classes"])


def _timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, bytes]:
    started = time.monotonic()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False, timeout=3600)
    return time.monotonic() - started, proc.stdout


def _stestr_last(cwd: Path, env: dict[str, str]) -> bytes:
    return subprocess.run([str(BIN / "stestr"), "last", "--subunit"], cwd=cwd, env=env, capture_output=True,
                          check=False).stdout


def walltime(rounds: int, classes: int, serial_s: float, scale: float, jitter: float, lanes: int) -> None:
    arms = ["stestr", "static", "dynamic"]
    results: dict[tuple[str, int], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-dispatch-") as tmp:
        for round_ in range(rounds):
            base = Path(tmp) / f"r{round_}"
            gen_suite(base / "suite0", classes, serial_s, seed=100 + round_)
            bound = json.loads((base / "suite0" / "truth.json").read_text())["lower_bound_s"][str(lanes)] * scale
            copies = {}
            for arm in arms:
                copies[arm] = base / arm
                shutil.copytree(base / "suite0", copies[arm])
            order = arms[round_ % 3:] + arms[:round_ % 3]
            for pass_ in (1, 2):
                for arm in order:
                    cwd = copies[arm]
                    env = {"BENCH_SCALE": str(scale), "BENCH_JITTER": str(jitter),
                           "BENCH_RUN": str(10 * round_ + pass_), "BENCH_LOCKDIR": str(cwd / "locks"),
                           "PATH": f"{BIN}:/usr/bin:/bin", "PYTHON": sys.executable, "HOME": str(cwd)}
                    history = [] if pass_ == 1 else ["--history", str(cwd / "pass1.subunit")]
                    if arm == "stestr":
                        if pass_ == 1:
                            subprocess.run([str(BIN / "stestr"), "init"], cwd=cwd, env=env, check=True,
                                           capture_output=True)
                        wall, _ = _timed([str(BIN / "stestr"), "run", "--concurrency", str(lanes)], cwd, env)
                        stream = _stestr_last(cwd, env)
                    elif arm == "static":
                        wall, stream = _timed([sys.executable, "-m", "partitioner.run", "--concurrency", str(lanes),
                                               *history, "--", *INNER], cwd, env)
                    else:
                        wall, stream = _timed([sys.executable, "-m", "partitioner.dispatch.host", "--lanes",
                                               str(lanes), *history, "--", *INNER], cwd, env)
                    if pass_ == 1:
                        (cwd / "pass1.subunit").write_bytes(stream)
                    span, finals = makespan(stream)
                    results.setdefault((arm, pass_), []).append((wall / bound, span / bound))
                    print(f"round {round_} pass {pass_} {arm:8s} wall {wall:6.2f}s ({wall / bound:.3f} x LB) "
                          f"makespan {span:6.2f}s ({span / bound:.3f} x LB) results {finals} LB {bound:.2f}s",
                          flush=True)
    print(f"\nmedians over {rounds} rounds ({classes} classes, {serial_s:g} s serial x {scale}, sigma {jitter}, "
          f"N={lanes}): wall / LB, makespan / LB")
    for pass_ in (1, 2):
        for arm in arms:
            values = results[(arm, pass_)]
            wall = statistics.median(v[0] for v in values)
            span = statistics.median(v[1] for v in values)
            stestr = statistics.median(v[0] for v in results[("stestr", pass_)])
            print(f"pass {pass_} {arm:8s} wall {wall:.3f} x LB ({wall / stestr:.3f} x stestr)  "
                  f"makespan {span:.3f} x LB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    over = sub.add_parser("overhead")
    over.add_argument("--groups", type=int, nargs=2, default=[100, 800])
    wall = sub.add_parser("walltime")
    wall.add_argument("--rounds", type=int, default=3)
    wall.add_argument("--classes", type=int, default=140)
    wall.add_argument("--serial-s", type=float, default=120.0)
    wall.add_argument("--scale", type=float, default=0.25)
    wall.add_argument("--jitter", type=float, default=0.3)
    wall.add_argument("--lanes", type=int, default=4)
    args = parser.parse_args()
    if args.what == "overhead":
        overhead(args.groups)
    else:
        walltime(args.rounds, args.classes, args.serial_s, args.scale, args.jitter, args.lanes)


if __name__ == "__main__":
    main()
