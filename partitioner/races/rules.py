"""Resource rules from a race diagnosis: the ``[partitioner]`` INI text that :mod:`partitioner.config` reads back,
and which configured pairs the evidence no longer supports; pure.

Each rule keeps a failed class and its top partner class on one worker (``resources``), so the next plan
cannot run them at the same time. The partner is :meth:`~partitioner.races.diagnosis.Suspect.top`: the
same ranking the table and the JSON show. When other partner classes tie with it at the top score, the ranking
cannot tell which one the failure raced with (one run ties every class that was running), so the rule is only a
suggestion, written commented out with the tie, and ``--confirm`` is the way to decide.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from partitioner.history.model import Run, is_parallel
from partitioner.history.summary import broken_run, run_name
from partitioner.races.diagnosis import Suspect
from partitioner.races.windows import Timeline
from partitioner.testids import canonical, class_key


@dataclass(frozen=True)
class Rule:
    """One suggested pair: a failed class and the partner class to keep on its worker.

    :ivar pair: the two class keys, sorted
    :ivar suspect: the suspect it comes from, as shown (a test id or a class key)
    :ivar partner: the partner's class key
    :ivar score: the partner's score
    :ivar tied: other partner classes with the same score (the suggestion names the smallest id)
    :ivar confirmed: how ``--confirm`` reproduced it (``"3 of 3 tries"``), or ``None``
    :ivar unconfirmed: why it is only a suggestion, written commented out: its partner ties with others at the
        top (:func:`tie`), or ``--confirm`` did not reproduce it
    """

    pair: tuple[str, str]
    suspect: str
    partner: str
    score: float = 0.0
    tied: tuple[str, ...] = ()
    confirmed: str | None = None
    unconfirmed: str | None = None

    @property
    def active(self) -> bool:
        """Whether the rule is written as a rule (not as a commented-out suggestion)."""
        return self.unconfirmed is None


def pair_regex(a: str, b: str) -> str:
    """The resource regex of a class pair: an anchored alternation of the escaped class keys, then ``\\.``."""
    return f"^(?:{re.escape(a)}|{re.escape(b)})\\."


def tie(rule: Rule, of: str = "") -> str:
    """What ties at the top for ``rule``, said alike by every output: ``2 partner classes tie at the top score
    0.733: A, B`` (``2 partner classes of S tie ...`` with ``of``)."""
    names = (rule.partner, *rule.tied)
    whose = f" of {of}" if of else ""
    return f"{len(names)} partner classes{whose} tie at the top score {rule.score:.3f}: {', '.join(names)}"


def suggest(suspects: Iterable[Suspect]) -> tuple[Rule, ...]:
    """One rule per failed class: its best top partner (:meth:`Suspect.top`) over the suspects standing for it.

    Suspects that are no race (:attr:`Suspect.not_race`) get none. A pair is suggested once. A partner that ties
    with others at the top score gives only a suggestion (:attr:`Rule.unconfirmed` says the tie): taking the
    smallest id would accuse a bystander as often as not.
    """
    best: dict[str, Rule] = {}
    for suspect in suspects:
        top = suspect.top()
        if top is None or suspect.not_race:
            continue
        partner, theirs, tied = top
        mine = suspect.klass
        held = best.get(mine)
        if held is None or partner.score > held.score:
            a, b = sorted((mine, theirs))
            rule = Rule((a, b), suspect.test, theirs, partner.score, tied)
            if tied:
                rule = replace(rule, unconfirmed=f"{tie(rule, suspect.test)}; the line takes the smallest id, and "
                                                 f"`partitioner races --confirm` runs the pairs to tell them apart")
            best[mine] = rule
    rules: list[Rule] = []
    for _, rule in sorted(best.items()):
        if rule.pair not in {r.pair for r in rules}:
            rules.append(rule)
    return tuple(rules)


def _comment(rule: Rule) -> str | None:
    if rule.unconfirmed is not None:
        return f"not confirmed ({rule.unconfirmed}): uncomment the next line to keep it anyway"
    if rule.confirmed is not None:
        return f"{rule.suspect} with {rule.partner}: confirmed, reproduced in {rule.confirmed}"
    return None


def fresh(rules: Sequence[Rule], existing: Sequence[tuple[str, str]]) -> tuple[Rule, ...]:
    """The rules whose pair no configured resource already writes (the same regex)."""
    written = {regex for _, regex in existing}
    return tuple(r for r in rules if pair_regex(*r.pair) not in written)


def section(rules: Sequence[Rule], existing: Sequence[tuple[str, str]] = (),
            doubtful: Mapping[str, str] | None = None) -> str:
    """The ``[partitioner]`` section: configured resources first, then one ``raceN`` line per rule.

    :param existing: ``(name, regex)`` resource lines already configured; they are kept first (an appended
        section's ``resources`` replaces the earlier value) and their names are not reused
    :param doubtful: configured resource name -> why the evidence no longer supports it (a comment above it)
    :returns: the section text, or ``""`` when there is no new rule and nothing is doubtful
    """
    doubtful = doubtful or {}
    rules = fresh(rules, existing)
    if not rules and not doubtful:
        return ""
    taken = {name for name, _ in existing}
    lines: list[str] = []
    for name, regex in existing:
        if name in doubtful:
            lines.append(f"    # doubtful: {doubtful[name]}; delete the next line to drop it")
        lines.append(f"    {name}: {regex}")
    number = 0
    for rule in rules:
        number += 1
        while f"race{number}" in taken:
            number += 1
        comment = _comment(rule)
        if comment:
            lines.append(f"    # {comment}")
        lines.append(f"    {'' if rule.active else '# '}race{number}: {pair_regex(*rule.pair)}")
    return "[partitioner]\nresources =\n" + "\n".join(lines) + "\n"


def resource_rules(suspects: Iterable[Suspect], existing: Sequence[tuple[str, str]] = ()) -> str:
    """A ``[partitioner]`` section whose ``resources`` keep each failed class and its top partner class on one
    worker, ready to append to ``.testr.conf`` (or ``.stestr.conf``, ``tox.ini``, ``setup.cfg``).

    One ``raceN: ^(?:A|B)\\.`` line per distinct pair (``A``, ``B`` escaped class keys, sorted); a test-view
    suspect is taken as its class, with the best-scoring partner of another class among its tests. A pair whose
    partner ties with others at the top is written commented out, with the tie (:func:`suggest`).

    :param existing: ``(name, regex)`` resource lines already configured; they are kept first (an appended
        section's ``resources`` replaces the earlier value) and their names are not reused
    :returns: the section text, or ``""`` when no suspect has a partner in another class
    """
    rules = suggest(suspects)
    return section(rules, existing) if rules else ""


@dataclass(frozen=True)
class PairEvidence:
    """What the stored parallel runs say about a configured pair of classes.

    :ivar kept: names of the runs in which the two shared a worker and one of them failed anyway
    :ivar split: runs in which they overlapped on two workers and exactly one failed
    :ivar harmless: runs in which they overlapped on two workers and neither failed
    """

    kept: tuple[str, ...] = ()
    split: int = 0
    harmless: int = 0


def pair_classes(pattern: re.Pattern[str], runs: Iterable[Run]) -> tuple[str, ...]:
    """The classes of the tests (in ``runs``) a resource's regex matches, sorted."""
    return tuple(sorted({class_key(canonical(r.test_id)) for run in runs for r in run.records
                         if pattern.search(r.test_id)}))


def configured_pairs(existing: Sequence[tuple[str, re.Pattern[str]]], runs: Sequence[Run]
                     ) -> dict[str, tuple[str, str]]:
    """The configured resources that pair exactly two classes (of the tests in ``runs``): name -> the pair."""
    found: dict[str, tuple[str, str]] = {}
    for name, pattern in existing:
        classes = pair_classes(pattern, runs)
        if len(classes) == 2:
            found[name] = (classes[0], classes[1])
    return found


def pair_evidence(a: str, b: str, runs: Sequence[Run], timelines: dict[int, Timeline] | None = None
                  ) -> PairEvidence:
    """How classes ``a`` and ``b`` fared in the parallel runs (runs where nearly everything failed left out).

    :param timelines: a cache of the runs' timelines by position, shared between calls
    """
    cache = {} if timelines is None else timelines
    kept: list[str] = []
    split = harmless = 0
    for position, run in enumerate(runs):
        if not is_parallel(run) or broken_run(run) is not None:
            continue
        timeline = cache.get(position)
        if timeline is None:
            timeline = cache[position] = Timeline(run, frozenset())
        if not (timeline.has(a, "class") and timeline.has(b, "class")):
            continue
        failed = timeline.failed(a, "class") + timeline.failed(b, "class")
        homes = {s.worker for s in timeline.of(a, "class")} | {s.worker for s in timeline.of(b, "class")}
        if len(homes) == 1:
            if failed:
                kept.append(run_name(run))
            continue
        if b in timeline.beside(timeline.of(a, "class"), "class"):
            split += failed == 1
            harmless += failed == 0
    return PairEvidence(tuple(kept), split, harmless)


def doubts(existing: Sequence[tuple[str, re.Pattern[str]]], runs: Sequence[Run],
           tried: Mapping[tuple[str, str], tuple[int, int]] | None = None) -> dict[str, str]:
    """Configured resources that pair two classes and that the evidence no longer supports, with why.

    A pair is doubtful when one of its classes failed in a run in which the rule kept both on one worker
    (something else makes it fail), or when the two overlapped in two or more runs without one of them
    failing, never with; or when ``--confirm`` ran them side by side without reproducing a failure. A pair
    ``--confirm`` reproduced is never doubtful.

    :param existing: configured ``(name, compiled regex)`` resources
    :param tried: sorted class pair -> ``(reproductions, tries)`` from ``--confirm``
    """
    tried = tried or {}
    found: dict[str, str] = {}
    timelines: dict[int, Timeline] = {}
    for name, (a, b) in configured_pairs(existing, runs).items():
        reproduced, tries = tried.get((a, b), (0, 0))
        if reproduced:
            continue
        evidence = pair_evidence(a, b, runs, timelines)
        why: list[str] = []
        if evidence.kept:
            shown = ", ".join(evidence.kept[:3]) + (", ..." if len(evidence.kept) > 3 else "")
            why.append(f"{a} or {b} failed in run{'s' if len(evidence.kept) > 1 else ''} {shown} although "
                       f"{name} kept them on one worker")
        if evidence.harmless >= 2 and not evidence.split:
            why.append(f"they ran side by side in {evidence.harmless} runs and neither failed")
        if tries:
            why.append(f"--confirm ran them side by side {tries} time{'s' if tries != 1 else ''} without a failure")
        if why:
            found[name] = "; ".join(why)
    return found


_HEADER = re.compile(r"^\s*\[(?P<name>[^\]]+)\]\s*$")
_RESOURCES = re.compile(r"^resources\s*[=:]", re.IGNORECASE)


def merge_into(text: str, resources_section: str) -> str:
    """``text`` (an INI file) with its ``[partitioner]`` section's ``resources`` value replaced by the one of
    ``resources_section`` (what :func:`section` returns), everything else kept as it is.

    testr and stestr read their config files strictly: a second ``[partitioner]`` section, or a second
    ``resources`` option, makes them refuse the file. So rules go *into* the section: its ``resources`` option
    (the option line and its indented or blank continuation lines) is replaced; a section without one gets it
    after its header; a file without the section gets the section at its end. With several ``[partitioner]``
    sections (appended by hand), the last one is the one changed, as the last one is what counts.
    """
    body = [line for line in resources_section.splitlines() if not _HEADER.match(line)]
    lines = text.splitlines()
    headers = [i for i, line in enumerate(lines) if (m := _HEADER.match(line)) and m["name"].strip() == "partitioner"]
    if not headers:
        gap = "" if not text or text.endswith("\n\n") else "\n" if text.endswith("\n") else "\n\n"
        return f"{text}{gap}[partitioner]\n" + "\n".join(body) + "\n"
    start = headers[-1] + 1
    end = next((i for i in range(start, len(lines)) if _HEADER.match(lines[i])), len(lines))
    option = next((i for i in range(start, end) if _RESOURCES.match(lines[i])), None)
    if option is None:
        lines[start:start] = body
    else:
        stop = option + 1
        while stop < end and (not lines[stop].strip() or lines[stop][:1] in (" ", "\t")):
            stop += 1
        while stop > option + 1 and not lines[stop - 1].strip():  # blank lines before what follows stay
            stop -= 1
        lines[option:stop] = body
    return "\n".join(lines) + "\n"
