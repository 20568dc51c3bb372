"""How often the first suggested race rule is right, with and without ``--confirm``, and what ``--confirm`` costs.

Run by hand (not a timed test)::

    .venv/bin/python bench/races_confirm.py [--seeds 20] [--first-seed 101] [--tool testr|stestr]
                                            [--workdir DIR] [--out docs/races.md]

For each seed: a fresh ``gen_suite.py`` suite (12 classes, 4 s serial, ``--races 2 --race-scale 12``, the
suite of ``tests/e2e/test_races_confirm.py``) is run in parallel (``testr run --parallel --concurrency 4``,
or ``stestr run --concurrency 4``) until a run fails, at most ``--max-runs`` times. On that first failing run,
with that one run as the whole history:

* ``partitioner races --format config``: for each failed class, is the rule written for it the class and its
  true partner (``truth.json``)? A run counts as right when every failed class's rule is;
* ``partitioner races --confirm --format config``: the same, and its wall time;
* the suite's serial time: its own command (``python -m subunit.run discover``), timed once per seed.

Suites live in a temporary directory (``--workdir`` keeps them); locks in each suite's own ``locks/``.
``--out FILE`` rewrites the generated block of the ``### Measured: one failing run`` section of FILE.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._docs import write_generated  # noqa: E402

GEN_SUITE = Path(os.environ.get("PARTITIONER_SHARED", ROOT.parent / "shared")) / "bench" / "gen_suite.py"
BIN = Path(sys.executable).parent
RULE = re.compile(r"^\s+race\d+: \^\(\?:(.+)\|(.+)\)\\\.$")


@dataclass
class Seed:
    seed: int
    runs: int = 0
    failed: int = 0
    plain_right: int = 0
    confirm_right: int = 0
    confirm_s: float = 0.0
    serial_s: float = 0.0
    trials: int = 0


def tool(name: str) -> str:
    return str(BIN / name) if (BIN / name).exists() else name


def env(root: Path) -> dict[str, str]:
    found = dict(os.environ)
    found.update(PATH=f"{BIN}{os.pathsep}{found.get('PATH', '')}", PYTHON=sys.executable,
                 BENCH_LOCKDIR=str(root / "locks"))
    found.pop("PYTHONPATH", None)
    return found


def run(root: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), cwd=root, env=env(root), capture_output=True, text=True, timeout=900,
                          stdin=subprocess.DEVNULL, check=False, errors="replace")


def rules(config: str) -> set[tuple[str, str]]:
    """The class pairs of the active ``raceN:`` lines."""
    found: set[tuple[str, str]] = set()
    for line in config.splitlines():
        match = RULE.match(line)
        if match:
            a, b = sorted((match.group(1).replace("\\", ""), match.group(2).replace("\\", "")))
            found.add((a, b))
    return found


def right(failed: set[str], partner: dict[str, str], written: set[tuple[str, str]]) -> int:
    """Failed classes whose true pair is written, when no wrong pair is written with it."""
    wrong = {c for pair in written if partner.get(pair[0]) != pair[1] for c in pair}
    return sum(1 for c in failed if tuple(sorted((c, partner.get(c, "?")))) in written and c not in wrong)


def one(seed: int, root: Path, args: argparse.Namespace) -> Seed:
    from partitioner.history.repository import read_repository
    from partitioner.statuses import FAILING, PSEUDO_TESTS
    from partitioner.testids import class_key

    subprocess.run([sys.executable, str(GEN_SUITE), str(root), "--classes", "12", "--serial-s", "4", "--races", "2",
                    "--race-scale", "12", "--seed", str(seed)], check=True, capture_output=True)
    truth = json.loads((root / "truth.json").read_text())["classes"]
    partner = {c["class"]: o["class"] for c in truth for o in truth
               if c["resource"] and o["resource"] == c["resource"] and o is not c}
    found = Seed(seed)
    began = time.monotonic()
    run(root, sys.executable, "-m", "subunit.run", "discover", "-t", ".", "./suite")
    found.serial_s = time.monotonic() - began
    repo = ".testrepository" if args.tool == "testr" else ".stestr"
    if args.tool == "stestr":
        (root / ".testr.conf").unlink()
    run(root, tool(args.tool), "init")
    argv = (["run", "--parallel", "--concurrency", "4"] if args.tool == "testr" else ["run", "--concurrency", "4"])
    for _ in range(args.max_runs):
        found.runs += 1
        if run(root, tool(args.tool), *argv).returncode != 0:
            break
    else:
        return found
    runs, _, _ = read_repository(root / repo)
    latest = max(runs, key=lambda r: r.order)
    failed = {class_key(r.test_id) for r in latest.records if r.status in FAILING and r.test_id not in PSEUDO_TESTS}
    found.failed = len(failed)
    single = ["--history", f"{repo}/{latest.order}"]
    plain = run(root, tool("partitioner"), "races", "--format", "config", *single)
    found.plain_right = right(failed, partner, rules(plain.stdout))
    began = time.monotonic()
    confirm = run(root, tool("partitioner"), "races", "--confirm", "--format", "config", *single)
    found.confirm_s = time.monotonic() - began
    found.trials = len(re.findall(r"--confirm: trial \d+:", confirm.stderr))
    found.confirm_right = right(failed, partner, rules(confirm.stdout))
    return found


def report(seeds: list[Seed], args: argparse.Namespace) -> str:
    failing = [s for s in seeds if s.failed]
    classes = sum(s.failed for s in failing)
    ratios = [s.confirm_s / s.serial_s for s in failing if s.serial_s]
    lines = [
        f"`python bench/races_confirm.py --seeds {args.seeds} --first-seed {args.first_seed} --tool {args.tool}` "
        f"({time.strftime('%Y-%m-%d')}): {len(seeds)} fresh suites (12 classes, 4 s serial, 2 racing pairs, "
        f"race scale 12), `{args.tool}` with 4 workers until the first failing run "
        f"({len(failing)} of {len(seeds)} failed within {args.max_runs} runs); that run alone as history.",
        "",
        "| | failed classes whose rule is the true pair | runs whose every rule is right |",
        "|---|---|---|",
        f"| `races --format config` | {sum(s.plain_right for s in failing)}/{classes} | "
        f"{sum(1 for s in failing if s.plain_right == s.failed)}/{len(failing)} |",
        f"| `races --confirm --format config` | {sum(s.confirm_right for s in failing)}/{classes} | "
        f"{sum(1 for s in failing if s.confirm_right == s.failed)}/{len(failing)} |",
        "",
    ]
    if ratios:
        confirm_s = [s.confirm_s for s in failing]
        trials = statistics.median(s.trials for s in failing)
        serial_s = statistics.median(s.serial_s for s in failing)
        lines.append(f"`--confirm` took {statistics.median(confirm_s):.1f} s median (max {max(confirm_s):.1f} s; "
                     f"{trials:g} trials median) against the suite's serial time of {serial_s:.1f} s: "
                     f"{statistics.median(ratios):.1f}x median, {max(ratios):.1f}x at most.")
    lines += ["", "| seed | runs to a failure | failed classes | right without / with --confirm | --confirm s | "
              "trials | serial s |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {s.seed} | {s.runs} | {s.failed} | {s.plain_right} / {s.confirm_right} | {s.confirm_s:.1f} | "
              f"{s.trials} | {s.serial_s:.1f} |" for s in seeds]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=101)
    parser.add_argument("--tool", choices=("testr", "stestr"), default="testr")
    parser.add_argument("--max-runs", type=int, default=8)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="races-confirm-") as tmp:
        base = args.workdir or Path(tmp)
        seeds = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            found = one(seed, base / f"seed{seed}", args)
            print(f"seed {seed}: {found}", file=sys.stderr, flush=True)
            seeds.append(found)
    text = report(seeds, args)
    print(text)
    if args.out:
        write_generated(args.out, "### Measured: one failing run", "races_confirm.py", text)


if __name__ == "__main__":
    main()
