"""Write a benchmark's generated block into docs/benchmarks.md, keeping notes written by hand.

Each bench owns one ``## Heading`` section; only the part between its ``<!-- NAME: generated ... -->``
markers is replaced, so the hand-written findings below it (and every other section) survive a rerun.
"""

from __future__ import annotations

import re
from pathlib import Path


def write_generated(path: Path, heading: str, name: str, generated: str) -> None:
    """Put ``generated`` under ``heading`` in ``path`` (file and section created if missing).

    :param heading: the section's heading line, e.g. ``## Wall time``
    :param name: the bench's name in the markers, e.g. ``walltime.py``
    """
    begin = f"<!-- {name}: generated, do not edit by hand -->"
    end = f"<!-- {name}: end of generated part -->"
    block = f"{begin}\n{generated.strip()}\n{end}"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        start, stop = text.index(begin), text.index(end) + len(end)
        text = text[:start] + block + text[stop:]
    elif re.search(rf"(?m)^{re.escape(heading)}$", text):
        text = re.sub(rf"(?m)^{re.escape(heading)}\n", lambda _: f"{heading}\n\n{block}\n", text, count=1)
    else:
        text = text.rstrip("\n") + f"\n\n{heading}\n\n{block}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n")
