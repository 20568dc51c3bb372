"""The timeline picture for the docs: a real run of a generated suite, drawn by ``partitioner timeline``.

Run by hand (about a minute)::

    .venv/bin/python bench/timeline_shot.py --out-dir docs/images [--workdir DIR]

It generates a tempest-shaped suite (``shared/bench/gen_suite.py``: 30 classes, 60 s serial, two racing class
pairs), runs it once with the real ``stestr run --concurrency 4`` (the history), then with
``partitioner exec -- stestr run --concurrency 4`` (partitioner's plan from that history), and draws the second
run with the command users run: ``partitioner timeline --plan --races`` (the plan made again from the run before
it, and the race diagnosis). Writes ``timeline-run.html``, ``timeline-run.png`` (the whole page) and
``timeline-failure.png`` (a failure clicked: its details pinned, what ran beside it outlined) into ``--out-dir``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from partitioner.history.repository import read_repository  # noqa: E402
from tests.suites import GEN_SUITE, tool, tool_env  # noqa: E402
from tests.timeline.chromium import Chromium, find_chromium  # noqa: E402

API = "window.partitionerTimeline"
WORKERS = "4"


def run(argv: list[str], cwd: Path, **env: str) -> None:
    subprocess.run(argv, cwd=cwd, env=tool_env(**env), check=False, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, help="keep the generated suite and its .stestr here")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    executable = find_chromium()
    if executable is None:
        raise SystemExit("no Chromium found: install Debian's chromium or set PARTITIONER_CHROMIUM")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="timeline-shot-"))
    suite = work / "suite"
    if not (suite / ".stestr").exists():
        shutil.rmtree(suite, ignore_errors=True)
        subprocess.run([sys.executable, str(GEN_SUITE), str(suite), "--classes", "30", "--serial-s", "60",
                        "--races", "2", "--race-scale", "6", "--seed", str(args.seed)], check=True,
                       stdout=subprocess.DEVNULL)
        locks = work / "locks"
        locks.mkdir(exist_ok=True)
        run([tool("stestr"), "init"], suite)
        run([tool("stestr"), "run", "--concurrency", WORKERS], suite, BENCH_RUN="0", BENCH_LOCKDIR=str(locks))
        run([tool("partitioner"), "exec", "--", tool("stestr"), "run", "--concurrency", WORKERS], suite,
            BENCH_RUN="1", BENCH_LOCKDIR=str(locks))
    runs, _, _ = read_repository(suite / ".stestr")
    title = f"partitioner exec -- stestr run --concurrency {WORKERS}   (.stestr/{len(runs) - 1} of a generated " \
            f"tempest-shaped suite)"
    args.out_dir.mkdir(parents=True, exist_ok=True)
    page = (args.out_dir / "timeline-run.html").resolve()
    done = subprocess.run([tool("partitioner"), "timeline", "-o", str(page), "--plan", "--races", "--title", title],
                          cwd=suite, env=tool_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"partitioner timeline failed: {done.stderr.strip()}")
    print(done.stderr.strip(), file=sys.stderr)  # its line on what it drew, and any warning
    profile = Path(tempfile.mkdtemp(prefix="timeline-shot-profile-"))
    browser = Chromium(executable, profile)
    try:
        tab = browser.new_page(1400, 500)
        tab.open(page)
        tab.screenshot(args.out_dir / "timeline-run.png")
        failed = next(((i, j) for i, lane in enumerate(tab.evaluate(f"{API}.lanes()")) if lane["kind"] == "actual"
                       for j in range(lane["bars"])
                       if tab.evaluate(f"{API}.data.statuses[{API}.data.lanes[{i}].bars.st[{j}]]") == "fail"), None)
        if failed is not None:
            box = tab.evaluate(f"{API}.barBox({failed[0]}, {failed[1]})")
            tab.click(box["x"] - box["width"] / 2 + 6, box["y"])
            tab.screenshot(args.out_dir / "timeline-failure.png")
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)
    print(f"{page}\n{args.out_dir / 'timeline-run.png'}\n{args.out_dir / 'timeline-failure.png'}")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
