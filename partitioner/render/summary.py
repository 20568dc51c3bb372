"""The outputs of ``partitioner history summary``: failing tests and their trend for people, every test as
versioned JSON; and :class:`Tool`, how to phrase advice for the project's own tool (testr or stestr, and testr
running partitioner's runner)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from partitioner.history.samples import Interruption
from partitioner.history.summary import RanBefore, Summary, TestSummary, Window
from partitioner.render.output import FORMAT_VERSION, plural
from partitioner.run import advice

#: run names shown per test in the text output (JSON lists them all)
SHOWN_RUNS = 6


@dataclass(frozen=True)
class Tool:
    """The tool a project runs its tests with, for advice: ``testr``, ``stestr``, or ``None`` (unknown).

    :ivar runner: testr's test_command is partitioner's runner (:mod:`partitioner.run.advice`): ``testr run``
        then runs the runner's workers, and ``testr run --parallel`` would nest testr's partitioning around it
    """

    name: str | None = None
    runner: bool = False

    @property
    def parallel(self) -> str:
        """The command that runs the suite in parallel."""
        testr = advice.PARALLEL if self.runner else "testr run --parallel"
        return {"testr": testr, "stestr": "stestr run"}.get(self.name or "", f"{testr}, or stestr run")

    @property
    def serial(self) -> str:
        """The command that runs the suite serially."""
        testr = advice.SERIAL if self.runner else "testr run"
        return {"testr": testr, "stestr": "stestr run --serial"}.get(self.name or "",
                                                                    f"{testr}, or stestr run --serial")

    @property
    def failing(self) -> str:
        """The command that lists the failed tests of the latest run."""
        return {"testr": "testr failing", "stestr": "stestr failing"}.get(self.name or "",
                                                                          "testr failing, or stestr failing")


def interrupted_line(stopped: Sequence[Interruption], name: str | None = None) -> str:
    """One line on the interrupted runs ``stopped`` (at least one): the tests their interruption cut short, and those
    it kept from starting, are not counted as failures. ``name`` names a lone run (default ``run N``)."""
    cut = sum(len(s.cut) for s in stopped)
    unreached = sum(s.unreached for s in stopped)
    signals = ", ".join(sorted({s.signal for s in stopped if s.signal}))
    if len(stopped) == 1:
        how = signals or "its stream ends with tests still running"
        head, its, it = f"{name or f'run {stopped[0].run}'} was interrupted ({how})", "its", "it"
    elif len({s.signal for s in stopped}) == 1:  # one signal for all: said once
        runs = ", ".join(s.run for s in stopped[:SHOWN_RUNS]) + (", ..." if len(stopped) > SHOWN_RUNS else "")
        head, its, it = f"{len(stopped)} runs were interrupted ({runs}{f'; {signals}' if signals else ''})", "their", \
            "they"
    else:  # each run with its own signal: "3, 5; SIGINT, SIGTERM" read as pairs that were not
        runs = ", ".join(f"{s.run}: {s.signal or 'stream cut off'}" for s in stopped[:SHOWN_RUNS]) + \
            (", ..." if len(stopped) > SHOWN_RUNS else "")
        head, its, it = f"{len(stopped)} runs were interrupted ({runs})", "their", "they"
    if not cut:
        return (f"{head}: the {plural(unreached, 'test')} {it} never reached {'is' if unreached == 1 else 'are'} not "
                f"counted as {'a failure' if unreached == 1 else 'failures'}")
    one = cut == 1
    nor = f", nor the {unreached:,} {it} never reached" if unreached else ""
    return (f"{head}: {its} {plural(cut, 'test')} cut short {'is' if one else 'are'} not counted as "
            f"{'a failure' if one else 'failures'}{nor}")


def interrupted_dicts(stopped: Sequence[Interruption]) -> list[dict[str, object]]:
    """The interrupted runs in JSON: each run's short name, the signal (``null`` when only the stream's end tells),
    the tests it cut short and how many it never reached."""
    return [{"run": s.run, "signal": s.signal or None, "cut": list(s.cut), "unreached": s.unreached} for s in stopped]


def _stamp(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def summary_to_dict(summary: Summary, interrupted: Sequence[Interruption] = ()) -> dict[str, object]:
    """The JSON document: run counts (the interrupted runs, whose cut-short tests are not counted as failures, among
    them), the race estimate, the time windows and every test's row."""
    return {
        "format_version": FORMAT_VERSION,
        "runs": {"parallel": summary.parallel, "serial": summary.serial, "broken": list(summary.broken),
                 "interrupted": interrupted_dicts(interrupted),
                 "first": _stamp(summary.first), "last": _stamp(summary.last)},
        "parallel_failed": summary.parallel_failed,
        "race_failed": summary.race_failed,
        "race_only": summary.race_only,
        "race_only_rate": round(summary.race_only / summary.parallel, 4) if summary.parallel else None,
        "windows": [{"start": _stamp(w.start), "stop": _stamp(w.stop), "parallel": w.parallel,
                     "parallel_failed": w.parallel_failed, "race_failed": w.race_failed, "race_only": w.race_only,
                     "serial": w.serial, "serial_failed": w.serial_failed} for w in summary.windows],
        "tests": [{"test": r.test, "runs": r.runs, "parallel_runs": r.parallel_runs,
                   "parallel_failures": r.parallel_failures, "serial_runs": r.serial_runs,
                   "serial_failures": r.serial_failures, "only_parallel": r.only_parallel,
                   "every_run": r.every_run,
                   "failed_in": list(r.failed_in),
                   "windows": [{"parallel_failures": pf, "parallel_runs": pr, "serial_failures": sf, "serial_runs": sr}
                               for pf, pr, sf, sr in r.windows],
                   "before": _before_dict(r.before)} for r in summary.tests],
    }


