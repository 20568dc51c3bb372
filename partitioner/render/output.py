"""Where renderings go, and the version of every JSON document partitioner writes.

:func:`open_output` is the one way a command opens its output: ``-`` for stdout, or a file written beside
its final path and renamed into place, so a reader never sees half a file; a failure is one
:class:`~partitioner.errors.OutputError`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from partitioner.errors import OutputError, PartitionerError

#: ``format_version`` of every JSON document a command prints (plan, explain, races, history summary).
#: History: 1 -- first version; the plan's ``unit`` and ``measured_tests`` were added later (members only
#: added, never changed or removed, within a version). (The portable timing file, which partitioner reads back,
#: has its own version: :data:`partitioner.history.jsonfile.TIMING_FILE_VERSION`.)
FORMAT_VERSION = 1


@contextmanager
def open_output(target: str | os.PathLike[str], stdout: IO[str] | None = None) -> Iterator[IO[str]]:
    """A text stream for one rendering: ``stdout`` (left open) for ``-``, else the file at ``target``.

    The file is written as ``.NAME.PID.tmp`` beside ``target`` and renamed over it when the block ends
    without an error (removed otherwise).

    :param stdout: what ``-`` means (default ``sys.stdout``)
    :raises OutputError: when the file cannot be written
    """
    if os.fspath(target) == "-":
        yield stdout if stdout is not None else sys.stdout
        return
    path = Path(target)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "x", encoding="utf-8", newline="\n") as out:
            yield out
        os.replace(temporary, path)
    except PartitionerError:
        temporary.unlink(missing_ok=True)
        raise
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}; write to an existing, writable "
                          "directory") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def say_written(target: str | os.PathLike[str], what: str, stream: IO[str]) -> None:
    """Tell the user what a command wrote to a file: one line ``TARGET: WHAT`` (as ``timeline`` says which run its
    page draws); nothing for ``-``, where the rendering itself is the output.

    :param what: what the file holds, in a few words (``the static plan of 4 tests on 2 workers, drawn as a page``)
    :param stream: where the line goes: the command's stderr (``plan -o``, ``history export -o``, ``timeline``),
        so that stdout holds nothing but renderings
    """
    if os.fspath(target) != "-":
        stream.write(f"{os.fspath(target)}: {what}\n")


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 test``, ``2 tests``, ``1,593 tests`` (``many``: the plural when it is not ``word`` + s)."""
    return f"{count:,} {word if count == 1 else many or f'{word}s'}"


def recorded_as_failures(count: int) -> str:
    """The verb for ``count`` tests an account records as failures: ``is recorded as a failure`` for one,
    ``are recorded as failures`` for more (follows :func:`plural`'s count)."""
    return "is recorded as a failure" if count == 1 else "are recorded as failures"
