"""The outputs of ``partitioner history summary``: failing tests for people, every test as versioned JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import IO

from partitioner.history.summary import TestSummary
from partitioner.render.output import FORMAT_VERSION


def summary_to_dict(rows: Sequence[TestSummary], parallel: int, serial: int) -> dict[str, object]:
    """The JSON document: run counts and every test's row."""
    return {
        "format_version": FORMAT_VERSION,
        "runs": {"parallel": parallel, "serial": serial},
        "tests": [{"test": r.test, "runs": r.runs, "parallel_runs": r.parallel_runs,
                   "parallel_failures": r.parallel_failures, "serial_runs": r.serial_runs,
                   "serial_failures": r.serial_failures, "only_parallel": r.only_parallel} for r in rows],
    }


def render_json(rows: Sequence[TestSummary], parallel: int, serial: int, out: IO[str]) -> None:
    """Write :func:`summary_to_dict` as indented JSON."""
    json.dump(summary_to_dict(rows, parallel, serial), out, indent=1, ensure_ascii=False)
    out.write("\n")


def render_text(rows: Sequence[TestSummary], parallel: int, serial: int, out: IO[str]) -> None:
    """The counts, then the tests that failed at least once (those failing only in parallel first)."""
    runs = parallel + serial
    failing = [r for r in rows if r.parallel_failures or r.serial_failures]
    only = sum(1 for r in rows if r.only_parallel)
    out.write(f"{len(rows)} tests in {runs} runs ({parallel} parallel, {serial} serial); "
              f"{len(failing)} failed at least once, {only} only in parallel\n")
    if failing:
        out.write(f"{'parallel':>9}  {'serial':>9}  test\n{'fail/runs':>9}  {'fail/runs':>9}\n")
    for r in failing:
        mark = ("" if not r.only_parallel else "  <- passes serially: a race?" if r.serial_runs
                else "  <- fails in parallel, never run serially")
        out.write(f"{f'{r.parallel_failures}/{r.parallel_runs}':>9}  {f'{r.serial_failures}/{r.serial_runs}':>9}  "
                  f"{r.test}{mark}\n")
    if only:
        out.write("diagnose a failing parallel run with `partitioner races [RUN]`\n")
    if only and not serial:
        out.write("no serial run is stored: run the tests once serially (testr run) to tell races from plain "
                  "failures\n")
