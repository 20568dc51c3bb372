"""The outputs of ``partitioner races --order``: what ran before each failed class in its test process, and what
``--confirm`` found by replaying and bisecting it; a table for people and versioned JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from partitioner.races.before import OrderSuspect
from partitioner.races.order import OrderVerdict
from partitioner.render.output import FORMAT_VERSION, plural


@dataclass(frozen=True)
class Bisected:
    """What ``--order --confirm`` did: the verdicts, its trials, seconds and budget, why it stopped early (if it
    did), and whether the trials could keep the run's order (a pull worker) or ran in the suite's order."""

    verdicts: tuple[OrderVerdict, ...]
    trials: int
    seconds: float
    budget: str
    stopped: str | None = None
    in_order: bool = True


def _worker(suspect: OrderSuspect) -> str:
    return suspect.worker or "its one worker"


def verdict_line(suspect: OrderSuspect, verdict: OrderVerdict) -> str:
    """One sentence: what ``--confirm`` found for ``suspect``."""
    failures, runs = verdict.alone
    alone = f"alone it passes ({runs - failures}/{runs})"
    if verdict.outcome == "order-dependent":
        k, n = verdict.reproduced
        what = ", ".join(verdict.polluters)
        ran = "ran" if len(verdict.polluters) == 1 else "ran, in this order,"
        return (f"{suspect.klass} fails after {what} {ran} in the same process "
                f"({k}/{n} reproductions); {alone}")
    if verdict.outcome == "fails alone":
        line = f"fails alone: it failed in {failures} of {plural(runs, 'run')} with nothing before it"
        if suspect.passed:
            shown = ", ".join(suspect.passed[-3:])
            return (f"{line}, yet passed in run{'s' if len(suspect.passed) != 1 else ''} {shown}: it may need state "
                    f"that earlier tests set up there (an order dependence the other way round), or be flaky")
        return f"{line}: broken or flaky, not an order dependence"
    if verdict.outcome == "not reproduced":
        if not verdict.replayed[0]:
            return (f"not reproduced: {verdict.note}; a race with another worker (`partitioner races`), or time, "
                    f"rather than order")
        return f"not reproduced: {verdict.note}"
    return f"not tried: {verdict.note or 'the budget ran out'}"


def render_table(suspects: Sequence[OrderSuspect], top: int, label: str, out: IO[str],
                 bisected: Bisected | None = None, notes: Sequence[str] = ()) -> None:
    """Each failed class: where it ran, how much ran before it, the classes that never ran before it where it
    passed (``top`` of them, nearest first), and what ``--confirm`` found."""
    failed = sum(len(s.failed) for s in suspects)
    workers: dict[str, int] = {}
    for suspect in suspects:
        workers[suspect.klass] = workers.get(suspect.klass, 0) + 1
    out.write(f"{label}: {plural(failed, 'failed test')} in {plural(len(workers), 'class', 'classes')}; what ran "
              f"before each in its test process (its worker)\n")
    verdicts = {(v.klass, v.worker): v for v in bisected.verdicts} if bisected else {}
    for suspect in suspects:
        split = f" on {suspect.worker}; it failed on {workers[suspect.klass]} workers, each judged on its own" \
            if workers[suspect.klass] > 1 else ""
        out.write(f"\n{suspect.klass}  (class, {plural(len(suspect.failed), 'failed test')}{split})\n")
        if not suspect.before:
            out.write(f"  on {_worker(suspect)}, nothing ran before it\n")
        else:
            out.write(f"  on {_worker(suspect)} after {plural(suspect.tests, 'test')} of "
                      f"{plural(len(suspect.classes), 'class', 'classes')}\n")
        if not suspect.passed:
            out.write("  it passed in no other stored run\n")
        elif suspect.before:
            shown = ("..., " if len(suspect.passed) > 3 else "") + ", ".join(suspect.passed[-3:])
            out.write(f"  it passed in {plural(len(suspect.passed), 'stored run')} ({shown}); {len(suspect.fresh)} "
                      f"of these classes never ran before it there")
            out.write(":\n" if suspect.fresh else "\n")
            for klass in suspect.fresh[:top]:
                out.write(f"    {klass}\n")
            if len(suspect.fresh) > top:
                out.write(f"    ... {len(suspect.fresh) - top} more (--top)\n")
        if (suspect.klass, suspect.worker) in verdicts:
            out.write(f"  {verdict_line(suspect, verdicts[suspect.klass, suspect.worker])}\n")
    if bisected is not None:
        out.write(f"\n--order --confirm: {plural(bisected.trials, 'trial')} in {bisected.seconds:.1f}s (budget "
                  f"{bisected.budget}){f'; stopped: {bisected.stopped}' if bisected.stopped else ''}\n")
    for note in notes:
        out.write(f"note: {note}\n")


def _verdict_dict(verdict: OrderVerdict) -> dict[str, object]:
    return {"verdict": verdict.outcome, "polluters": list(verdict.polluters), "level": verdict.level,
            "reproduced": {"failures": verdict.reproduced[0], "runs": verdict.reproduced[1]},
            "replayed": {"failures": verdict.replayed[0], "runs": verdict.replayed[1]},
            "alone": {"failures": verdict.alone[0], "runs": verdict.alone[1]},
            "trials": verdict.trials, "note": verdict.note or None}


def order_to_dict(suspects: Sequence[OrderSuspect], top: int, bisected: Bisected | None = None) -> dict[str, object]:
    """The JSON document: per failed class and worker it failed on, what ran before it there, the fresh classes
    (``top``; all are counted), the runs it passed in, and ``--confirm``'s verdict."""
    verdicts = {(v.klass, v.worker): v for v in bisected.verdicts} if bisected else {}
    found: list[dict[str, object]] = []
    for s in suspects:
        entry: dict[str, object] = {
            "class": s.klass, "failed": list(s.failed), "worker": s.worker,
            "before": {"tests": s.tests, "classes": len(s.classes)},
            "passed_in": list(s.passed), "fresh": list(s.fresh[:top]), "fresh_count": len(s.fresh),
        }
        if (s.klass, s.worker) in verdicts:
            entry["bisect"] = _verdict_dict(verdicts[s.klass, s.worker])
        found.append(entry)
    doc: dict[str, object] = {"format_version": FORMAT_VERSION, "order": found}
    if bisected is not None:
        doc["bisect"] = {"trials": bisected.trials, "seconds": round(bisected.seconds, 1), "budget": bisected.budget,
                         "stopped": bisected.stopped, "in_order": bisected.in_order}
    return doc


def render_json(suspects: Sequence[OrderSuspect], top: int, out: IO[str], bisected: Bisected | None = None) -> None:
    """Write :func:`order_to_dict` as indented JSON."""
    json.dump(order_to_dict(suspects, top, bisected), out, indent=1, ensure_ascii=False)
    out.write("\n")
