"""``partitioner races``: rank what ran beside each failure of a parallel run; print resources that separate them.

Also home of the ``partitioner history summary`` view (per test: failures in parallel and in serial runs).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from partitioner.cli import IO_
from partitioner.commands.common import positive_int
from partitioner.config import load_settings
from partitioner.errors import HistoryError, UsageError
from partitioner.history import discover, load_history_for, read_repository, read_stream, read_stream_file
from partitioner.history.model import Run
from partitioner.races import (
    OVERLAP_WEIGHT,
    PSEUDO_TESTS,
    Diagnosis,
    Suspect,
    TestSummary,
    diagnose,
    history_summary,
    is_parallel,
    resource_rules,
    workers,
)
from partitioner.statuses import FAILING as FAILURE_STATUSES

NAME = "races"
HELP = "rank the tests that ran beside each failure of a parallel run, and print resources that separate them"
FORMAT_VERSION = 1
FORMATS = ("table", "json", "config")
_PARALLEL_HINT = "run the tests in parallel first (testr init && testr run --parallel, or stestr run)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", nargs="?", metavar="RUN",
                        help="a run id of the .testrepository/.stestr in the directory, or a subunit stream file "
                             "(- for stdin); default: the latest stored run")
    parser.add_argument("--serial", metavar="RUN",
                        help="a serial run of the same tests (run id or stream file): tests that failed there too "
                             "are not races and are left out")
    parser.add_argument("--history", action="append", default=[], metavar="PATH",
                        help="sources whose runs the cross-run counts use, as for `plan --history`; repeatable; "
                             "default: the .stestr/.testrepository in the directory")
    parser.add_argument("--format", choices=FORMATS, default="table",
                        help="table (for people), json (format_version 1), config (a [partitioner] section with "
                             "resources keeping each failed class and its top partner on one worker)")
    parser.add_argument("--by", choices=("auto", "test", "class"), default="auto",
                        help="suspects shown: auto (default: a class whose tests failed together as one class, "
                             "a lone failed test as itself), test, or class")
    parser.add_argument("--top", type=positive_int, default=5, metavar="K",
                        help="partners shown per suspect (default 5)")
    parser.add_argument("-C", "--directory", default=".", metavar="DIR",
                        help="the project directory (repositories, config files); default: the current one")


@dataclass(frozen=True)
class _Repository:
    """The stored runs of the repository in the project directory."""

    path: Path
    runs: tuple[Run, ...]
    warnings: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.path.name

    def numbers(self) -> str:
        """The stored run numbers, as ranges: ``0-5`` or ``0-3, 5``."""
        found = sorted(r.order for r in self.runs)
        parts: list[str] = []
        start = previous = found[0]
        for number in [*found[1:], None]:
            if number is not None and number == previous + 1:
                previous = number
                continue
            parts.append(f"{start}" if start == previous else f"{start}-{previous}")
            if number is not None:
                start = previous = number
        return ", ".join(parts)


def _newest_run_mtime(repo: Path) -> float:
    stamps = [p.stat().st_mtime for p in repo.iterdir() if p.name.isdigit() and p.is_file()]
    return max(stamps, default=0.0)


def _repository(cwd: Path) -> _Repository | None:
    """The repository in ``cwd`` (the one written to last when both exist), or ``None``."""
    found = [Path(p) for p in discover(cwd)]
    if not found:
        return None
    path = max(found, key=_newest_run_mtime)
    runs, _, warnings = read_repository(path)
    return _Repository(path, runs, warnings)


def _pick(spec: str | None, cwd: Path, repo: _Repository | None, io: IO_, what: str) -> tuple[Run, str]:
    """The run ``spec`` names, and a label for messages."""
    if spec == "-":
        return read_stream(io.stdin.read(), "-"), "the stream on stdin"
    if spec is None or spec.isdigit():
        given = Path(spec) if spec is not None else None
        if repo is None:
            if given is not None and (cwd / given).is_file():
                return read_stream_file(cwd / given), str(given)
            wanted = f"run {spec}" if spec is not None else what
            raise HistoryError(f"no .testrepository or .stestr in {cwd} to take {wanted} from; {_PARALLEL_HINT} "
                               f"there, or pass a subunit stream file")
        if not repo.runs:
            damaged = f" ({len(repo.warnings)} damaged runs skipped)" if repo.warnings else ""
            raise HistoryError(f"{repo.path} holds no readable runs{damaged}; {_PARALLEL_HINT}")
        if spec is None:
            run = max(repo.runs, key=lambda r: r.order)
            return run, f"run {run.order} of {repo.name}"
        for run in repo.runs:
            if run.order == int(spec):
                return run, f"run {spec} of {repo.name}"
        if (repo.path / spec).is_file():
            reason = next((w for w in repo.warnings if f"{repo.path / spec}:" in w), "it cannot be parsed")
            raise HistoryError(f"run {spec} in {repo.name} is damaged ({reason}); pass another run id "
                               f"(stored: {repo.numbers()})")
        raise HistoryError(f"run {spec} not found in {repo.name} (runs {repo.numbers()}); pass an existing run id")
    path = Path(spec)
    if not path.is_absolute() and not path.exists():
        path = cwd / path
    return read_stream_file(path), spec


def _stdin(paths: Sequence[str], io: IO_) -> BinaryIO | None:
    """stdin's bytes as a binary file when a source is ``-`` (read only then: it can be read once)."""
    wants = any(p == "-" or p.endswith(":-") for p in paths)
    return BytesIO(io.stdin.read()) if wants else None


