"""Resource rules from a race diagnosis: the ``[partitioner]`` INI text that :mod:`partitioner.config` reads back.

Each rule keeps a failed class and its top partner class on one worker (``resources``), so the next plan
cannot run them at the same time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from partitioner.races.diagnosis import Suspect
from partitioner.races.windows import Level
from partitioner.testids import class_key


def _class_of(test: str, level: Level) -> str:
    return test if level == "class" else class_key(test)


def resource_rules(suspects: Iterable[Suspect], existing: Sequence[tuple[str, str]] = ()) -> str:
    """A ``[partitioner]`` section whose ``resources`` keep each failed class and its top partner class on one
    worker, ready to append to ``.testr.conf`` (or ``.stestr.conf``, ``tox.ini``, ``setup.cfg``).

    One ``raceN: ^(?:A|B)\\.`` line per distinct pair (``A``, ``B`` escaped class keys, sorted); a test-view
    suspect is taken as its class, with the best-scoring partner of another class among its tests.

    :param existing: ``(name, regex)`` resource lines already configured; they are kept first (an appended
        section's ``resources`` replaces the earlier value) and their names are not reused
    :returns: the section text, or ``""`` when no suspect has a partner in another class
    """
    best: dict[str, tuple[float, str]] = {}
    for suspect in suspects:
        mine = _class_of(suspect.test, suspect.level)
        for partner in suspect.partners:
            theirs = _class_of(partner.test, suspect.level)
            if theirs == mine:
                continue
            held = best.get(mine)
            if held is None or (-partner.score, theirs) < (-held[0], held[1]):
                best[mine] = (partner.score, theirs)
            break
    pairs: list[tuple[str, str]] = []
    for mine, (_, theirs) in sorted(best.items()):
        a, b = sorted((mine, theirs))
        if (a, b) not in pairs:
            pairs.append((a, b))
    if not pairs:
        return ""
    taken = {name for name, _ in existing}
    lines = [f"    {name}: {regex}" for name, regex in existing]
    number = 0
    for a, b in pairs:
        number += 1
        while f"race{number}" in taken:
            number += 1
        lines.append(f"    race{number}: ^(?:{re.escape(a)}|{re.escape(b)})\\.")
    return "[partitioner]\nresources =\n" + "\n".join(lines) + "\n"
