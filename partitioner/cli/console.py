"""The streams a command reads and writes, injected so that tests need no patching."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO


@dataclass(frozen=True)
class Console:
    """A command's stdin (bytes: streams and id lists arrive there), stdout and stderr (text)."""

    stdin: IO[bytes]
    stdout: IO[str]
    stderr: IO[str]

    def warn(self, *messages: str) -> None:
        """Print one ``partitioner: warning: ...`` line to stderr per message (``partitioner: note: ...`` for a
        message that is only a note: :func:`partitioner.history.model.is_note`, a first run's empty repository)."""
        from partitioner.history.model import is_note  # not loaded by commands that never warn (exec's start)

        for message in messages:
            self.stderr.write(f"partitioner: {'note' if is_note(message) else 'warning'}: {message}\n")