def _history(args: argparse.Namespace, cwd: Path, repo: _Repository | None, io: IO_) -> tuple[Run, ...]:
    if not args.history:
        return repo.runs if repo is not None else ()
    loaded = load_history_for(cwd, args.history, _stdin(args.history, io))
    for warning in loaded.warnings:
        io.warn(warning)
    return loaded.runs


def _notes(diagnosis: Diagnosis, label: str, serial_label: str | None) -> list[str]:
    notes: list[str] = []
    if diagnosis.runs == 1:
        notes.append("the score rests on one parallel run: every partner coincided with every failure once, so "
                     "only the overlap and whether the partner failed too rank them; run the tests in parallel a "
                     "few more times (testr run --parallel) to tell the real partner from bystanders")
    if diagnosis.excluded:
        shown = ", ".join(diagnosis.excluded[:3]) + (", ..." if len(diagnosis.excluded) > 3 else "")
        notes.append(f"{len(diagnosis.excluded)} failed tests also failed in {serial_label} and are left out "
                     f"(not races): {shown}")
    if diagnosis.untimed:
        notes.append(f"{diagnosis.untimed} records of {label} have no timestamps or no worker tag and are left out")
    return notes


def _suspect_line(suspect: Suspect, runs: int) -> str:
    if suspect.level == "class":
        what = f"class, {len(suspect.failed)} failed test{'s' if len(suspect.failed) != 1 else ''}"
    else:
        what = "test"
    line = f"{suspect.test}  ({what}; failed in {suspect.failures} of {runs} parallel runs"
    if suspect.serial_failures:
        line += f"; also failed in {suspect.serial_failures} serial runs: maybe no race"
    return line + ")\n"


