"""Print pip pins for the lowest versions pyproject.toml declares for the stream and tool packages.

``.ci/run`` installs them in a second venv and runs the tests that touch them, so a declared floor
(``testtools>=2.5``) is one that really works. Only ``>=`` floors are read; one pin per line.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

#: the packages whose floors are tested: what partitioner reads streams with and the tools it hooks
FLOORED = ("testtools", "python-subunit", "stestr", "testrepository")


def main() -> int:
    text = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text(encoding="utf8")
    pins = []
    for name in FLOORED:
        found = re.search(rf'"{re.escape(name)}>=([0-9][0-9.]*)"', text)
        if found is None:
            print(f"no '{name}>=' floor in pyproject.toml; add one or drop {name} from .ci/floors.py", file=sys.stderr)
            return 1
        pins.append(f"{name}=={found.group(1)}")
    print("\n".join(pins))
    return 0


if __name__ == "__main__":
    sys.exit(main())