def _before_dict(before: RanBefore | None) -> dict[str, object] | None:
    if before is None:
        return None
    return {"run": before.run, "worker": before.worker, "tests": before.tests, "classes": before.classes,
            "passed_runs": before.passed, "fresh": list(before.fresh)}


def _before_line(before: RanBefore) -> str:
    """What ran before a test in its test process, in the newest parallel run it failed in."""
    line = (f"after {before.tests} test{'s' if before.tests != 1 else ''} of {before.classes} "
            f"class{'es' if before.classes != 1 else ''} on {before.worker or 'its worker'} in run {before.run}")
    if before.passed and before.classes:
        line += (f"; {len(before.fresh)} of those classes never ran before it in the {before.passed} "
                 f"run{'s' if before.passed != 1 else ''} it passed in")
    return line


def render_json(summary: Summary, out: IO[str], interrupted: Sequence[Interruption] = ()) -> None:
    """Write :func:`summary_to_dict` as indented JSON."""
    json.dump(summary_to_dict(summary, interrupted), out, indent=1, ensure_ascii=False)
    out.write("\n")


def _window_label(window: Window) -> str:
    return (_stamp(window.start) or "")[:16].replace("T", " ")


def _runs(row: TestSummary) -> str:
    shown = ", ".join(row.failed_in[-SHOWN_RUNS:])
    return ("..., " if len(row.failed_in) > SHOWN_RUNS else "") + shown