def _render_table(io: IO_, diagnosis: Diagnosis, suspects: Sequence[Suspect], top: int, label: str,
                  notes: Sequence[str]) -> None:
    out = io.stdout
    failed = len(diagnosis.tests)
    classes = len(diagnosis.classes)
    out.write(f"{label}: {failed} failed test{'s' if failed != 1 else ''} in {classes} "
              f"class{'es' if classes != 1 else ''}; cross-run counts over {diagnosis.runs} parallel "
              f"run{'s' if diagnosis.runs != 1 else ''}\n")
    for suspect in suspects:
        out.write("\n" + _suspect_line(suspect, diagnosis.runs))
        if not suspect.partners:
            out.write("  nothing ran beside it on another worker\n")
            continue
        out.write(f"  {'rank':>4}  {'score':>5}  {'overlap':>8}  {'coincided':>9}  {'split':>7}  partner\n")
        for rank, p in enumerate(suspect.partners[:top], 1):
            split = p.overlapped - p.harmless - p.together
            out.write(f"  {rank:>4}  {p.score:5.3f}  {p.overlap_s:7.3f}s  {f'{p.coincidences}/{p.failures}':>9}  "
                      f"{f'{split}/{p.overlapped}':>7}  {p.test}\n")
        if len(suspect.partners) > top:
            out.write(f"  ... {len(suspect.partners) - top} more (--top)\n")
    weight = 1 - OVERLAP_WEIGHT
    out.write(f"\nscore = {OVERLAP_WEIGHT} * share + {weight:.1f} * coincided * (split + 1) / (beside + 2), where\n"
              f"  share: overlap / the shorter of the suspect's window (where its failures began) and the partner's\n"
              f"  coincided: of the suspect's failures, those with the partner beside it on another worker\n"
              f"  split: of the runs the partner ran beside it (beside), those in which exactly one of the two "
              f"failed\n")
    for note in notes:
        out.write(f"note: {note}\n")


def _to_json(suspects: Sequence[Suspect], top: int) -> dict[str, object]:
    return {
        "format_version": FORMAT_VERSION,
        "suspects": [
            {"test": s.test,
             "partners": [{"test": p.test, "score": round(p.score, 4), "level": s.level,
                           "overlap_s": round(p.overlap_s, 3), "share": round(p.share, 3),
                           "coincidences": p.coincidences, "failures": p.failures, "overlapped": p.overlapped,
                           "harmless": p.harmless, "together": p.together}
                          for p in s.partners[:top]]}
            for s in suspects
        ],
    }


def _render_config(io: IO_, diagnosis: Diagnosis, cwd: Path, label: str, notes: Sequence[str]) -> int:
    existing = [(r.name, r.pattern.pattern) for r in load_settings(cwd).resources]
    rules = resource_rules(diagnosis.classes, existing)
    for note in notes:
        io.warn(note)
    if not rules:
        io.stderr.write(f"partitioner: no failed class of {label} had another class beside it: no resources to "
                        f"suggest\n")
        return 0
    io.stdout.write(f"# from `partitioner races` on {label} ({diagnosis.runs} parallel runs): keeps each failed "
                    f"class and its top partner class on one worker.\n"
                    f"# Append to .testr.conf (or .stestr.conf); this resources value replaces an earlier one, "
                    f"so configured resources are repeated in it.\n")
    io.stdout.write(rules)
    return 0


def _no_failures(io: IO_, fmt: str, diagnosis: Diagnosis, label: str, serial_label: str | None) -> int:
    if diagnosis.excluded:
        message = (f"all {len(diagnosis.excluded)} failed tests of {label} also failed in {serial_label}: they are "
                   f"not races; fix them as ordinary failures")
    else:
        message = (f"{label} has no failures: nothing to diagnose; pass a run that failed in parallel "
                   f"(see `testr failing`), or check `partitioner history summary` for tests failing only in "
                   f"parallel")
    if fmt == "json":
        json.dump({"format_version": FORMAT_VERSION, "suspects": []}, io.stdout)
        io.stdout.write("\n")
    if fmt == "table":
        io.stdout.write(f"{message}\n")
    else:
        io.stderr.write(f"partitioner: {message}\n")
    return 0


