"""Pictures for the docs: one generated suite planned by partitioner, testr and stestr, drawn side by side.

Run by hand (about half a minute with the plan_quality workdir already made)::

    .venv/bin/python bench/timeline_plans.py --workdir /work/bench-cache/plan_quality --out-dir docs/images

For a generated tempest-shaped suite (``shared/bench/gen_suite.py``, as ``bench/plan_quality.py`` makes it:
its history is the stream of one real ``stestr run --concurrency 4``), the same test ids are planned three ways
from that history -- partitioner (``lpt``, grouped by class), testrepository's own
``TestListingFixture.partition_tests`` and stestr's own ``scheduler.partition_tests`` (group_regex
``([^\\.]*\\.)*``; their times from real repositories made with ``testr load``/``stestr load``) -- exactly as
``bench/plan_quality.py`` does. Each plan is then drawn at the suite's TRUE costs (``dataset.json``: every
test's duration, and each class's setUpClass charged on every worker the class lands on), one section per
scheduler on one time axis, with the timeline page's own code (:func:`partitioner.timeline.predicted.predicted_lanes`,
:func:`partitioner.timeline.page.render_timeline`), and photographed in headless Chromium.

Writes ``plans-<suite>-n<N>.html`` and ``.png`` per worker count into ``--out-dir`` and prints a Markdown table
of the makespans.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import types
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

import plan_quality as pq  # noqa: E402

from partitioner.costmodel import Estimate  # noqa: E402
from partitioner.grouping import make_grouper  # noqa: E402
from partitioner.pipeline import plan_ids  # noqa: E402
from partitioner.timeline.model import Lane, Timeline  # noqa: E402
from partitioner.timeline.page import render_timeline  # noqa: E402
from partitioner.timeline.predicted import predicted_lanes  # noqa: E402
from tests.timeline.chromium import Chromium, find_chromium  # noqa: E402

SCHEDULERS = {"partitioner": "partitioner (lpt, by class)", "testr": "testr's partition_tests",
              "stestr": "stestr's partition_tests"}


@dataclass(frozen=True)
class TrueCosts:
    """The suite's truth as a cost model: each test's true duration, each class's true setUpClass, no start-up."""

    truth: pq.Truth
    startup_s: float = 0.0

    def test(self, test_id: str) -> Estimate:
        return Estimate(self.truth.durations[test_id], "truth")

    def class_setup(self, klass: str) -> Estimate:
        return Estimate(self.truth.setup.get(klass, 0.0), "truth")


def plans(case: pq.Case, n: int, workdir: Path) -> dict[str, list[list[str]]]:
    """The three schedulers' partitions of the suite's ids for ``n`` workers (as plan_quality makes them)."""
    from stestr import scheduler
    from testrepository.testcommand import TestListingFixture

    ids = case.truth.test_ids
    history, _ = pq.load_partitioner_history(case.stream)
    v2 = pq.to_v2(case.stream)
    repos = workdir / "timeline-plans" / case.name
    shutil.rmtree(repos, ignore_errors=True)
    testr_repo, _ = pq.tool_repository("testr", v2, repos / "testr", ids)
    stestr_repo, _ = pq.tool_repository("stestr", v2, repos / "stestr", ids)
    fixture = types.SimpleNamespace(repository=testr_repo, _group_callback=pq.group_callback)
    return {
        "partitioner": pq.partitions(plan_ids(ids, n, history, make_grouper("class"))),
        "testr": TestListingFixture.partition_tests(fixture, list(ids), n),
        "stestr": scheduler.partition_tests(list(ids), n, stestr_repo, pq.group_callback),
    }


def lanes(made: dict[str, list[list[str]]], truth: pq.Truth) -> tuple[Lane, ...]:
    """Each plan's lanes at true costs; a worker runs its ids in discovery (sorted) order, as ``--load-list``
    filters a sorted listing, so a class's tests run together and pay its setUpClass once per worker."""
    costs = TrueCosts(truth)
    out: list[Lane] = []
    for name, partitions in made.items():
        assignment = [(f"worker-{i}", sorted(p)) for i, p in enumerate(partitions)]
        out.extend(predicted_lanes(assignment, costs, section=SCHEDULERS[name]))
    return tuple(out)


def photograph(page: Path, png: Path, width: int) -> None:
    executable = find_chromium()
    if executable is None:
        raise SystemExit("no Chromium found: install Debian's chromium or set PARTITIONER_CHROMIUM")
    profile = Path(tempfile.mkdtemp(prefix="timeline-plans-"))
    browser = Chromium(executable, profile)
    try:
        tab = browser.new_page(width, 600)
        tab.open(page)
        tab.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        # the chart and its headline figures: the page down to the end of the canvas
        bottom = tab.evaluate("document.getElementById('chart').getBoundingClientRect().bottom + 4")
        tab.viewport(width, int(bottom) + 1)
        tab.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        tab.screenshot(png, full_page=False)
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, required=True,
                        help="plan_quality's workdir (the generated suite and its stestr run are made if missing)")
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--classes", type=int, default=120)
    parser.add_argument("--ns", default="4,8", help="worker counts (default 4,8)")
    parser.add_argument("--width", type=int, default=1200, help="picture width in CSS pixels")
    args = parser.parse_args(argv)
    if os.environ.get("PYTHONHASHSEED") != pq.HASH_SEED and argv is None:
        # testr's and stestr's partition_tests iterate over sets: pin str hashing, as plan_quality does
        os.execve(sys.executable, [sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]],
                  dict(os.environ, PYTHONHASHSEED=pq.HASH_SEED))
    case = pq.generated_case(args.workdir, args.seed, args.classes, lambda m: print(m, file=sys.stderr))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    rows = ["| suite | N | lower bound | " + " | ".join(SCHEDULERS) + " |",
            "|---|---:|---:|" + "---:|" * len(SCHEDULERS)]
    for n in (int(x) for x in args.ns.split(",")):
        made = plans(case, n, args.workdir)
        bound = case.truth.lower_bound(n)
        ends = {name: case.truth.makespan(p) for name, p in made.items()}
        drawn = lanes(made, case.truth)
        for name, label in SCHEDULERS.items():  # the picture and the truth agree on every makespan
            finish = max(x.finish for x in drawn if x.section == label)
            assert abs(finish - ends[name]) < 1e-6, (name, finish, ends[name])
        title = (f"{len(case.truth.test_ids)} tests in {len(case.truth.classes())} classes on {n} workers, planned "
                 f"from one history, drawn at true costs (lower bound {bound:.1f} s)")
        note = case.history_note.replace("`", "")
        timeline = Timeline(title, None, (), drawn, subtitle=f"{case.name}: {note}; each worker runs its tests in "
                            f"discovery order, a class's setUpClass once per worker it lands on")
        stem = f"plans-{case.name}-n{n}"
        page = args.out_dir / f"{stem}.html"
        page.write_text(render_timeline(timeline), encoding="utf-8")
        photograph(page, args.out_dir / f"{stem}.png", args.width)
        rows.append(f"| {case.name} | {n} | {bound:.1f} s | "
                    + " | ".join(f"{ends[k]:.1f} s ({ends[k] / bound:.3f})" for k in SCHEDULERS) + " |")
        print(f"{page}\n{args.out_dir / f'{stem}.png'}", file=sys.stderr)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
