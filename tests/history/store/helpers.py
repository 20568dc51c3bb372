"""Runs for store tests: tempest-shaped, with worker lanes, class gaps, failures and skips."""

from __future__ import annotations

import random
from collections.abc import Sequence

from partitioner.history.model import Run, TestRecord
from partitioner.history.store.rows import encode_run


def make_run(seed: int, classes: int = 6, tests: int = 4, workers: int = 2, start: float = 1_700_000_000.0,
             name: str = "run") -> Run:
    """A parallel run: classes dealt to workers, tests back to back, a setup gap before each class, some
    failures/skips, an ``[attrs]`` id, and one untimed record."""
    rng = random.Random(seed)
    lanes = [start + rng.uniform(0, 2) for _ in range(workers)]
    records: list[TestRecord] = []
    for c in range(classes):
        w = c % workers
        lanes[w] += round(rng.uniform(0.5, 3.0), 6)  # the class's setup: a gap before its first test
        for t in range(tests):
            test_id = f"pkg.mod{c % 2}.Class{c}.test_{t}" + ("[id-1,smoke]" if t == 0 else "")
            begin = round(lanes[w], 6)
            lanes[w] = begin + round(rng.uniform(0.01, 2.0), 6)
            status = rng.choices(["success", "fail", "skip", "xfail"], [8, 1, 1, 1])[0]
            records.append(TestRecord(test_id, status, begin, round(lanes[w], 6), f"worker-{w}",
                                      frozenset({f"worker-{w}"})))
    records.append(TestRecord("pkg.untimed.Class.test_x", "success", None, None, None, frozenset()))
    return Run(name, tuple(records))


def reference_windows(runs: Sequence[Run], keep: int) -> dict[str, dict[str, tuple[float, ...]]]:
    """What a read at the newest pin must give, computed without a database: per kind and key the newest
    ``keep`` samples by (run start, push order, position), oldest first."""
    found: dict[str, dict[str, list[tuple[tuple[float, int, int], float]]]] = {}
    for order, run in enumerate(runs):
        encoded = encode_run(run)
        at = encoded.t0_us if encoded.t0_us is not None else 0
        for row in encoded.samples:
            found.setdefault(row.kind, {}).setdefault(row.key, []).append(((at, order, row.seq), row.seconds))
    out: dict[str, dict[str, tuple[float, ...]]] = {}
    for kind, series in found.items():
        out[kind] = {k: tuple(v for _, v in sorted(items)[-keep:]) for k, items in series.items()}
    passing = out.get("test", {})
    setup = out.get("setup", {})
    out["other"] = {k: v for k, v in out.get("other", {}).items() if k not in passing}
    out["first"] = {k: v for k, v in out.get("first", {}).items() if k not in setup}
    return out
