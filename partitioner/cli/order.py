"""``partitioner races --order``: what ran before each failed class in its test process, and with ``--confirm``
the replay and bisection (:mod:`partitioner.races.order`) run with the suite's own test command
(:meth:`partitioner.cli.suite.Trials.sequence`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from partitioner.cli import durations
from partitioner.cli.console import Console
from partitioner.cli.suite import TRIAL_SLACK_S, SearchEnd, Trials, listed_within, sequence_command, trial_command
from partitioner.config import Settings
from partitioner.errors import HistoryError
from partitioner.history.model import Run
from partitioner.races.before import OrderSuspect, order_suspects
from partitioner.races.order import Bisect, OrderBounds, OrderTrial, Unit
from partitioner.render import order as render
from partitioner.render.summary import Tool
from partitioner.run import Interrupt
from partitioner.testids import canonical, class_key

#: --order --confirm's defaults (see partitioner.races.order.OrderBounds)
DEFAULTS = OrderBounds()


def suspects_of(run: Run, label: str, history: Sequence[Run]) -> tuple[OrderSuspect, ...]:
    """The failed classes of ``run`` and what ran before each; those that passed in another stored run first.

    :raises HistoryError: when the run has no timestamps (the order its tests ran in is unknown)
    """
    if not any(r.start is not None and r.stop is not None for r in run.records):
        raise HistoryError(f"{label} has no timestamps, so the order its tests ran in is unknown; pass a run "
                           f"recorded by `testr run` or `stestr run`")
    found = order_suspects(run, history)
    return tuple(sorted(found, key=lambda s: (not s.passed, s.klass)))


def report(suspects: Sequence[OrderSuspect], top: int, label: str, fmt: str, console: Console,
           bisected: render.Bisected | None = None, notes: Sequence[str] = ()) -> None:
    if fmt == "json":
        render.render_json(suspects, top, console.stdout, bisected)
        console.warn(*notes)
        return
    render.render_table(suspects, top, label, console.stdout, bisected, notes)


def confirm(cwd: Path, settings: Settings, tool: Tool, suspects: Sequence[OrderSuspect], budget: float,
            checks: int | None, console: Console) -> tuple[render.Bisected, int]:
    """Replay and bisect; returns what was found and the exit status (128 + a signal that stopped it)."""
    command, source = trial_command(cwd, settings, tool)
    worker = sequence_command(settings, tool, cwd)  # the test path expands in the project, as stestr does there
    listed, spent = listed_within(cwd, settings, budget, "--order --confirm")
    spelt = {canonical(t): t for t in listed}
    by_class = class_ids(listed)
    runnable = [s for s in suspects if s.klass in by_class]
    if len(runnable) < len(suspects):
        gone = [s.klass for s in suspects if s.klass not in by_class]
        console.warn(f"{len(gone)} failed classes are no longer in the suite's listing and are not tried: "
                     f"{', '.join(gone[:3])}{', ...' if len(gone) > 3 else ''}")

    def ids(unit: Unit) -> list[str]:
        if not unit.tests:
            return list(by_class.get(unit.klass, ()))
        return [spelt[t] for t in unit.tests if t in spelt]

    bisect = Bisect(runnable, OrderBounds(checks=checks or DEFAULTS.checks))
    how = "a pull worker handed the groups in the run's order" if worker is not None else \
        "the suite's own order (its command is not one a pull worker can stand in for)"
    console.stderr.write(f"partitioner: --order --confirm: trials with {source}, in {how}, budget "
                         f"{durations.spell(budget)}\n")

    def progress(line: str) -> None:
        console.stderr.write(f"partitioner: --order --confirm: {line}\n")
        console.stderr.flush()

    with Interrupt() as session, Trials(cwd, command, by_class, {}, worker) as trials:
        end = run_bisect(bisect, trials, ids, budget, session, progress, spent)
    found = render.Bisected(bisect.verdicts(), trials.count, trials.spent, durations.spell(budget), end.stopped,
                            worker is not None)
    return found, (128 + end.signum if end.signum is not None else 0)


def run_bisect(bisect: Bisect, trials: Trials, ids: Callable[[Unit], list[str]], budget: float, session: Interrupt,
               progress: Callable[[str], None], spent: float = 0.0) -> SearchEnd:
    """Run ``bisect``'s trials until it is done, the budget is spent, or a signal arrives (as
    :func:`partitioner.cli.suite.run_search` does for ``--confirm``; ``spent``: the budget's seconds spent
    before the trials)."""
    began = time.monotonic() - spent
    spelt = durations.spell(budget)
    while (trial := bisect.next_trial()) is not None:
        if session.signum is not None:
            return _stop(bisect, "interrupted", session.signum)
        left = budget - (time.monotonic() - began)
        estimate = trials.startup + trial.seconds
        if estimate > left:
            return _stop(bisect, f"the budget ({spelt}) ran out")
        limit = 4 * estimate + TRIAL_SLACK_S
        outcome = trials.sequence([ids(u) for u in trial.sequence], trial.seconds, min(limit, left))
        if outcome.signum is not None:
            return _stop(bisect, "interrupted", outcome.signum)
        if outcome.timed_out and limit > left:
            return _stop(bisect, f"the budget ({spelt}) ran out during a trial")
        bisect.record(trial, outcome.failed)
        failed = ", ".join(_short(c) for c in trial.watch if c in outcome.failed) or "nothing watched"
        late = f" (stopped after {limit:.0f}s: unfinished tests count as failed)" if outcome.timed_out else ""
        progress(f"trial {trials.count}: {describe(trial)}: {failed} failed, {outcome.seconds:.1f}s{late}")
    return SearchEnd()


def describe(trial: OrderTrial) -> str:
    """What a trial runs, in a few words."""
    before = trial.before
    if trial.purpose == "replay":
        watched = ", ".join(_short(c) for c in trial.watch)
        return f"replay of {_count(trial.sequence)} as the run had them (watching {watched})"
    name = _short(trial.watch[0])
    if trial.purpose == "alone":
        return f"{name} alone"
    what = ", ".join(u.label for u in before) if len(before) <= 2 else _count(before)
    return f"{name} after {what}{' (check)' if trial.purpose == 'check' else ''}"


def _count(units: Sequence[Unit]) -> str:
    tests = sum(max(1, len(u.tests)) for u in units)
    classes = len({u.klass for u in units})
    return f"{tests} test{'s' if tests != 1 else ''} of {classes} class{'es' if classes != 1 else ''}"


def _stop(bisect: Bisect, why: str, signum: int | None = None) -> SearchEnd:
    bisect.stop(why)
    return SearchEnd(why, signum)


def _short(klass: str) -> str:
    return klass.rpartition(".")[2] or klass


def class_ids(listed: Sequence[str]) -> dict[str, list[str]]:
    """class key -> its listed test ids, in listing order."""
    found: dict[str, list[str]] = {}
    for test_id in listed:
        found.setdefault(class_key(canonical(test_id)), []).append(test_id)
    return found
