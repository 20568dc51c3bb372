"""Timeline page benchmark: file size and time to render a large run's page in a real headless Chromium.

Run by hand (not a timed test)::

    .venv/bin/python bench/timeline_render.py [--tests 20000] [--workers 16] [--loads 5] [--out FILE]

It synthesises a tempest-shaped parallel run (``--tests`` tests in classes of 1-12, lognormal durations, a
class-setup gap at each class change, 1% failures and 3% skips, seeded), writes it as a subunit v2 stream
with python-subunit and reads it back with partitioner's reader, diagnoses its races, plans the same ids on
the same workers from it (so every worker has a predicted lane too: twice the bars), and renders the page.

Measured:

* Python: read the stream, build the timeline (with races and predicted lanes), render the HTML;
* the file: bytes, and gzip'd bytes (what a CI log server sends);
* Chromium, ``--loads`` fresh tabs: from ``Page.navigate`` to the load event as seen over the protocol, the
  page's own figures -- JSON parse, first canvas draw, the whole script, and the time from navigation start to
  the second animation frame after the script (the lanes are on screen) -- plus the navigation timing;
* interaction, in the page: one full redraw at full view and zoomed to 5% of the run, one hover hit-test.

With ``--out`` the figures are written as Markdown (e.g. ``/work/notes/timeline_bench.md``).
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import io
import math
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import subunit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from partitioner.grouping import BUILTIN  # noqa: E402
from partitioner.history.model import History  # noqa: E402
from partitioner.history.subunit import read_stream  # noqa: E402
from partitioner.pipeline import plan_ids  # noqa: E402
from partitioner.races import diagnose  # noqa: E402
from partitioner.timeline.model import build_timeline  # noqa: E402
from partitioner.timeline.page import render_timeline  # noqa: E402
from partitioner.timeline.predicted import plan_assignment, predicted_lanes  # noqa: E402
from tests.timeline.chromium import Chromium, find_chromium  # noqa: E402

API = "window.partitionerTimeline"


def synthesise(n_tests: int, n_workers: int, seed: int) -> bytes:
    """A subunit v2 stream of a parallel tempest-shaped run (see the module docstring)."""
    rng = random.Random(seed)
    classes: list[tuple[str, int, float]] = []
    made = 0
    while made < n_tests:
        size = min(rng.randint(1, 12), n_tests - made)
        area = rng.choice(["compute", "network", "volume", "image", "identity", "object_storage"])
        klass = f"tempest.api.{area}.test_m{len(classes) % 97:03d}.Api{len(classes):05d}TestJSON"
        classes.append((klass, size, rng.lognormvariate(0.5, 1.0) if rng.random() < 0.4 else 0.0))
        made += size
    rng.shuffle(classes)
    clocks = [1_700_000_000.0 + rng.uniform(0.5, 2.0) for _ in range(n_workers)]
    out = io.BytesIO()
    writer = subunit.StreamResultToBytes(out)

    def stamp(seconds: float) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)

    for klass, size, setup in classes:
        worker = min(range(n_workers), key=lambda w: (clocks[w], w))
        tags = {f"worker-{worker}"}
        clocks[worker] += setup + 0.002
        for i in range(size):
            test = f"{klass}.test_{i:02d}_{rng.choice(['list', 'create', 'delete', 'update', 'show'])}"
            if rng.random() < 0.3:
                test += f"[id-{rng.getrandbits(64):016x},smoke]"
            seconds = rng.lognormvariate(-0.5, 1.2)
            roll = rng.random()
            status = "fail" if roll < 0.01 else "skip" if roll < 0.04 else "success"
            if status == "skip":
                seconds = 0.001
            writer.status(test_id=test, test_status="inprogress", test_tags=tags, timestamp=stamp(clocks[worker]))
            clocks[worker] += seconds
            writer.status(test_id=test, test_status=status, test_tags=tags, timestamp=stamp(clocks[worker]))
            clocks[worker] += 0.0005
    return out.getvalue()


def timed(label: str, figures: dict[str, float], work):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = work()
    figures[label] = (time.perf_counter() - start) * 1000
    return result


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def measure_browser(path: Path, loads: int, width: int) -> dict[str, float]:
    """Median figures over ``loads`` fresh tabs (see the module docstring), in milliseconds."""
    executable = find_chromium()
    if executable is None:
        raise SystemExit("no Chromium found: install Debian's chromium or set PARTITIONER_CHROMIUM")
    profile = Path(tempfile.mkdtemp(prefix="timeline-bench-"))
    browser = Chromium(executable, profile)
    samples: dict[str, list[float]] = {}
    try:
        browser.call("Browser.getVersion")
        for _ in range(loads):
            page = browser.new_page(width, 900)
            start = time.perf_counter()
            page.open(path, timeout=120)
            samples.setdefault("navigate to load event (protocol)", []).append((time.perf_counter() - start) * 1000)
            stats = page.evaluate(f"new Promise(r => {{ const w = () => {API}.stats.paintedAt ? r({API}.stats) :"
                                  " setTimeout(w, 5); w(); })")
            nav = page.evaluate("(() => { const n = performance.getEntriesByType('navigation')[0];"
                                " return {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd}; })()")
            samples.setdefault("navigation: DOMContentLoaded", []).append(nav["dcl"])
            samples.setdefault("navigation: load event end", []).append(nav["load"])
            samples.setdefault("script: JSON.parse", []).append(stats["parseMs"])
            samples.setdefault("script: first draw", []).append(stats["firstDrawMs"])
            samples.setdefault("script: whole (parse, layout, first draw)", []).append(stats["scriptMs"])
            samples.setdefault("navigation start to the lanes painted (second frame)", []).append(
                stats["paintedAt"])
            draw = page.evaluate(f"(() => {{ const a = []; for (let i = 0; i < 20; i++) a.push({API}.draw(true));"
                                 " return a; })()")
            samples.setdefault("redraw lanes, full view (a zoom or pan step)", []).append(median(draw))
            hover = page.evaluate(f"(() => {{ const a = []; for (let i = 0; i < 20; i++) a.push({API}.draw());"
                                  " return a; })()")
            samples.setdefault("redraw on hover (base layer copied, outlines drawn)", []).append(median(hover))
            end = page.evaluate(f"{API}.data.end")
            zoomed = page.evaluate(f"(() => {{ const a = []; for (let i = 0; i < 20; i++) "
                                   f"a.push({API}.zoom({end * 0.45}, {end * 0.5})); {API}.reset(); return a; }})()")
            samples.setdefault("redraw lanes, zoomed to 5% of the run", []).append(median(zoomed))
            hits = page.evaluate(
                f"(() => {{ const c = document.getElementById('canvas').getBoundingClientRect();"
                f" const t = performance.now(); let n = 0;"
                f" for (let i = 0; i < 2000; i++) {{ if ({API}.hitAt(c.left + 200 + (i * 7919) % (c.width - 210),"
                f" c.top + 30 + (i * 104729) % (c.height - 40))) n++; }}"
                f" return [(performance.now() - t) / 2000, n]; }})()")
            samples.setdefault("hover hit-test (which bar is under the pointer)", []).append(hits[0])
            start = time.perf_counter()
            box = page.evaluate(f"{API}.barBox(0, 10)")
            page.mouse("mouseMoved", box["x"], box["y"])
            page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            samples.setdefault("hover: mouse event to tooltip and next frame (protocol)", []).append(
                (time.perf_counter() - start) * 1000)
            if not samples.get("shot"):
                page.screenshot(path.with_suffix(".png"), full_page=True)
                samples["shot"] = [1.0]
            page.call("Page.close")
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)
    samples.pop("shot", None)
    return {k: median(v) for k, v in samples.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--width", type=int, default=1400, help="viewport width in CSS pixels")
    parser.add_argument("--workdir", type=Path, help="keep the page (and a screenshot) here")
    parser.add_argument("--out", type=Path, help="write the figures as Markdown here")
    args = parser.parse_args(argv)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="timeline-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    python: dict[str, float] = {}
    stream = synthesise(args.tests, args.workers, args.seed)
    run = timed("read the stream (python-subunit)", python, lambda: read_stream(stream, "synthetic.subunit"))
    diagnosis = timed("diagnose races", python, lambda: diagnose(run))
    ids = [r.test_id for r in run.records]
    planned = timed("plan the same ids", python,
                    lambda: plan_ids(ids, args.workers, History(runs=(run,)), BUILTIN["class"]))
    timeline = timed("build the timeline (+ predicted lanes)", python, lambda: build_timeline(
        run, predicted=predicted_lanes(plan_assignment(planned.plan), planned.model), races=diagnosis))
    html = timed("render the HTML", python, lambda: render_timeline(timeline))
    page = workdir / f"timeline-{args.tests}x{args.workers}.html"
    page.write_text(html, encoding="utf-8")
    raw = page.stat().st_size
    packed = len(gzip.compress(page.read_bytes(), 6))
    browser = measure_browser(page, args.loads, args.width)

    chromium = subprocess.run([find_chromium() or "chromium", "--version"], capture_output=True, text=True,
                              check=False)
    bars = timeline.bars + sum(len(lane.bars) for lane in timeline.predicted)
    lines = [
        f"# Timeline page: size and render time ({args.tests:,} tests, {args.workers} workers)",
        "",
        f"Measured {datetime.date.today():%Y-%m-%d} with `python bench/timeline_render.py --tests {args.tests} "
        f"--workers {args.workers} --loads {args.loads}` on {platform.machine()}, Python "
        f"{platform.python_version()}, {chromium.stdout.strip() or 'Chromium'} (headless, software rendering), "
        f"viewport {args.width}x900 px. The run is synthetic (seeded), read back through partitioner's stream "
        f"reader; the page also carries the plan's predicted lane per worker, so it draws {bars:,} bars "
        f"({timeline.bars:,} actual + {bars - timeline.bars:,} predicted) and "
        f"{sum(len(lane.gaps) for lane in (*timeline.lanes, *timeline.predicted)):,} setup gaps.",
        "",
        "| file | bytes |",
        "|---|---:|",
        f"| HTML (self-contained) | {raw:,} ({raw / 2**20:.2f} MiB) |",
        f"| gzip -6 | {packed:,} ({packed / 2**20:.2f} MiB) |",
        "",
        "| Python step | ms |",
        "|---|---:|",
        *(f"| {k} | {v:,.0f} |" for k, v in python.items()),
        "",
        f"| Chromium (median of {args.loads} fresh tabs) | ms |",
        "|---|---:|",
        *(f"| {k} | {v:,.{3 if v < 1 else 1 if v < 100 else 0}f} |" for k, v in browser.items()),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    print(f"page: {page}\nscreenshot: {page.with_suffix('.png')}", file=sys.stderr)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
