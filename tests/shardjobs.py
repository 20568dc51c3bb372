"""M shard jobs on this machine: separate checkouts of one generated suite, run at the same time, pushing to one
store; and what the store then holds per shard.

The job itself (``python tests/shardjobs.py --shard K/M ...``, :func:`main`) is what ``partitioner exec --shard
K/M -- stestr run`` will do once the CLI is wired: list the suite, plan the whole split from the pinned
history (strictly: every job must see the same history), run only shard K's tests with the real ``stestr run
--load-list``, push the run back with a ``shard`` label, and print the split's digest. The next round swaps
the command for the CLI's and keeps the checks.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import fixtures


@dataclass(frozen=True)
class Job:
    """One finished job: its shard (counting from 1), checkout, exit status and output."""

    shard: int
    cwd: Path
    returncode: int
    stdout: str
    stderr: str


class ShardCheckouts(fixtures.Fixture):
    """``count`` copies of the suite at ``source`` (no repository, no locks): ``paths[k - 1]`` is shard k's."""

    def __init__(self, source: Path, count: int) -> None:
        super().__init__()
        self.source = source
        self.count = count

    def _setUp(self) -> None:
        root = Path(self.useFixture(fixtures.TempDir()).path)
        ignore = shutil.ignore_patterns(".stestr", ".testrepository", "locks", "__pycache__")
        self.paths = []
        for k in range(1, self.count + 1):
            target = root / f"job-{k}"
            shutil.copytree(self.source, target, ignore=ignore)
            self.paths.append(target)


def run_jobs(commands: Sequence[tuple[Sequence[str], Path]], env: Mapping[str, str], timeout: float = 300
             ) -> list[Job]:
    """Start every ``(argv, cwd)`` at once, wait for all; job k is ``commands[k - 1]``."""
    started = [(k, cwd, subprocess.Popen(list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
               for k, (argv, cwd) in enumerate(commands, 1)]
    jobs = []
    for k, cwd, process in started:
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        jobs.append(Job(k, cwd, process.returncode, out, err))
    return jobs


def stored_by_label(url: str, label: str = "shard") -> dict[str, list[str]]:
    """Test ids of the store's runs, per value of ``label`` (runs without it are left out)."""
    from partitioner.history.store import open_store

    found: dict[str, list[str]] = {}
    with open_store(url) as store:
        infos = store.run_infos()
        runs = store.runs()
    by_id = {f"{store.url.display}#{info.id}": info for info in infos}
    for run in runs:
        info = by_id[run.run_id]
        if label in info.labels:
            found.setdefault(info.labels[label], []).extend(r.test_id for r in run.records)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """One shard job in the current directory (a gen_suite.py checkout with .stestr.conf)."""
    from partitioner.config import load_settings
    from partitioner.grouping import make_grouper
    from partitioner.history import load_history
    from partitioner.history.store import open_store, redact
    from partitioner.listing import default_ids
    from partitioner.pipeline import plan_ids
    from partitioner.shards import parse_shard, split_shards
    from partitioner.strategies import get_strategy

    parser = argparse.ArgumentParser()
    parser.add_argument("--shard", required=True)
    parser.add_argument("-n", "--concurrency", type=int, default=2)
    parser.add_argument("--history", action="append", default=[])
    parser.add_argument("--push", required=True)
    args = parser.parse_args(argv)
    spec = parse_shard(args.shard, os.environ)
    cwd = Path.cwd()
    ids = default_ids(cwd, load_settings(cwd))
    history = load_history(args.history, purpose="plan", strict=True, base=cwd)
    planned = plan_ids(ids, args.concurrency, history, make_grouper("class"))
    sharded = split_shards(planned.groups, planned.serial_groups, planned.model, spec.count, args.concurrency,
                           get_strategy(None), "class", history=tuple(redact(h) for h in args.history))
    shard = sharded.shard(spec.index)
    print(f"split {sharded.digest} shard {spec} tests {len(shard.tests)} predicted {shard.predicted_s:.3f}")
    status = 0
    if shard.tests:  # an empty load list would make stestr run everything
        (cwd / "shard.txt").write_text("".join(f"{t}\n" for t in shard.tests))
        done = subprocess.run(["stestr", "run", "--concurrency", str(args.concurrency), "--load-list", "shard.txt"],
                              cwd=cwd, capture_output=True, text=True, check=False)
        status = done.returncode
        with open_store(args.push) as store:
            pushed = store.push_repository(cwd / ".stestr", labels={"shard": str(spec)})
        print(f"pushed {[r.run_id for r in pushed.results]}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