def render_text(summary: Summary, tool: Tool, out: IO[str], width: str = "",
                interrupted: Sequence[Interruption] = ()) -> None:
    """The counts and the race estimate, the trend per time window, then the tests that failed at least once
    (those failing only in parallel first), with the runs they failed in; then advice for ``tool``.

    :param width: how the time window's width is spelt (``1h``), for the trend's heading
    :param interrupted: the interrupted runs among those counted (one line says their cut-short tests are not
        counted as failures)
    """
    rows = summary.tests
    runs = summary.parallel + summary.serial
    failing = [r for r in rows if r.parallel_failures or r.serial_failures]
    only = sum(1 for r in rows if r.only_parallel)
    always = sum(1 for r in rows if r.every_run)
    # without a serial run nothing tells a race from a test that always fails: say so instead of counting races
    only_words = "only in parallel" if summary.serial else "only in parallel (no serial run to compare)"
    always_words = f", {always} in every run that ran {'them' if always != 1 else 'it'}" if always else ""
    out.write(f"{plural(len(rows), 'test')} in {plural(runs, 'run')} ({summary.parallel} parallel, "
              f"{summary.serial} serial); {len(failing)} failed at least once, {only} {only_words}{always_words}\n")
    if summary.broken:
        shown = ", ".join(summary.broken[:SHOWN_RUNS]) + (", ..." if len(summary.broken) > SHOWN_RUNS else "")
        out.write(f"left out: {len(summary.broken)} run{'s' if len(summary.broken) != 1 else ''} in which (nearly) "
                  f"every class failed ({shown}): no race, something broke the whole run (configuration, "
                  f"credentials, a service down)\n")
    if interrupted:
        out.write(f"{interrupted_line(interrupted)}\n")
    if summary.parallel and not summary.serial:
        out.write(f"parallel runs that failed: {summary.parallel_failed} of {summary.parallel} "
                  f"({_share(summary.parallel_failed, summary.parallel)}); how many of them races made, no serial run "
                  f"can tell\n")
    elif summary.parallel:
        out.write(f"parallel runs that failed: {summary.parallel_failed} of {summary.parallel} "
                  f"({_share(summary.parallel_failed, summary.parallel)}); failed only in tests that never fail "
                  f"serially: {summary.race_only} ({_share(summary.race_only, summary.parallel)} of parallel runs "
                  f"fail because of them)\n")
    if len(summary.windows) > 1:
        out.write(f"\n{f'window ({width})' if width else 'window':<18}  {'parallel':>8}  {'failed':>6}  "
                  f"{'by races':>8}  {'serial':>6}  {'failed':>6}\n")
        for w in summary.windows:
            out.write(f"{_window_label(w):<18}  {w.parallel:>8}  {w.parallel_failed:>6}  {w.race_only:>8}  "
                      f"{w.serial:>6}  {w.serial_failed:>6}\n")
    if failing:
        out.write(f"\n{'parallel':>9}  {'serial':>9}  test\n{'fail/runs':>9}  {'fail/runs':>9}\n")
    for r in failing:
        mark = ("  <- fails in every run, whatever ran beside it: no race; fix it as an ordinary failure"
                if r.every_run else "" if not r.only_parallel else
                "  <- passes serially: a race, or an order dependence?" if r.serial_runs
                else "  <- fails in parallel, never run serially")
        out.write(f"{f'{r.parallel_failures}/{r.parallel_runs}':>9}  {f'{r.serial_failures}/{r.serial_runs}':>9}  "
                  f"{r.test}{mark}\n")
        trend = ""
        if len(summary.windows) > 1:
            trend = "; per window (parallel) " + " ".join(f"{pf}/{pr}" if pr else "-" for pf, pr, _, _ in r.windows)
        out.write(f"{'':>22}failed in run{'s' if len(r.failed_in) != 1 else ''} {_runs(r)}{trend}\n")
        if r.only_parallel and r.before is not None:
            out.write(f"{'':>22}{_before_line(r.before)}\n")
    if only:
        out.write(f"diagnose a failing parallel run with `partitioner races [RUN]` (what ran beside each failure; add "
                  f"--confirm to reproduce before accusing) or `partitioner races [RUN] --order` (what ran before it "
                  f"in its test process: a failure that depends on state earlier tests left behind passes serially "
                  f"too); `{tool.failing}` lists the latest run's failures\n")
    if only and not summary.serial:
        out.write(f"no serial run is stored: run the tests once serially ({tool.serial}) to tell races from plain "
                  f"failures\n")

