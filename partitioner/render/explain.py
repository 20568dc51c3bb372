"""The output of ``partitioner explain``: one test's group, worker and estimates, for people or as JSON."""

from __future__ import annotations

import json
import math
from typing import IO

from partitioner.config import DEFAULT
from partitioner.costmodel import NO_HISTORY, NO_HISTORY_HEAVY, SECONDS, TESTS
from partitioner.figures import seconds
from partitioner.pipeline import Explanation
from partitioner.render.output import FORMAT_VERSION, plural


def unit_of(e: Explanation) -> str:
    """What the explanation's numbers are in: test counts when the plan had no (matching) history."""
    return TESTS if e.estimate.source in (NO_HISTORY, NO_HISTORY_HEAVY) else SECONDS


def workers_from(where: str) -> str:
    """Where the worker count came from, in words (``where`` as :meth:`partitioner.config.Settings.choose` says
    it): the default is this machine's CPU count, which a run with ``--concurrency N`` does not use."""
    if where == DEFAULT:
        return ("this machine's CPU count, stestr's and testr's default too; pass -n N to match a run with "
                "--concurrency N")
    return where if where.startswith("-") else f"concurrency from {where}"


def explanation_to_dict(e: Explanation, grouping: str | None = None, concurrency_from: str | None = None,
                        run: tuple[str, str] | None = None) -> dict[str, object]:
    """The JSON document (``format_version`` as every output); ``grouping`` is the plan's grouping spec,
    ``concurrency_from`` where its worker count came from (a flag, a config file, or ``the default``), ``run``
    how the project's run deals the groups out (``run_dispatch``: under dynamic dispatch ``worker`` is the static
    plan's, not necessarily the run's)."""
    return {
        "format_version": FORMAT_VERSION,
        "unit": unit_of(e),
        "grouping": grouping,
        "test": e.test,
        "group": e.group.key,
        "group_tests": len(e.group.tests),
        "group_cost_s": round(e.cost.cost, 3),
        "worker": e.worker,
        "concurrency": e.concurrency,
        "concurrency_from": concurrency_from,
        "serial": e.worker is None,
        "estimate_s": round(e.estimate.seconds, 3),
        "estimate_source": e.estimate.source,
        "samples": e.estimate.samples,
        "class": e.klass,
        "class_setup_s": round(e.setup.seconds, 3),
        "class_setup_source": e.setup.source,
        "run_dispatch": None if run is None else {"mode": run[0], "why": run[1]},
    }


def render_json(e: Explanation, out: IO[str], grouping: str | None = None,
                concurrency_from: str | None = None, run: tuple[str, str] | None = None) -> None:
    """Write :func:`explanation_to_dict` as indented JSON."""
    json.dump(explanation_to_dict(e, grouping, concurrency_from, run), out, indent=1)
    out.write("\n")


def render_text(e: Explanation, out: IO[str], grouping: str | None = None, concurrency_from: str = "") -> None:
    """Five lines: the test, its group (and the plan's grouping), its worker (of how many, and where that count
    came from: :func:`workers_from`), its estimate, its class setup (in seconds, or in test counts when there is
    no history)."""
    place = "the serial phase" if e.worker is None else f"worker {e.worker}"
    by = f", grouping {grouping}" if grouping else ""
    of = f"of {plural(e.concurrency, 'worker')}{f' ({workers_from(concurrency_from)})' if concurrency_from else ''}"
    if unit_of(e) == TESTS:
        # without history a group counts each of its classes' setup (1), except in a split per test, which
        # counts none (the setup is paid once per worker the class's tests land on): the only way a group
        # holding the test's class counts no setup, so both lines say what the group's cost counted
        if e.cost.setup_s == 0.0 and e.setup.seconds > 0.0:
            included = ", no class setup (split per test)"
            setup = (f"setup not counted in a split per test (paid once per worker the class's tests land on; "
                     f"{e.setup.seconds:g} in test counts for each group holding the class otherwise)")
        else:
            included = f" incl. {e.cost.setup_s:g} for class setup"
            setup = f"setup {e.setup.seconds:g} in test counts"
        out.write(
            f"{e.test}\n"
            f"  group     {e.group.key} ({plural(len(e.group.tests), 'test')}, costs {e.cost.cost:g} in test counts"
            f"{included}{by})\n"
            f"  worker    {place} {of}\n"
            f"  estimate  {e.estimate.seconds:g} in test counts, from {e.estimate.source} (tests are counted, not "
            f"timed)\n"
            f"  class     {e.klass}: {setup}, from {e.setup.source}\n")
        return
    shared = e.cost.setup_s < e.setup.seconds and not math.isclose(e.cost.setup_s, e.setup.seconds)
    # a split per test: each test carries its share of its class's setup (the setup over the class's tests)
    share = f": its share of the class's {seconds(e.setup.seconds)}" if shared else ""
    out.write(
        f"{e.test}\n"
        f"  group     {e.group.key} ({plural(len(e.group.tests), 'test')}, {seconds(e.cost.cost)} incl. "
        f"{seconds(e.cost.setup_s)} class setup{share}{by})\n"
        f"  worker    {place} {of}\n"
        f"  estimate  {seconds(e.estimate.seconds)} from {e.estimate.source}"
        f"{f' ({e.estimate.samples} samples, median)' if e.estimate.samples > 1 else ''}\n"
        f"  class     {e.klass}: setup {seconds(e.setup.seconds)} from {e.setup.source}"
        f"{f' ({e.setup.samples} gaps, median)' if e.setup.samples > 1 else ''}\n")
