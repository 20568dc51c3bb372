"""M shard jobs on this machine: separate checkouts of one generated suite, run at the same time as separate
processes, each through the real CLI (``partitioner exec --shard K/M -- stestr run``, then ``partitioner history
push``), pushing to one store; and what the store then holds per shard.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import fixtures

#: the summary line a shard job prints: ``partitioner: shard 2/3 of split <digest>: ...``
SPLIT_LINE = re.compile(r"^partitioner: shard (?P<shard>\d+/\d+) of split (?P<digest>\w+)(?: \(plan file [^)]*\))?: "
                        r"(?P<tests>\d+) of (?P<total>\d+) tests, predicted (?P<predicted>[\d.]+)(?P<unit>s| units)",
                        re.MULTILINE)


@dataclass(frozen=True)
class Job:
    """One finished job: its shard (counting from 1), checkout, exit status and output."""

    shard: int
    cwd: Path
    returncode: int
    stdout: str
    stderr: str

    def split(self) -> re.Match[str]:
        """The job's shard line (its split's digest, its tests, its predicted time)."""
        found = SPLIT_LINE.search(self.stderr)
        if found is None:
            raise AssertionError(f"job {self.shard} printed no shard line:\n{self.stderr}")
        return found


class ShardCheckouts(fixtures.Fixture):
    """``count`` copies of the suite at ``source`` (no repository, no locks): ``paths[k - 1]`` is shard k's."""

    def __init__(self, source: Path, count: int) -> None:
        super().__init__()
        self.source = source
        self.count = count

    def _setUp(self) -> None:
        root = Path(self.useFixture(fixtures.TempDir()).path)
        ignore = shutil.ignore_patterns(".stestr", ".testrepository", "locks", "__pycache__", "*.json", "*.db")
        self.paths = []
        for k in range(1, self.count + 1):
            target = root / f"job-{k}"
            shutil.copytree(self.source, target, ignore=ignore)
            self.paths.append(target)


def job_script(shard: str, workers: int, push: str, history: Sequence[str] = (), plan: str | None = None,
               labels: Mapping[str, str] | None = None) -> list[str]:
    """What one CI job runs: its shard through ``partitioner exec``, then its run pushed back (also when tests
    failed), exiting with the run's status."""
    run = ["partitioner", "exec", "--shard", shard, *(a for h in history for a in ("--history", h)),
           *(("--plan", plan) if plan else ()), "--", "stestr", "run", "--concurrency", str(workers)]
    pushed = ["partitioner", "history", "push", "--to", push,
              *(a for k, v in (labels or {}).items() for a in ("--label", f"{k}={v}")), ".stestr"]
    return ["bash", "-c", f"{shlex.join(run)}; status=$?; {shlex.join(pushed)} || exit 1; exit $status"]


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


def stored_by_label(url: str, label: str = "shard", **only: str) -> dict[str, list[str]]:
    """Test ids of the store's runs, per value of ``label`` (runs without it are left out); ``only``: labels every
    run counted must carry."""
    from partitioner.history.store import open_store

    found: dict[str, list[str]] = {}
    with open_store(url) as store:
        infos = store.run_infos(labels=only or None)
        runs = store.runs(labels=only or None)
    by_id = {f"{store.url.display}#{info.id}": info for info in infos}
    for run in runs:
        info = by_id[run.run_id]
        if label in info.labels:
            found.setdefault(info.labels[label], []).extend(r.test_id for r in run.records)
    return found
