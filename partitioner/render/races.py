"""The outputs of ``partitioner races``: a ranked table, versioned JSON, and a config section of resources."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import IO

from partitioner.races import OVERLAP_WEIGHT, Diagnosis, Suspect
from partitioner.render.output import FORMAT_VERSION


def notes(diagnosis: Diagnosis, label: str, serial_label: str | None) -> list[str]:
    """What the reader should know about the evidence: one run only, failures left out, records left out."""
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


def render_table(diagnosis: Diagnosis, suspects: Sequence[Suspect], top: int, label: str, notes: Sequence[str],
                 out: IO[str]) -> None:
    """Each suspect and its ``top`` partners, ranked, then how the score is made and the notes."""
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


def suspects_to_dict(suspects: Sequence[Suspect], top: int) -> dict[str, object]:
    """The JSON document: each suspect and its ``top`` partners (``format_version`` as every output)."""
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


def render_json(suspects: Sequence[Suspect], top: int, out: IO[str], indent: int | None = 1) -> None:
    """Write :func:`suspects_to_dict` as JSON (indented; the empty document of a run with no race is one line)."""
    json.dump(suspects_to_dict(suspects, top), out, indent=indent, ensure_ascii=False)
    out.write("\n")


def render_config(diagnosis: Diagnosis, label: str, rules: str, out: IO[str]) -> None:
    """The resource rules (:func:`partitioner.races.resource_rules`) under a comment saying where they came from."""
    out.write(f"# from `partitioner races` on {label} ({diagnosis.runs} parallel runs): keeps each failed "
              f"class and its top partner class on one worker.\n"
              f"# Append to .testr.conf (or .stestr.conf); this resources value replaces an earlier one, "
              f"so configured resources are repeated in it.\n")
    out.write(rules)


def no_failures(diagnosis: Diagnosis, label: str, serial_label: str | None) -> str:
    """The one line saying there is nothing to diagnose (and why)."""
    if diagnosis.excluded:
        return (f"all {len(diagnosis.excluded)} failed tests of {label} also failed in {serial_label}: they are "
                f"not races; fix them as ordinary failures")
    return (f"{label} has no failures: nothing to diagnose; pass a run that failed in parallel "
            f"(see `testr failing`), or check `partitioner history summary` for tests failing only in "
            f"parallel")