def run(args: argparse.Namespace, io: IO_) -> int:
    cwd = Path(args.directory)
    if not cwd.is_dir():
        raise UsageError(f"no such directory: {cwd}; pass an existing project directory with -C")
    if args.run == "-" and (args.serial == "-" or "-" in args.history):
        raise UsageError("RUN - and --serial -/--history - all want stdin; put all but one of them in a file")
    repo = _repository(cwd)
    run_, label = _pick(args.run, cwd, repo, io, "the latest run")
    serial, serial_label = (None, None) if args.serial is None else _pick(args.serial, cwd, repo, io, "")
    if serial is not None and is_parallel(serial):
        io.warn(f"--serial {serial_label} ran on {len(workers(serial))} workers; its failures may be races too")
    if args.run is None and repo is not None and not is_parallel(run_):
        parallel = [r for r in repo.runs if is_parallel(r)]
        if parallel:
            newest = max(parallel, key=lambda r: r.order).order
            raise HistoryError(f"{label}, the latest, ran serially, so nothing overlapped; pass a parallel run: "
                               f"the latest is {newest} (`partitioner races {newest}`)")
    history = _history(args, cwd, repo, io)
    if not any(r.status in FAILURE_STATUSES and r.test_id not in PSEUDO_TESTS for r in run_.records):
        if not is_parallel(run_):  # say what is wrong with the run before saying nothing failed
            diagnose(run_, label=label)
        return _no_failures(io, args.format, Diagnosis(run_.run_id, (), ()), label, serial_label)
    diagnosis = diagnose(run_, serial, history, label=label)
    if not diagnosis.tests and not diagnosis.excluded:
        raise HistoryError(f"the failed tests of {label} have no timestamps or no worker tag, so what ran beside "
                           f"them is unknown; pass a run recorded by `testr run --parallel` or `stestr run`")
    if not diagnosis.tests:
        return _no_failures(io, args.format, diagnosis, label, serial_label)
    notes = _notes(diagnosis, label, serial_label)
    if args.format == "config":
        return _render_config(io, diagnosis, cwd, label, notes)
    suspects = diagnosis.view(args.by)
    if args.format == "json":
        json.dump(_to_json(suspects, args.top), io.stdout, indent=1, ensure_ascii=False)
        io.stdout.write("\n")
        for note in notes:
            io.warn(note)
        return 0
    _render_table(io, diagnosis, suspects, args.top, label, notes)
    return 0


# ``partitioner history summary`` -------------------------------------------------------------------------------


def add_summary_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``partitioner history summary``."""
    parser.add_argument("--history", action="append", default=[], metavar="PATH",
                        help="a source as for `plan --history`; repeatable; default: .stestr/.testrepository here")
    parser.add_argument("-C", "--directory", default=".", metavar="DIR")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text (failing tests, those failing only in parallel first) or json (every test, "
                             "format_version 1)")


def _summary_json(rows: Sequence[TestSummary], parallel: int, serial: int) -> dict[str, object]:
    return {
        "format_version": FORMAT_VERSION,
        "runs": {"parallel": parallel, "serial": serial},
        "tests": [{"test": r.test, "runs": r.runs, "parallel_runs": r.parallel_runs,
                   "parallel_failures": r.parallel_failures, "serial_runs": r.serial_runs,
                   "serial_failures": r.serial_failures, "only_parallel": r.only_parallel} for r in rows],
    }


def summarize(args: argparse.Namespace, io: IO_) -> int:
    """``partitioner history summary``: per test, failures in parallel and in serial runs."""
    cwd = Path(args.directory)
    if not cwd.is_dir():
        raise UsageError(f"no such directory: {cwd}; pass an existing project directory with -C")
    loaded = load_history_for(cwd, args.history, _stdin(args.history, io))
    for warning in loaded.warnings:
        io.warn(warning)
    if not loaded.runs:
        where = ", ".join(args.history) if args.history else f"{cwd} (no .stestr or .testrepository with runs)"
        raise HistoryError(f"no stored runs in {where}; pass --history PATH with a repository or subunit stream, "
                           f"or run the tests first")
    rows = history_summary(loaded.runs)
    parallel = sum(1 for r in loaded.runs if is_parallel(r))
    serial = len(loaded.runs) - parallel
    if args.format == "json":
        json.dump(_summary_json(rows, parallel, serial), io.stdout, indent=1, ensure_ascii=False)
        io.stdout.write("\n")
        return 0
    out = io.stdout
    failing = [r for r in rows if r.parallel_failures or r.serial_failures]
    only = sum(1 for r in rows if r.only_parallel)
    out.write(f"{len(rows)} tests in {len(loaded.runs)} runs ({parallel} parallel, {serial} serial); "
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
    return 0
