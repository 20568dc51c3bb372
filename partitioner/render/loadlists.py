"""The plan as load lists: one ``worker-N.list`` of ids per worker (and ``serial.list``), for any runner."""

from __future__ import annotations

from pathlib import Path

from partitioner.errors import OutputError
from partitioner.plan import Plan
from partitioner.render.output import open_output


def write_load_lists(plan: Plan, directory: Path) -> list[Path]:
    """One ``worker-N.list`` file per worker (ids one per line, ``serial.list`` for serial tests).

    :returns: the files written, in worker order
    :raises OutputError: when the directory or a file cannot be written
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write load lists into {directory}: {exc.strerror or exc}; write to an "
                          "existing, writable directory") from None
    shares = [(f"worker-{p.worker}.list", p.tests) for p in plan.workers]
    if plan.serial:
        shares.append(("serial.list", plan.serial))
    written = []
    for name, tests in shares:
        with open_output(directory / name) as out:
            out.write("".join(f"{t}\n" for t in tests))
        written.append(directory / name)
    return written
