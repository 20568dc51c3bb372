"""The outputs of ``partitioner races``: a ranked table, versioned JSON, and a config section of resources.

Every output shows the same suspects in the same order, and the rule each would get (:func:`rules_for`):
the table marks it, the JSON names it, the config section writes it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO

from partitioner.history.samples import Interruption
from partitioner.races import OVERLAP_WEIGHT, Diagnosis, Suspect
from partitioner.races.confirm import Confirmation
from partitioner.races.rules import Rule, suggest, tie
from partitioner.render.output import FORMAT_VERSION
from partitioner.render.summary import Tool, interrupted_dicts

#: advice for a project whose tool is unknown (names both)
UNKNOWN = Tool()


@dataclass(frozen=True)
class Doubt:
    """A configured resource the evidence no longer supports: its name, regex, classes, why, and where it is."""

    name: str
    regex: str
    classes: tuple[str, ...]
    why: str
    where: str

    @property
    def how(self) -> str:
        """How to drop it."""
        return f"to drop it, delete the line `{self.name}: {self.regex}` under resources in {self.where}"


@dataclass(frozen=True)
class Confirmed:
    """What ``--confirm`` did: the verdicts, its trials, seconds and budget, why it stopped early (if it did),
    and every pair it tried (sorted class pair -> reproductions, tries)."""

    verdicts: tuple[Confirmation, ...]
    trials: int
    seconds: float
    budget: str
    stopped: str | None = None
    pairs: Mapping[tuple[str, str], tuple[int, int]] = field(default_factory=dict)


def notes(diagnosis: Diagnosis, label: str, serial_label: str | None, tool: Tool = UNKNOWN,
          confirmed: bool = False) -> list[str]:
    """What the reader should know about the evidence: one run only (unless ``--confirm`` ran the suspects),
    failures or runs left out."""
    notes: list[str] = []
    if diagnosis.runs == 1 and not confirmed:
        notes.append(f"the score rests on one parallel run: every partner coincided with every failure once, so "
                     f"only the overlap and whether the partner failed too rank them; run the tests in parallel a "
                     f"few more times ({tool.parallel}), or add --confirm to run the suspects beside their best "
                     f"partners, to tell the real partner from bystanders")
    if diagnosis.excluded:
        shown = ", ".join(diagnosis.excluded[:3]) + (", ..." if len(diagnosis.excluded) > 3 else "")
        notes.append(f"{len(diagnosis.excluded)} failed tests also failed in {serial_label} and are left out "
                     f"(not races): {shown}")
    if diagnosis.deterministic:
        count = len(diagnosis.deterministic)
        named = ", ".join(t for t, _ in diagnosis.deterministic[:3]) + (", ..." if count > 3 else "")
        one = count == 1
        why = ("a deterministic failure, not a race; fix it as an ordinary failure" if one
               else "deterministic failures, not races; fix them as ordinary failures")
        notes.append(f"{count} failed test{'' if one else 's'} {_every_run(diagnosis)}, and {'is' if one else 'are'} "
                     f"left out ({why}): {named}")
    if diagnosis.untimed:
        notes.append(f"{diagnosis.untimed} records of {label} have no timestamps or no worker tag and are left out")
    if diagnosis.broken_runs:
        notes.append(f"{diagnosis.broken_runs} stored parallel run{'s' if diagnosis.broken_runs != 1 else ''} in "
                     f"which (nearly) every class failed {'are' if diagnosis.broken_runs != 1 else 'is'} left out "
                     f"of the counts: no race, something broke the whole run")
    return notes


def _every_run(diagnosis: Diagnosis) -> str:
    """``failed in every run that ran them (4 runs), whatever ran beside them``: why the tests of
    ``Diagnosis.deterministic`` are no races (``it`` for one)."""
    runs = sorted({n for _, n in diagnosis.deterministic})
    them = "it" if len(diagnosis.deterministic) == 1 else "them"
    span = f"{runs[0]} runs" if len(runs) == 1 else f"{runs[0]} to {runs[-1]} runs"
    return f"failed in every run that ran {them} ({span}), whatever ran beside {them}"


def broken(diagnosis: Diagnosis, label: str) -> str:
    """The one line saying the run is no race: (nearly) everything failed."""
    failed, classes = diagnosis.broken or (0, 0)
    return (f"{failed} of the {classes} classes of {label} failed: when (nearly) everything fails it is no race "
            f"but something that broke the whole run (configuration, credentials, a service down); fix that and "
            f"run the tests again; no rule suggested")


def rules_for(suspects: Sequence[Suspect], confirmed: Confirmed | None) -> tuple[Rule, ...]:
    """The rules of the config section: the ranking's top pairs (:func:`partitioner.races.rules.suggest`), or
    with ``--confirm`` the confirmed pairs, the rest written as unconfirmed suggestions."""
    if confirmed is None:
        return suggest(suspects)
    by_class: dict[str, Suspect] = {}
    for suspect in suspects:
        by_class.setdefault(suspect.klass, suspect)  # the suspect whose ranking chose the candidates
    rules: list[Rule] = []
    seen: set[tuple[str, str]] = set()
    for verdict in confirmed.verdicts:
        candidates: list[Rule] = []
        if verdict.confirmed:
            for tried in verdict.confirmed:
                a, b = sorted((verdict.klass, tried.partner))
                candidates.append(Rule((a, b), verdict.suspect, tried.partner,
                                       confirmed=f"{tried.reproduced} of {_tries(tried.tries)}"))
        elif verdict.verdict in ("not reproduced", "not tried"):
            for rule in suggest([by_class[verdict.klass]] if verdict.klass in by_class else []):
                why = _unconfirmed(verdict, rule.partner)
                candidates.append(Rule(rule.pair, rule.suspect, rule.partner, rule.score, rule.tied, unconfirmed=why))
        for rule in candidates:
            if rule.pair not in seen:
                seen.add(rule.pair)
                rules.append(rule)
    return tuple(rules)


def _first_rules(suspects: Sequence[Suspect], confirmed: Confirmed | None) -> dict[str, Rule]:
    """Each suspect's first rule (the best confirmed partner, or the ranking's)."""
    found: dict[str, Rule] = {}
    for rule in rules_for(suspects, confirmed):
        found.setdefault(rule.suspect, rule)
    return found


def _tied(rule: Rule) -> str:
    """Why a suspect whose top partners tie gets no rule without ``--confirm``, and how to decide."""
    return f"{tie(rule)}; add --confirm to run the pairs and tell them apart"


def _tries(count: int) -> str:
    return f"{count} tr{'ies' if count != 1 else 'y'}"


def _unconfirmed(verdict: Confirmation, partner: str) -> str:
    tried = next((t for t in verdict.tried if t.partner == partner), None)
    if tried is not None:
        return f"--confirm did not reproduce a failure beside it in {_tries(tried.tries)}"
    return f"--confirm did not try it: {verdict.note or 'the budget ran out'}"


def _suspect_line(suspect: Suspect, runs: int) -> str:
    if suspect.level == "class":
        what = f"class, {len(suspect.failed)} failed test{'s' if len(suspect.failed) != 1 else ''}"
    else:
        what = "test"
    return f"{suspect.test}  ({what}; failed in {suspect.failures} of {runs} parallel runs)\n"


def _verdict_lines(verdict: Confirmation) -> list[str]:
    failures, runs = verdict.alone
    alone = f"alone it passed {runs - failures} of {runs} runs" if runs else "it never ran alone"
    lines: list[str] = []
    if verdict.verdict == "no race":
        return [f"no race ({verdict.note}): not tried, no rule"]
    if verdict.verdict == "fails alone":
        return [f"fails alone: it failed in {failures} of {runs} runs with nothing beside it: flaky or broken, "
                f"not a race; no rule"]
    for tried in verdict.tried:
        tries = f"{tried.reproduced} of {_tries(tried.tries)}"
        if tried.reproduced:
            lines.append(f"confirmed partner {tried.partner}: a failure in {tries} beside it ({alone})")
        else:
            lines.append(f"not reproduced beside {tried.partner} ({tries})")
    if verdict.verdict == "not reproduced" and not verdict.tried:
        lines.append(f"not reproduced: {verdict.note or 'nothing to try'}")
    if verdict.untried:
        lines.append(f"not tried ({verdict.note or 'the budget ran out'}): {', '.join(verdict.untried)}")
    return lines


def render_table(diagnosis: Diagnosis, suspects: Sequence[Suspect], top: int, label: str, notes: Sequence[str],
                 out: IO[str], confirmed: Confirmed | None = None, doubts: Sequence[Doubt] = ()) -> None:
    """Each suspect and its ``top`` partners, ranked, the rule it gets (and what ``--confirm`` found), then the
    doubtful configured pairs, how the score is made, and the notes."""
    failed = len(diagnosis.tests)
    classes = len(diagnosis.classes)
    out.write(f"{label}: {failed} failed test{'s' if failed != 1 else ''} in {classes} "
              f"class{'es' if classes != 1 else ''}; cross-run counts over {diagnosis.runs} parallel "
              f"run{'s' if diagnosis.runs != 1 else ''}\n")
    verdicts = {v.klass: v for v in confirmed.verdicts} if confirmed else {}
    rules = _first_rules(suspects, confirmed)
    for suspect in suspects:
        out.write("\n" + _suspect_line(suspect, diagnosis.runs))
        if not suspect.partners:
            out.write("  nothing ran beside it on another worker\n")
        else:
            out.write(f"  {'rank':>4}  {'score':>5}  {'overlap':>8}  {'coincided':>9}  {'split':>7}  partner\n")
            best = suspect.partners[0].score
            for rank, p in enumerate(suspect.partners[:top], 1):
                split = p.overlapped - p.harmless - p.together
                tie = "=" if p.score == best and len(suspect.partners) > 1 and suspect.partners[1].score == best else ""
                out.write(f"  {f'{rank}{tie}':>4}  {p.score:5.3f}  {p.overlap_s:7.3f}s  "
                          f"{f'{p.coincidences}/{p.failures}':>9}  {f'{split}/{p.overlapped}':>7}  {p.test}\n")
            if len(suspect.partners) > top:
                out.write(f"  ... {len(suspect.partners) - top} more (--top)\n")
        if suspect.order_dependent:
            runs = f"{suspect.passed} parallel run{'s' if suspect.passed != 1 else ''}"
            out.write(f"  no race: {suspect.not_race}, yet passed in {runs}: if it fails only after an earlier test "
                      f"in its process, --order --confirm finds which; else fix it as an ordinary failure; no rule\n")
        elif suspect.not_race:
            out.write(f"  no race: {suspect.not_race}; fix it as an ordinary failure; no rule\n")
        elif suspect.klass in verdicts:
            for line in _verdict_lines(verdicts[suspect.klass]):
                out.write(f"  {line}\n")
        rule = rules.get(suspect.test)
        if rule is not None and rule.active:
            out.write(f"  rule: keep {rule.partner} with it on one worker"
                      f"{' (confirmed)' if rule.confirmed else ''}\n")
        elif rule is not None and confirmed is None:
            out.write(f"  no rule: {_tied(rule)}\n")
    if doubts:
        out.write("\ndoubtful configured resources (the evidence no longer supports them):\n")
        for doubt in doubts:
            out.write(f"  {doubt.name} ({' with '.join(doubt.classes)}): {doubt.why}; {doubt.how}\n")
    weight = 1 - OVERLAP_WEIGHT
    out.write(f"\nscore = {OVERLAP_WEIGHT} * share + {weight:.1f} * coincided * (split + 1) / (beside + 2), where\n"
              f"  share: overlap / the shorter of the suspect's window (where its failures began) and the partner's\n"
              f"  coincided: of the suspect's failures, those with the partner beside it on another worker\n"
              f"  split: of the runs the partner ran beside it (beside), those in which exactly one of the two "
              f"failed\n")
    if confirmed is not None:
        out.write(f"--confirm: {confirmed.trials} trial{'s' if confirmed.trials != 1 else ''} in "
                  f"{confirmed.seconds:.1f}s (budget {confirmed.budget})"
                  f"{f'; stopped: {confirmed.stopped}' if confirmed.stopped else ''}\n")
    for note in notes:
        out.write(f"note: {note}\n")


def _verdict_dict(verdict: Confirmation) -> dict[str, object]:
    return {"verdict": verdict.verdict,
            "alone": {"failures": verdict.alone[0], "runs": verdict.alone[1]},
            "tried": [{"test": t.partner, "reproduced": t.reproduced, "tries": t.tries} for t in verdict.tried],
            "untried": list(verdict.untried), "note": verdict.note or None}


def suspects_to_dict(suspects: Sequence[Suspect], top: int, confirmed: Confirmed | None = None,
                     doubts: Sequence[Doubt] = (), diagnosis: Diagnosis | None = None,
                     interrupted: Sequence[Interruption] = ()) -> dict[str, object]:
    """The JSON document: each suspect, its ``top`` partners, its rule and ties (and ``--confirm``'s verdict),
    then the doubtful configured pairs, and the interrupted runs whose cut-short tests were not counted as failures
    (``format_version`` as every output)."""
    verdicts = {v.klass: v for v in confirmed.verdicts} if confirmed else {}
    rules = _first_rules(suspects, confirmed)
    found: list[dict[str, object]] = []
    for s in suspects:
        best = s.top()
        rule = rules.get(s.test)
        entry: dict[str, object] = {
            "test": s.test,
            "partners": [{"test": p.test, "score": round(p.score, 4), "level": s.level,
                          "overlap_s": round(p.overlap_s, 3), "share": round(p.share, 3),
                          "coincidences": p.coincidences, "failures": p.failures, "overlapped": p.overlapped,
                          "harmless": p.harmless, "together": p.together}
                         for p in s.partners[:top]],
            "not_race": s.not_race,
            "rule": list(rule.pair) if rule is not None and rule.active else None,
            "tied_with": list(best[2]) if best is not None else [],
        }
        if s.klass in verdicts:
            entry["confirm"] = _verdict_dict(verdicts[s.klass])
        found.append(entry)
    doc: dict[str, object] = {"format_version": FORMAT_VERSION, "suspects": found}
    if doubts:
        doc["doubtful"] = [{"resource": d.name, "classes": list(d.classes), "why": d.why, "how": d.how}
                           for d in doubts]
    if confirmed is not None:
        doc["confirm"] = {"trials": confirmed.trials, "seconds": round(confirmed.seconds, 1),
                          "budget": confirmed.budget, "stopped": confirmed.stopped}
    if diagnosis is not None and diagnosis.broken is not None:
        doc["broken"] = {"failed_classes": diagnosis.broken[0], "classes": diagnosis.broken[1]}
    if diagnosis is not None and diagnosis.deterministic:
        doc["deterministic"] = [{"test": test, "runs": runs} for test, runs in diagnosis.deterministic]
    if interrupted:
        doc["interrupted"] = interrupted_dicts(interrupted)
    return doc


def render_json(suspects: Sequence[Suspect], top: int, out: IO[str], indent: int | None = 1,
                confirmed: Confirmed | None = None, doubts: Sequence[Doubt] = (),
                diagnosis: Diagnosis | None = None, interrupted: Sequence[Interruption] = ()) -> None:
    """Write :func:`suspects_to_dict` as JSON (indented; the empty document of a run with no race is one line)."""
    json.dump(suspects_to_dict(suspects, top, confirmed, doubts, diagnosis, interrupted), out, indent=indent,
              ensure_ascii=False)
    out.write("\n")


def render_config(diagnosis: Diagnosis, label: str, text: str, out: IO[str], confirmed: bool = False) -> None:
    """The resource rules (:func:`partitioner.races.rules.section`) under a comment saying where they came from."""
    how = ("keeps each failed class and the partner --confirm reproduced its failure with on one worker"
           if confirmed else "keeps each failed class and its top partner class on one worker")
    runs = f"{diagnosis.runs} parallel run{'s' if diagnosis.runs != 1 else ''}"
    out.write(f"# from `partitioner races{' --confirm' if confirmed else ''}` on {label} ({runs}): {how}.\n"
              f"# --into merges it into .testr.conf or .stestr.conf (append it by hand only where no [partitioner] "
              f"section is yet: testr and stestr refuse two); configured resources are repeated in it.\n")
    out.write(text)


def no_rule_notes(suspects: Sequence[Suspect], confirmed: Confirmed | None) -> list[str]:
    """One line per suspect that gets no rule, and why (for the config output's stderr)."""
    lines: list[str] = []
    verdicts = {v.klass: v for v in confirmed.verdicts} if confirmed else {}
    rules = _first_rules(suspects, confirmed)
    for s in suspects:
        verdict = verdicts.get(s.klass)
        rule = rules.get(s.test)
        if confirmed is None and rule is not None and not rule.active:
            lines.append(f"{s.test}: {tie(rule)}; no rule, only the first by id as a commented-out suggestion; add "
                         f"--confirm to run the pairs and tell them apart")
        elif s.not_race:
            lines.append(f"{s.test}: no race ({s.not_race}); no rule")
        elif verdict is not None and verdict.verdict == "fails alone":
            lines.append(f"{s.test}: fails alone ({verdict.alone[0]} of {verdict.alone[1]} runs): not a race; "
                         f"no rule")
        elif s.top() is None:
            lines.append(f"{s.test}: no class ran beside it; no rule")
    return lines


def no_failures(diagnosis: Diagnosis, label: str, serial_label: str | None, tool: Tool = UNKNOWN) -> str:
    """The one line saying there is nothing to diagnose (and why)."""
    always = len(diagnosis.deterministic)
    if diagnosis.excluded and always:
        return (f"all {len(diagnosis.excluded) + always} failed tests of {label} are no races: "
                f"{len(diagnosis.excluded)} also failed in {serial_label}, {always} {_every_run(diagnosis)}; fix "
                f"them as ordinary failures")
    if always == 1:
        return (f"the 1 failed test of {label} {_every_run(diagnosis)}: a deterministic failure, not a race; fix it "
                f"as an ordinary failure")
    if always:
        return (f"all {always} failed tests of {label} {_every_run(diagnosis)}: deterministic failures, not races; "
                f"fix them as ordinary failures")
    if diagnosis.excluded:
        return (f"all {len(diagnosis.excluded)} failed tests of {label} also failed in {serial_label}: they are "
                f"not races; fix them as ordinary failures")
    return (f"{label} has no failures: nothing to diagnose; pass a run that failed in parallel "
            f"(see `{tool.failing}`), or check `partitioner history summary` for tests failing only in "
            f"parallel")


def doubt_values(found: Mapping[str, str], resources: Sequence[tuple[str, str]],
                 classes: Mapping[str, tuple[str, ...]], where: str) -> tuple[Doubt, ...]:
    """:class:`Doubt` values for the doubtful resource names ``found`` (name -> why), in configured order."""
    return tuple(Doubt(name, regex, classes.get(name, ()), found[name], where)
                 for name, regex in resources if name in found)
