"""``partitioner races``: rank what ran beside each failure of a parallel run (and with ``--confirm`` reproduce it by
running the suspects beside their best partners); print resources that separate them. With ``--order``: what ran
before each failure in its test process (and with ``--confirm`` the fewest earlier tests that make it fail)."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from partitioner.cli import durations, order
from partitioner.cli.arguments import (
    add_directory,
    add_discovery,
    add_history,
    discovery_where,
    positive_int,
    project_dir,
)
from partitioner.cli.console import Console
from partitioner.cli.suite import Trials, listed_within, project_tool, run_search, trial_command
from partitioner.config import CONFIG_FILES, Settings, load_settings
from partitioner.errors import HistoryError, OutputError, UsageError
from partitioner.history import Repository, Run, is_parallel, load_history_for, read_stream, read_stream_file
from partitioner.history.repository import REPOSITORY_DIRS, discover, numbered_streams, repository_kind
from partitioner.history.samples import Interruption, judge, judged
from partitioner.history.sources import is_url
from partitioner.races import Diagnosis, Suspect, diagnose, workers
from partitioner.races.confirm import Bounds, Search
from partitioner.races.diagnosis import ran_no_tests, recorded_by
from partitioner.races.rules import configured_pairs, doubts, fresh, merge_into, section
from partitioner.races.shortlist import candidates, class_seconds
from partitioner.render import races as render
from partitioner.render.summary import Tool, interrupted_line
from partitioner.run import Interrupt
from partitioner.statuses import FAILING, PSEUDO_TESTS
from partitioner.testids import class_key

NAME = "races"
HELP = "rank the tests that ran beside each failure of a parallel run, and print resources that separate them"
FORMATS = ("table", "json", "config")
#: --confirm's defaults (see partitioner.races.confirm.Bounds)
BUDGET_S = 600.0
DEFAULTS = Bounds()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    durations.take_signed_values(parser)  # --budget -5s: say it is not > 0, not "expected one argument"
    parser.add_argument("run", nargs="?", metavar="RUN",
                        help="a run id of the .testrepository/.stestr in the directory, or a subunit stream file "
                             "(- for stdin); default: the latest stored run")
    parser.add_argument("--serial", metavar="RUN",
                        help="a serial run of the same tests (run id or stream file): tests that failed there too "
                             "are not races and are left out")
    add_history(parser, "the .stestr/.testrepository in the directory", "runs for the cross-run counts")
    parser.add_argument("--format", choices=FORMATS, default="table",
                        help="table (for people), json (format_version 1), config (a [partitioner] section with "
                             "resources keeping each failed class and its top partner on one worker)")
    parser.add_argument("--by", choices=("auto", "test", "class"),
                        help="suspects shown: auto (default: a class whose tests failed together as one class, "
                             "a lone failed test as itself), test, or class")
    parser.add_argument("--order", action="store_true",
                        help="what ran BEFORE each failed class in its test process (its worker), not beside it: "
                             "for failures that depend on state earlier tests left behind; the classes that never "
                             "ran before it in a stored run where it passed come first. With --confirm: replay the "
                             "worker's tests up to the failure with the suite's own test command, run the class "
                             "alone, and bisect what ran before it to the fewest tests that make it fail")
    parser.add_argument("--top", type=positive_int, default=5, metavar="K",
                        help="partners shown per suspect (default 5)")
    parser.add_argument("--confirm", action="store_true",
                        help="reproduce before accusing: run each failed class alone, then beside each of its best "
                             "partner classes at the same time on two workers, with the suite's own test command "
                             "(outside testr/stestr: nothing is stored); --format config then writes rules only for "
                             "the pairs that reproduced a failure")
    parser.add_argument("--budget", type=durations.seconds, metavar="DURATION",
                        help=f"with --confirm: the most time the suite's listing and all trials may take (90s, "
                             f"10m, 1h; default {durations.spell(BUDGET_S)}); what was not tried is said")
    parser.add_argument("--tries", type=positive_int, metavar="N",
                        help=f"with --confirm: the most tries beside each candidate partner (default "
                             f"{DEFAULTS.tries}); with --order --confirm: how often the result is run to count "
                             f"its reproductions (default {order.DEFAULTS.checks})")
    parser.add_argument("--candidates", type=positive_int, metavar="K",
                        help=f"with --confirm: how many of a failed class's best partner classes (and any tied "
                             f"with the last) are tried as pairs first (default {DEFAULTS.candidates}); when none "
                             f"of them reproduces its failure, the others are tried side by side")
    add_discovery(parser, "with --confirm in a stestr project: ")
    parser.add_argument("--into", nargs="?", const="", metavar="FILE",
                        help="with --format config: merge the rules into FILE's [partitioner] section (its resources "
                             "value is replaced by the configured resources and the new rules; the rest of the file "
                             "is kept), rather than only printing them; default FILE: the config file that sets "
                             "resources, else the project's .testr.conf or .stestr.conf. testr and stestr refuse a "
                             "config file with two [partitioner] sections, so use this, not >>, after the first time")
    add_directory(parser)


def _settings(cwd: Path, args: argparse.Namespace) -> Settings:
    """The project's settings, with ``--test-path``/``--top-dir`` in place of .stestr.conf's."""
    settings = load_settings(cwd)
    if args.test_path or args.top_dir:
        settings = replace(settings, test_path=args.test_path or settings.test_path,
                           top_dir=args.top_dir or settings.top_dir, stestr=True,
                           where=discovery_where(args, settings.where))
    return settings


def _check_order(args: argparse.Namespace) -> None:
    """Refuse the options ``--order`` has no use for."""
    wrong = [flag for flag, given in (("--by", args.by is not None), ("--candidates", args.candidates is not None),
                                      ("--format config", args.format == "config")) if given]
    if wrong:
        raise UsageError(f"{' and '.join(wrong)} do{'es' if len(wrong) == 1 else ''} not apply with --order (it "
                         f"looks at failed classes and what ran before them; no resource keeps an order dependence "
                         f"away); leave {'it' if len(wrong) == 1 else 'them'} out, or drop --order")


def _target(cwd: Path, settings: Settings, tool: Tool, given: str) -> Path:
    """The config file ``--into`` merges into (see its help)."""
    if given:
        path = Path(given)
        return path if path.is_absolute() or path.exists() else cwd / path
    where = settings.where.get("resources", "")
    section = "[partitioner] in "
    if where.startswith(section):  # the file, as the settings name it (absolute, where -C is relative: `-C .`)
        named = Path(where[len(section):])
        if named.name in CONFIG_FILES and named.resolve() == (cwd / named.name).resolve():
            return named
    if where:
        raise UsageError(f"resources are set in {where}, which --into cannot edit; pass --into FILE (an INI file "
                         f"such as .testr.conf), or copy the printed lines there by hand")
    preferred = [".stestr.conf", ".testr.conf"] if tool.name == "stestr" else [".testr.conf", ".stestr.conf"]
    for name in preferred:
        if (cwd / name).is_file():
            return cwd / name
    raise UsageError(f"no .testr.conf or .stestr.conf in {cwd} to merge the rules into; pass --into FILE")


def _merge(path: Path, text: str) -> None:
    """Write ``text``'s resources into ``path``'s [partitioner] section, atomically (the file's mode kept)."""
    try:
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        fresh = path.with_name(f".{path.name}.partitioner-tmp")
        fresh.write_text(merge_into(old, text), encoding="utf-8")
        if path.exists():
            os.chmod(fresh, path.stat().st_mode & 0o7777)
        os.replace(fresh, path)
    except OSError as error:
        raise OutputError(f"cannot write the rules into {path}: {error.strerror or error}; check permissions, or "
                          f"drop --into and copy the printed lines by hand") from None


def _repository(cwd: Path, history: Sequence[str]) -> Repository | None:
    """The repository a run number (or the latest run) is taken from: the one ``--history`` names, or whose
    stored run it names (``.testrepository/6``), or that a project directory it names holds, when it names one
    (of several, the one written to last); else the one in ``cwd`` (:meth:`Repository.in_directory`).

    An explicit ``--history .testrepository`` wins over a ``.stestr`` in the same directory: a project that moved
    from testr to stestr keeps both, and diagnosing one while counting over the other mixes two histories.
    """
    named: dict[Path, Path] = {}
    for spec in history:
        kind, target = next(((k, spec[len(k) + 1:]) for k in REPOSITORY_DIRS if spec.startswith(f"{k}:")),
                            (None, spec))
        if target == "-" or is_url(target):
            continue
        path = Path(target) if Path(target).is_absolute() else cwd / target
        try:
            directory = path.is_dir()
            stored_run = path.name.isdigit() and path.is_file() and repository_kind(path.parent) is not None
        except OSError:  # a name the system refuses: loading the history says why
            continue
        if directory and repository_kind(path) is not None:
            found = [path]
        elif directory:  # a project directory: its repository of that kind, else each it holds (both are read)
            found = [Path(p) for p in discover(path) if kind is None or Path(p).name == REPOSITORY_DIRS[kind]]
        elif stored_run:
            found = [path.parent]
        else:
            continue  # a stream or timing file: RUN still comes from the repository in cwd
        for repo in found:
            named.setdefault(repo.resolve(), repo)
    if not named:
        return Repository.in_directory(cwd)
    return Repository.read(max(named.values(), key=_written))


def _written(repo: Path) -> float:
    """When ``repo`` last stored a run (0 when it holds none)."""
    return max((path.stat().st_mtime for _, path in numbered_streams(repo)), default=0.0)


def _pick(spec: str | None, cwd: Path, repo: Repository | None, console: Console, what: str,
          tool: Tool) -> tuple[Run, str]:
    """The run ``spec`` names (a run number, a stream file, ``-``, or ``None`` for the latest), and its label."""
    if spec == "-":
        return read_stream(console.stdin.read(), "-"), "the stream on stdin"
    if spec is None or spec.isdigit():
        if repo is None:
            if spec is not None and (cwd / spec).is_file():
                return read_stream_file(cwd / spec), spec
            wanted = f"run {spec}" if spec is not None else what
            raise HistoryError(f"no .testrepository or .stestr in {cwd} to take {wanted} from; run the tests in "
                               f"parallel first ({tool.parallel}) there, or pass a subunit stream file")
        if not repo.runs:
            stored = [p for p in repo.path.iterdir() if p.name.isdigit() and p.is_file()]
            if all(p.stat().st_size == 0 for p in stored):  # testr/stestr wrote them, but no test ran
                held = f"only {len(stored)} empty run{'s' if len(stored) != 1 else ''}" if stored else "no runs"
                raise HistoryError(f"{repo.name} in {cwd} holds {held} yet; run the tests in parallel first "
                                   f"({tool.parallel})")
        run = repo.latest() if spec is None else repo.run(int(spec))
        return run, f"run {run.order if spec is None else spec} of {repo.name}"
    path = Path(spec)
    if not path.is_absolute() and not path.exists():
        path = cwd / path
    return read_stream_file(path), spec


def run(args: argparse.Namespace, console: Console) -> int:
    cwd = project_dir(args)
    if args.run == "-" and (args.serial == "-" or "-" in args.history):
        raise UsageError("RUN - and --serial -/--history - all want stdin; put all but one of them in a file")
    given = [flag for flag, value in (("--budget", args.budget), ("--tries", args.tries),
                                      ("--candidates", args.candidates), ("--test-path", args.test_path),
                                      ("--top-dir", args.top_dir)) if value is not None]
    if args.order:
        _check_order(args)
    if args.into is not None and args.format != "config":
        raise UsageError("--into only applies with --format config; add --format config or leave it out")
    if given and not args.confirm:
        raise UsageError(f"{' and '.join(given)} only appl{'y' if len(given) > 1 else 'ies'} with --confirm; add "
                         f"--confirm or leave {'them' if len(given) > 1 else 'it'} out")
    repo = _repository(cwd, args.history)
    tool = project_tool(cwd, repo.name if repo is not None else None)
    run_, label = _pick(args.run, cwd, repo, console, "the latest run", tool)
    # an interrupted run's tests it never reached did not fail, nor did those it cut short: they are no evidence
    run_, stopped = judged(run_)
    serial, serial_label = (None, None) if args.serial is None else _pick(args.serial, cwd, repo, console, "", tool)
    serial = None if serial is None else judged(serial)[0]
    if serial is not None and is_parallel(serial):
        console.warn(f"--serial {serial_label} ran on {len(workers(serial))} workers; its failures may be races too")
    no_tests = ran_no_tests(run_, label)
    if no_tests is not None:
        raise HistoryError(no_tests)
    if args.order:
        return _order(cwd, tool, run_, label, stopped, serial, repo, args, console)
    if args.run is None and repo is not None and not is_parallel(run_):
        # judged as this one: a run interrupted before a second worker ran a test is no parallel run either
        parallel = [r for r in repo.runs if r.order != run_.order and is_parallel(judged(r)[0])]
        how = "ran on one worker before it was interrupted" if stopped is not None else "ran serially"
        if parallel:
            newest = max(parallel, key=lambda r: r.order).order
            raise HistoryError(f"{label}, the latest, {how}, so nothing overlapped; pass a parallel run: "
                               f"the latest parallel run is run {newest} (`partitioner races {newest}`)")
    if args.history:
        loaded = load_history_for(cwd, args.history, console.stdin)
        console.warn(*loaded.warnings)
        stored = loaded.runs
    else:
        stored = repo.runs if repo is not None else ()
    history, earlier = judge(stored)
    cut = _interrupted(run_, stopped, earlier, label)
    if not any(r.status in FAILING and r.test_id not in PSEUDO_TESTS for r in run_.records):
        if not is_parallel(run_):  # say what is wrong with the run before saying nothing failed
            diagnose(run_, label=label, runner=tool.runner)
        return _say(console, args.format, render.no_failures(Diagnosis(run_.run_id, (), ()), label, serial_label, tool),
                    cut=cut)
    diagnosis = diagnose(run_, serial, history, label=label, runner=tool.runner)
    if not diagnosis.tests and not diagnosis.excluded and not diagnosis.deterministic:
        raise HistoryError(f"the failed tests of {label} have no timestamps or no worker tag, so what ran beside "
                           f"them is unknown; pass a run recorded by {recorded_by(tool.runner)}")
    if not diagnosis.tests:
        return _say(console, args.format, render.no_failures(diagnosis, label, serial_label, tool), diagnosis, cut)
    if diagnosis.broken is not None:
        return _say(console, args.format, render.broken(diagnosis, label), diagnosis, cut)
    notes = [*cut.lines, *render.notes(diagnosis, label, serial_label, tool, confirmed=args.confirm)]
    suspects = diagnosis.view(args.by or "auto")
    settings = _settings(cwd, args)
    target = _target(cwd, settings, tool, args.into) if args.into is not None else None  # before any trial
    runs = [*history, *([] if any(r is run_ or r.records == run_.records for r in history) else [run_])]
    existing = [(r.name, r.pattern) for r in settings.resources]
    confirmed, code = None, 0
    if args.confirm:
        confirmed, code = _confirm(cwd, settings, tool, suspects, run_, runs, existing, args, console)
    doubtful = doubts(existing, runs, confirmed.pairs if confirmed is not None else None)
    configured = [(r.name, r.pattern.pattern) for r in settings.resources]
    if args.format == "config":
        console.warn(*notes)
        _config(console, diagnosis, label, suspects, confirmed, configured, doubtful, target)
        return code
    where = settings.where.get("resources", "the [partitioner] section")
    found = render.doubt_values(doubtful, configured, configured_pairs(existing, runs), where)
    if args.format == "json":
        render.render_json(suspects, args.top, console.stdout, confirmed=confirmed, doubts=found, diagnosis=diagnosis,
                           interrupted=cut.runs)
        console.warn(*notes)
        return code
    render.render_table(diagnosis, suspects, args.top, label, notes, console.stdout, confirmed, found)
    return code


def _order(cwd: Path, tool: Tool, run_: Run, label: str, stopped: Interruption | None, serial: Run | None,
           repo: Repository | None, args: argparse.Namespace, console: Console) -> int:
    """``--order``: what ran before each failed class (and with ``--confirm`` the bisection)."""
    if args.history:
        loaded = load_history_for(cwd, args.history, console.stdin)
        console.warn(*loaded.warnings)
        history = [*loaded.runs]
    else:
        history = [*(repo.runs if repo is not None else ())]
    history, earlier = judge(history)
    cut = _interrupted(run_, stopped, earlier, label)
    if serial is not None:
        history.append(serial)
    suspects = order.suspects_of(run_, label, history)
    if not suspects:
        return _say(console, args.format, render.no_failures(Diagnosis(run_.run_id, (), ()), label, None, tool),
                    cut=cut)
    notes = [*cut.lines]
    if not any(s.passed for s in suspects):
        notes.append(f"no failed class of {label} passed in another stored run, so none of what ran before it is "
                     f"cleared; run the tests once more ({tool.parallel} or {tool.serial}) to compare")
    found, code = None, 0
    if args.confirm:
        found, code = order.confirm(cwd, _settings(cwd, args), tool, suspects, args.budget or BUDGET_S, args.tries,
                                    console)
    elif args.format == "table":
        notes.append(f"to find the earlier tests that make a class fail, add --confirm (it replays {label}'s workers "
                     f"and bisects what ran before each failure, with the suite's own test command)")
    order.report(suspects, args.top, label, args.format, console, found, notes)
    return code


def _config(console: Console, diagnosis: Diagnosis, label: str, suspects: Sequence[Suspect],
            confirmed: render.Confirmed | None, configured: Sequence[tuple[str, str]], doubtful: dict[str, str],
            target: Path | None) -> None:
    """``--format config``: the section on stdout (merged into ``target`` with ``--into``), why not on stderr."""
    rules = render.rules_for(suspects, confirmed)
    text = section(rules, configured, doubtful)
    for line in render.no_rule_notes(suspects, confirmed):
        console.stderr.write(f"partitioner: {line}\n")
    if not rules:
        console.stderr.write(f"partitioner: no failed class of {label} has a "
                             f"{'confirmed ' if confirmed else ''}partner class: no resources to suggest\n")
    elif not text:
        console.stderr.write("partitioner: every pair suggested is configured already: nothing to add\n")
    if not text:
        return
    render.render_config(diagnosis, label, text, console.stdout, confirmed=confirmed is not None)
    if target is not None:
        _merge(target, text)
        count = sum(r.active for r in fresh(rules, configured))
        console.stderr.write(f"partitioner: merged {count} new rule{'s' if count != 1 else ''} into the "
                             f"[partitioner] resources of {target}\n")

def _confirm(cwd: Path, settings: Settings, tool: Tool, suspects: Sequence[Suspect], target: Run,
             runs: Sequence[Run], existing: Sequence[tuple[str, re.Pattern[str]]], args: argparse.Namespace,
             console: Console) -> tuple[render.Confirmed, int]:
    """Run the trials; returns what they found, and the exit status (128 + a signal that stopped them)."""
    command, source = trial_command(cwd, settings, tool)
    budget = args.budget or BUDGET_S
    listed, spent = listed_within(cwd, settings, budget, "--confirm")
    ids: dict[str, list[str]] = {}
    for test_id in listed:
        ids.setdefault(class_key(test_id), []).append(test_id)
    paired: dict[str, list[str]] = {}
    for a, b in configured_pairs(existing, runs).values():
        paired.setdefault(a, []).append(b)
        paired.setdefault(b, []).append(a)
    bounds = Bounds(tries=args.tries or DEFAULTS.tries, candidates=args.candidates or DEFAULTS.candidates)
    wanted = candidates(suspects, bounds.candidates, paired, run=target)
    missing = sorted({c for w in wanted for c in (w.klass, *w.partners) if c not in ids})
    if missing:
        console.warn(f"{len(missing)} classes are no longer in the suite's listing and are not tried: "
                     f"{', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''}")
    wanted = tuple(replace(w, partners=tuple(p for p in w.partners if p in ids), unlisted=w.klass not in ids,
                           first=sum(1 for p in w.best if p in ids)) for w in wanted)
    search = Search(wanted, bounds)
    console.stderr.write(f"partitioner: --confirm: trials with {source}, budget {durations.spell(budget)}\n")

    def progress(line: str) -> None:
        console.stderr.write(f"partitioner: --confirm: {line}\n")
        console.stderr.flush()

    with Interrupt() as session, Trials(cwd, command, ids, class_seconds(runs)) as trials:
        end = run_search(search, trials, budget, session, progress, spent)
    found = render.Confirmed(search.verdicts(), trials.count, trials.spent, durations.spell(budget), end.stopped,
                             search.pairs())
    return found, (128 + end.signum if end.signum is not None else 0)


@dataclass(frozen=True)
class _Cut:
    """The interrupted runs among the diagnosed one and the history (each once), and the lines that say so: the
    diagnosed run's (``own``, said even when nothing is left to diagnose), then the other runs' in one line."""

    runs: tuple[Interruption, ...] = ()
    own: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()


def _interrupted(run_: Run, stopped: Interruption | None, earlier: Sequence[Interruption], label: str) -> _Cut:
    """What to say of the interruptions (:class:`_Cut`)."""
    others = [s for s in earlier if s.run_id != run_.run_id]
    own = () if stopped is None else (interrupted_line([stopped], label),)
    lines = (*own, interrupted_line(others)) if others else own
    return _Cut((*(() if stopped is None else (stopped,)), *others), own, lines)


def _say(console: Console, fmt: str, message: str, diagnosis: Diagnosis | None = None, cut: _Cut = _Cut()) -> int:
    """Nothing to diagnose or suggest: say so on stdout (table) or stderr, with a JSON document for ``json``; the
    interruptions first (they may be why nothing is left to diagnose)."""
    if fmt == "json":
        render.render_json((), 0, console.stdout, indent=None, diagnosis=diagnosis, interrupted=cut.runs)
    for line in (*cut.own, message):
        if fmt == "table":
            console.stdout.write(f"{line}\n")
        else:
            console.stderr.write(f"partitioner: {line}\n")
    return 0
